// activation ops — being written.
