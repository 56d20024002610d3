// maxout ops — being written.
