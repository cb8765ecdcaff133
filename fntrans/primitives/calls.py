"""Call primitives: a user function bound as one operation, with the user's
rules (``custom_jvp``, ``custom_vjp``) or a replay rule (``checkpoint``).

Each takes flat array arguments and returns a flat tuple of results; the
function (and its rules) travel in the parameters.
"""

from __future__ import annotations

from fntrans.core.interpreter import new_interpreter
from fntrans.core.primitive import Primitive
from fntrans.core.tracer import Tracer


def trace_shapes(fun, avals):
    """The abstract values of ``fun``'s flat outputs on inputs of ``avals``."""
    from fntrans.core.aval import aval_of
    from fntrans.interpreters.staging import Staging

    with new_interpreter(Staging("shape")) as staging:
        outs = fun(*(staging.new_input(a) for a in avals))
        return tuple(aval_of(o) for o in outs)


def pull_back(fn, args, needs, cts):
    """Cotangents of ``args`` (``None`` where not ``needs``) for cotangents ``cts``
    of ``fn(*args)``'s flat outputs, by running ``fn`` under a fresh tape."""
    from fntrans.interpreters.reverse import Tape

    with new_interpreter(Tape("call")) as tape:
        inputs = [tape.new_input(a) if need else a for a, need in zip(args, needs)]
        input_nodes = [t.node if need else None for t, need in zip(inputs, needs)]
        outs = fn(*inputs)
    out_nodes = [o.node if tape.is_own(o) else None for o in outs]
    acc = tape.backward(out_nodes, list(cts), keep=False)
    return tuple(None if n is None else acc.get(n) for n in input_nodes)


def _add_cotangents(a, b):
    from fntrans.primitives.elementwise import add

    return tuple(y if x is None else x if y is None else add(x, y) for x, y in zip(a, b))


def _sum_unbatched(cts, dims):
    """Cotangents of arguments that were the same for every example sum over the batch."""
    from fntrans.primitives.reductions import reduce_sum

    return [reduce_sum(c, (0,)) if d is None and c is not None else c for c, d in zip(cts, dims)]


# ---- custom_jvp_call: fun, with the user's JVP rule ----


def _custom_jvp_jvp(primals, tangents, *, fun, jvp):
    from fntrans.primitives.structural import zeros_like

    tangents = [zeros_like(p) if t is None else t for p, t in zip(primals, tangents)]
    outs, out_tangents = jvp(primals, tangents)
    return tuple(outs), tuple(out_tangents)


def _custom_jvp_batch(prim, vals, dims, *, fun, jvp):
    from fntrans.vectorize import vmap

    fun_b = vmap(lambda *a: tuple(fun(*a)), in_axes=tuple(dims))
    jvp_b = vmap(lambda p, t: tuple(map(tuple, jvp(p, t))), in_axes=(list(dims), list(dims)))
    outs = prim.bind(*vals, fun=fun_b, jvp=lambda p, t: jvp_b(list(p), list(t)))
    return outs, (0,) * len(outs)


custom_jvp_call_p = Primitive(
    "custom_jvp_call",
    impl=lambda xp, *args, fun, jvp: tuple(fun(*args)),
    shape=lambda *avals, fun, jvp: trace_shapes(fun, avals),
    jvp=_custom_jvp_jvp,
    # no VJP rule: reverse mode linearizes the user's JVP rule and transposes it
    batch=_custom_jvp_batch,
    multiple_results=True,
)

# ---- custom_vjp_call: fwd gives the outputs and the residuals, bwd the cotangents ----
#
# The results are the outputs followed by the residuals, so reverse mode keeps
# the residuals from the forward pass; the user sees the outputs only.


def _custom_vjp_vjp(cts, ans, *args, needs, fun, fwd, bwd, n_out):
    from fntrans.primitives.structural import zeros_like

    residuals, cts_res = ans[n_out:], cts[n_out:]
    cts_out = [zeros_like(a) if c is None else c for a, c in zip(ans[:n_out], cts[:n_out])]
    cts_in = tuple(c if need else None for c, need in zip(bwd(list(residuals), cts_out), needs))
    if any(c is not None for c in cts_res):
        # Residuals reach the output only in a higher-order derivative (the
        # gradient of bwd's result): their derivative comes from fwd itself.
        through_fwd = pull_back(lambda *a: tuple(fwd(*a))[n_out:], args, needs, cts_res)
        cts_in = _add_cotangents(cts_in, through_fwd)
    return cts_in


def _custom_vjp_jvp(primals, tangents, *, fun, fwd, bwd, n_out):
    # Forward mode differentiates fwd itself (this is reached in
    # forward-over-reverse: the user-facing wrapper refuses a direct jvp).
    from fntrans.api import jvp
    from fntrans.primitives.structural import zeros_like

    tangents = [zeros_like(p) if t is None else t for p, t in zip(primals, tangents)]
    outs, out_tangents = jvp(lambda *a: tuple(fwd(*a)), tuple(primals), tuple(tangents))
    return outs, out_tangents


def _custom_vjp_batch(prim, vals, dims, *, fun, fwd, bwd, n_out):
    from fntrans.vectorize import vmap

    fwd_b = vmap(lambda *a: tuple(fwd(*a)), in_axes=tuple(dims))
    bwd_examples = vmap(lambda res, cts: tuple(bwd(res, cts)), in_axes=(0, 0))

    def bwd_b(residuals, cts):
        return _sum_unbatched(list(bwd_examples(list(residuals), list(cts))), dims)

    outs = prim.bind(*vals, fun=fun, fwd=fwd_b, bwd=bwd_b, n_out=n_out)
    return outs, (0,) * len(outs)


custom_vjp_call_p = Primitive(
    "custom_vjp_call",
    impl=lambda xp, *args, fun, fwd, bwd, n_out: tuple(fwd(*args)),
    shape=lambda *avals, fun, fwd, bwd, n_out: trace_shapes(fwd, avals),
    jvp=_custom_vjp_jvp,
    vjp=_custom_vjp_vjp,
    batch=_custom_vjp_batch,
    # enclosing transforms differentiate fwd itself (higher orders: fwd and bwd)
    inline=lambda *args, fun, fwd, bwd, n_out: tuple(fwd(*args)),
    multiple_results=True,
)

# ---- checkpoint: record fun's IR once, replay it in the backward pass ----


class Recording:
    """A checkpointed call: the function, and the IR of its first evaluation."""

    __slots__ = ("fun", "ir")

    def __init__(self, fun):
        self.fun = fun
        self.ir = None

    def __repr__(self):
        return "<recorded>" if self.ir is not None else "<not recorded>"

    def evaluate(self, args):
        """Runs ``fun`` once, recording its program; later calls replay it."""
        if self.ir is not None:
            return tuple(self.ir(*args))
        from fntrans.interpreters.reverse import Tape

        with new_interpreter(Tape("checkpoint")) as tape:
            inputs = [tape.new_input(a) for a in args]
            input_nodes = [(t.node, a) for t, a in zip(inputs, args)]
            outs = tuple(self.fun(*inputs))
        self.ir = tape.as_ir(input_nodes, outs)
        return tuple(o.primal if isinstance(o, Tracer) and o._interp is tape else o for o in outs)


def _checkpoint_vjp(cts, ans, *args, needs, recording):
    # Replays the recorded program (never fun itself) under a fresh tape.
    return pull_back(recording.ir, args, needs, cts)


def _checkpoint_jvp(primals, tangents, *, recording):
    from fntrans.api import jvp
    from fntrans.primitives.structural import zeros_like

    tangents = [zeros_like(p) if t is None else t for p, t in zip(primals, tangents)]
    return jvp(lambda *a: tuple(recording.fun(*a)), tuple(primals), tuple(tangents))


def _checkpoint_batch(prim, vals, dims, *, recording):
    from fntrans.vectorize import vmap

    batched = Recording(vmap(lambda *a: tuple(recording.fun(*a)), in_axes=tuple(dims)))
    outs = prim.bind(*vals, recording=batched)
    return outs, (0,) * len(outs)


checkpoint_p = Primitive(
    "checkpoint",
    impl=lambda xp, *args, recording: recording.evaluate(args),
    shape=lambda *avals, recording: trace_shapes(recording.fun, avals),
    jvp=_checkpoint_jvp,
    vjp=_checkpoint_vjp,
    batch=_checkpoint_batch,
    # recording on traced values: enclosing transforms see fun's operations
    inline=lambda *args, recording: recording.evaluate(args),
    multiple_results=True,
)

__all__ = ["custom_jvp_call_p", "custom_vjp_call_p", "checkpoint_p"]
