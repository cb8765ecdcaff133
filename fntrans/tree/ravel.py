"""``ravel_pytree``: a pytree of arrays as one flat vector, and back (autograd's
``flatten``), built on primitives so that it can be differentiated through."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from fntrans.core.aval import dtype_of, shape_of
from fntrans.core.tracer import Tracer
from fntrans.primitives.elementwise import convert_element_type
from fntrans.primitives.indexing import getitem
from fntrans.primitives.joining import join
from fntrans.primitives.shape import reshape
from fntrans.tree.pytrees import tree_flatten, tree_unflatten


def ravel_pytree(tree: Any) -> tuple[np.ndarray, Callable]:
    """Flattens a pytree of arrays into one 1-d array, with the function that undoes it.

    This is autograd's ``flatten``. Under a transform the flat vector is traced,
    so ``ravel_pytree`` can be differentiated through.

    Returns:
        ``(flat, unravel)``, where ``unravel(flat)`` rebuilds the tree.

    >>> flat, unravel = ravel_pytree([(1.0, 1.0), (2.0, 2.0)])
    >>> flat
    array([1., 1., 2., 2.])
    >>> unravel(flat)
    [(array(1.), array(1.)), (array(2.), array(2.))]
    """
    leaves, treedef = tree_flatten(tree)
    shapes = [tuple(shape_of(leaf)) for leaf in leaves]
    sizes = [math.prod(s) for s in shapes]
    dtypes = [dtype_of(leaf) for leaf in leaves]
    if len(leaves) == 1 and isinstance(leaves[0], Tracer):
        # a lone traced leaf: its reshape is the flat vector (nothing to copy
        # or join, which a recorded program would otherwise run every time)
        flat = reshape(leaves[0], (sizes[0],))
    elif leaves:
        flat = join(
            [reshape(leaf, (size,)) for leaf, size in zip(leaves, sizes)], axis=0, new_axis=False
        )
    else:
        flat = np.zeros(0)

    def unravel(flat_vector):
        if len(leaves) == 1:  # no slice of the whole vector
            piece = convert_element_type(reshape(flat_vector, shapes[0]), dtype=dtypes[0])
            return tree_unflatten(treedef, [piece])
        pieces, start = [], 0
        for shape, size, dtype in zip(shapes, sizes, dtypes):
            piece = reshape(getitem(flat_vector, slice(start, start + size)), shape)
            pieces.append(convert_element_type(piece, dtype=dtype))
            start += size
        return tree_unflatten(treedef, pieces)

    return flat, unravel
