// pool kernels — being written.
