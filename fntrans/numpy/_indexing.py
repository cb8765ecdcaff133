"""Indexing helpers over the ``getitem`` primitive."""

from __future__ import annotations

import numpy as np

from fntrans.core.tracer import Tracer
from fntrans.primitives.indexing import getitem


def nonzero(a):
    """Indices of the non-zero elements; needs a concrete ``a``."""
    if isinstance(a, Tracer):
        a = a._concrete_or_raise("nonzero")
    return np.nonzero(a)


def take(a, indices, axis=None):
    """Elements of ``a`` at ``indices`` along ``axis`` (of the flattened ``a`` by default)."""
    from fntrans.numpy._manipulation import ravel

    if axis is None:
        return getitem(ravel(a), (indices,))
    axis = axis % len(np.shape(a))
    return getitem(a, (slice(None),) * axis + (indices,))
