"""HIPS/autograd's API on fntrans: autograd code runs after changing its imports.

``import autograd`` becomes ``import fntrans.compat.autograd as autograd``,
``import autograd.numpy as np`` becomes ``import fntrans.compat.autograd.numpy
as np``, and so on for ``autograd.scipy``, ``autograd.extend``,
``autograd.misc`` (``flatten``, ``optimizers``) and ``autograd.test_util``.
The operators keep autograd's signatures and conventions: ``argnum`` (an int,
or a list or tuple of ints), and autograd's result orders (``make_vjp`` gives
``(vjp, ans)``, ``make_hvp`` gives ``(hvp, grad)``).

>>> import fntrans.compat.autograd as autograd
>>> import fntrans.compat.autograd.numpy as np
>>> def tanh(x):
...     y = np.exp(-x)
...     return (1.0 - y) / (1.0 + y)
>>> print(autograd.grad(tanh)(1.0))
0.39322386648296376
"""

from fntrans.compat.autograd import numpy  # autograd.numpy without importing it by name
from fntrans.compat.autograd.builtins import dict, isinstance, list, tuple, type
from fntrans.compat.autograd.differential_operators import (
    checkpoint,
    deriv,
    elementwise_grad,
    grad,
    grad_and_aux,
    grad_named,
    hessian,
    hessian_tensor_product,
    hessian_vector_product,
    holomorphic_grad,
    jacobian,
    make_ggnvp,
    make_hvp,
    make_jvp,
    make_vjp,
    multigrad_dict,
    tensor_jacobian_product,
    value_and_grad,
    vector_jacobian_product,
)
from fntrans.compat.autograd.extend import defjvp, defvjp, primitive
