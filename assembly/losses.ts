// losses kernels — being written.
