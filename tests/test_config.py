"""ft.config: debug_nans and debug_infs."""

from __future__ import annotations

import re
import sys
import warnings

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp


@pytest.fixture
def debug(request):
    """Turns the named switch on for one test."""
    ft.config.update(request.param, True)
    yield request.param
    ft.config.update(request.param, False)


def _log_of_negative(x):
    y = fnp.log(x)  # the line the error names
    return fnp.sum(y)


@pytest.mark.parametrize("debug", ["debug_nans"], indirect=True)
def test_debug_nans_names_the_primitive_and_the_users_line_forward(debug):
    msg = "debug_nans: the primitive log produced a NaN, at "
    for run in (
        lambda: _log_of_negative(np.array([1.0, -1.0])),
        lambda: ft.grad(_log_of_negative)(np.array([1.0, -1.0])),
        lambda: ft.vmap(_log_of_negative)(np.array([[1.0, -1.0]])),
        lambda: ft.jvp(_log_of_negative, (np.array([1.0, -1.0]),), (np.ones(2),)),
    ):
        with pytest.raises(FloatingPointError, match=re.escape(msg)) as info:
            run()
        assert "in _log_of_negative: y = fnp.log(x)  # the line the error names" in str(info.value)
    assert ft.grad(_log_of_negative)(np.array([1.0, 2.0])).tolist() == [1.0, 0.5]  # next call works


@pytest.mark.parametrize("debug", ["debug_nans"], indirect=True)
def test_debug_nans_catches_the_backward_pass(debug):
    # forward values are finite; sqrt's cotangent 0 / (2 sqrt(0)) is not
    def f(x):
        return fnp.sum(fnp.sqrt(x) * 0.0)

    with pytest.raises(FloatingPointError, match="debug_nans: the primitive div produced a NaN"):
        ft.grad(f)(np.array([0.0, 1.0]))


@pytest.mark.parametrize("debug", ["debug_infs"], indirect=True)
def test_debug_infs(debug):
    with pytest.raises(
        FloatingPointError, match="debug_infs: the primitive div produced an infinity"
    ):
        ft.grad(lambda x: fnp.sum(fnp.sqrt(x)))(np.array([0.0, 1.0]))
    assert ft.grad(lambda x: fnp.sum(fnp.sqrt(x)))(np.array([4.0])).tolist() == [0.25]


def test_without_debug_switches_nans_pass_silently_as_in_numpy():
    with np.errstate(all="ignore"):
        assert np.isnan(_log_of_negative(np.array([-1.0])))
        assert np.isnan(ft.grad(lambda x: fnp.sum(fnp.sqrt(x) * 0.0))(np.array([0.0]))[0])


def test_unknown_option_is_a_clear_error():
    msg = "no config option 'debug_nan'; the options are: debug_infs, debug_nans, fusion."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ft.config.update("debug_nan", True)
    assert ft.config.debug_nans is False


def test_fusion_is_off_or_auto_and_auto_fuses_large_elementwise_chains():
    with pytest.raises(ValueError, match="config option 'fusion' is 'off' or 'auto', not True"):
        ft.config.update("fusion", True)
    assert ft.config.fusion == "off"
    pytest.importorskip("numba")
    f = lambda x: fnp.sum(fnp.sqrt(x * x + 1.0) * 2.0 - x)  # noqa: E731
    x = np.linspace(0.0, 1.0, 1 << 17)
    try:
        ft.config.update("fusion", "auto")
        fused = ft.jit(f)
        assert "kernels=" in fused.lower(x).source  # one fused equation
        np.testing.assert_allclose(fused(x), f(x), rtol=1e-12)
    finally:
        ft.config.update("fusion", "off")


def test_numpy_warnings_inside_transforms_point_at_the_users_line():
    def f(x):
        y = fnp.log(x)  # forward: divide by zero in log
        return fnp.sum(y)

    forward_line = f.__code__.co_firstlineno + 1
    with pytest.warns(RuntimeWarning) as caught:
        ft.grad(f)(np.array([0.0, 1.0]))  # backward: divide by zero in div
    backward_line = forward_line + 5
    seen = {(w.filename, w.lineno, str(w.message)) for w in caught}
    assert (__file__, forward_line, "divide by zero encountered in log") in seen
    assert (__file__, backward_line, "divide by zero encountered in div") in seen
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy's settings are respected: nothing
        ft.grad(f)(np.array([0.0, 1.0]))


def recorded(thunk):
    """The warnings ``thunk`` issues, as (filename, line, category, message),
    under the filters in force (the ones fntrans adds included)."""
    with warnings.catch_warnings(record=True) as caught:
        thunk()
    return [(w.filename, w.lineno, w.category, str(w.message)) for w in caught]


def test_numpy_warnings_outside_transforms_point_at_the_users_line():
    x = np.array([0.0, 1.0])
    line = sys._getframe().f_lineno
    seen = recorded(lambda: fnp.log(x))  # floating point, through NumPy's callback
    assert seen == [(__file__, line + 1, RuntimeWarning, "divide by zero encountered in log")]
    line = sys._getframe().f_lineno
    seen = recorded(lambda: fnp.array([1 + 1j]).astype(float))  # not a floating-point one
    cast = "Casting complex values to real discards the imaginary part"
    assert seen == [(__file__, line + 1, np.exceptions.ComplexWarning, cast)]
    np.testing.assert_array_equal(fnp.log(x), [-np.inf, 0.0])


def test_numpy_warnings_outside_transforms_follow_numpys_settings_and_the_users_filters():
    x = np.array([0.0, 1.0])
    with np.errstate(divide="ignore"):
        assert recorded(lambda: fnp.log(x)) == []
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        fnp.log(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning, match="divide by zero encountered in log"):
            fnp.log(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert recorded(lambda: fnp.log(x)) == []
    assert fnp.log(np.array(1.0)) == 0.0  # and the next call works


def test_a_warning_from_a_users_impl_stays_at_the_users_impl():
    from fntrans.extend import primitive

    @primitive
    def reciprocal(x):
        return 1.0 / x

    line = sys._getframe().f_lineno - 2
    seen = recorded(lambda: reciprocal(np.array([0.0])))
    assert seen == [(__file__, line, RuntimeWarning, "divide by zero encountered in divide")]


def test_numpy_warnings_under_jit_point_at_the_generated_program():
    # jit's programs call NumPy directly: the line is the generated one, whose
    # source tracebacks and f.lower(x).source show
    f = ft.jit(lambda x: fnp.log(x))
    seen = recorded(lambda: f(np.array([0.0])))
    assert [(c, m) for _, _, c, m in seen] == [
        (RuntimeWarning, "divide by zero encountered in log")
    ]
    assert seen[0][0].startswith("<fntrans.jit")


def test_fntrans_adds_one_warnings_filter():
    ours = [f for f in warnings.filters if type(f[3]).__name__ == "_InsidePrimitive"]
    assert len(ours) == 1 and ours[0][0] == "error" and ours[0][2] is RuntimeWarning


def test_a_users_numpy_error_callback_is_left_alone_by_transforms():
    seen = []
    with np.errstate(divide="call", invalid="warn", call=lambda kind, flag: seen.append(kind)):
        ft.grad(lambda x: fnp.sum(fnp.log(x)))(np.array([0.0, 1.0]))
    assert seen and set(seen) == {"divide by zero"}


def test_numpys_settings_are_restored_after_a_transform_even_when_it_raises():
    before = np.geterr()
    ft.grad(lambda x: fnp.sum(fnp.log(x)))(np.array([1.0]))
    with pytest.raises(ZeroDivisionError):
        ft.grad(lambda x: 1 / 0)(1.0)
    assert np.geterr() == before
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            ft.grad(lambda x: fnp.sum(fnp.log(x)))(np.array([0.0]))
        assert np.geterr()["divide"] == "raise"
    assert np.geterr() == before
