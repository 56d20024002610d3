// maxout ops — being written.
export {};
