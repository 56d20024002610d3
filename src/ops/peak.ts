// peak ops — being written.
export {};
