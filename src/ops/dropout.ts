// dropout ops — being written.
