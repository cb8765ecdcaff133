"""Complex numbers: JAX's convention for real-valued functions of complex
inputs, holomorphic=True, mixed real and complex operands, the errors, and the
edge cases of the elementwise rules."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans import errors

Z = np.array([0.8 + 0.4j, 1.5 - 0.2j, 0.7 - 0.6j])


def wirtinger_grad(f, z, eps=1e-6):
    """``df/dx - i df/dy`` of a real-valued ``f`` at each entry of ``z``, by
    central differences (JAX's convention, written out)."""
    z = np.asarray(z, dtype=complex)
    out = np.zeros_like(z)
    for k in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[k] = eps
        dx = (f(z + e) - f(z - e)) / (2 * eps)
        dy = (f(z + 1j * e) - f(z - 1j * e)) / (2 * eps)
        out[k] = dx - 1j * dy
    return out


# ---- the convention ----


def test_grad_of_abs_squared_follows_jaxs_convention():
    assert ft.grad(lambda z: abs(z) ** 2)(3 + 4j) == 6 - 8j
    g = ft.grad(lambda z: fnp.abs(z) ** 2)(np.complex64(3 + 4j))
    assert g == 6 - 8j and g.dtype == np.complex64


@pytest.mark.parametrize(
    "f",
    [
        lambda z: fnp.sum(fnp.abs(z)),
        lambda z: fnp.sum(fnp.real(z) * fnp.imag(z) ** 2),
        lambda z: fnp.sum(fnp.angle(z)),
        lambda z: fnp.sum(fnp.abs(fnp.exp(z) * fnp.sin(z))),
        lambda z: fnp.real(fnp.sum(z**3 * fnp.conj(z))),
        lambda z: fnp.var(z),
        lambda z: fnp.real(fnp.conj(z) @ np.array([[2.0, 1j, 0], [-1j, 3, 1], [0, 1, 1]]) @ z),
    ],
    ids=["abs", "parts", "angle", "abs_exp_sin", "real_poly", "var", "hermitian"],
)
def test_grad_of_a_real_function_is_df_dx_minus_i_df_dy(f):
    np.testing.assert_allclose(ft.grad(f)(Z), wirtinger_grad(f, Z), rtol=1e-6, atol=1e-8)
    # jacrev agrees, and vjp with a cotangent of 1
    np.testing.assert_allclose(ft.jacrev(f)(Z), ft.grad(f)(Z))
    np.testing.assert_allclose(ft.vjp(f, Z)[1](1.0)[0], ft.grad(f)(Z))


def test_the_parts_their_gradients():
    z = 1.0 + 1.0j
    assert ft.grad(fnp.real)(z) == 1
    assert ft.grad(fnp.imag)(z) == -1j
    assert ft.grad(fnp.abs)(3 + 4j) == pytest.approx((3 - 4j) / 5)
    np.testing.assert_allclose(ft.grad(fnp.angle)(z), -1j / z)  # d arg = Im(dz / z)
    w = 2.0 - 1j
    # Re(w z) = Re(w) x - Im(w) y: its gradient is w; Re(w conj(z)) is Re(conj(w) z)
    assert ft.grad(lambda z: fnp.real(w * fnp.conj(z)))(z) == np.conj(w)
    assert ft.grad(lambda z: fnp.real(w * z))(z) == w


def test_gradient_descent_on_complex_parameters_steps_along_the_conjugate():
    # the steepest-descent direction of a real loss is -conj(grad)
    target = 1.0 - 2.0j
    loss = ft.grad(lambda z: fnp.abs(z - target) ** 2)
    z = 0j
    for _ in range(50):
        z = z - 0.25 * np.conj(loss(z))
    np.testing.assert_allclose(z, target)


# ---- holomorphic=True ----

# (f, f', f'', a point away from branch cuts and poles)
HOLOMORPHIC = [
    (fnp.exp, np.exp, np.exp, 0.3 + 0.4j),
    (fnp.expm1, np.exp, np.exp, 0.3 + 0.4j),
    (fnp.exp2, lambda z: np.log(2) * 2**z, lambda z: np.log(2) ** 2 * 2**z, 0.3 + 0.4j),
    (fnp.log, lambda z: 1 / z, lambda z: -1 / z**2, 0.8 + 0.4j),
    (fnp.log2, lambda z: 1 / (z * np.log(2)), lambda z: -1 / (z**2 * np.log(2)), 0.8 + 0.4j),
    (fnp.log10, lambda z: 1 / (z * np.log(10)), lambda z: -1 / (z**2 * np.log(10)), 0.8 + 0.4j),
    (fnp.log1p, lambda z: 1 / (1 + z), lambda z: -1 / (1 + z) ** 2, 0.8 + 0.4j),
    (fnp.sqrt, lambda z: 0.5 / np.sqrt(z), lambda z: -0.25 * z**-1.5, 0.8 + 0.4j),
    (fnp.square, lambda z: 2 * z, lambda z: 2 + 0 * z, 0.8 + 0.4j),
    (fnp.reciprocal, lambda z: -1 / z**2, lambda z: 2 / z**3, 0.8 + 0.4j),
    (fnp.sin, np.cos, lambda z: -np.sin(z), 0.3 + 0.4j),
    (fnp.cos, lambda z: -np.sin(z), lambda z: -np.cos(z), 0.3 + 0.4j),
    (fnp.tan, lambda z: 1 / np.cos(z) ** 2, lambda z: 2 * np.tan(z) / np.cos(z) ** 2, 0.3 + 0.4j),
    (
        fnp.arcsin,
        lambda z: (1 - z**2) ** -0.5,
        lambda z: z * (1 - z**2) ** -1.5,
        0.3 + 0.4j,
    ),
    (
        fnp.arccos,
        lambda z: -((1 - z**2) ** -0.5),
        lambda z: -z * (1 - z**2) ** -1.5,
        0.3 + 0.4j,
    ),
    (fnp.arctan, lambda z: 1 / (1 + z**2), lambda z: -2 * z / (1 + z**2) ** 2, 0.3 + 0.4j),
    (fnp.sinh, np.cosh, np.sinh, 0.3 + 0.4j),
    (fnp.cosh, np.sinh, np.cosh, 0.3 + 0.4j),
    (fnp.tanh, lambda z: 1 - np.tanh(z) ** 2, lambda z: -2 * np.tanh(z) / np.cosh(z) ** 2, 0.3j),
    (
        fnp.arcsinh,
        lambda z: (1 + z**2) ** -0.5,
        lambda z: -z * (1 + z**2) ** -1.5,
        0.3 + 0.4j,
    ),
    (
        fnp.arccosh,
        lambda z: 1 / (np.sqrt(z - 1) * np.sqrt(z + 1)),
        lambda z: -z / (np.sqrt(z - 1) * np.sqrt(z + 1)) ** 3,
        1.8 + 0.4j,
    ),
    (fnp.arctanh, lambda z: 1 / (1 - z**2), lambda z: 2 * z / (1 - z**2) ** 2, 0.3 + 0.4j),
    (lambda z: z**3, lambda z: 3 * z**2, lambda z: 6 * z, 0.3 + 0.4j),
    (lambda z: z**-2, lambda z: -2 * z**-3, lambda z: 6 * z**-4, 0.3 + 0.4j),
    (lambda z: z**2.5, lambda z: 2.5 * z**1.5, lambda z: 3.75 * z**0.5, 0.8 + 0.4j),
    (
        lambda z: z ** (1 + 1j),
        lambda z: (1 + 1j) * z**1j,
        lambda z: (1 + 1j) * 1j * z ** (-1 + 1j),
        0.8 + 0.4j,
    ),
    (lambda z: 2.0**z, lambda z: np.log(2) * 2**z, lambda z: np.log(2) ** 2 * 2**z, 0.3 + 0.4j),
    (lambda z: z**z, lambda z: z**z * (np.log(z) + 1), None, 0.8 + 0.4j),
    (lambda z: 1 / (z + 1j), lambda z: -1 / (z + 1j) ** 2, lambda z: 2 / (z + 1j) ** 3, 0.5 + 0j),
    (lambda z: fnp.sinc(z), None, None, 0.3 + 0.4j),
]
HOLOMORPHIC_IDS = [f"{i}" for i in range(len(HOLOMORPHIC))]


def _sinc_prime(z):
    u = np.pi * z
    return np.pi * (np.cos(u) / u - np.sin(u) / u**2)


@pytest.mark.parametrize("f,df,d2f,z", HOLOMORPHIC, ids=HOLOMORPHIC_IDS)
def test_holomorphic_derivatives_are_the_complex_derivative(f, df, d2f, z):
    z = np.complex128(z)
    df = _sinc_prime if df is None else df
    expected = df(z)
    np.testing.assert_allclose(ft.grad(f, holomorphic=True)(z), expected, rtol=1e-10)
    value, g = ft.value_and_grad(f, holomorphic=True)(z)
    np.testing.assert_allclose(value, f(z))
    np.testing.assert_allclose(g, expected, rtol=1e-10)
    zs = np.array([z, z + 0.1, z - 0.05j])
    diagonal = np.diag(df(zs))
    np.testing.assert_allclose(ft.jacfwd(f, holomorphic=True)(zs), diagonal, rtol=1e-10)
    np.testing.assert_allclose(ft.jacrev(f, holomorphic=True)(zs), diagonal, rtol=1e-10)
    np.testing.assert_allclose(ft.jvp(f, (z,), (1j,))[1], 1j * expected, rtol=1e-10)
    # the second derivative, by grad of grad
    second = ft.grad(ft.grad(f, holomorphic=True), holomorphic=True)(z)
    if d2f is not None:
        np.testing.assert_allclose(second, d2f(z), rtol=1e-9)
    # the complex derivative is the same along every direction: as a difference quotient
    h = 1e-6 * (0.6 + 0.8j)
    np.testing.assert_allclose(expected, (f(z + h) - f(z - h)) / (2 * h), rtol=1e-7)


def test_holomorphic_jacobians_of_a_vector_function():
    def f(z):
        return fnp.stack([z[0] * z[1], fnp.exp(z[1]) + z[0] ** 2])

    z = np.array([1 + 1j, 0.5 - 1j])
    expected = np.array([[z[1], z[0]], [2 * z[0], np.exp(z[1])]])
    np.testing.assert_allclose(ft.jacfwd(f, holomorphic=True)(z), expected)
    np.testing.assert_allclose(ft.jacrev(f, holomorphic=True)(z), expected)
    hess = ft.hessian(lambda z: z[0] ** 2 * z[1], holomorphic=True)(z)
    np.testing.assert_allclose(hess, [[2 * z[1], 2 * z[0]], [2 * z[0], 0]])


@pytest.mark.parametrize("f,df,d2f,z", HOLOMORPHIC, ids=HOLOMORPHIC_IDS)
def test_holomorphic_hessian_is_the_second_derivative(f, df, d2f, z):
    z = np.complex128(z)
    second = ft.grad(ft.grad(f, holomorphic=True), holomorphic=True)(z)
    np.testing.assert_allclose(ft.hessian(f, holomorphic=True)(z), second, rtol=1e-10)


def test_hessian_takes_holomorphic():
    # regression: hessian had no holomorphic argument, though its error mentioned it
    np.testing.assert_allclose(ft.hessian(lambda z: z**3, holomorphic=True)(1j), 6j)
    with pytest.raises(
        TypeError,
        match=re.escape(errors.complex_jacobian("hessian", "input", "complex128").args[0]),
    ):
        ft.hessian(lambda z: fnp.abs(z) ** 2)(1j)


def test_holomorphic_true_on_a_function_that_is_not():
    # f = a dz + b conj(dz) to first order (a = df/dz, b = df/dconj(z)): jacfwd
    # pushes dz = 1 forward, giving a + b = df/dx; jacrev pulls 1 back, giving
    # a + conj(b) (JAX's results too)
    z = np.array([1.0 + 2.0j])
    f = lambda z: z * fnp.conj(z)  # noqa: E731  (a = conj(z), b = z)
    np.testing.assert_allclose(ft.jacfwd(f, holomorphic=True)(z), [[2 * z[0].real]])
    np.testing.assert_allclose(ft.jacrev(f, holomorphic=True)(z), [[2 * np.conj(z[0])]])
    np.testing.assert_allclose(ft.grad(lambda z: f(z)[0], holomorphic=True)(z), [2 * np.conj(z[0])])
    # conj itself: a = 0, b = 1
    assert ft.grad(fnp.conj, holomorphic=True)(z[0]) == 1
    assert ft.jacfwd(fnp.conj, holomorphic=True)(z[0]) == 1


# ---- errors ----


@pytest.mark.parametrize("transform", [ft.grad, ft.value_and_grad])
def test_complex_output_without_holomorphic_raises(transform):
    name = transform.__name__
    msg = errors.complex_output(name, "complex128").args[0]
    assert "holomorphic=True" in msg and "fnp.real" in msg
    with pytest.raises(TypeError, match=re.escape(msg)):
        transform(lambda z: z * z)(1j)
    with pytest.raises(TypeError, match=re.escape(msg)):
        transform(lambda x: x * 1j)(1.0)  # a real input with a complex output too


@pytest.mark.parametrize(
    "transform", [ft.grad, ft.value_and_grad, ft.jacfwd, ft.jacrev, ft.hessian]
)
def test_holomorphic_with_a_real_input_raises(transform):
    msg = errors.holomorphic_input(transform.__name__, "argument 0", "float64").args[0]
    with pytest.raises(TypeError, match=re.escape(msg)):
        transform(lambda z: z * z, holomorphic=True)(np.array([1.0]))


def test_jacobians_of_complex_values_without_holomorphic_raise():
    z = np.array([1j])
    with pytest.raises(
        TypeError, match=re.escape(errors.complex_jacobian("jacfwd", "input", "complex128").args[0])
    ):
        ft.jacfwd(lambda z: fnp.abs(z))(z)
    with pytest.raises(
        TypeError,
        match=re.escape(errors.complex_jacobian("jacrev", "output", "complex128").args[0]),
    ):
        ft.jacrev(lambda x: x * 1j)(np.array([1.0]))
    # a real-valued function of complex inputs: jacrev works; a complex function of
    # real inputs: jacfwd works
    np.testing.assert_allclose(ft.jacrev(lambda z: fnp.abs(z) ** 2)(z), [[-2j]])
    np.testing.assert_allclose(ft.jacfwd(lambda x: x * (1 + 1j))(np.array([1.0])), [[1 + 1j]])


# ---- mixed real and complex operands ----


@pytest.mark.parametrize(
    "f",
    [
        lambda x, z: x * z,
        lambda x, z: z / x,
        lambda x, z: x - z,
        lambda x, z: z**x,
        lambda x, z: x**z,
        lambda x, z: fnp.where(np.array([True, False, True]), x, z),
        lambda x, z: fnp.outer(x, x) @ z,
        lambda x, z: fnp.einsum("i,i->i", x, z),
        lambda x, z: x.astype(np.complex128) * z,
        lambda x, z: fnp.at(z)[0].set(x[1]),
    ],
    ids=["mul", "div", "sub", "pow", "rpow", "where", "matmul", "einsum", "astype", "at_set"],
)
@pytest.mark.parametrize("dtypes", [(np.float64, np.complex128), (np.float32, np.complex64)])
def test_the_cotangent_of_a_real_operand_is_real(f, dtypes):
    x = np.array([1.5, 0.5, 2.0], dtype=dtypes[0])
    z = Z.astype(dtypes[1])
    out, vjp_fn = ft.vjp(f, x, z)
    ct = (np.cos(np.arange(3.0)) + 1j * np.sin(np.arange(3.0))).astype(out.dtype)
    ct_x, ct_z = vjp_fn(ct)
    assert ct_x.dtype == dtypes[0] and ct_z.dtype == dtypes[1]
    # the real part of the cotangent the real x would get as a complex input
    _, vjp_c = ft.vjp(f, x.astype(dtypes[1]), z)
    tol = 1e-5 if dtypes[0] == np.float32 else 1e-12
    np.testing.assert_allclose(ct_x, vjp_c(ct)[0].real, rtol=tol, atol=tol)


def test_a_broadcast_real_scalar_gets_the_real_part_of_the_summed_cotangent():
    ct_x, ct_z = ft.vjp(lambda x, z: x * z, 2.0, Z)[1](np.ones(3, complex))
    assert ct_x.dtype == np.float64 and ct_x.shape == ()
    np.testing.assert_allclose(ct_x, np.sum(Z).real)
    np.testing.assert_allclose(ct_z, 2.0)


def test_python_complex_times_a_traced_float_scalar():
    # regression: 1j * x with x a float64 scalar gave a Python complex (NumPy's
    # float64 is a Python float), which broke reverse mode
    assert ft.grad(lambda x: fnp.abs(x + 1j * x))(1.0) == pytest.approx(np.sqrt(2))
    assert ft.grad(lambda x: fnp.imag((2 - 1j) / x))(2.0) == pytest.approx(0.25)
    out, tangent = ft.jvp(lambda x: 1j * x, (np.float64(2.0),), (np.float64(1.0),))
    assert type(out) is np.complex128 and tangent == 1j
    assert type(fnp.multiply(1j, np.float64(2.0))) is np.complex128


def test_real_to_complex_and_back():
    def f(x):
        z = x.astype(np.complex128) * (1 + 2j)
        return fnp.real(z) + 3 * fnp.imag(z)

    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(ft.grad(lambda x: fnp.sum(f(x)))(x), [7.0, 7.0])
    assert ft.grad(lambda x: fnp.sum(f(x)))(x).dtype == np.float64


def test_complex_values_assigned_into_a_real_array_keep_their_real_part_as_numpy_does():
    # as on a plain ndarray (NumPy warns and casts); transforms raised instead
    def f(x, z):
        y = fnp.copy(x)
        y[1:] = z[:2] * 2.0
        return fnp.sum(y * np.array([1.0, 2.0, 3.0]))

    x, z = np.array([1.0, 2.0, 3.0]), np.array([1 + 2j, 3 - 1j, 0.5j])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        expected = f(x, z)
        assert ft.jvp(f, (x, z), (x, z)) == (expected, expected)
        np.testing.assert_array_equal(ft.vmap(f)(np.stack([x, x]), np.stack([z, z])), expected)
        np.testing.assert_array_equal(ft.grad(f)(x, z), [1.0, 0.0, 0.0])
        np.testing.assert_array_equal(ft.grad(f, argnums=1)(x, z), [4.0, 6.0, 0.0])
    assert expected == 1.0 + 2.0 * 2.0 + 3.0 * 6.0
    assert {w.category for w in caught} == {np.exceptions.ComplexWarning}


def test_complex_to_real_cast_keeps_the_real_part_and_warns_as_numpy_does():
    z = np.array([1.0 + 1.0j, 2.0j])
    with pytest.warns(np.exceptions.ComplexWarning):
        expected = z.astype(float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out, tangent = ft.jvp(lambda z: z.astype(float), (z,), (z * 2,))
        g = ft.grad(lambda z: fnp.sum(z.astype(float) ** 2))(z)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(tangent, 2 * expected)
    np.testing.assert_array_equal(g, 2 * z.real)
    assert g.dtype == np.complex128
    # regression: once per cast (the tangent's cast warned again), at the user's line
    assert [w.category for w in caught] == [np.exceptions.ComplexWarning] * 2
    assert all(w.filename == __file__ for w in caught)


# ---- reductions, products ----


def test_var_and_std_of_complex_values_are_real():
    for reduce in (fnp.var, fnp.std):
        assert reduce(Z).dtype == np.float64
        np.testing.assert_allclose(reduce(Z), getattr(np, reduce.__name__)(Z))
    g = ft.grad(fnp.var)(Z)
    np.testing.assert_allclose(g, 2 * np.conj(Z - Z.mean()) / 3)


def test_hermitian_form_and_vdot():
    a = np.array([[2.0, 1j], [-1j, 3.0]])  # Hermitian: z^H A z is real
    z = np.array([1 + 1j, 0.5 - 2j])

    def form(z):
        return fnp.real(fnp.conj(z) @ a @ z)

    # the gradient of z^H A z is 2 conj(A z) in JAX's convention
    np.testing.assert_allclose(ft.grad(form)(z), 2 * np.conj(a @ z))
    np.testing.assert_allclose(
        ft.grad(lambda z: fnp.real(fnp.vdot(z, a @ z)))(z), 2 * np.conj(a @ z)
    )
    assert ft.grad(lambda z: fnp.vdot(z, z).real)(1 + 2j) == 2 - 4j


def test_hvp_of_a_real_function_of_complex_inputs():
    # grad |z|^2 = 2 conj(z): along v it changes by 2 conj(v)
    (hv,) = ft.hvp(lambda z: fnp.sum(fnp.abs(z) ** 2), (Z,), (np.array([1j, 1, 1 + 1j]),))
    np.testing.assert_allclose(hv, 2 * np.conj([1j, 1, 1 + 1j]))


# ---- edge cases of the rules ----


@pytest.mark.parametrize("zero", [0j, np.complex128(0), np.array(0j), 0.0])
def test_a_zero_exponent_is_flat_at_zero(zero):
    # regression: a complex zero exponent gave 0 * (0 ** -1) = nan at z = 0
    assert ft.jvp(lambda z: z**zero, (0j,), (1 + 0j,))[1] == 0
    assert ft.grad(lambda z: fnp.power(z, zero), holomorphic=True)(0j) == 0
    assert ft.grad(lambda z: fnp.power(z, zero * z), holomorphic=True)(0j) == 0


def test_powers_at_zero():
    assert ft.grad(lambda z: z**2, holomorphic=True)(0j) == 0
    assert ft.grad(lambda z: z**1, holomorphic=True)(0j) == 1
    # d(0 ** y)/dy = 0 where 0 ** y = 0 (Re y > 0)
    assert ft.grad(lambda y: fnp.power(0j, y), holomorphic=True)(1 + 1j) == 0
    assert ft.grad(lambda z: fnp.abs(z) ** 2)(0j) == 0


@pytest.mark.parametrize("name", ["exp2", "log2", "log10"])
@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_tangents_keep_single_precision(name, dtype):
    # regression: the constants log(2), log(10) were NumPy float64 scalars
    x = np.array([0.5, 2.0], dtype=dtype)
    out, tangent = ft.jvp(getattr(fnp, name), (x,), (np.ones_like(x),))
    assert out.dtype == dtype and tangent.dtype == dtype


def test_sign_of_complex_values_has_a_derivative():
    # sign(z) = z / |z| moves with z's phase: d sign = i sign Im(conj(sign) dz) / |z|
    z = np.complex128(3 + 4j)
    s = z / abs(z)
    out, tangent = ft.jvp(fnp.sign, (z,), (1j,))
    assert out == pytest.approx(s)
    np.testing.assert_allclose(tangent, 1j * s * (np.conj(s) * 1j).imag / abs(z))
    np.testing.assert_allclose(
        ft.grad(lambda z: fnp.real(fnp.sign(z)))(z),
        wirtinger_grad(lambda z: np.real(np.sign(z)), z),
        rtol=1e-6,
    )
    # 0 at z = 0, as for abs; and the sign of real x has derivative 0
    assert ft.jvp(fnp.sign, (0j,), (1 + 1j,))[1] == 0
    assert ft.grad(lambda z: fnp.real(fnp.sign(z)))(0j) == 0
    assert ft.grad(fnp.sign)(2.0) == 0


def test_sinc_of_a_tiny_complex_value():
    # regression: NumPy's sinc overflows to inf + nan j for subnormal complex z
    z = np.array([5e-324j, 0j, 1e-300 + 1e-300j])
    np.testing.assert_array_equal(fnp.sinc(z), [1, 1, 1])
    np.testing.assert_allclose(
        ft.grad(ft.grad(fnp.sinc, holomorphic=True), holomorphic=True)(5e-324j), -(np.pi**2) / 3
    )


def test_vmap_of_complex_functions():
    zs = np.array([3 + 4j, 1j, -2 + 0.5j])
    np.testing.assert_allclose(ft.vmap(ft.grad(lambda z: fnp.abs(z) ** 2))(zs), 2 * np.conj(zs))
    np.testing.assert_allclose(ft.vmap(ft.grad(lambda z: z**3, holomorphic=True))(zs), 3 * zs**2)

    def f(z):
        return fnp.sign(z) * fnp.conj(z) + fnp.real(z) * fnp.imag(z) + fnp.angle(z)

    batch = np.stack([zs, zs * 1j])
    np.testing.assert_allclose(ft.vmap(f)(batch), np.stack([f(b) for b in batch]))
    jac = ft.vmap(ft.jacrev(lambda z: fnp.abs(z), holomorphic=False))(batch)
    np.testing.assert_allclose(jac, np.stack([ft.jacrev(fnp.abs)(b) for b in batch]))
