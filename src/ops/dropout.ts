// dropout ops — being written.
export {};
