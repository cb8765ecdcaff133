"""Decompositions and what is built on them."""

__all__: list = []
