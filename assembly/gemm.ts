// gemm kernels — being written.
