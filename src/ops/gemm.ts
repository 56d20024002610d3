// gemm ops — being written.
export {};
