"""The array module (``xp``) of a computation: NumPy, or CuPy for CuPy arrays.

This is the only module that knows which backends exist. Primitives receive
``xp`` from here, so the same rules run on every backend. It also holds the
thread's default backend for arrays made from nothing outside a transform
(``ft.default_device``).
"""

from __future__ import annotations

import contextlib
import threading

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

    Used for CuPy, and by the tests for a fake second backend. The backend
    registered last is the one ``"gpu"`` names.
    """
    _MODULE_OF_TYPE[array_type] = module
    _FOREIGN[array_type] = module


def array_module(args) -> object:
    """The array module of ``args``: NumPy for NumPy arrays, CuPy for CuPy
    arrays; for plain scalars only, where values made from nothing go now
    (``current_module``).

    Raises:
        TypeError: if arrays of two backends are mixed.
    """
    if not _FOREIGN:
        return np
    found = None
    found_type = None
    host = False
    for a in args:
        module = _FOREIGN.get(type(a))
        if module is None:
            if type(a) is np.ndarray:
                if found is not None:
                    raise _mixed(found_type, np.ndarray)
                host = True
            continue
        if host:
            raise _mixed(type(a), np.ndarray)
        if found is None:
            found, found_type = module, type(a)
        elif module is not found:
            raise _mixed(found_type, type(a))
    if found is not None:
        return found
    return np if host else current_module()


def module_of(x) -> object:
    """The array module of one array (NumPy for scalars)."""
    return _MODULE_OF_TYPE.get(type(x), np)


def known_module(x):
    """The array module of an array of a known backend (a NumPy array too), else None."""
    return _MODULE_OF_TYPE.get(type(x))


def is_foreign(x) -> bool:
    """Whether ``x`` is an array of a backend other than NumPy (a CuPy array)."""
    return type(x) in _FOREIGN


def _mixed(a: type, b: type) -> TypeError:
    return TypeError(
        f"Arrays from two backends were mixed in one operation: "
        f"{a.__module__}.{a.__name__} and {b.__module__}.{b.__name__}. Move one of "
        f"them first (cupy.asarray(x) or x.get())."
    )


# ---- the GPU backend and the default backend of new arrays ----


def gpu_module() -> object:
    """The array module of the GPU (CuPy, or the backend registered last).

    Raises:
        RuntimeError: if there is none, saying what to install.
    """
    if not _FOREIGN:
        raise RuntimeError(
            "No GPU backend: CuPy is not installed or found no CUDA GPU. Install "
            "fntrans[cuda12] or fntrans[cuda13] on a machine with an NVIDIA GPU."
        )
    return next(reversed(_FOREIGN.values()))


def to_host(x) -> np.ndarray:
    """A device array copied to a NumPy array (``cupy.asnumpy``); NumPy data as it is."""
    module = _FOREIGN.get(type(x))
    if module is None:
        return np.asarray(x)
    asnumpy = getattr(module, "asnumpy", None)
    return asnumpy(x) if asnumpy is not None else x.get()


class _Defaults(threading.local):
    def __init__(self):
        self.module = None  # the default_device context's; None: NumPy
        self.transform = None  # the innermost transform's backend; None outside


_defaults = _Defaults()


def default_module() -> object:
    """The array module of arrays made from nothing outside a transform:
    NumPy, unless a ``default_device`` context on this thread says otherwise."""
    module = _defaults.module
    return np if module is None else module


def current_module() -> object:
    """The array module where arrays made from nothing go now: the innermost
    transform's backend (the one of its inputs), else ``default_module()``."""
    module = _defaults.transform
    return default_module() if module is None else module


@contextlib.contextmanager
def using_module(module):
    """Makes ``module`` this thread's default for new arrays while the context lasts."""
    previous = _defaults.module
    _defaults.module = module
    try:
        yield
    finally:
        _defaults.module = previous


# ---- SciPy's counterparts ----


class MissingOnBackend(NotImplementedError, AttributeError):
    """A SciPy function the backend does not have. An ``AttributeError`` too,
    so ``getattr(module, name, None)`` still finds nothing."""


class _BackendScipy:
    """A backend's SciPy submodule whose missing functions say so clearly,
    rather than leaving the user to an ``AttributeError`` or a host copy."""

    __slots__ = ("_module", "_label")

    def __init__(self, module, label: str):
        self._module = module
        self._label = label

    def __getattr__(self, name):
        try:
            return getattr(self._module, name)
        except AttributeError:
            scipy_name = self._label[self._label.index("scipy.") :]
            raise MissingOnBackend(
                f"{self._label} has no function {name!r}, so {scipy_name}.{name} cannot "
                f"run on this backend's arrays. fntrans does not copy them to the host "
                f"silently: move the arguments to the CPU first "
                f"(ft.device_put(x, 'cpu')) and back after."
            ) from None


def scipy_module(xp, name: str):
    """SciPy's submodule ``name`` for the array module ``xp``: ``scipy.<name>``
    on NumPy, ``cupyx.scipy.<name>`` on CuPy (or the backend's own ``scipy``).
    On another backend than NumPy, a function it lacks raises
    ``MissingOnBackend`` (a ``NotImplementedError``) naming it.

    >>> import numpy as np
    >>> scipy_module(np, "special").__name__
    'scipy.special'
    """
    import importlib

    if xp is np:
        return importlib.import_module(f"scipy.{name}")
    own = getattr(xp, "scipy", None)  # a registered backend may carry its own
    if own is not None:
        label = f"{getattr(xp, '__name__', type(xp).__name__)}.scipy.{name}"
        return _BackendScipy(getattr(own, name), label)
    return _BackendScipy(importlib.import_module(f"cupyx.scipy.{name}"), f"cupyx.scipy.{name}")
