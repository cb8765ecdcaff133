"""Matrix functions: expm, sqrtm."""
