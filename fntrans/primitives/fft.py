"""The discrete Fourier transforms."""
