"""Op-table cases for the discrete Fourier transforms."""

from __future__ import annotations

CASES: list = []
