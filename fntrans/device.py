"""Devices: where arrays live (the CPU with NumPy, or a GPU with CuPy).

``device_put`` moves a pytree of arrays, ``devices`` lists what is there, and
``default_device`` says where arrays made from nothing go outside transforms
(``fnp.zeros(3)``, ``fnp.array([1.0, 2.0])``). Inside a transform they go
where its inputs are, whatever the default. Nothing here moves data on its
own: mixing a NumPy array and a GPU array in one operation is an error.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from fntrans import backend
from fntrans.core.tracer import Tracer
from fntrans.tree import tree_map


def _cupy():
    """CuPy, when it is the GPU backend (not a stand-in registered by tests)."""
    module = backend.gpu_module()
    return module if getattr(module, "__name__", None) == "cupy" else None


def _gpu_count() -> int:
    try:
        module = backend.gpu_module()
    except RuntimeError:
        return 0
    if getattr(module, "__name__", None) != "cupy":
        return 1  # another registered backend: one device
    try:
        return module.cuda.runtime.getDeviceCount()
    except Exception:  # CuPy without a driver or a GPU
        return 0


def devices() -> list[str]:
    """The devices there are: ``"cpu"``, then ``"gpu:0"``, ``"gpu:1"``, ... for
    each GPU that CuPy sees (none without CuPy or a GPU).

    >>> import fntrans as ft
    >>> ft.devices()[0]
    'cpu'
    """
    return ["cpu"] + [f"gpu:{i}" for i in range(_gpu_count())]


def _resolve(device) -> tuple[str, int | None]:
    """``("cpu" | "gpu", GPU number or None)`` for a device name, a GPU number
    or a ``cupy.cuda.Device``."""
    if isinstance(device, str):
        kind, _, number = device.partition(":")
        if kind == "cpu" and not number:
            return "cpu", None
        if kind in ("gpu", "cuda") and (not number or number.isdigit()):
            return "gpu", int(number) if number else None
    elif isinstance(device, (int, np.integer)) and not isinstance(device, bool):
        return "gpu", int(device)
    elif hasattr(device, "id") and type(device).__name__ == "Device":  # cupy.cuda.Device
        return "gpu", int(device.id)
    raise ValueError(
        f"Unknown device {device!r}: use 'cpu', 'gpu', 'gpu:<n>', a GPU number or a "
        f"cupy.cuda.Device (ft.devices() lists them)."
    )


def _gpu_context(number):
    """The CuPy context that makes GPU ``number`` current (none for the default GPU)."""
    cupy = _cupy()
    if number is None or cupy is None:
        if number not in (None, 0):
            raise ValueError(f"There is no GPU {number}: the devices are {devices()}.")
        return contextlib.nullcontext()
    if number >= _gpu_count():
        raise ValueError(f"There is no GPU {number}: the devices are {devices()}.")
    return cupy.cuda.Device(number)


def _to_gpu(leaf, module, number):
    if isinstance(leaf, Tracer):
        raise TypeError(
            "device_put cannot move a traced value; move the arrays before the "
            "transform (ft.device_put(params, 'gpu'), then ft.grad(f)(params))."
        )
    if backend.known_module(leaf) is module:
        on = getattr(getattr(leaf, "device", None), "id", None)
        if number is None or on is None or on == number:
            return leaf
        return module.array(leaf)  # a copy onto the current GPU
    if backend.is_foreign(leaf):
        raise TypeError(f"device_put: {type(leaf).__name__} is an array of another backend.")
    return module.asarray(leaf)


def _to_cpu(leaf):
    if isinstance(leaf, Tracer):
        raise TypeError(
            "device_put cannot move a traced value; move the arrays before or after the transform."
        )
    return backend.to_host(leaf)


def device_put(tree: Any, device: Any = None) -> Any:
    """``tree`` with every array leaf on ``device``: ``"cpu"`` (NumPy arrays),
    ``"gpu"`` (CuPy arrays on the current GPU), ``"gpu:1"`` or ``1`` (that
    GPU), or a ``cupy.cuda.Device``; by default, the device that
    ``default_device`` names (the CPU unless it is used). Python numbers
    become arrays there; arrays already there are returned as they are.

    Raises:
        RuntimeError: for a GPU where CuPy or a GPU is missing.
        ValueError: for an unknown device.

    >>> import numpy as np, fntrans as ft
    >>> ft.device_put({"w": np.ones(2), "b": 0.5}, "cpu")
    {'w': array([1., 1.]), 'b': array(0.5)}
    """
    if device is None:
        module = backend.default_module()
        device = "cpu" if module is np else "gpu"
    kind, number = _resolve(device)
    if kind == "cpu":
        return tree_map(_to_cpu, tree)
    module = backend.gpu_module()
    with _gpu_context(number):
        return tree_map(lambda leaf: _to_gpu(leaf, module, number), tree)


@contextlib.contextmanager
def default_device(device: Any):
    """Within the ``with`` block, on this thread, arrays made from nothing
    outside transforms (``fnp.zeros``, ``fnp.arange``, ``fnp.array`` of Python
    data, ...) go on ``device`` (``"cpu"``, ``"gpu"``, ``"gpu:<n>"``, a GPU
    number); a GPU number also makes that GPU CuPy's current one.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> with ft.default_device("cpu"):
    ...     fnp.zeros(2)
    array([0., 0.])
    """
    kind, number = _resolve(device)
    if kind == "cpu":
        with backend.using_module(np):
            yield
        return
    module = backend.gpu_module()
    with _gpu_context(number), backend.using_module(module):
        yield
