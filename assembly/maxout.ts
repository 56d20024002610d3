// maxout kernels — being written.
