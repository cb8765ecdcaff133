"""Matrix decompositions: cholesky, triangular_solve, eigh, eig, svd, qr, lu."""
