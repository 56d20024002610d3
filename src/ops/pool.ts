// pool ops — being written.
