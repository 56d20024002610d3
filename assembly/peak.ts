// peak kernels — being written.
