// loss ops — being written.
