"""Elementwise primitives: arithmetic, math functions, comparisons, select, casts.

Binary primitives take NumPy-broadcastable operands directly; their VJPs sum
cotangents back to each operand's shape with ``unbroadcast``.
"""

from __future__ import annotations

import operator

import numpy as np

from fntrans.core.aval import is_inexact
from fntrans.core.primitive import Primitive, Undefined
from fntrans.primitives._batching import elementwise_batch
from fntrans.primitives._rules import (
    comparison,
    dtype_of,
    shape_of,
    ufunc_shape,
    unary,
    unbroadcast,
    zero_vjp,
)

_PYTHON_SCALARS = (bool, int, float, complex)


def _arithmetic_impl(operator_fn, ufunc):
    """Arithmetic through Python's operator: NumPy's scalar fast path, any backend.

    Two Python scalars go through the ufunc, so the result is a NumPy scalar
    (and ``1.0 / 0.0`` is ``inf``, as in NumPy).
    """
    name = ufunc.__name__

    def impl(xp, x, y):
        if type(x) in _PYTHON_SCALARS and type(y) in _PYTHON_SCALARS:
            return getattr(xp, name)(x, y)
        return operator_fn(x, y)

    return impl


def _binary_impl(ufunc):
    name = ufunc.__name__

    def impl(xp, x, y):
        return ufunc(x, y) if xp is np else getattr(xp, name)(x, y)

    return impl


def _broadcast_tangent(t, shape, dtype):
    """A tangent of one operand, brought to the output's shape and dtype."""
    from fntrans.primitives.structural import broadcast_to

    if dtype_of(t) != dtype:
        t = convert_element_type(t, dtype=dtype)
    return broadcast_to(t, shape) if shape_of(t) != shape else t


# ---- linear: add, sub, neg ----


def _add_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    ans = add(x, y)
    if tx is None:
        return ans, _broadcast_tangent(ty, shape_of(ans), dtype_of(ans))
    if ty is None:
        return ans, _broadcast_tangent(tx, shape_of(ans), dtype_of(ans))
    return ans, add(tx, ty)


def _add_transpose(ct, x, y):
    return (
        unbroadcast(ct, x.shape) if type(x) is Undefined else None,
        unbroadcast(ct, y.shape) if type(y) is Undefined else None,
    )


def _add_vjp(ct, ans, x, y, *, needs):
    return (
        unbroadcast(ct, x.shape) if needs[0] else None,
        unbroadcast(ct, y.shape) if needs[1] else None,
    )


add_p = Primitive(
    "add",
    impl=_arithmetic_impl(operator.add, np.add),
    shape=ufunc_shape(np.add),
    jvp=_add_jvp,
    transpose=_add_transpose,
    vjp=_add_vjp,
    batch=elementwise_batch,
)


def _sub_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    ans = sub(x, y)
    if tx is None:
        return ans, _broadcast_tangent(neg(ty), shape_of(ans), dtype_of(ans))
    if ty is None:
        return ans, _broadcast_tangent(tx, shape_of(ans), dtype_of(ans))
    return ans, sub(tx, ty)


def _sub_transpose(ct, x, y):
    return (
        unbroadcast(ct, x.shape) if type(x) is Undefined else None,
        unbroadcast(neg(ct), y.shape) if type(y) is Undefined else None,
    )


def _sub_vjp(ct, ans, x, y, *, needs):
    return (
        unbroadcast(ct, x.shape) if needs[0] else None,
        unbroadcast(neg(ct), y.shape) if needs[1] else None,
    )


sub_p = Primitive(
    "sub",
    impl=_arithmetic_impl(operator.sub, np.subtract),
    shape=ufunc_shape(np.subtract),
    jvp=_sub_jvp,
    transpose=_sub_transpose,
    vjp=_sub_vjp,
    batch=elementwise_batch,
)

neg_p = Primitive(
    "neg",
    impl=lambda xp, x: xp.negative(x),
    shape=ufunc_shape(np.negative),
    jvp=lambda primals, tangents: (neg(primals[0]), neg(tangents[0])),
    transpose=lambda ct, x: (neg(ct),),
    vjp=lambda ct, ans, x, *, needs: (neg(ct),),
    batch=elementwise_batch,
)

# ---- bilinear: mul; linear in the numerator: div ----


def _mul_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    ans = mul(x, y)
    if tx is None:
        return ans, _broadcast_tangent(mul(x, ty), shape_of(ans), dtype_of(ans))
    if ty is None:
        return ans, _broadcast_tangent(mul(tx, y), shape_of(ans), dtype_of(ans))
    return ans, add(mul(tx, y), mul(x, ty))


def _mul_transpose(ct, x, y):
    # Linear in whichever operand is undefined; the other is a constant.
    return (
        unbroadcast(mul(ct, y), x.shape) if type(x) is Undefined else None,
        unbroadcast(mul(x, ct), y.shape) if type(y) is Undefined else None,
    )


def _mul_vjp(ct, ans, x, y, *, needs):
    # an operand that needs a cotangent is an array, so it has a shape
    return (
        unbroadcast(mul(ct, y), x.shape) if needs[0] else None,
        unbroadcast(mul(x, ct), y.shape) if needs[1] else None,
    )


mul_p = Primitive(
    "mul",
    impl=_arithmetic_impl(operator.mul, np.multiply),
    shape=ufunc_shape(np.multiply),
    jvp=_mul_jvp,
    transpose=_mul_transpose,
    vjp=_mul_vjp,
    batch=elementwise_batch,
)


def _div_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    ans = div(x, y)
    # d(x / y) = (dx - ans * dy) / y
    if ty is None:
        return ans, _broadcast_tangent(div(tx, y), shape_of(ans), dtype_of(ans))
    numerator = neg(mul(ans, ty)) if tx is None else sub(tx, mul(ans, ty))
    return ans, _broadcast_tangent(div(numerator, y), shape_of(ans), dtype_of(ans))


def _div_transpose(ct, x, y):
    return (unbroadcast(div(ct, y), x.shape), None)


def _div_vjp(ct, ans, x, y, *, needs):
    ct_over_y = div(ct, y)
    return (
        unbroadcast(ct_over_y, x.shape) if needs[0] else None,
        unbroadcast(neg(mul(ct_over_y, ans)), y.shape) if needs[1] else None,
    )


div_p = Primitive(
    "div",
    impl=_arithmetic_impl(operator.truediv, np.true_divide),
    shape=ufunc_shape(np.true_divide),
    jvp=_div_jvp,
    transpose=_div_transpose,
    vjp=_div_vjp,
    batch=elementwise_batch,
)

# ---- binary functions given by their partial derivatives: pow, max, min, atan2 ----


def binary(name: str, ufunc, dx, dy):
    """An elementwise primitive of two arguments computed by NumPy's ``ufunc``.

    ``dx(ans, x, y)`` and ``dy(ans, x, y)`` are its partial derivatives; the
    Jacobian is diagonal, so they give both the JVP and the VJP, and each is
    computed only where a tangent or cotangent needs it.
    """
    prim = None

    def jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        ans = prim.bind(x, y)
        out = None if tx is None else mul(tx, dx(ans, x, y))
        if ty is not None:
            term = mul(ty, dy(ans, x, y))
            out = term if out is None else add(out, term)
        return ans, _broadcast_tangent(out, shape_of(ans), dtype_of(ans))

    def vjp(ct, ans, x, y, *, needs):
        return (
            unbroadcast(mul(ct, dx(ans, x, y)), shape_of(x)) if needs[0] else None,
            unbroadcast(mul(ct, dy(ans, x, y)), shape_of(y)) if needs[1] else None,
        )

    prim = Primitive(
        name,
        impl=_binary_impl(ufunc),
        shape=ufunc_shape(ufunc),
        jvp=jvp,
        vjp=vjp,
        batch=elementwise_batch,
    )
    return prim


def _pow_dx(ans, x, y):
    if isinstance(y, (int, float)) and y == 0:
        return mul(0.0, x)  # x ** 0 is flat everywhere, 0 ** 0 included
    # A Python exponent stays a Python number, so it never changes x's dtype.
    if isinstance(y, (int, float, complex)):
        return mul(y, x if y == 2 else pow(x, y - 1))
    return mul(y, pow(x, sub(y, 1)))


def _pow_dy(ans, x, y):
    # d/dy x**y = log(x) * x**y, taken as 0 where x == 0 (0 ** y is flat for y > 0)
    return mul(log(select(eq(x, 0), 1.0, x)), ans)


pow_p = binary("pow", np.power, _pow_dx, _pow_dy)


def _share(x, y, picked):
    """The weight of x in max/min: 1 where picked, 1/2 on ties, 0 elsewhere."""
    dtype = np.result_type(dtype_of(x), dtype_of(y))
    tie = convert_element_type(eq(x, y), dtype=dtype)
    return add(convert_element_type(picked, dtype=dtype), mul(0.5, tie))


max_p = binary(
    "max",
    np.maximum,
    lambda ans, x, y: _share(x, y, gt(x, y)),
    lambda ans, x, y: _share(y, x, gt(y, x)),
)
min_p = binary(
    "min",
    np.minimum,
    lambda ans, x, y: _share(x, y, lt(x, y)),
    lambda ans, x, y: _share(y, x, lt(y, x)),
)
# atan2(x, y): d/dx = y / (x^2 + y^2), d/dy = -x / (x^2 + y^2)
atan2_p = binary(
    "atan2",
    np.arctan2,
    lambda ans, x, y: div(y, add(mul(x, x), mul(y, y))),
    lambda ans, x, y: neg(div(x, add(mul(x, x), mul(y, y)))),
)

# ---- unary math ----

exp_p = unary("exp", jvp=lambda t, ans, x: mul(t, ans))
exp2_p = unary("exp2", jvp=lambda t, ans, x: mul(t, mul(ans, np.log(2.0))))
expm1_p = unary("expm1", jvp=lambda t, ans, x: mul(t, add(ans, 1.0)))
log_p = unary("log", jvp=lambda t, ans, x: div(t, x))
log2_p = unary("log2", jvp=lambda t, ans, x: div(t, mul(x, np.log(2.0))))
log10_p = unary("log10", jvp=lambda t, ans, x: div(t, mul(x, np.log(10.0))))
log1p_p = unary("log1p", jvp=lambda t, ans, x: div(t, add(x, 1.0)))
sin_p = unary("sin", jvp=lambda t, ans, x: mul(t, cos(x)))
cos_p = unary("cos", jvp=lambda t, ans, x: neg(mul(t, sin(x))))
# d tan = 1 + tan^2, reusing ans instead of recomputing tan(x)
tan_p = unary("tan", jvp=lambda t, ans, x: mul(t, add(1.0, mul(ans, ans))))
arcsin_p = unary("arcsin", jvp=lambda t, ans, x: div(t, sqrt(sub(1.0, mul(x, x)))))
arccos_p = unary("arccos", jvp=lambda t, ans, x: neg(div(t, sqrt(sub(1.0, mul(x, x))))))
arctan_p = unary("arctan", jvp=lambda t, ans, x: div(t, add(1.0, mul(x, x))))
sinh_p = unary("sinh", jvp=lambda t, ans, x: mul(t, cosh(x)))
cosh_p = unary("cosh", jvp=lambda t, ans, x: mul(t, sinh(x)))
# d tanh = 1 - tanh^2, reusing ans
tanh_p = unary("tanh", jvp=lambda t, ans, x: mul(t, sub(1.0, mul(ans, ans))))
arcsinh_p = unary("arcsinh", jvp=lambda t, ans, x: div(t, sqrt(add(mul(x, x), 1.0))))
arccosh_p = unary("arccosh", jvp=lambda t, ans, x: div(t, sqrt(sub(mul(x, x), 1.0))))
arctanh_p = unary("arctanh", jvp=lambda t, ans, x: div(t, sub(1.0, mul(x, x))))
# d sqrt = 1 / (2 sqrt(x)), reusing ans
sqrt_p = unary("sqrt", jvp=lambda t, ans, x: div(t, mul(2.0, ans)))
cbrt_p = unary("cbrt", jvp=lambda t, ans, x: div(t, mul(3.0, mul(ans, ans))))
square_p = unary("square", jvp=lambda t, ans, x: mul(t, mul(2.0, x)))
reciprocal_p = unary("reciprocal", jvp=lambda t, ans, x: neg(mul(t, mul(ans, ans))))
sign_p = unary("sign", zero_derivative=True)
floor_p = unary("floor", zero_derivative=True)
ceil_p = unary("ceil", zero_derivative=True)
round_p = unary("round", ufunc=np.rint, zero_derivative=True)
trunc_p = unary("trunc", zero_derivative=True)


def _abs_tangent(t, ans, x):
    if dtype_of(x).kind == "c":
        # |z| is not holomorphic: d|z| = Re(conj(z) dz) / |z|
        return div(real(mul(conj(x), t)), ans)
    return mul(t, sign(x))


def _abs_vjp(ct, ans, x, *, needs):
    if dtype_of(x).kind == "c":
        # transpose of t -> Re(conj(z) t) / |z|, with no conjugation of ct
        return (mul(conj(x), div(ct, ans)),)
    return (mul(ct, sign(x)),)


abs_p = unary("abs", ufunc=np.absolute, jvp=_abs_tangent, vjp=_abs_vjp)

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

# ---- comparisons and logic: boolean results, no derivative ----

eq_p = comparison("eq", np.equal)
ne_p = comparison("ne", np.not_equal)
lt_p = comparison("lt", np.less)
le_p = comparison("le", np.less_equal)
gt_p = comparison("gt", np.greater)
ge_p = comparison("ge", np.greater_equal)
logical_and_p = comparison("logical_and")
logical_or_p = comparison("logical_or")
logical_xor_p = comparison("logical_xor")
logical_not_p = unary("logical_not", zero_derivative=True)

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
    return ans, _broadcast_tangent(
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
    if hasattr(x, "astype"):
        return x.astype(dtype)
    return xp.asarray(x, dtype=dtype)[()]


def _convert_jvp(primals, tangents, *, dtype):
    (x,), (t,) = primals, tangents
    ans = convert_element_type(x, dtype=dtype)
    if not is_inexact(dtype):
        return ans, None
    return ans, convert_element_type(t, dtype=dtype)


def _convert_transpose(ct, x, *, dtype):
    target = x.dtype
    if dtype_of(ct).kind == "c" and target.kind != "c":
        ct = real(ct)
    return (convert_element_type(ct, dtype=target),)


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
    jvp=lambda primals, tangents: (stop_gradient(primals[0]), None),
    vjp=zero_vjp,
    batch=elementwise_batch,
)

# ---- binding helpers, used by rules across fntrans ----

add = add_p.bind
sub = sub_p.bind
neg = neg_p.bind
mul = mul_p.bind
div = div_p.bind
pow = pow_p.bind
atan2 = atan2_p.bind
sin = sin_p.bind
cos = cos_p.bind
sinh = sinh_p.bind
cosh = cosh_p.bind
log = log_p.bind
sqrt = sqrt_p.bind
sign = sign_p.bind
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
