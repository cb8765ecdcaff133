"""Helpers shared by the interpreters of automatic differentiation and the
rules that run them (custom rules, checkpoint): symbolic zeros (``None``)
and cotangents fitted to their primal's dtype."""

from __future__ import annotations

from fntrans.core import constants
from fntrans.primitives.elementwise import add, fit_cotangent

__all__ = ["add_tangents", "fit_cotangent", "instantiate"]


def add_tangents(a, b):
    """The sum of two tangents or cotangents, either of which may be a symbolic zero."""
    if a is None:
        return b
    return a if b is None else add(a, b)


def instantiate(t, like):
    """A tangent or cotangent as an array: zeros shaped like ``like`` for a symbolic zero."""
    return constants.zeros_like(like) if t is None else t
