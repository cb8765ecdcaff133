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

import contextlib
import threading


class _ThreadState(threading.local):
    def __init__(self):
        self.stack = []


_state = _ThreadState()


class Interpreter:
    """A transform in progress. Subclasses define ``process_primitive``."""

    __slots__ = ("level", "alive", "name")

    def __init__(self, name: str):
        self.name = name
        self.level = -1
        self.alive = False

    def process_primitive(self, prim, args, params):
        raise NotImplementedError

    def __repr__(self):
        return f"<{self.name} interpreter, level {self.level}>"


@contextlib.contextmanager
def new_interpreter(interp: Interpreter):
    """Pushes ``interp`` for the duration of a transform and retires it after.

    Popping happens in ``finally``, so an error inside a traced function never
    leaves an interpreter behind. A tracer that outlives its interpreter is a
    leak, reported when it is next used.
    """
    stack = _state.stack
    interp.level = len(stack)
    interp.alive = True
    stack.append(interp)
    try:
        yield interp
    finally:
        interp.alive = False
        stack.pop()


def current_stack() -> list:
    """The active interpreters of this thread, innermost last."""
    return _state.stack
