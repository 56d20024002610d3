// activations kernels — being written.
