"""The array module (``xp``) of a computation: NumPy, or CuPy for CuPy arrays.

This is the only module that knows which backends exist. Primitives receive
``xp`` from here, so the same rules run on every backend.
"""

from __future__ import annotations

import numpy as np

try:  # CuPy is optional; without it (or without a GPU) NumPy is the only backend.
    import cupy as _cupy
except Exception:  # pragma: no cover - depends on the machine
    _cupy = None

_MODULE_OF_TYPE = {np.ndarray: np}
_FOREIGN = {}
if _cupy is not None:  # pragma: no cover - needs a GPU
    _MODULE_OF_TYPE[_cupy.ndarray] = _cupy
    _FOREIGN[_cupy.ndarray] = _cupy


def register_backend(array_type: type, module) -> None:
    """Makes arrays of ``array_type`` run on ``module`` (an array namespace).

    Used for CuPy, and by the tests for a fake second backend.
    """
    _MODULE_OF_TYPE[array_type] = module
    _FOREIGN[array_type] = module


def array_module(args) -> object:
    """The array module of ``args``; plain scalars and NumPy arrays give NumPy.

    Raises:
        TypeError: if arrays of two backends are mixed.
    """
    if not _FOREIGN:
        return np
    found = None
    found_type = None
    for a in args:
        module = _FOREIGN.get(type(a))
        if module is None:
            if type(a) is np.ndarray and found is not None:
                raise _mixed(found_type, np.ndarray)
            continue
        if found is None:
            found, found_type = module, type(a)
        elif module is not found:
            raise _mixed(found_type, type(a))
    if found is not None and any(type(a) is np.ndarray for a in args):
        raise _mixed(found_type, np.ndarray)
    return np if found is None else found


def module_of(x) -> object:
    """The array module of one array (NumPy for scalars)."""
    return _MODULE_OF_TYPE.get(type(x), np)


def _mixed(a: type, b: type) -> TypeError:
    return TypeError(
        f"Arrays from two backends were mixed in one operation: "
        f"{a.__module__}.{a.__name__} and {b.__module__}.{b.__name__}. Move one of "
        f"them first (cupy.asarray(x) or x.get())."
    )


def scipy_module(xp, name: str):
    """SciPy's submodule ``name`` for the array module ``xp``: ``scipy.<name>``
    on NumPy, ``cupyx.scipy.<name>`` on CuPy (or the backend's own ``scipy``)."""
    import importlib

    if xp is np:
        return importlib.import_module(f"scipy.{name}")
    own = getattr(xp, "scipy", None)  # a registered backend may carry its own
    if own is not None:
        return getattr(own, name)
    return importlib.import_module(f"cupyx.scipy.{name}")
