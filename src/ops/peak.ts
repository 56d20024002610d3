// peak ops — being written.
