"""fntrans: composable function transformations of NumPy code.

>>> import fntrans as ft, fntrans.numpy as fnp
>>> print(ft.grad(lambda x: fnp.sin(x) * x)(1.0))
1.3817732906760363
"""

from fntrans import (  # numpy installs the tracer's methods
    extend,
    lax,
    numpy,
    optimizers,
    scipy,
    test_util,
    tree,
)
from fntrans.api import (
    float0,
    grad,
    jvp,
    linearize,
    make_jaxpr,
    stop_gradient,
    value_and_grad,
    vjp,
)
from fntrans.checkpointing import checkpoint
from fntrans.core.config import config
from fntrans.custom import custom_jvp, custom_vjp
from fntrans.device import default_device, device_put, devices
from fntrans.errors import (
    ConcretizationError,
    TracerArrayConversionError,
    UnexpectedTracerError,
)
from fntrans.jacobians import elementwise_grad, hessian, hvp, jacfwd, jacrev
from fntrans.jit import jit
from fntrans.vectorize import vmap

__version__ = "0.1.0"

__all__ = [
    "ConcretizationError",
    "TracerArrayConversionError",
    "UnexpectedTracerError",
    "checkpoint",
    "config",
    "custom_jvp",
    "custom_vjp",
    "default_device",
    "device_put",
    "devices",
    "elementwise_grad",
    "float0",
    "extend",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacrev",
    "jit",
    "jvp",
    "lax",
    "linearize",
    "make_jaxpr",
    "optimizers",
    "scipy",
    "stop_gradient",
    "test_util",
    "tree",
    "value_and_grad",
    "vjp",
    "vmap",
]
