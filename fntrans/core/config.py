"""Switches that change how fntrans runs, set with ``ft.config.update(name, value)``.

``debug_nans`` and ``debug_infs`` check every array a primitive computes,
forward or backward, and raise ``FloatingPointError`` at the first NaN (or
infinity), naming the primitive and the line of user code that led to it.
"""

from __future__ import annotations

import linecache

from fntrans.backend import module_of
from fntrans.core.attribution import user_location

# options that take one of a few values rather than True or False:
# fusion "auto" fuses jit's elementwise chains where it pays (see docs/jit.md)
_CHOICES = {"fusion": ("off", "auto")}


class Config:
    """fntrans's switches: ``ft.config.update("debug_nans", True)``.

    >>> import numpy as np, fntrans as ft, fntrans.numpy as fnp
    >>> ft.config.update("debug_nans", True)
    >>> try:
    ...     ft.grad(lambda x: fnp.sum(fnp.sqrt(x)))(np.array([1.0, -1.0]))
    ... except FloatingPointError as e:
    ...     print(str(e).split(",")[0])
    debug_nans: the primitive sqrt produced a NaN
    >>> ft.config.update("debug_nans", False)
    """

    def __init__(self):
        self._values = {"debug_nans": False, "debug_infs": False, "fusion": "off"}
        self.checking = False  # whether primitives' results are checked
        self.on_change = []  # called with `checking` when it changes

    def update(self, name: str, value) -> None:
        """Sets the switch ``name`` to ``value``."""
        if name not in self._values:
            known = ", ".join(sorted(self._values))
            raise ValueError(f"fntrans has no config option {name!r}; the options are: {known}.")
        if name in _CHOICES:
            if value not in _CHOICES[name]:
                choices = " or ".join(repr(c) for c in _CHOICES[name])
                raise ValueError(f"config option {name!r} is {choices}, not {value!r}.")
            self._values[name] = value
            return
        self._values[name] = bool(value)
        checking = self._values["debug_nans"] or self._values["debug_infs"]
        if checking != self.checking:
            self.checking = checking
            for hook in self.on_change:
                hook(checking)

    def __getattr__(self, name):
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def check(self, prim, ans) -> None:
        """Raises FloatingPointError if ``prim``'s results ``ans`` hold a NaN or
        an infinity that a debug switch watches for."""
        for value in ans if prim.multiple_results else (ans,):
            kind = getattr(getattr(value, "dtype", None), "kind", None)
            if kind not in ("f", "c"):
                continue
            xp = module_of(value)
            if self._values["debug_nans"] and bool(xp.isnan(value).any()):
                raise FloatingPointError(_found("debug_nans", "a NaN", prim))
            if self._values["debug_infs"] and bool(xp.isinf(value).any()):
                raise FloatingPointError(_found("debug_infs", "an infinity", prim))


def _found(option: str, what: str, prim) -> str:
    return (
        f"{option}: the primitive {prim.name} produced {what}, {_user_line()}. "
        f"Turn the check off with ft.config.update({option!r}, False)."
    )


def _user_line() -> str:
    """Where the user's code is on the stack: the innermost frame outside fntrans."""
    location = user_location()
    if location is None:
        return "inside fntrans"
    filename, lineno, function = location
    source = linecache.getline(filename, lineno).strip()
    where = f"at {filename}:{lineno} in {function}"
    return f"{where}: {source}" if source else where


config = Config()
