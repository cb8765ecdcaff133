"""N-d convolution and correlation."""
