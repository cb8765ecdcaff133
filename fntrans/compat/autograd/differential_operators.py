"""autograd's differential operators, with autograd's signatures, on fntrans.

Every operator takes autograd's ``argnum``: an int, or a list or tuple of
ints, in which case the selected arguments are differentiated together and
the result is a tuple with one entry per argument. Results come in
autograd's order (``make_vjp`` gives ``(vjp, ans)``, ``make_hvp`` gives
``(hvp, grad)``), and ``grad`` of a complex-valued function differentiates
its real part, as autograd's does. Keyword arguments pass through to
``fun`` and are not differentiated.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import fntrans.numpy as fnp
from fntrans.api import grad as _grad
from fntrans.api import jvp as _jvp
from fntrans.api import linearize as _linearize
from fntrans.api import value_and_grad as _value_and_grad
from fntrans.api import vjp as _vjp
from fntrans.checkpointing import checkpoint
from fntrans.jacobians import elementwise_grad as _elementwise_grad
from fntrans.jacobians import hessian as _hessian
from fntrans.jacobians import hvp as _hvp
from fntrans.jacobians import jacrev as _jacrev
from fntrans.tree import tree_leaves, tree_map

ArgNum = int | Sequence[int]


def _argnums(argnum: ArgNum) -> int | tuple[int, ...]:
    """autograd's ``argnum`` as fntrans's ``argnums``: a list becomes a tuple."""
    if isinstance(argnum, (list, tuple)):
        return tuple(argnum)
    if isinstance(argnum, int) and not isinstance(argnum, bool):
        return argnum
    raise TypeError(f"argnum must be an int or a list or tuple of ints, but got {argnum!r}.")


def _select(fun: Callable, argnum: ArgNum, args: tuple, kwargs: dict) -> tuple[Callable, Any]:
    """``fun`` as a function of the arguments ``argnum`` selects (one value, or
    a tuple of values for a list or tuple ``argnum``), and their values."""
    argnum = _argnums(argnum)
    if isinstance(argnum, int):

        def unary(x):
            return fun(*args[:argnum], x, *args[argnum + 1 :], **kwargs)

        return unary, args[argnum]

    def unary(xs):
        full = list(args)
        for i, x in zip(argnum, xs):
            full[i] = x
        return fun(*full, **kwargs)

    return unary, tuple(args[i] for i in argnum)


def _nary(operator: Callable) -> Callable:
    """autograd's ``unary_to_nary``: ``operator(unary, x, *op_args)`` applied to
    the argument(s) ``argnum`` selects."""

    @functools.wraps(operator)
    def nary_operator(fun, argnum=0, *op_args, **op_kwargs):
        _argnums(argnum)  # a bad argnum fails here, where it was written

        @functools.wraps(fun)
        def nary_f(*args, **kwargs):
            unary, x = _select(fun, argnum, args, kwargs)
            return operator(unary, x, *op_args, **op_kwargs)

        return nary_f

    return nary_operator


def _is_complex(x) -> bool:
    return fnp.iscomplexobj(x)


def _real_part(fun: Callable) -> Callable:
    """``fun`` with a complex output replaced by its real part (autograd's
    ``grad`` of a complex function: the derivative of its real part)."""

    @functools.wraps(fun)
    def real_valued(*args, **kwargs):
        out = fun(*args, **kwargs)
        return fnp.real(out) if _is_complex(out) else out

    return real_valued


def grad(fun: Callable, argnum: ArgNum = 0) -> Callable:
    """The gradient of ``fun`` (one-element output) with respect to argument
    ``argnum``; a list or tuple ``argnum`` gives a tuple of gradients, from one pass.

    >>> import fntrans.compat.autograd.numpy as np
    >>> grad(lambda x, y: np.sum(x * y), [0, 1])(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    (array([3., 4.]), array([1., 2.]))
    """
    return _grad(_real_part(fun), _argnums(argnum))


def value_and_grad(fun: Callable, argnum: ArgNum = 0) -> Callable:
    """``(fun(*args), grad(fun, argnum)(*args))`` from one forward and one backward pass.

    >>> import fntrans.compat.autograd.numpy as np
    >>> value_and_grad(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))
    (np.float64(5.0), array([2., 4.]))
    """

    def real_and_value(*args, **kwargs):
        out = fun(*args, **kwargs)
        return (fnp.real(out) if _is_complex(out) else out), out

    with_value = _value_and_grad(real_and_value, _argnums(argnum), has_aux=True)

    @functools.wraps(fun)
    def value_and_grad_f(*args, **kwargs):
        (_, value), g = with_value(*args, **kwargs)
        return value, g

    return value_and_grad_f


def grad_and_aux(fun: Callable, argnum: ArgNum = 0) -> Callable:
    """For ``fun`` returning ``(value, aux)``: ``(gradient of value, aux)``.

    >>> grad_and_aux(lambda x: (x ** 2, "aux"))(3.0)
    (np.float64(6.0), 'aux')
    """
    return _grad(fun, _argnums(argnum), has_aux=True)


def elementwise_grad(fun: Callable, argnum: ArgNum = 0) -> Callable:
    """The column sums of the Jacobian, in one reverse pass: the derivative of
    an elementwise ``fun``.

    >>> import fntrans.compat.autograd.numpy as np
    >>> elementwise_grad(np.sin)(np.zeros(3))
    array([1., 1., 1.])
    """
    return _elementwise_grad(fun, _argnums(argnum))


@_nary
def deriv(fun: Callable, x: Any) -> Any:
    """The row sums of the Jacobian, in one forward pass (the derivative of an
    elementwise ``fun``): ``deriv(fun, argnum=0)(*args)``.

    >>> import fntrans.compat.autograd.numpy as np
    >>> deriv(np.sin)(np.zeros(2))
    array([1., 1.])
    """
    return _jvp(fun, (x,), (tree_map(fnp.ones_like, x),))[1]


def jacobian(fun: Callable, argnum: ArgNum = 0) -> Callable:
    """The Jacobian, of shape ``out.shape + in.shape``, by reverse mode (one
    batched pass over the output basis, not a loop).

    >>> import fntrans.compat.autograd.numpy as np
    >>> jacobian(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    return _jacrev(fun, _argnums(argnum))


def hessian(fun: Callable, argnum: ArgNum = 0) -> Callable:
    """The Hessian of a scalar ``fun``, of shape ``in.shape + in.shape``.

    >>> import fntrans.compat.autograd.numpy as np
    >>> hessian(lambda x: np.sum(x ** 3))(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    return _hessian(fun, _argnums(argnum))


@_nary
def holomorphic_grad(fun: Callable, x: Any) -> Any:
    """The complex derivative of a holomorphic ``fun``, at a complex input:
    ``holomorphic_grad(fun, argnum=0)(*args)``.

    >>> holomorphic_grad(lambda z: z ** 2)(1.0 + 2.0j)
    np.complex128(2+4j)
    """
    if not any(_is_complex(leaf) for leaf in tree_leaves(x)):
        warnings.warn("Input to holomorphic_grad is not complex", stacklevel=3)
    return _grad(lambda x: fnp.real(fun(x)))(x)


def grad_named(fun: Callable, argname: str) -> Callable:
    """The gradient with respect to the parameter named ``argname``.

    >>> print(grad_named(lambda x, y: x * y, "y")(3.0, 2.0))
    3.0
    """
    return grad(fun, inspect.getfullargspec(fun).args.index(argname))


def multigrad_dict(fun: Callable) -> Callable:
    """Gradients with respect to every argument (defaults, ``*args`` and
    ``**kwargs`` included), as an ordered dict from parameter name to gradient.

    >>> g = multigrad_dict(lambda x, y=2.0: x * y)(3.0)
    >>> g["x"], g["y"]
    (np.float64(2.0), np.float64(3.0))
    """
    signature = inspect.signature(fun)

    @functools.wraps(fun)
    def gradfun(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()

        def of_dict(arguments):
            call = inspect.BoundArguments(signature, OrderedDict(arguments))
            return fun(*call.args, **call.kwargs)

        grads = _grad(of_dict)(dict(bound.arguments))
        return OrderedDict((name, grads[name]) for name in bound.arguments)

    return gradfun


@_nary
def make_vjp(fun: Callable, x: Any) -> tuple[Callable, Any]:
    """``make_vjp(fun, argnum=0)(*args)`` is ``(vjp, ans)``: ``vjp(g)`` pulls a
    cotangent ``g`` shaped like ``ans`` back to the argument.

    >>> import fntrans.compat.autograd.numpy as np
    >>> vjp, ans = make_vjp(np.sin)(0.0)
    >>> vjp(2.0)
    np.float64(2.0)
    """
    ans, vjp_fn = _vjp(fun, x)
    return (lambda g: vjp_fn(g)[0]), ans


@_nary
def make_jvp(fun: Callable, x: Any) -> Callable:
    """``make_jvp(fun, argnum=0)(*args)`` is ``jvp``: ``jvp(v)`` is ``(ans, J v)``.

    >>> import fntrans.compat.autograd.numpy as np
    >>> make_jvp(np.sin)(0.0)(3.0)
    (np.float64(0.0), np.float64(3.0))
    """
    return lambda v: _jvp(fun, (x,), (v,))


@_nary
def make_jvp_reversemode(fun: Callable, x: Any) -> Callable:
    """``make_jvp_reversemode(fun, argnum=0)(*args)`` is ``jvp``: ``jvp(v)`` is
    ``J v`` alone (fntrans computes it in forward mode).

    >>> import fntrans.compat.autograd.numpy as np
    >>> make_jvp_reversemode(np.sin)(0.0)(3.0)
    np.float64(3.0)
    """
    return lambda v: _jvp(fun, (x,), (v,))[1]


@_nary
def make_hvp(fun: Callable, x: Any) -> tuple[Callable, Any]:
    """``make_hvp(fun, argnum=0)(*args)`` is ``(hvp, grad)``: ``hvp(v)`` is the
    Hessian-vector product at the point, from a linear map recorded once.

    >>> import fntrans.compat.autograd.numpy as np
    >>> hvp, g = make_hvp(lambda x: np.sum(x ** 3))(np.array([1.0, 2.0]))
    >>> hvp(np.array([1.0, 1.0])), g
    (array([ 6., 12.]), array([ 3., 12.]))
    """
    g, hvp = _linearize(_grad(fun), x)
    return hvp, g


def hessian_tensor_product(fun: Callable, argnum: ArgNum = 0) -> Callable:
    """A function of ``(*args, tensor)`` giving the Hessian of ``fun`` times
    ``tensor`` (shaped like the argument), by forward-over-reverse: the
    Hessian is never formed.

    >>> import fntrans.compat.autograd.numpy as np
    >>> hvp = hessian_tensor_product(lambda x: np.sum(x ** 3))
    >>> hvp(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """
    _argnums(argnum)

    def product(*args, **kwargs):
        args, tensor = args[:-1], args[-1]
        unary, x = _select(fun, argnum, args, kwargs)
        return _hvp(unary, (x,), (tensor,))[0]

    return product


hessian_vector_product = hessian_tensor_product


def tensor_jacobian_product(fun: Callable, argnum: ArgNum = 0) -> Callable:
    """A function of ``(*args, tensor)`` giving ``tensor`` contracted with the
    leading axes of the Jacobian (``tensordot(tensor, J, tensor.ndim)``); a
    tensor shaped like the output makes it one vector-Jacobian product.

    >>> import fntrans.compat.autograd.numpy as np
    >>> vjp = vector_jacobian_product(lambda x: x ** 2)
    >>> vjp(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    array([2., 4.])
    """
    _argnums(argnum)

    def product(*args, **kwargs):
        args, tensor = args[:-1], args[-1]
        unary, x = _select(fun, argnum, args, kwargs)
        ans, vjp_fn = _vjp(unary, x)
        if fnp.shape(tensor) == fnp.shape(ans):
            return vjp_fn(tensor)[0]
        return _jacrev(lambda x: fnp.tensordot(tensor, unary(x), fnp.ndim(tensor)))(x)

    return product


vector_jacobian_product = tensor_jacobian_product


def _half_sum_of_squares(y):
    return 0.5 * fnp.sum(y**2, axis=-1)


def make_ggnvp(f: Callable, g: Callable = _half_sum_of_squares, f_argnum: ArgNum = 0) -> Callable:
    """Generalized Gauss-Newton products ``J^T H_g J v`` of ``g(f(x))``:
    ``make_ggnvp(f, g, f_argnum)(*args)`` is a function of ``v``.

    >>> import fntrans.compat.autograd.numpy as np
    >>> ggnvp = make_ggnvp(lambda x: 2.0 * x)(np.array([1.0, 2.0]))
    >>> ggnvp(np.array([1.0, 0.0]))
    array([4., 0.])
    """
    _argnums(f_argnum)

    def make(*args, **kwargs):
        unary, x = _select(f, f_argnum, args, kwargs)
        f_x, f_vjp = _vjp(unary, x)
        _, f_jvp = _linearize(unary, x)
        _, g_hvp = _linearize(_grad(g), f_x)
        return lambda v: f_vjp(g_hvp(f_jvp(v)))[0]

    return make


__all__ = [
    "checkpoint",
    "deriv",
    "elementwise_grad",
    "grad",
    "grad_and_aux",
    "grad_named",
    "hessian",
    "hessian_tensor_product",
    "hessian_vector_product",
    "holomorphic_grad",
    "jacobian",
    "make_ggnvp",
    "make_hvp",
    "make_jvp",
    "make_jvp_reversemode",
    "make_vjp",
    "multigrad_dict",
    "tensor_jacobian_product",
    "value_and_grad",
    "vector_jacobian_product",
]
