"""Helpers shared by the interpreters of automatic differentiation and the
rules that run them (custom rules, checkpoint): symbolic zeros (``None``)
and cotangents fitted to their primal's dtype."""

from __future__ import annotations

from fntrans import errors
from fntrans.core import constants
from fntrans.core.aval import dtype_of, shape_of
from fntrans.primitives.elementwise import add, convert_element_type, fit_cotangent

__all__ = ["add_tangents", "checked_like", "fit_cotangent", "instantiate"]


def add_tangents(a, b):
    """The sum of two tangents or cotangents, either of which may be a symbolic zero."""
    if a is None:
        return b
    return a if b is None else add(a, b)


def instantiate(t, like):
    """A tangent or cotangent as an array: zeros shaped like ``like`` for a symbolic zero."""
    return constants.zeros_like(like) if t is None else t


def checked_like(t, like, what: str):
    """A tangent or cotangent ``t`` given for ``like`` (by a user's rule or
    call), checked: the same shape, and a dtype of the same kind (a float of
    another precision is cast). ``what`` names it in the error."""
    if isinstance(t, (list, tuple)):  # nested lists of numbers read as NumPy reads them
        t = constants.module_for(like).asarray(t)
    if t is None or not hasattr(t, "shape") and not isinstance(t, (int, float, complex)):
        got = "None" if t is None else f"a {type(t).__name__}"
        expected = tuple(shape_of(like))
        raise TypeError(f"{what}: expected an array of shape {expected}, but got {got}.")
    if tuple(shape_of(t)) != tuple(shape_of(like)):
        raise errors.shape_mismatch(what, shape_of(like), shape_of(t))
    dtype, expected = dtype_of(t), dtype_of(like)
    if dtype != expected:
        if dtype.kind != expected.kind and not (dtype.kind in "biu" and expected.kind in "fc"):
            raise errors.dtype_mismatch(what, expected, dtype)
        t = convert_element_type(t, dtype=expected)
    return t
