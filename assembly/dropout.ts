// dropout kernels — being written.
