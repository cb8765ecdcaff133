"""Operators and ndarray methods of tracers, as compositions of fntrans.numpy.

Also the NumPy protocols (``__array_ufunc__``, ``__array_function__``), so that
plain ``numpy`` functions handed a tracer call back into fntrans.
"""

from __future__ import annotations

import importlib
import math
import sys

import numpy as np

from fntrans import errors
from fntrans.core.tracer import Tracer
from fntrans.numpy import _assignment
from fntrans.numpy._shape import resolve_shape, transpose
from fntrans.numpy._util import asarray, copied
from fntrans.primitives import elementwise as ew
from fntrans.primitives import math_functions as mf
from fntrans.primitives.elementwise import convert_element_type
from fntrans.primitives.shape import reshape


def _operator(prim, reflected=False):
    """``self <op> other`` (or ``other <op> self``) binding ``prim`` directly: the
    hot path of traced code."""
    bind = prim.bind
    bind_traced = prim.bind_traced

    def op(self, other):
        if type(other) is list or type(other) is tuple:
            other = asarray(other, like=self)  # on self's backend
        elif not isinstance(other, Tracer):
            return bind_traced(self, (other, self) if reflected else (self, other))
        return bind(other, self) if reflected else bind(self, other)

    return op


def _swap(f):
    return lambda self, other: f(other, self)


def _astype(self, dtype, copy=True):
    out = convert_element_type(self, dtype=dtype)
    return copied(out) if copy and out is self else out


def _reshape(self, *shape, order="C"):
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = shape[0]
    if order != "C":
        return _FNP.reshape(self, shape, order=order)
    return reshape(self, resolve_shape(shape, math.prod(self.shape)))


def _transpose(self, *axes):
    if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = axes[0]
    return transpose(self, axes or None)


# NumPy ufunc methods, as fntrans.numpy functions: (method, ufunc) -> name
_UFUNC_METHODS = {
    ("reduce", "add"): "sum",
    ("reduce", "multiply"): "prod",
    ("reduce", "maximum"): "max",
    ("reduce", "minimum"): "min",
    ("reduce", "logical_and"): "all",
    ("reduce", "logical_or"): "any",
    ("accumulate", "add"): "cumsum",
    ("accumulate", "multiply"): "cumprod",
}
_AT_UPDATES = {
    "add": "add",
    "subtract": "subtract",
    "multiply": "multiply",
    "divide": "divide",
    "true_divide": "divide",
    "power": "power",
    "minimum": "min",
    "maximum": "max",
}


def _sort_in_place(self, axis=-1, kind=None, order=None):
    """``x.sort()`` sorts in place, as NumPy's method does."""
    _assignment.check_owner(self)
    _assignment.assign(self, _FNP.sort(self, axis=axis))


def _item(self, *args):
    value = self[args] if args else self.reshape(())
    if not isinstance(value, Tracer):
        return value.item()
    concrete = value._concrete_or_raise("item()")
    if value.carries_derivative():
        raise errors.float_of_tracer("item")
    return concrete.item()


# scipy.special ufuncs that are NumPy's functions of the same name
_SCIPY_SPECIAL_AS_NUMPY = frozenset({"cbrt", "exp2", "expm1", "log1p", "round"})


def _scipy_special_name(ufunc):
    """The name of ``ufunc`` in ``scipy.special`` if it is one of SciPy's ufuncs
    (``scipy.special.gammaln``), else None. SciPy is never imported for this:
    its ufuncs exist only once it has been."""
    name = ufunc.__name__
    if getattr(np, name, None) is ufunc:
        return None
    special = sys.modules.get("scipy.special")
    return name if special is not None and getattr(special, name, None) is ufunc else None


def _scipy_special_call(name, method, inputs, kwargs):
    """SciPy's ufunc ``name`` on traced values: fntrans.scipy.special's function."""
    func = None
    if method == "__call__":
        func = getattr(importlib.import_module("fntrans.scipy.special"), name, None)
        if func is None and name in _SCIPY_SPECIAL_AS_NUMPY:
            func = _FNP.__dict__.get(name)
    if func is None:
        suffix = "" if method == "__call__" else f".{method}"
        raise errors.no_scipy_rule(f"scipy.special.{name}{suffix}")
    return func(*inputs, **kwargs)


_COMPARISONS = {"greater", "greater_equal", "less", "less_equal", "equal", "not_equal"}
_COMPARISON_UFUNCS = {getattr(np, name) for name in _COMPARISONS}


def _scalars_again(inputs) -> tuple:
    # NumPy hands a scalar's comparison over as a 0-d array (numpy/numpy#12142):
    # as a scalar again, it mixes with a device array as a number does
    return tuple(x[()] if type(x) is np.ndarray and x.ndim == 0 else x for x in inputs)


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if method == "__call__" and not kwargs:
        # the hot path (``ndarray @ tracer``): a NumPy ufunc called plainly
        func = _NUMPY_UFUNCS.get(ufunc)
        if func is not None:
            if ufunc in _COMPARISON_UFUNCS:
                inputs = _scalars_again(inputs)
            return func(*inputs)
    name = ufunc.__name__
    scipy_name = _scipy_special_name(ufunc)
    if kwargs.get("out") is not None:
        module = "numpy" if scipy_name is None else "scipy.special"
        raise errors.tracer_to_numpy(f"the out= argument of {module}.{name}")
    kwargs.pop("out", None)
    if scipy_name is not None:
        return _scipy_special_call(scipy_name, method, inputs, kwargs)
    if method == "__call__" and name in _COMPARISONS:
        inputs = _scalars_again(inputs)
    if method == "__call__":
        func = _FNP.__dict__.get(name)
    elif method in ("reduce", "accumulate"):
        func = _FNP.__dict__.get(_UFUNC_METHODS.get((method, name), ""))
        if func is not None:
            kwargs.setdefault("axis", 0)  # the ufunc methods' default, unlike fnp.sum's
            kwargs = {k: v for k, v in kwargs.items() if v is not None or k == "axis"}
    elif method == "outer":
        func = _FNP.__dict__.get(name)
        if func is not None:
            a, b = (_FNP.asarray(x) for x in inputs)
            return func(_FNP.reshape(a, tuple(a.shape) + (1,) * len(b.shape)), b, **kwargs)
    elif method == "at" and name in _AT_UPDATES:
        target, index, *values = inputs
        if not isinstance(target, Tracer):
            raise errors.tracer_to_numpy(f"numpy.{name}.at on a plain ndarray")
        _assignment.check_owner(target)
        update = getattr(target.at[index], _AT_UPDATES[name])
        _assignment.assign(target, update(*values))
        return None
    else:
        func = None
    if func is None:
        raise errors.no_numpy_rule(name if method == "__call__" else f"{name}.{method}")
    return func(*inputs, **kwargs)


def _array_function(self, func, types, args, kwargs):
    module = func.__module__.removeprefix("numpy").strip(".")
    namespace = _FNP
    for part in filter(None, module.split(".")):
        namespace = getattr(namespace, part, None)
    impl = getattr(namespace, func.__name__, None) if namespace is not None else None
    if impl is None or impl is func:
        name = f"{module}.{func.__name__}" if module else func.__name__
        raise errors.no_numpy_rule(name)
    return impl(*args, **kwargs)


_FNP = None  # fntrans.numpy, set once it is fully imported
_NUMPY_UFUNCS = {}  # NumPy's ufunc -> the fntrans.numpy function of its name


def _numpy_ufuncs(fnp) -> dict:
    # by the ufunc's own name, as the general path below looks it up
    ufuncs = {}
    for value in vars(np).values():
        if isinstance(value, np.ufunc) and getattr(np, value.__name__, None) is value:
            func = fnp.__dict__.get(value.__name__)
            if func is not None:
                ufuncs[value] = func
    return ufuncs


def attach_methods() -> None:
    """Gives ``Tracer`` NumPy's operators and array methods."""
    global _FNP
    # fntrans.numpy imports this module and calls this function as its last
    # step: only then is the whole namespace there, for the methods below and
    # for the NumPy protocols, which look functions up in it by name
    import fntrans.numpy as fnp

    _FNP = fnp
    _NUMPY_UFUNCS.update(_numpy_ufuncs(fnp))

    methods = {
        "__add__": _operator(ew.add_p),
        "__radd__": _operator(ew.add_p, reflected=True),
        "__sub__": _operator(ew.sub_p),
        "__rsub__": _operator(ew.sub_p, reflected=True),
        "__mul__": _operator(ew.mul_p),
        "__rmul__": _operator(ew.mul_p, reflected=True),
        "__truediv__": _operator(ew.div_p),
        "__rtruediv__": _operator(ew.div_p, reflected=True),
        "__floordiv__": _operator(mf.floor_divide_p),
        "__rfloordiv__": _operator(mf.floor_divide_p, reflected=True),
        "__pow__": _operator(mf.pow_p),
        "__rpow__": _operator(mf.pow_p, reflected=True),
        "__matmul__": fnp.matmul,
        "__rmatmul__": _swap(fnp.matmul),
        "__neg__": fnp.negative,
        "__pos__": fnp.positive,
        "__abs__": fnp.absolute,
        "__eq__": fnp.equal,
        "__ne__": fnp.not_equal,
        "__lt__": fnp.less,
        "__le__": fnp.less_equal,
        "__gt__": fnp.greater,
        "__ge__": fnp.greater_equal,
        "__mod__": fnp.remainder,
        "__rmod__": _swap(fnp.remainder),
        "__divmod__": fnp.divmod,
        "__rdivmod__": _swap(fnp.divmod),
        "__and__": _operator(ew.bitwise_and_p),
        "__rand__": _operator(ew.bitwise_and_p, reflected=True),
        "__or__": _operator(ew.bitwise_or_p),
        "__ror__": _operator(ew.bitwise_or_p, reflected=True),
        "__xor__": _operator(ew.bitwise_xor_p),
        "__rxor__": _operator(ew.bitwise_xor_p, reflected=True),
        "__lshift__": _operator(ew.left_shift_p),
        "__rlshift__": _operator(ew.left_shift_p, reflected=True),
        "__rshift__": _operator(ew.right_shift_p),
        "__rrshift__": _operator(ew.right_shift_p, reflected=True),
        "__invert__": fnp.invert,
        "__getitem__": _assignment.getitem_method,
        "__setitem__": _assignment.setitem,
        "__iadd__": _assignment.inplace(fnp.add),
        "__isub__": _assignment.inplace(fnp.subtract),
        "__imul__": _assignment.inplace(fnp.multiply),
        "__itruediv__": _assignment.inplace(fnp.divide),
        "__ifloordiv__": _assignment.inplace(fnp.floor_divide),
        "__imod__": _assignment.inplace(fnp.remainder),
        "__iand__": _assignment.inplace(fnp.bitwise_and),
        "__ior__": _assignment.inplace(fnp.bitwise_or),
        "__ixor__": _assignment.inplace(fnp.bitwise_xor),
        "__ipow__": _assignment.inplace(fnp.power),
        "__imatmul__": _assignment.inplace(fnp.matmul),
        "at": property(_assignment.IndexUpdateHelper),
        "copy": _assignment.copy,
        "__array_ufunc__": _array_ufunc,
        "__array_function__": _array_function,
        "astype": _astype,
        "reshape": _reshape,
        "transpose": _transpose,
        "sum": fnp.sum,
        "mean": fnp.mean,
        "max": fnp.max,
        "min": fnp.min,
        "argmax": fnp.argmax,
        "argmin": fnp.argmin,
        "dot": fnp.dot,
        "ravel": fnp.ravel,
        "flatten": fnp.ravel,
        "squeeze": fnp.squeeze,
        "clip": fnp.clip,
        "conj": fnp.conjugate,
        "conjugate": fnp.conjugate,
        "swapaxes": fnp.swapaxes,
        "prod": fnp.prod,
        "cumsum": fnp.cumsum,
        "cumprod": fnp.cumprod,
        "var": fnp.var,
        "std": fnp.std,
        "ptp": fnp.ptp,
        "any": fnp.any,
        "all": fnp.all,
        "trace": fnp.trace,
        "diagonal": fnp.diagonal,
        "repeat": fnp.repeat,
        "take": fnp.take,
        "round": fnp.round,
        "nonzero": fnp.nonzero,
        "argsort": fnp.argsort,
        "sort": _sort_in_place,
        "tolist": lambda self: self._concrete_or_raise("tolist()").tolist(),
        "item": lambda self, *args: _item(self, *args),
        "T": property(lambda self: fnp.transpose(self)),
        "real": property(fnp.real),
        "imag": property(fnp.imag),
    }
    for name, method in methods.items():
        setattr(Tracer, name, method)
    Tracer.__hash__ = None
