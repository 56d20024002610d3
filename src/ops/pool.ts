// pool ops — being written.
export {};
