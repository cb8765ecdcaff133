"""Op-table cases for matrix decompositions: cholesky, triangular solves, eigh, eig, svd, qr, lu, and what is built on them."""

from __future__ import annotations

CASES: list = []
