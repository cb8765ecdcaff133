"""``fntrans.numpy.fft``: NumPy's FFT functions."""

__all__: list = []
