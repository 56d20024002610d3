// loss ops — being written.
export {};
