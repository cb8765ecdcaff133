"""Solves, inverses, determinants, norms."""

__all__: list = []
