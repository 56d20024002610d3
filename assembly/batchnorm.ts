// batchnorm kernels — being written.
