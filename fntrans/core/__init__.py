"""The core: abstract values, IR, primitives, tracers and the interpreter stack."""

from fntrans.core.aval import ShapedArray, aval_of, is_inexact
from fntrans.core.interpreter import Interpreter, current_stack, new_interpreter
from fntrans.core.ir import IR, Eqn, Literal, Var, eval_ir
from fntrans.core.primitive import Primitive, Undefined
from fntrans.core.tracer import Tracer

__all__ = [
    "IR",
    "Eqn",
    "Interpreter",
    "Literal",
    "Primitive",
    "ShapedArray",
    "Tracer",
    "Undefined",
    "Var",
    "aval_of",
    "current_stack",
    "eval_ir",
    "is_inexact",
    "new_interpreter",
]
