// conv ops — being written.
