// optimizer ops — being written.
export {};
