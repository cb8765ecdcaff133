"""The batching rules shared by families of primitives: elementwise
operations and reductions."""

from __future__ import annotations

from fntrans.primitives.shape import move_axis, reshape


def elementwise_batch(prim, vals, dims, **params):
    """Batching rule of NumPy-broadcasting elementwise primitives.

    Batched operands get their batch axis first, then size-1 axes up to the
    output's rank, so NumPy's right-aligned broadcasting lines them up with
    the unbatched ones.
    """
    # plain loops: this runs once per elementwise operation under vmap
    rank, d0 = 0, None
    for v, d in zip(vals, dims):
        if d is None:
            n = len(v.shape) if hasattr(v, "shape") else 0
        else:
            n = len(v.shape) - 1
            if d0 is None:
                d0 = d
        if n > rank:
            rank = n
    for v, d in zip(vals, dims):
        if d is None:
            if hasattr(v, "shape") and len(v.shape) > rank - d0:
                break
        elif d != d0 or len(v.shape) != rank + 1:
            break
    else:
        # batched operands agree on the batch axis, and every unbatched one
        # broadcasts against the axes after it: no data needs to move
        return prim.bind(*vals, **params), d0
    moved = []
    for v, d in zip(vals, dims):
        if d is not None:
            v = move_axis(v, d, 0)
            per_example = v.shape[1:]
            if len(per_example) < rank:
                v = reshape(v, v.shape[:1] + (1,) * (rank - len(per_example)) + per_example)
        moved.append(v)
    return prim.bind(*moved, **params), 0


def reducing_batch(prim, vals, dims, *, axes):
    """Batching rule of reductions over static ``axes``."""
    (x,), (d,) = vals, dims
    return prim.bind(move_axis(x, d, 0), axes=tuple(a + 1 for a in axes)), 0


def batch_axis_first(prim, vals, dims, **params):
    """Batching rule of one-operand primitives over stacks (of matrices, say)
    whose leading axes are batch axes already: the batch of ``vmap`` becomes
    one more of them."""
    (x,), (d,) = vals, dims
    out = prim.bind(move_axis(x, d, 0), **params)
    if prim.multiple_results:
        return out, (0,) * len(out)
    return out, 0
