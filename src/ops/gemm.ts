// gemm ops — being written.
