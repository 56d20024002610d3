// activation ops — being written.
export {};
