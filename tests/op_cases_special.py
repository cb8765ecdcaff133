"""Op-table cases for scipy.special."""

from __future__ import annotations

CASES: list = []
