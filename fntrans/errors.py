"""Every error users see is built here: what happened, then what to do."""

from __future__ import annotations

import importlib


class ConcretizationError(TypeError):
    """A concrete Python value was needed from an abstract (traced) value."""


class UnexpectedTracerError(RuntimeError):
    """A tracer was used after the transform that made it had returned."""


class TracerArrayConversionError(TypeError):
    """A traced value reached NumPy, which cannot follow it: ``np.asarray(t)``,
    ``np.sum([t1, t2])``, ``W.dot(t)``, or assigning into an array made with
    plain ``numpy``. (NumPy wraps the error in a ValueError when it assigns
    one element; the transform hands back this one.)

    >>> import numpy as np, fntrans as ft
    >>> def f(x):
    ...     out = np.zeros(2)
    ...     out[0] = x
    ...     return out.sum()
    >>> try:
    ...     ft.grad(f)(1.0)
    ... except ft.TracerArrayConversionError as e:
    ...     print(str(e).split(",")[0])
    A traced value reached NumPy through assignment of one element into a plain ndarray
    """


def hidden_by_numpy(error: BaseException | None) -> TypeError | None:
    """The error of fntrans's that NumPy's ``error`` wraps, if any."""
    cause = getattr(error, "__cause__", None)
    wrapped = type(error) is ValueError and isinstance(cause, TracerArrayConversionError)
    return cause if wrapped else None


def non_scalar_output(transform: str, shape) -> TypeError:
    return TypeError(
        f"{transform} requires f to return one real value, but it returned an array "
        f"of shape {tuple(shape)}. For a non-scalar output use jacrev(f), vjp(f, x) "
        f"or elementwise_grad(f)."
    )


def non_array_output(transform: str, value) -> TypeError:
    return TypeError(
        f"{transform} requires f to return an array or a scalar, but it returned "
        f"{type(value).__name__}. With has_aux=True, f returns a pair (output, aux)."
    )


def complex_output(transform: str, dtype) -> TypeError:
    return TypeError(
        f"{transform} requires f to return a real value, but it returned dtype {dtype}. "
        f"For the complex derivative of a holomorphic function pass holomorphic=True; "
        f"otherwise take the real part, e.g. fnp.real(f(z)) or abs(f(z)) ** 2."
    )


def complex_jacobian(transform: str, what: str, dtype, leaf: str | None = None) -> TypeError:
    """jacfwd of complex inputs, or jacrev of complex outputs, without
    holomorphic=True; ``leaf`` names a leaf of a pytree (``argument 0['z']``)."""
    mode = "jvp" if what == "input" else "vjp"
    which = leaf if leaf is not None else f"an {what}"
    return TypeError(
        f"{transform} requires real {what}s unless holomorphic=True, but {which} has "
        f"dtype {dtype}. For the complex derivative of a holomorphic function pass "
        f"holomorphic=True; for a real-valued function of complex inputs use jacrev "
        f"or grad (JAX's convention: df/dx - i df/dy); otherwise use {mode} directly, "
        f"or split the complex values into real and imaginary parts."
    )


def holomorphic_input(transform: str, argname: str, dtype) -> TypeError:
    return TypeError(
        f"{transform} with holomorphic=True requires complex inputs, but {argname} "
        f"has dtype {dtype}. Convert it with .astype(complex)."
    )


# the transforms that take allow_int=True, as in JAX
TAKES_ALLOW_INT = frozenset({"grad", "value_and_grad", "jacrev", "vjp"})


def non_differentiable_input(transform: str, argname: str, dtype) -> TypeError:
    """An integer or boolean value where ``transform`` differentiates: the whole
    argument (``argument 0``, ``primal 0``) or a leaf of one (``argument 0['n']``)."""
    allow_int = transform in TAKES_ALLOW_INT
    convert = "Convert it with .astype(float) (or write 1.0 instead of 1)"
    head = (
        f"{transform} requires real or complex inputs to differentiate, but {argname} "
        f"has dtype {dtype}, which carries no derivative. "
    )
    if "[" in argname:  # a leaf of a pytree argument: argnums cannot leave it out alone
        whole = argname[: argname.index("[")]
        if argname.startswith("primal"):
            move = f"close over it instead of passing it inside {whole}"
        else:
            move = (
                f"move it out of {whole} (close over it, or pass it as an argument of "
                f"its own that argnums leaves out)"
            )
        options = f"pass allow_int=True to give it a zero derivative of dtype float0, or {move}"
        return TypeError(
            head
            + f"{convert} if it is a parameter; if it is not, "
            + (options if allow_int else move)
            + "."
        )
    # the transforms with primals (jvp, vjp, ...) differentiate every one of them
    if argname.startswith("primal"):
        leave_out = "close over it instead of passing it as a primal"
    else:
        leave_out = "leave it out of argnums"
    message = head + f"{convert}, or {leave_out}."
    if allow_int:
        message += " With allow_int=True it gets a zero derivative of dtype float0 instead."
    return TypeError(message)


def bad_argnums(transform: str, argnums, nargs: int) -> Exception:
    if not isinstance(argnums, int) or isinstance(argnums, bool):
        return TypeError(
            f"{transform}: argnums must be an int or a tuple of ints, but got {argnums!r}."
        )
    return ValueError(
        f"{transform}: argnums={argnums} is out of range for a call with {nargs} "
        f"positional argument(s); valid values are {-nargs} to {nargs - 1}."
    )


def keyword_only_call(transform: str, names) -> TypeError:
    listed = ", ".join(repr(n) for n in names)
    return TypeError(
        f"{transform}: the function was called with keyword arguments only ({listed}), "
        f"but argnums picks positional ones. Pass the differentiated argument "
        f"positionally, or name it with argnames={names[0]!r}."
    )


def repeated_argnums(transform: str) -> ValueError:
    return ValueError(
        f"{transform}: argnums (or argnames) names one argument twice; a Jacobian "
        f"with respect to the same argument twice is the same block: name it once."
    )


def bad_argnames(transform: str, message: str) -> TypeError:
    return TypeError(f"{transform}: {message}")


def missing_rule(prim_name: str, rule: str) -> NotImplementedError:
    return NotImplementedError(
        f"fntrans has no {rule} rule for '{prim_name}'. Wrap the computation in a "
        f"function decorated with fntrans.custom_vjp (or custom_jvp) to give its "
        f"derivative yourself."
    )


def no_numpy_rule(func_name: str) -> NotImplementedError:
    return NotImplementedError(
        f"fntrans has no derivative rule for numpy.{func_name}. Write it with "
        f"fntrans.numpy functions that have rules, or make it a primitive that runs "
        f"on plain arrays with fntrans.extend.primitive and give its derivatives with "
        f"fntrans.extend.defvjp (reverse mode) and defjvp (forward mode); it then "
        f"works under vmap too. Code written with fntrans.numpy can take a rule of "
        f"its own with ft.custom_vjp or ft.custom_jvp."
    )


def leaked_tracer(transform: str, origin=None, during_backward=False) -> UnexpectedTracerError:
    applied = ""
    if origin is not None:
        filename, line, function = origin
        applied = f" (applied at {filename}:{line} in {function})"
    if during_backward:
        return UnexpectedTracerError(
            f"A value traced by {transform}{applied} was used in {transform}'s own backward "
            f"pass: a custom rule's bwd (or a function it calls) closes over a value that "
            f"{transform} differentiates. Pass that value to the function as an argument, "
            f"or save what bwd needs as a residual in fwd."
        )
    return UnexpectedTracerError(
        f"A value traced by {transform}{applied} was used after {transform} returned (a "
        f"leaked tracer), for example through a global variable or a list kept outside "
        f"the function. Return the value from the function instead."
    )


def shape_mismatch(what: str, expected, given) -> ValueError:
    return ValueError(f"{what}: expected shape {tuple(expected)}, but got shape {tuple(given)}.")


def out_argument(name: str) -> TypeError:
    return TypeError(
        f"fntrans.numpy does not write results into out= arrays ({name}): arrays "
        f"are values under a transform. Use the returned array instead "
        f"(y = fnp.{name}(x) rather than fnp.{name}(x, out=y))."
    )


def dtype_mismatch(what: str, expected, given) -> TypeError:
    return TypeError(
        f"{what}: expected dtype {expected}, but got dtype {given}. A tangent or "
        f"cotangent has the dtype of its primal (a complex one for a real primal "
        f"would lose its imaginary part: take fnp.real of it if that is what you mean)."
    )


def structure_mismatch(what: str, expected, given) -> TypeError:
    return TypeError(f"{what}: expected the structure {expected}, but got {given}.")


def output_dtype_mismatch(what: str, expected, given) -> TypeError:
    return TypeError(
        f"{what}: expected dtype {expected}, but got dtype {given}. A custom rule's "
        f"output has the dtype of the function's own output: convert it (fnp.real, "
        f".astype) if that is what you mean."
    )


def concretization(operation: str, aval, sources=()) -> ConcretizationError:
    depends = f", which depends on {' and '.join(sources)}" if sources else ""
    return ConcretizationError(
        f"{operation} needs a concrete value, but got an abstract traced value "
        f"{aval.str_short()}{depends}. Python control flow and conversions cannot "
        f"depend on traced values here: mark the argument static (static_argnums), "
        f"or use fntrans.lax (cond, switch, while_loop, fori_loop, scan) for "
        f"value-dependent control flow and fnp.where for value-dependent choices."
    )


def tracer_to_numpy(what: str, value: str | None = None) -> TypeError:
    described = f" The value was a traced {value}." if value else ""
    return TracerArrayConversionError(
        f"A traced value reached NumPy through {what}, where fntrans cannot follow it. "
        f"This happens when assigning into an array made with plain numpy "
        f"(create it with fnp.zeros inside the function, or use "
        f"fnp.at(x)[i].set(v)), when calling np.sum or np.array on a Python list of "
        f"traced values (use fnp.sum or fnp.stack), or when calling a method of a "
        f"plain ndarray such as W.dot(t) (use fnp.dot(W, t) or W @ t), or when "
        f"indexing a plain ndarray with a traced index (use fnp.take(x, i, axis=0))." + described
    )


def float_of_tracer(conversion: str) -> TypeError:
    return TypeError(
        f"{conversion}() was called on a value that carries a derivative, which would "
        f"drop it. Keep it an array (e.g. x.sum() or x[0]), or use "
        f"ft.stop_gradient(x) if the derivative is not wanted."
    )


def batched_control_flow(
    operation: str, aval, transform: str = "vmap", sources=()
) -> ConcretizationError:
    """Python control flow or a conversion on a batched value: under ``vmap``,
    naming the arguments it depends on (``sources``); under a transform that
    batches internally (``jacfwd``, ``jacrev``, ``hessian``: their tangents or
    cotangents, one per basis vector), naming that transform."""
    shown = aval.str_short()
    if transform != "vmap":
        value = _BATCHED_BY.get(transform, "tangent or cotangent")
        return ConcretizationError(
            f"{operation} was applied to a {value} that {transform} batches ({shown} per "
            f"basis vector): {transform} computes its derivatives along every basis "
            f"vector at once, so the value differs for each. A custom derivative rule "
            f"can branch on primal values only; use fnp.where (or fnp.maximum, "
            f"fnp.clip, ...) for choices that depend on a {value}."
        )
    depends = f" The value depends on {' and '.join(sources)}." if sources else ""
    return ConcretizationError(
        f"{operation} was applied to a value batched by vmap ({shown} per "
        f"example), but a batch holds a different value for each example. Use "
        f"fnp.where (or fnp.maximum, fnp.clip, ...) for value-dependent choices "
        f"inside vmap, or pass the argument with in_axes=None.{depends}"
    )


# what the transforms that batch internally batch: jacfwd its tangents, jacrev
# its cotangents (a hessian both)
_BATCHED_BY = {"jacfwd": "tangent", "jacrev": "cotangent"}


def assign_to_enclosing(owner: str, current: str) -> TypeError:
    return TypeError(
        f"Cannot assign into an array owned by an enclosing transform ({owner}) from "
        f"inside {current}: the enclosing transform has already recorded its value. "
        f"Build a new array instead, e.g. x = x.at[i].set(v), or create the array "
        f"with fnp.zeros inside the inner function."
    )


def derivative_into_integer_array(dtype) -> TypeError:
    return TypeError(
        f"Cannot assign a value that carries a derivative into an integer array "
        f"(dtype {dtype}): the derivative would be lost. Create the array with a "
        f"float dtype, e.g. fnp.zeros(n) or x.astype(float)."
    )


def custom_rule_closure(name: str, transform: str) -> TypeError:
    return TypeError(
        f"{name}, a function with a custom derivative rule, uses a value that {transform} "
        f"traces without receiving it as an argument (it closes over it), so its rule "
        f"cannot give that value's derivative. Pass the value as an argument of {name} "
        f"(and give its derivative in the rule), or wrap it in ft.stop_gradient if it "
        f"has none."
    )


def custom_rule_closure_staged(name: str) -> TypeError:
    return TypeError(
        f"{name}, a function with a custom derivative rule, closes over a traced value "
        f"that is gone when it runs: a program (of jit, make_jaxpr, a checkpoint) keeps "
        f"the function as a call that runs after the transform that traced the value "
        f"returned. Pass the value as an argument of {name} and give its derivative in "
        f"the rule (zero if it has none)."
    )


def jvp_of_custom_vjp(name: str) -> TypeError:
    return TypeError(
        f"jvp cannot be applied directly to {name}, a custom_vjp function: it has a "
        f"reverse-mode rule only. Use vjp or grad, or define it with custom_jvp. "
        f"Forward-over-reverse (hessian, hvp) works: it differentiates fwd and bwd."
    )


def missing_extend_rule(prim_name: str, rule: str, definer: str) -> NotImplementedError:
    return NotImplementedError(
        f"fntrans has no {rule} rule for '{prim_name}'. Give it one with "
        f"fntrans.extend.{definer}({prim_name.split(' ')[0]}, ...)."
    )


def special_argument_not_differentiable(function: str, position: int) -> NotImplementedError:
    """A derivative asked of an order or shape parameter of a special function."""
    names = _SPECIAL_PARAMETERS.get(function, ("x", "y"))
    argument = names[position]
    return NotImplementedError(
        f"fntrans.scipy.special.{function} has no derivative with respect to its "
        f"argument {argument!r} (argument {position}), as SciPy has none: it is "
        f"differentiable in {names[-1]!r} only. If {argument!r} is a constant, "
        f"pass it through ft.stop_gradient, or leave it out of argnums."
    )


_SPECIAL_PARAMETERS = {
    "gammainc": ("a", "x"),
    "gammaincc": ("a", "x"),
    "iv": ("v", "x"),
    "ive": ("v", "x"),
    "jv": ("v", "x"),
    "yv": ("v", "x"),
    "yn": ("n", "x"),
    "kv": ("v", "x"),
    "kve": ("v", "x"),
    "betainc": ("a", "b", "x"),
    "betaincc": ("a", "b", "x"),
    "betaincinv": ("a", "b", "y"),
    "betainccinv": ("a", "b", "y"),
    "gammaincinv": ("a", "y"),
    "gammainccinv": ("a", "y"),
    "stdtr": ("df", "t"),
    "stdtrit": ("df", "p"),
    "pdtrik": ("p", "m"),
    "bdtrik": ("p", "n", "pr"),
}


def scipy_function_calling(frame) -> str | None:
    """``scipy.<module>.<function>`` when ``frame`` runs inside SciPy: the
    outermost SciPy function on the stack, named by its public module, else
    None. A function behind one of SciPy's own decorators (in ``scipy._lib``)
    is found among the decorator's locals."""
    found = []  # (module, name), innermost first
    while frame is not None and frame.f_globals.get("__name__", "").startswith("scipy."):
        module = frame.f_globals["__name__"]
        if module.startswith("scipy._lib"):
            found += [(v.__module__, v.__name__) for v in frame.f_locals.values() if _in_scipy(v)]
        else:
            found.append((module, frame.f_code.co_name))
        frame = frame.f_back
    if not found:
        return None
    module, name = found[-1]
    return ".".join([p for p in module.split(".") if not p.startswith("_")] + [name])


def _in_scipy(value) -> bool:
    """Whether ``value`` is a function of SciPy's public modules."""
    module = getattr(value, "__module__", None)
    return (
        callable(value)
        and isinstance(module, str)
        and module.startswith("scipy.")
        and not module.startswith("scipy._lib")
    )


def no_scipy_rule(func_name: str) -> NotImplementedError:
    """A SciPy function called on a traced value: fntrans.scipy's version named
    if it has one, else how to give it rules."""
    module, _, name = func_name.rpartition(".")
    try:  # looked up by name, as NumPy's protocols look up fntrans.numpy
        ours = getattr(importlib.import_module(f"fntrans.{module}"), name, None)
    except ImportError:
        ours = None
    if callable(ours):
        return NotImplementedError(
            f"{func_name} cannot follow a traced value: call fntrans.{func_name} "
            f"instead, which has derivative rules and batches under vmap."
        )
    return NotImplementedError(
        f"fntrans has no derivative rule for {func_name}: fntrans.scipy does not "
        f"provide it. Make it a primitive that runs on plain arrays with "
        f"fntrans.extend.primitive and give its derivatives with fntrans.extend.defvjp "
        f"(reverse mode) and defjvp (forward mode); or write it with fntrans.numpy and "
        f"fntrans.scipy functions that have rules."
    )
