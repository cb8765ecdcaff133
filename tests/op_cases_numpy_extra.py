"""Op-table cases for the rest of NumPy's surface: differences, convolutions, polynomials, nan-functions, ...."""

from __future__ import annotations

CASES: list = []
