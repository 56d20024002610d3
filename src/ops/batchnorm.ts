// batchnorm ops — being written.
export {};
