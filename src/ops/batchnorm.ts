// batchnorm ops — being written.
