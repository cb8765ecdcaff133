"""Finite-difference checks of fntrans's derivatives, for users' functions and ours."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from fntrans.api import jvp, vjp
from fntrans.backend import module_of, to_host
from fntrans.tree import tree_flatten, tree_map

_DEFAULT_TOL = 1e-5


def _to_float64(x):
    xp = module_of(x)  # on the backend of x: a CuPy array stays on its device
    x = xp.asarray(x)
    return x.astype(xp.complex128 if x.dtype.kind == "c" else xp.float64)


def _random_like(rng, x):
    xp = module_of(x)
    x = xp.asarray(x)
    sample = rng.standard_normal(x.shape)
    if x.dtype.kind == "c":
        sample = sample + 1j * rng.standard_normal(x.shape)
    return xp.asarray(sample.astype(x.dtype))


def _inner(xs, ys) -> float:
    """Real inner product of two pytrees, ``Re sum(conj(x) * y)``."""
    total = 0.0
    for x, y in zip(tree_flatten(xs)[0], tree_flatten(ys)[0]):
        total += float(np.real(np.sum(np.conj(to_host(x)) * to_host(y))))
    return total


def _numerical_jvp(f, args, tangents, eps):
    def shifted(sign):
        return f(*tree_map(lambda x, t: x + sign * eps * t, args, tangents))

    plus, minus = shifted(1.0), shifted(-1.0)

    def difference(p, m):
        xp = module_of(p)
        return (xp.asarray(p) - xp.asarray(m)) / (2 * eps)

    return tree_map(difference, plus, minus)


def _assert_close(actual, expected, atol, rtol, what):
    a_flat, a_tree = tree_flatten(actual)
    e_flat, e_tree = tree_flatten(expected)
    if a_tree != e_tree:
        raise AssertionError(f"{what}: structure {a_tree} differs from {e_tree}")
    for a, e in zip(a_flat, e_flat):
        a, e = to_host(a), to_host(e)
        if a.shape != e.shape:
            raise AssertionError(f"{what}: shape {a.shape} differs from {e.shape}")
        np.testing.assert_allclose(a, e, atol=atol, rtol=rtol, err_msg=what)


def check_grads(
    f: Callable,
    args: Sequence,
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    eps: float = 1e-6,
    atol: float | None = None,
    rtol: float | None = None,
) -> None:
    """Checks ``f``'s derivatives against central finite differences, in float64.

    Forward mode compares ``jvp`` with a numerical JVP along a random direction;
    reverse mode checks ``<vjp(ct), t> == <ct, J t>`` against the numerical JVP
    and against fntrans's own ``jvp`` (the dot-product test). Each order
    differentiates the previous order's derivative again.

    Args:
        f: the function, of float or complex arrays.
        args: its arguments (pytrees); float32 is checked in float64.
        order: the highest order of derivative to check.
        modes: ``"fwd"``, ``"rev"``, or both.
        eps: the finite-difference step.
        atol: the absolute tolerance (default 1e-5).
        rtol: the relative tolerance (default 1e-5).

    Raises:
        AssertionError: where a derivative disagrees.

    >>> import fntrans.numpy as fnp
    >>> check_grads(lambda x: fnp.sin(x) * x, (0.5,), order=2)
    """
    atol = _DEFAULT_TOL if atol is None else atol
    rtol = _DEFAULT_TOL if rtol is None else rtol
    args = tuple(tree_map(_to_float64, tuple(args)))
    rng = np.random.default_rng(0)
    _check(f, args, order, tuple(modes), eps, atol, rtol, rng)


def _check(f, args, order, modes, eps, atol, rtol, rng):
    tangents = tree_map(lambda x: _random_like(rng, x), args)
    expected_tangent = _numerical_jvp(f, args, tangents, eps)
    out = f(*args)
    if "fwd" in modes:
        out_fwd, out_tangent = jvp(f, args, tangents)
        _assert_close(out_fwd, out, atol, rtol, "jvp's primal output")
        _assert_close(out_tangent, expected_tangent, atol, rtol, f"forward mode, order {order}")
    if "rev" in modes:
        out_again, vjp_fn = vjp(f, *args)
        _assert_close(out_again, out, atol, rtol, "vjp's primal output")
        ct = tree_map(lambda x: _random_like(rng, x), out)
        ct_in = vjp_fn(tree_map(np.conj, ct))
        ct_in = tree_map(np.conj, ct_in)
        lhs = _inner(tangents, ct_in)
        scale = atol + rtol * max(abs(lhs), 1.0)
        checks = [(_inner(expected_tangent, ct), "finite differences")]
        if "fwd" in modes:
            checks.append((_inner(out_tangent, ct), "jvp (dot-product test)"))
        for rhs, name in checks:
            if not abs(lhs - rhs) <= scale:
                raise AssertionError(
                    f"reverse mode, order {order}: <t, vjp(ct)> = {lhs!r} but "
                    f"<J t, ct> = {rhs!r} from {name}"
                )
    if order > 1:
        if "fwd" in modes:

            def f_jvp(*primals):
                return jvp(f, primals, tangents)[1]

            _check(f_jvp, args, order - 1, ("fwd",), eps, atol, rtol, rng)
        if "rev" in modes:
            ct = tree_map(lambda x: _random_like(rng, x), out)

            def f_vjp(*primals):
                return vjp(f, *primals)[1](ct)

            _check(f_vjp, args, order - 1, ("rev",), eps, atol, rtol, rng)
