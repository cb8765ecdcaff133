"""Op-table cases for matrix functions (expm, sqrtm) and ODE integration."""

from __future__ import annotations

CASES: list = []
