"""``fntrans.scipy.integrate``: SciPy's ODE solvers, differentiable by the
adjoint method, to any order in reverse mode.

``odeint`` (and ``solve_ivp`` with ``t_eval``) solve the ODE with SciPy on
concrete values. Reverse mode never records the solver's steps: the backward
pass integrates the adjoint ODE backward in time, from each output time to the
one before it, together with the state itself (restarted from the stored
output there) and the integral that gives the arguments' cotangents. The
adjoint's right-hand side is a vector-Jacobian product of ``func``, computed
by ``fntrans.vjp``. Memory is therefore independent of the number of steps.

The backward pass is itself written with the differentiable solve, applied
to that augmented ODE (as JAX's ``odeint``): on concrete values each of its
solves is a plain SciPy solve, and under an enclosing ``grad`` or ``jacrev``
they differentiate by the same adjoint rule, whose backward pass then
integrates the adjoint of the augmented ODE, and so on to any order.

The solvers evaluate the right-hand side hundreds or thousands of times, so
each solve records its right-hand side (``func``, or the augmented one with
its vector-Jacobian product) once as a program on flat float64 vectors, then
runs that program on NumPy values by calling its primitives' implementations
directly: no tracing per evaluation. A ``func`` that cannot be recorded
(Python control flow on the state's values) is called as it is at each
evaluation.

Supported: ``grad``, ``vjp``, ``jacrev`` with respect to ``y0``, ``t`` and
``args`` (pytrees of arrays), nested to any order (``jacrev(grad(f))`` is a
Hessian), and ``vmap`` (a loop over the examples). Not supported: forward mode
(``jvp``, ``jacfwd``, and so ``hessian`` and ``hvp``, which are
forward-over-reverse: the derivative is a ``custom_vjp``, as in JAX).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.integrate

import fntrans.numpy as fnp
from fntrans.api import vjp
from fntrans.core.aval import ShapedArray, aval_of
from fntrans.core.interpreter import new_interpreter
from fntrans.core.tracer import Tracer
from fntrans.custom import custom_vjp
from fntrans.extend import defjvp, defvjp, primitive
from fntrans.interpreters.codegen import generate
from fntrans.interpreters.staging import Staging
from fntrans.tree import ravel_pytree, tree_flatten, tree_unflatten
from fntrans.vectorize import vmap

__all__ = ["odeint", "solve_ivp", "OdeResult"]


class _Problem:
    """The ODE on flat vectors, ``rhs(y, t, params) -> dy/dt``, and how to solve it."""

    __slots__ = ("rhs", "name", "solver", "options", "jac", "programs", "_adjoint")

    def __init__(self, rhs, solver: str, options: dict, jac=None, name=None):
        self.rhs = rhs
        self.name = name or getattr(rhs, "__name__", "func")
        self.solver = solver  # "odeint" (LSODA) or one of solve_ivp's methods
        self.options = options
        self.jac = jac
        self.programs = {}  # the recorded right-hand sides, by input shapes
        self._adjoint = None

    def __repr__(self):
        return f"ODE({self.solver})"

    def derivative(self, n: int, params):
        """``f(y, t) -> dy/dt`` on float64 vectors of size ``n``, for concrete ``params``."""
        run = self._recorded(n, params)
        if run is None:
            return lambda y, s: _as_float64(self.rhs(y, s, params), self)
        return lambda y, s: run(y, s, params)[0]

    def adjoint(self) -> _Problem:
        """The backward pass's ODE, on ``z = (y, a, a_p)``: the state forward
        in time, the adjoint ``a`` and the parameters' integral ``a_p``
        backward, ``da/dt = -(∂f/∂y)ᵀ a``, ``d(a_p)/dt = -(∂f/∂p)ᵀ a``;
        solved with the same solver and options (``Dfun`` aside). It is an
        ODE like any other, so its own solves differentiate the same way."""
        if self._adjoint is None:
            self._adjoint = _Problem(self._augmented, self.solver, self.options, name=self.name)
        return self._adjoint

    def _augmented(self, z, s, params):
        n = (z.shape[0] - params.shape[0]) // 2
        y, a = z[:n], z[n : 2 * n]
        dy, pull_back = vjp(lambda y, q: self.rhs(y, s, q), y, params)
        a_y, a_p = pull_back(-a)  # one negation, not one per result
        return fnp.concatenate([fnp.ravel(dy), fnp.ravel(a_y), fnp.ravel(a_p)])

    def _recorded(self, n: int, params):
        """The program of ``rhs``, recorded on the first call for these shapes;
        ``None`` where ``rhs`` cannot be recorded."""
        key = (n, params.shape, params.dtype)
        if key not in self.programs:
            # the solvers pass t as a Python float: weakly typed, as in an eager call
            avals = [ShapedArray((n,), np.float64), ShapedArray((), np.float64, True)]
            flat = lambda y, s, q: [fnp.asarray(self.rhs(y, s, q), dtype=np.float64)]  # noqa: E731
            self.programs[key] = _record(flat, avals + [aval_of(params)], self)
        return self.programs[key]


def _closure_error(problem) -> TypeError:
    return TypeError(
        f"{problem.name} uses a value that a transform traces without receiving "
        f"it as an argument (it closes over it), so the ODE solver cannot differentiate "
        f"it. Pass that value to the solver through args=(...)."
    )


def _as_float64(value, problem):
    if isinstance(value, Tracer):
        raise _closure_error(problem)
    return np.asarray(value, dtype=np.float64).reshape(-1)


def _record(flat, avals, problem) -> Callable | None:
    """``flat`` (arrays in, a list of arrays out) recorded on inputs of
    ``avals`` and compiled by jit's code generator; ``None`` where it cannot be
    recorded, as when Python control flow depends on the values."""
    try:
        with new_interpreter(Staging("odeint")) as staging:
            inputs = [staging.new_input(aval) for aval in avals]
            ir = staging.build(inputs, flat(*inputs))
    except Exception:  # the eager calls run instead, and raise what is really wrong
        return None
    if any(isinstance(c, Tracer) for c in ir.consts):
        raise _closure_error(problem)
    return generate(ir, np, name="odeint_step")[0]


def _solve(problem, rhs, z0, ts, info=False, jac=None):
    """``rhs``'s solution at the times ``ts`` (one row per time), by SciPy."""
    if problem.solver != "odeint" and ts[0] == ts[-1]:
        # solve_ivp refuses an empty interval; the solution there is z0
        return np.tile(z0, (len(ts), 1)), None
    options = dict(problem.options)
    if problem.solver == "odeint":
        out = scipy.integrate.odeint(rhs, z0, ts, Dfun=jac, full_output=info, **options)
        return out if info else (out, None)
    # forward, the solver runs to the caller's end of the interval, as SciPy's would
    t_end = options.pop("t_end", ts[-1])
    t_end = t_end if ts[-1] > ts[0] else ts[-1]
    sol = scipy.integrate.solve_ivp(
        lambda s, z: rhs(z, s), (ts[0], t_end), z0, method=problem.solver, t_eval=ts, **options
    )
    if not sol.success:
        raise RuntimeError(f"solve_ivp ({problem.solver}) failed: {sol.message}")
    return sol.y.T, sol


def _forward_values(problem, y0, t, params, info=False):
    y0_64 = np.asarray(y0, dtype=np.float64)
    t64 = np.asarray(t, dtype=np.float64)
    rhs = problem.derivative(y0_64.size, params)
    ys, details = _solve(problem, rhs, y0_64, t64, info, problem.jac)
    return ys.astype(_float_dtype(y0), copy=False), details


@primitive
def odeint_solve(problem, y0, t, params):
    return _forward_values(problem, y0, t, params)[0]


@primitive
def odeint_flows(problem, ys, t, params):
    """``dy/dt`` at each ``(ys[i], t[i])``, by the recorded program."""
    f = problem.derivative(ys.shape[1], params)
    return np.stack([f(y, s) for y, s in zip(ys, t)]).astype(_float_dtype(ys), copy=False)


def _flows_vjp(argnum):
    """The rule of ``odeint_flows`` for its argument ``argnum`` (``ys``, ``t``
    or ``params``): a vector-Jacobian product of ``func`` (second order on)."""

    def maker(ans, problem, ys, t, params):
        def rows(ys, t, params):
            return fnp.stack([problem.rhs(ys[i], t[i], params) for i in range(t.shape[0])])

        return lambda ct: vjp(rows, ys, t, params)[1](ct)[argnum]

    return maker


defvjp(odeint_flows, *[_flows_vjp(i) for i in range(3)], argnums=(1, 2, 3))


def _reverse_mode_only(*args, **kwargs):
    raise TypeError(
        "odeint and solve_ivp have a reverse-mode rule only (the adjoint method, a "
        "custom_vjp, as JAX's odeint): grad, vjp and jacrev work, to any order; forward "
        "mode (jvp, jacfwd, hessian, hvp) is not supported. For a Hessian, use "
        "jacrev(grad(f))."
    )


# reached by forward mode only: reverse mode differentiates through the custom_vjp below
defjvp(odeint_solve, *[_reverse_mode_only] * 3, argnums=(1, 2, 3))


def _odeint_call(problem, y0, t, params):
    return odeint_solve(problem, y0, t, params)


def _odeint_fwd(problem, y0, t, params):
    # the differentiable call itself, so that an enclosing reverse mode
    # differentiates it by this same rule (higher orders)
    ys = _solve_adjoint(problem, y0, t, params)
    return ys, (ys, t, params)


def _odeint_bwd(problem, residuals, ct):
    """The adjoint method, written with ``odeint`` itself: between
    consecutive output times, one backward solve of the adjoint ODE,
    restarted from the stored output. On concrete values each solve is a
    SciPy solve of the recorded augmented right-hand side; under an
    enclosing transform the solves differentiate as any other."""
    ys, t, params = residuals
    m, n = ys.shape[0], ys.shape[1]
    augmented = problem.adjoint()
    intervals = fnp.stack([t[1:], t[:-1]], axis=1)  # backward, from t[i] to t[i - 1]
    a = fnp.zeros(n, dtype=_float_dtype(ct))
    a_p = fnp.zeros(params.shape, dtype=_float_dtype(params))
    for i in range(m - 1, 0, -1):
        a = a + ct[i]
        z = _solve_adjoint(augmented, fnp.concatenate([ys[i], a, a_p]), intervals[i - 1], params)
        a, a_p = z[-1, n : 2 * n], z[-1, 2 * n :]
    flows = odeint_flows(problem, ys, t, params)
    # moving an output time moves the output along the flow; moving t[0]
    # shifts the whole trajectory, except the output at t[0] itself
    t_bar = fnp.concatenate(
        [fnp.reshape(-fnp.sum(a * flows[0]), (1,)), fnp.sum(ct[1:] * flows[1:], axis=1)]
    )
    return (
        fnp.asarray(a + ct[0], dtype=ys.dtype),
        fnp.asarray(t_bar, dtype=_float_dtype(t)),
        fnp.asarray(a_p, dtype=_float_dtype(params)),
    )


_odeint_call.__name__ = "odeint"
_solve_adjoint = custom_vjp(_odeint_call, nondiff_argnums=(0,))
_solve_adjoint.defvjp(_odeint_fwd, _odeint_bwd)


# ---- argument handling ----


def _float_dtype(x):
    dtype = np.result_type(getattr(x, "dtype", np.float64))
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def _is_differentiable(leaf) -> bool:
    if isinstance(leaf, Tracer):
        return True
    if isinstance(leaf, (float, np.floating)):
        return True
    return isinstance(leaf, np.ndarray) and leaf.dtype.kind == "f"


def _split_args(args):
    """``args`` as ``(params, rebuild)``: its float leaves raveled into one
    vector, and the function that puts them back among the other leaves."""
    leaves, tree = tree_flatten(tuple(args))
    chosen = [i for i, leaf in enumerate(leaves) if _is_differentiable(leaf)]
    params, unravel = ravel_pytree([leaves[i] for i in chosen])
    if not chosen:
        params = np.zeros(0)

    def rebuild(flat):
        values = list(leaves)
        for i, value in zip(chosen, unravel(flat) if chosen else ()):
            values[i] = value
        return tree_unflatten(tree, values)

    return fnp.asarray(params, dtype=_float_dtype(params)), rebuild


def _float_state(y0):
    def as_float(leaf):
        leaf = fnp.asarray(leaf)
        return leaf if leaf.dtype.kind in "fc" else fnp.asarray(leaf, dtype=np.float64)

    leaves, tree = tree_flatten(y0)
    return tree_unflatten(tree, [as_float(leaf) for leaf in leaves])


def _flat_rhs(fun, unravel_y, rebuild, call):
    """``fun`` on flat vectors: ``rhs(y, t, params) -> dy/dt`` raveled."""

    def rhs(y, t, params):
        dy = call(fun, unravel_y(y), t, rebuild(params))
        return ravel_pytree(dy)[0]

    rhs.__name__ = getattr(fun, "__name__", "func")
    return rhs


def _solution(ys, y0, unravel_y):
    """The flat solution rows in ``y0``'s structure, time first."""
    leaves = tree_flatten(y0)[0]
    if len(leaves) == 1 and leaves[0] is y0:
        return fnp.reshape(ys, (ys.shape[0],) + tuple(fnp.shape(y0)))
    return vmap(unravel_y)(ys)


def _traced(*trees) -> bool:
    return any(isinstance(leaf, Tracer) for tree in trees for leaf in tree_flatten(tree)[0])


def odeint(
    func: Callable,
    y0,
    t,
    args=(),
    Dfun: Callable | None = None,
    col_deriv: int = 0,
    full_output: int = 0,
    ml=None,
    mu=None,
    rtol=None,
    atol=None,
    tcrit=None,
    h0: float = 0.0,
    hmax: float = 0.0,
    hmin: float = 0.0,
    ixpr: int = 0,
    mxstep: int = 0,
    mxhnil: int = 0,
    mxordn: int = 12,
    mxords: int = 5,
    printmessg: int = 0,
    tfirst: bool = False,
):
    """Integrates ``dy/dt = func(y, t, *args)`` from ``y(t[0]) = y0``, as
    ``scipy.integrate.odeint`` (LSODA), differentiable with respect to ``y0``,
    ``t`` and ``args`` by the adjoint method.

    The solution is SciPy's, computed on concrete values with the same
    options. Under ``grad``/``vjp``/``jacrev`` the backward pass integrates
    the adjoint ODE backward between consecutive times, with the same solver
    and tolerances, evaluating vector-Jacobian products of ``func``; it never
    stores the solver's steps. The backward pass is itself differentiable, so
    reverse mode nests to any order (``grad(grad(f))``, ``jacrev(grad(f))``).
    ``vmap`` solves example by example. ``jvp``, ``jacfwd``, ``hessian`` and
    ``hvp`` raise (the rule is reverse-mode only, as JAX's ``odeint``).

    ``func`` runs in Python once per solve: its program (and that of its
    vector-Jacobian product) is recorded and replayed at every evaluation, so
    side effects and random draws inside it happen once. A ``func`` whose
    Python control flow depends on values (``if t < 1:``) cannot be recorded
    and is called at every evaluation instead (slower).

    SciPy's other options (``ml``, ``mu``, ``rtol``, ``atol``, ``tcrit``,
    ``h0``, ``hmax``, ``hmin``, ``ixpr``, ``mxstep``, ``mxhnil``, ``mxordn``,
    ``mxords``, ``printmessg``, ``tfirst``) mean what they mean in SciPy
    (``rtol`` and ``atol`` default to about 1.5e-8) and apply to the backward
    solves too.

    Args:
        func: ``func(y, t, *args)`` (``func(t, y, *args)`` with ``tfirst``),
            written with ``fntrans.numpy``; it must receive every traced value
            through ``args`` rather than close over it.
        y0: the initial state: an array of any shape (or a pytree of arrays).
        t: the increasing (or decreasing) times of the outputs; ``t[0]`` is
            the initial time.
        args: extra arguments of ``func``: arrays, scalars or pytrees of them;
            their float leaves are differentiable.
        Dfun: SciPy's Jacobian of ``func``, used by the forward solve only
            (one-dimensional ``y0``).
        col_deriv: ``Dfun`` gives derivatives down columns, as in SciPy.
        full_output: also return SciPy's information dictionary (outside
            transforms only).

    Returns:
        The states at ``t``, shape ``(len(t),) + y0.shape`` (and the
        information dictionary with ``full_output``).

    >>> import numpy as np
    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> from fntrans.scipy.integrate import odeint
    >>> t = np.linspace(0.0, 1.0, 5)
    >>> def decay(y, t, k):
    ...     return -k * y
    >>> ys = odeint(decay, np.array([1.0, 2.0]), t, args=(0.5,))
    >>> np.allclose(ys[-1], [np.exp(-0.5), 2 * np.exp(-0.5)])
    True
    >>> dk = ft.grad(lambda k: fnp.sum(odeint(decay, np.array([1.0, 2.0]), t, (k,))[-1]))(0.5)
    >>> print(round(float(dk), 6))  # d/dk 3 exp(-k) at k = 0.5
    -1.819592
    >>> final = lambda k: fnp.sum(odeint(decay, np.array([1.0, 2.0]), t, (k,))[-1])
    >>> print(round(float(ft.grad(ft.grad(final))(0.5)), 5))  # d²/dk² 3 exp(-k)
    1.81959
    """
    if not isinstance(args, tuple):
        args = (args,)
    options = dict(
        ml=ml, mu=mu, rtol=rtol, atol=atol, tcrit=tcrit, h0=h0, hmax=hmax, hmin=hmin,
        ixpr=ixpr, mxstep=mxstep, mxhnil=mxhnil, mxordn=mxordn, mxords=mxords,
        printmessg=printmessg, col_deriv=col_deriv,
    )  # fmt: skip
    y0 = _float_state(y0)
    y0_flat, unravel_y = ravel_pytree(y0)
    params, rebuild = _split_args(args)

    def call(fun, y, s, extra):
        return fun(s, y, *extra) if tfirst else fun(y, s, *extra)

    jac = None
    if Dfun is not None:
        plain = tuple(rebuild(params)) if not _traced(params) else None
        if plain is None or fnp.ndim(y0) != 1:
            raise NotImplementedError(
                "odeint: Dfun is used by the forward solve only, for a one-dimensional y0 "
                "outside transforms; leave it out to differentiate the solution."
            )

        def jac(y, s):
            return np.asarray(call(Dfun, y, s, plain), dtype=np.float64)

    problem = _Problem(_flat_rhs(func, unravel_y, rebuild, call), "odeint", options, jac)
    t = fnp.asarray(t, dtype=_float_dtype(fnp.asarray(t)))
    if full_output:
        if _traced(y0_flat, t, params):
            raise NotImplementedError(
                "odeint: full_output is available outside transforms only; call it on plain "
                "arrays to inspect the solver."
            )
        ys, info = _forward_values(problem, y0_flat, t, params, info=True)
        return _solution(ys, y0, unravel_y), info
    ys = _solve_adjoint(problem, y0_flat, t, params)
    return _solution(ys, y0, unravel_y)


class OdeResult(dict):
    """``solve_ivp``'s result: a dictionary whose keys are also attributes
    (``t``, ``y``, ``success``, ``status``, ``message``, ``nfev``, ...), as SciPy's."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as missing:
            raise AttributeError(name) from missing

    __setattr__ = dict.__setitem__

    def __dir__(self):
        return list(self.keys())


def solve_ivp(
    fun: Callable,
    t_span,
    y0,
    method: str = "RK45",
    t_eval=None,
    dense_output: bool = False,
    events=None,
    vectorized: bool = False,
    args=None,
    **options,
):
    """Solves the initial value problem ``dy/dt = fun(t, y, *args)``, ``y(t0) =
    y0``, as ``scipy.integrate.solve_ivp``; under a transform, ``y`` at
    ``t_eval`` is differentiable with respect to ``y0``, ``t_eval`` and
    ``args`` by the adjoint method (as ``odeint``, with the same ``method``,
    ``rtol`` and ``atol`` for the backward solves).

    Outside transforms this is SciPy's own ``solve_ivp`` (every option,
    events and dense output included). Inside one, ``t_eval`` is required,
    ``events``, ``dense_output`` and ``vectorized`` are not supported, the
    result's ``nfev``, ``njev`` and ``nlu`` are ``None``, and a failed solve
    raises a ``RuntimeError``.

    Args:
        fun: ``fun(t, y, *args)``, ``y`` one-dimensional.
        t_span: ``(t0, tf)``.
        y0: the initial state, shape ``(n,)``.
        method: ``"RK45"``, ``"RK23"``, ``"DOP853"``, ``"Radau"``, ``"BDF"``
            or ``"LSODA"``.
        t_eval: the times at which to store the solution.
        args: extra arguments of ``fun`` (a tuple).
        **options: SciPy's solver options (``rtol``, ``atol``, ``max_step``, ...).

    Returns:
        An ``OdeResult`` with ``t`` and ``y`` (shape ``(n, len(t))``) among
        SciPy's fields.

    >>> import numpy as np
    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> from fntrans.scipy.integrate import solve_ivp
    >>> t_eval = np.array([0.5, 1.0])
    >>> def y_at_1(y0):
    ...     sol = solve_ivp(lambda t, y: -y, (0.0, 1.0), y0, t_eval=t_eval, rtol=1e-10, atol=1e-10)
    ...     return sol.y[0, -1]
    >>> print(round(float(ft.grad(y_at_1)(np.array([2.0]))[0]), 6))  # exp(-1)
    0.367879
    """
    args = () if args is None else args
    if not isinstance(args, tuple):
        args = (args,)
    if not _traced(y0, t_eval, args, t_span):
        return scipy.integrate.solve_ivp(
            fun, t_span, y0, method, t_eval, dense_output, events, vectorized,
            args if args else None, **options,
        )  # fmt: skip
    if t_eval is None or events is not None or dense_output or vectorized:
        raise NotImplementedError(
            "solve_ivp under a transform needs t_eval (the times whose states are "
            "differentiated) and supports neither events, dense_output nor vectorized."
        )
    if not isinstance(method, str):
        raise NotImplementedError("solve_ivp under a transform takes a method by name.")
    t0, t_end = t_span
    ts = fnp.concatenate([fnp.reshape(fnp.asarray(t0, dtype=np.float64), (1,)), t_eval])
    y0 = _float_state(y0)
    y0_flat, unravel_y = ravel_pytree(y0)
    params, rebuild = _split_args(args)

    def call(f, y, s, extra):
        return f(s, y, *extra)

    options = dict(options, t_end=float(t_end))
    problem = _Problem(_flat_rhs(fun, unravel_y, rebuild, call), method, options)
    ys = _solve_adjoint(problem, y0_flat, ts, params)[1:]
    return OdeResult(
        t=t_eval,
        y=fnp.transpose(_solution(ys, y0, unravel_y)),
        sol=None,
        t_events=None,
        y_events=None,
        nfev=None,
        njev=None,
        nlu=None,
        status=0,
        message="The solver successfully reached the end of the integration interval.",
        success=True,
    )
