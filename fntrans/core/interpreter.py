"""Interpreters and the per-thread stack of active transforms.

Every transform (grad, jvp, staging, ...) is an ``Interpreter`` with a level:
its position on this thread's stack. Binding a primitive hands it to the
interpreter of its highest-level tracer argument; the interpreter's rules bind
primitives again on lower-level values, which reach the enclosing
interpreters. That is how transforms nest to any order, and why a transform
nested inside another treats the outer one's tracers as constants
(no perturbation confusion).
"""

from __future__ import annotations

import threading

from fntrans import backend, errors
from fntrans.core.attribution import user_location, warnings_at_user_lines
from fntrans.core.tracer import Tracer


class _ThreadState(threading.local):
    def __init__(self):
        self.stack = []


_state = _ThreadState()


class Interpreter:
    """A transform in progress.

    A new transform subclasses this and defines ``process_primitive(prim,
    args, params)``: the tracers' values come in, the rule of ``prim`` for
    this transform runs on them, the results go out wrapped as this
    interpreter's tracers. It sets ``differentiates`` if it is an AD mode,
    and ``records`` if it stages a program.
    """

    __slots__ = ("level", "alive", "name", "origin", "backend")
    # "forward" or "reverse" for the interpreters of automatic differentiation
    differentiates: str | None = None
    # whether it records a program that a later transform may differentiate
    # (so custom rules and checkpoints stay in it as calls)
    records = False

    def __init__(self, name: str):
        self.name = name
        self.level = -1
        self.alive = False
        self.origin = None  # (filename, line, function) of the user's code that applied it
        # the array module of its inputs, where arrays made from nothing go
        # (set when new_interpreter pushes it)
        self.backend = None

    def process_primitive(self, prim, args, params):
        raise NotImplementedError

    def lift(self, value):
        """``value`` as a constant of this transform: a tracer that can be assigned into."""
        raise NotImplementedError

    def lift_all(self, ans, multiple_results: bool):
        """A primitive's result(s) computed from constants of this transform, as
        its constants, so arithmetic on ``fnp.zeros(3)`` stays assignable."""
        if multiple_results:
            return tuple(self.lift(a) for a in ans)
        return self.lift(ans)

    def __repr__(self):
        return f"<{self.name} interpreter, level {self.level}>"


class new_interpreter:  # noqa: N801 - used as a function: ``with new_interpreter(...)``
    """Pushes ``interp`` for the duration of a transform and retires it after.

    ``inputs`` (arrays, or lists of them) give the transform its backend: the
    array module where the arrays it makes from nothing (``fnp.zeros(3)``,
    seeds, bases) are made. Without arrays among them it is the enclosing
    transform's, or this thread's default.

    Popping happens on exit, so an error inside a traced function never
    leaves an interpreter behind. A tracer that outlives its interpreter is a
    leak, reported when it is next used. (A class, not a generator: entering
    and leaving costs less, and every eager transform call does it.)

    >>> from fntrans.interpreters.jvp import JVP
    >>> with new_interpreter(JVP()) as interp:
    ...     print(interp.level, interp.alive)
    0 True
    >>> interp.alive
    False
    """

    __slots__ = ("interp", "inputs", "attributed", "previous")

    def __init__(self, interp: Interpreter, inputs=()):
        self.interp = interp
        self.inputs = inputs

    def __enter__(self) -> Interpreter:
        interp = self.interp
        stack = _state.stack
        interp.backend = _backend_of(self.inputs)
        interp.origin = user_location()
        interp.level = len(stack)
        interp.alive = True
        # the outermost transform points NumPy's warnings at the user's lines
        self.attributed = None if stack else warnings_at_user_lines()
        defaults = backend._defaults
        self.previous = defaults.transform
        if self.attributed is not None:
            self.attributed.__enter__()
        stack.append(interp)
        defaults.transform = interp.backend
        return interp

    def __exit__(self, *exc_info) -> None:
        self.interp.alive = False
        _state.stack.pop()
        backend._defaults.transform = self.previous
        if self.attributed is not None:
            self.attributed.__exit__(*exc_info)
        if exc_info[1] is not None:
            hidden = errors.hidden_by_numpy(exc_info[1])
            if hidden is not None:  # ``ndarray[i] = tracer``: fntrans's error, not NumPy's
                raise hidden.with_traceback(exc_info[2]) from None


def _backend_of(inputs):
    found = _module_among(inputs) if inputs else None
    return backend.current_module() if found is None else found


def _module_among(values):
    """The array module of the first array among ``values`` (nested lists and
    tuples too; a tracer counts as its transform's backend), or None."""
    for v in values:
        if type(v) is list or type(v) is tuple:
            found = _module_among(v)
        elif isinstance(v, Tracer):
            found = v._interp.backend
        else:  # None for scalars and abstract values
            found = backend.known_module(v)
        if found is not None:
            return found
    return None


def tracing(values) -> list:
    """The interpreters whose tracers wrap ``values`` at any depth, innermost first."""
    found = {}
    for v in values:
        while isinstance(v, Tracer):
            found[v._interp.level] = v._interp
            v = v.inner
    return [found[level] for level in sorted(found, reverse=True)]


def current_stack() -> list:
    """The active interpreters of this thread, innermost last."""
    return _state.stack
