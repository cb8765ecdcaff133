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
    rank = max(
        (len(v.shape) - (d is not None) for v, d in zip(vals, dims) if hasattr(v, "shape")),
        default=0,
    )
    batched = [(v, d) for v, d in zip(vals, dims) if d is not None]
    d0 = batched[0][1]
    if all(d == d0 and len(v.shape) == rank + 1 for v, d in batched) and all(
        d is not None or len(getattr(v, "shape", ())) <= rank - d0 for v, d in zip(vals, dims)
    ):
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
