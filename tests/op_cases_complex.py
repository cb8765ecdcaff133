"""Op-table cases for complex numbers throughout (holomorphic and not)."""

from __future__ import annotations

CASES: list = []
