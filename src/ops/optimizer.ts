// optimizer ops — being written.
