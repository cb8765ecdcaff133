"""Op-table cases for linear solves, inverses, determinants and norms."""

from __future__ import annotations

CASES: list = []
