// optimizers kernels — being written.
