"""The elementwise family: its constructors (``unary``, ``binary``),
arithmetic, complex parts, casts, ``select``, comparisons, logic and bitwise
operations.

Elementwise primitives take NumPy-broadcastable operands directly; their
rules sum cotangents back to each operand's shape with ``unbroadcast``.
NumPy's math functions, built with the same constructors, are in
``math_functions``.
"""

from __future__ import annotations

import operator

import numpy as np

from fntrans.core.attribution import warn_at_user_line
from fntrans.core.aval import ShapedArray, all_weak, dtype_of, is_inexact, shape_of
from fntrans.core.primitive import Primitive, Undefined
from fntrans.primitives._util import elementwise_batch
from fntrans.primitives.broadcasting import broadcast_to, unbroadcast

_PYTHON_SCALARS = (bool, int, float, complex)

# ---- the family's shape rule and constructors ----


def ufunc_shape(ufunc):
    """Shape rule of an elementwise primitive that computes like NumPy's ``ufunc``:
    NumPy broadcasting, NumPy's dtype resolution (weak Python scalars included)."""

    def shape(*avals, **params):
        out_shape = np.broadcast_shapes(*(a.shape for a in avals))
        # a weak type resolves as its Python type (float, not float64)
        operands = tuple(type(a.dtype_for_promotion()) if a.weak_type else a.dtype for a in avals)
        dtype = ufunc.resolve_dtypes(operands + (None,))[-1]
        weak = all_weak(*avals) and dtype.kind not in "b"
        return ShapedArray(out_shape, dtype, weak)

    return shape


def ufunc_impl(ufunc):
    """The implementation of a primitive that is NumPy's ``ufunc`` (the array
    module's function of the same name on other backends)."""
    name = ufunc.__name__

    def impl(xp, *args):
        return ufunc(*args) if xp is np else getattr(xp, name)(*args)

    impl.ufunc = ufunc  # jit's code generator calls the backend's function of this name
    return impl


def unary(
    name: str, *, ufunc=None, jvp=None, zero_derivative=False, vjp=None, batch=None, impl=None
):
    """An elementwise primitive of one argument computed by NumPy's ``ufunc``
    (or by ``impl(xp, x)`` where NumPy's function is not the backend's, as for
    SciPy's ufuncs).

    ``jvp(t, ans, x)`` gives the tangent; a diagonal Jacobian is its own
    transpose, so the same function applied to the cotangent is the VJP (no
    conjugation for complex inputs, which gives JAX's convention).
    """
    ufunc = ufunc or getattr(np, name)
    prim = None

    def prim_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        ans = prim.bind(x)
        return ans, jvp(t, ans, x)

    def prim_vjp(ct, ans, x, *, needs):
        return (jvp(ct, ans, x),)

    prim = Primitive(
        name,
        impl=impl or ufunc_impl(ufunc),
        shape=ufunc_shape(ufunc),
        jvp=prim_jvp,
        vjp=vjp or prim_vjp,
        zero_derivative=zero_derivative,
        batch=batch or elementwise_batch,
    )
    return prim


def binary(name: str, ufunc, dx=None, dy=None, *, zero_derivative=False):
    """An elementwise primitive of two arguments computed by NumPy's ``ufunc``.

    ``dx(ans, x, y)`` and ``dy(ans, x, y)`` are its partial derivatives; the
    Jacobian is diagonal, so they give both the JVP and the VJP, and each is
    computed only where a tangent or cotangent needs it. With
    ``zero_derivative`` it has none (comparisons, bitwise operations).
    """
    prim = None

    def jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        ans = prim.bind(x, y)
        out = None if tx is None else mul(tx, dx(ans, x, y))
        if ty is not None:
            term = mul(ty, dy(ans, x, y))
            out = term if out is None else add(out, term)
        return ans, broadcast_tangent(out, shape_of(ans), dtype_of(ans))

    def vjp(ct, ans, x, y, *, needs):
        return (
            unbroadcast(mul(ct, dx(ans, x, y)), shape_of(x)) if needs[0] else None,
            unbroadcast(mul(ct, dy(ans, x, y)), shape_of(y)) if needs[1] else None,
        )

    prim = Primitive(
        name,
        impl=ufunc_impl(ufunc),
        shape=ufunc_shape(ufunc),
        jvp=jvp,
        vjp=vjp,
        zero_derivative=zero_derivative,
        batch=elementwise_batch,
    )
    return prim


def _arithmetic_impl(operator_fn, ufunc):
    """Arithmetic through Python's operator: NumPy's scalar fast path, any backend.

    Two Python scalars go through the ufunc, so the result is a NumPy scalar
    (and ``1.0 / 0.0`` is ``inf``, as in NumPy). So does a Python complex on
    the left: ``1j * np.float64(2.0)`` is a Python complex (NumPy's float64 is a
    Python float, which Python's complex takes before NumPy sees it).
    """
    name = ufunc.__name__

    def impl(xp, x, y):
        if type(x) in _PYTHON_SCALARS and (type(y) in _PYTHON_SCALARS or type(x) is complex):
            return getattr(xp, name)(x, y)
        return operator_fn(x, y)

    impl.ufunc = ufunc  # for jit's code generator, as ufunc_impl's
    return impl


def broadcast_tangent(t, shape, dtype):
    """A tangent of one operand, brought to the output's shape and dtype."""
    if dtype_of(t) != dtype:
        t = convert_element_type(t, dtype=dtype)
    return broadcast_to(t, shape) if shape_of(t) != shape else t


# ---- linear: add, sub, neg ----


def _add_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    ans = add(x, y)
    if tx is None:
        return ans, broadcast_tangent(ty, shape_of(ans), dtype_of(ans))
    if ty is None:
        return ans, broadcast_tangent(tx, shape_of(ans), dtype_of(ans))
    return ans, add(tx, ty)


def _add_vjp(ct, ans, x, y, *, needs):
    return (
        unbroadcast(ct, shape_of(x)) if needs[0] else None,
        unbroadcast(ct, shape_of(y)) if needs[1] else None,
    )


add_p = Primitive(
    "add",
    impl=_arithmetic_impl(operator.add, np.add),
    shape=ufunc_shape(np.add),
    jvp=_add_jvp,
    vjp=_add_vjp,
    vjp_transposes=True,
    batch=elementwise_batch,
)


def _sub_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    ans = sub(x, y)
    if tx is None:
        return ans, broadcast_tangent(neg(ty), shape_of(ans), dtype_of(ans))
    if ty is None:
        return ans, broadcast_tangent(tx, shape_of(ans), dtype_of(ans))
    return ans, sub(tx, ty)


def _sub_vjp(ct, ans, x, y, *, needs):
    return (
        unbroadcast(ct, shape_of(x)) if needs[0] else None,
        unbroadcast(neg(ct), shape_of(y)) if needs[1] else None,
    )


sub_p = Primitive(
    "sub",
    impl=_arithmetic_impl(operator.sub, np.subtract),
    shape=ufunc_shape(np.subtract),
    jvp=_sub_jvp,
    vjp=_sub_vjp,
    vjp_transposes=True,
    batch=elementwise_batch,
)

neg_p = Primitive(
    "neg",
    impl=ufunc_impl(np.negative),
    shape=ufunc_shape(np.negative),
    jvp=lambda primals, tangents: (neg(primals[0]), neg(tangents[0])),
    vjp=lambda ct, ans, x, *, needs: (neg(ct),),
    vjp_transposes=True,
    batch=elementwise_batch,
)

# ---- bilinear: mul; linear in the numerator: div ----
#
# Each has one rule in VJP form that is also its transpose (vjp_transposes).


def _mul_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    ans = mul(x, y)
    if tx is None:
        return ans, broadcast_tangent(mul(x, ty), shape_of(ans), dtype_of(ans))
    if ty is None:
        return ans, broadcast_tangent(mul(tx, y), shape_of(ans), dtype_of(ans))
    return ans, add(mul(tx, y), mul(x, ty))


def _mul_vjp(ct, ans, x, y, *, needs):
    # bilinear: as a transpose, linear in the one undefined operand
    return (
        unbroadcast(mul(ct, y), shape_of(x)) if needs[0] else None,
        unbroadcast(mul(x, ct), shape_of(y)) if needs[1] else None,
    )


mul_p = Primitive(
    "mul",
    impl=_arithmetic_impl(operator.mul, np.multiply),
    shape=ufunc_shape(np.multiply),
    jvp=_mul_jvp,
    vjp=_mul_vjp,
    vjp_transposes=True,
    batch=elementwise_batch,
)


def _div_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    ans = div(x, y)
    # d(x / y) = (dx - ans * dy) / y
    if ty is None:
        return ans, broadcast_tangent(div(tx, y), shape_of(ans), dtype_of(ans))
    numerator = neg(mul(ans, ty)) if tx is None else sub(tx, mul(ans, ty))
    return ans, broadcast_tangent(div(numerator, y), shape_of(ans), dtype_of(ans))


def _div_vjp(ct, ans, x, y, *, needs):
    # as a transpose, linear in the numerator only (the one it is asked about)
    ct_over_y = div(ct, y)
    return (
        unbroadcast(ct_over_y, shape_of(x)) if needs[0] else None,
        unbroadcast(neg(mul(ct_over_y, ans)), shape_of(y)) if needs[1] else None,
    )


div_p = Primitive(
    "div",
    impl=_arithmetic_impl(operator.truediv, np.true_divide),
    shape=ufunc_shape(np.true_divide),
    jvp=_div_jvp,
    vjp=_div_vjp,
    vjp_transposes=True,
    batch=elementwise_batch,
)

# ---- complex parts: linear over the reals ----


def _to_complex(ct, dtype):
    return ct if dtype_of(ct) == dtype else convert_element_type(ct, dtype=dtype)


def _real_transpose(ct, x):
    # Re(z) transposes to ct (as a complex number) for complex z.
    return (_to_complex(ct, x.dtype),)


def _imag_transpose(ct, x):
    # Im(z) = Re(-i z) transposes to -i ct.
    return (mul(_to_complex(ct, x.dtype), -1j),)


real_p = Primitive(
    "real",
    impl=lambda xp, x: xp.real(x),
    shape=lambda x: x.update(dtype=np.empty(0, x.dtype).real.dtype),
    jvp=lambda primals, tangents: (real(primals[0]), real(tangents[0])),
    transpose=_real_transpose,
    batch=elementwise_batch,
)
imag_p = Primitive(
    "imag",
    impl=lambda xp, x: xp.imag(x),
    shape=lambda x: x.update(dtype=np.empty(0, x.dtype).imag.dtype),
    jvp=lambda primals, tangents: (imag(primals[0]), imag(tangents[0])),
    transpose=_imag_transpose,
    batch=elementwise_batch,
)
conj_p = Primitive(
    "conj",
    impl=lambda xp, x: xp.conj(x),
    shape=ufunc_shape(np.conjugate),
    jvp=lambda primals, tangents: (conj(primals[0]), conj(tangents[0])),
    transpose=lambda ct, x: (conj(ct),),
    batch=elementwise_batch,
)

# ---- comparisons, logic and bitwise operations: no derivative ----

eq_p = binary("eq", np.equal, zero_derivative=True)
ne_p = binary("ne", np.not_equal, zero_derivative=True)
lt_p = binary("lt", np.less, zero_derivative=True)
le_p = binary("le", np.less_equal, zero_derivative=True)
gt_p = binary("gt", np.greater, zero_derivative=True)
ge_p = binary("ge", np.greater_equal, zero_derivative=True)
logical_and_p = binary("logical_and", np.logical_and, zero_derivative=True)
logical_or_p = binary("logical_or", np.logical_or, zero_derivative=True)
logical_xor_p = binary("logical_xor", np.logical_xor, zero_derivative=True)
bitwise_and_p = binary("bitwise_and", np.bitwise_and, zero_derivative=True)
bitwise_or_p = binary("bitwise_or", np.bitwise_or, zero_derivative=True)
bitwise_xor_p = binary("bitwise_xor", np.bitwise_xor, zero_derivative=True)
left_shift_p = binary("left_shift", np.left_shift, zero_derivative=True)
right_shift_p = binary("right_shift", np.right_shift, zero_derivative=True)
invert_p = unary("invert", zero_derivative=True)
logical_not_p = unary("logical_not", zero_derivative=True)

isfinite_p = unary("isfinite", zero_derivative=True)
isnan_p = unary("isnan", zero_derivative=True)
isinf_p = unary("isinf", zero_derivative=True)
signbit_p = unary("signbit", zero_derivative=True)

# ---- select (where) ----


def _select_shape(cond, x, y):
    return ufunc_shape(np.add)(x, y).update(shape=np.broadcast_shapes(cond.shape, x.shape, y.shape))


def _select_jvp(primals, tangents):
    cond, x, y = primals
    _, tx, ty = tangents
    ans = select(cond, x, y)
    if tx is None and ty is None:
        return ans, None
    zero = 0.0
    return ans, broadcast_tangent(
        select(cond, zero if tx is None else tx, zero if ty is None else ty),
        shape_of(ans),
        dtype_of(ans),
    )


def _select_transpose(ct, cond, x, y):
    return (
        None,
        unbroadcast(select(cond, ct, 0.0), x.shape) if type(x) is Undefined else None,
        unbroadcast(select(cond, 0.0, ct), y.shape) if type(y) is Undefined else None,
    )


select_p = Primitive(
    "select",
    impl=lambda xp, cond, x, y: xp.where(cond, x, y),
    shape=_select_shape,
    jvp=_select_jvp,
    transpose=_select_transpose,
    batch=elementwise_batch,
)

# ---- dtype conversion, and stop_gradient ----


def _convert_shape(x, *, dtype):
    return x.update(dtype=dtype, weak_type=False)


def _convert_impl(xp, x, *, dtype):
    if dtype_of(x).kind == "c" and dtype.kind != "c":
        # NumPy's warning, at the user's line (NumPy's own would point here)
        warn_at_user_line(
            "Casting complex values to real discards the imaginary part",
            np.exceptions.ComplexWarning,
        )
        x = xp.real(x)
    if hasattr(x, "astype"):
        return x.astype(dtype)
    return xp.asarray(x, dtype=dtype)[()]


def _convert_jvp(primals, tangents, *, dtype):
    (x,), (t,) = primals, tangents
    ans = convert_element_type(x, dtype=dtype)
    if not is_inexact(dtype):
        return ans, None
    if dtype_of(t).kind == "c" and dtype.kind != "c":
        t = real(t)  # the tangent's cast keeps the real part without warning again
    return ans, convert_element_type(t, dtype=dtype)


def fit_cotangent(ct, dtype):
    """A cotangent ``ct`` in ``dtype``, the dtype of its primal: the real part
    for a real primal (its imaginary direction does not exist there)."""
    if dtype_of(ct) == dtype:
        return ct
    if dtype_of(ct).kind == "c" and np.dtype(dtype).kind != "c":
        ct = real(ct)
    return convert_element_type(ct, dtype=dtype)


def _convert_transpose(ct, x, *, dtype):
    return (fit_cotangent(ct, x.dtype),)


convert_element_type_p = Primitive(
    "convert_element_type",
    impl=_convert_impl,
    shape=_convert_shape,
    jvp=_convert_jvp,
    transpose=_convert_transpose,
    batch=elementwise_batch,
)

stop_gradient_p = Primitive(
    "stop_gradient",
    impl=lambda xp, x: x,
    shape=lambda x: x,
    batch=elementwise_batch,
    zero_derivative=True,
)

# ---- binding helpers, used by rules across fntrans ----

add = add_p.bind
sub = sub_p.bind
neg = neg_p.bind
mul = mul_p.bind
div = div_p.bind
real = real_p.bind
imag = imag_p.bind
conj = conj_p.bind
eq = eq_p.bind
gt = gt_p.bind
lt = lt_p.bind
select = select_p.bind
stop_gradient = stop_gradient_p.bind


def convert_element_type(x, *, dtype):
    """``x`` as ``dtype``; a no-op when it already has it."""
    dtype = np.dtype(dtype)
    if dtype_of(x) == dtype:
        return x
    return convert_element_type_p.bind(x, dtype=dtype)


__all__ = [name for name in dir() if name.endswith("_p")]
