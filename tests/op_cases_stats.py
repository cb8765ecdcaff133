"""Op-table cases for scipy.stats distributions."""

from __future__ import annotations

CASES: list = []
