// conv kernels — being written.
