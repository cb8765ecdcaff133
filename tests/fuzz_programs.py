"""Random programs over the op table, for differential fuzzing (tests/fuzz_checks.py).

A program is data: its inputs and a list of steps, each one line of Python
over fntrans.numpy (or one nested function, for ``custom_jvp``, ``custom_vjp``
and ``checkpoint``). The source is what runs, so a failure prints a
reproducer that can be pasted as is.

Steps are drawn against the concrete values of a few examples: an op's
arguments are moved into its domain by an affine map printed in the source
(and spread apart for ops with ties as kinks, max and sort), and a step whose
inputs sit near a kink is drawn again. The same generator serves hypothesis
(``programs``) and the campaign script (``RandomChoices``).
"""

from __future__ import annotations

import dataclasses
import math
import random

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import fntrans as ft
import fntrans.numpy as fnp
from tests.op_cases import OP_CASES

BATCH = 3  # examples per program, stacked for vmap
MARGIN = 0.02  # the distance kept from kinks and ties
MAX_SIZE = 48  # entries of any value
FLOAT_SHAPES = [(), (3,), (2, 3), (2,), (4,), (3, 2), (2, 2)]

# ---- what the generated source calls ----

OPS = {case.name: case.fn for case in OP_CASES}


def op(name):
    """The function of the op table's row ``name``."""
    return OPS[name]


def fit(x, shape):
    """``x``'s entries, repeated or cut to fill ``shape`` (a gather, so derivatives flow)."""
    flat = fnp.ravel(x)
    return fnp.reshape(flat[np.arange(math.prod(shape)) % flat.shape[0]], shape)


def with_jvp_rule(fun):
    """``fun`` as a ``custom_jvp`` whose rule is fntrans's own ``jvp`` of ``fun``."""
    wrapped = ft.custom_jvp(fun)
    wrapped.defjvp(lambda primals, tangents: ft.jvp(fun, primals, tangents))
    return wrapped


def with_vjp_rule(fun):
    """``fun`` as a ``custom_vjp`` whose ``bwd`` is fntrans's own ``vjp`` of ``fun``."""
    wrapped = ft.custom_vjp(fun)
    wrapped.defvjp(lambda *args: (fun(*args), args), lambda args, ct: ft.vjp(fun, *args)[1](ct))
    return wrapped


def weights(shape, is_complex=False):
    """The fixed cotangent that makes a program scalar: ``sum(real(out * w))``."""
    k = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
    return np.cos(k + 1.0) + 1j * np.sin(2 * k + 1.0) if is_complex else np.cos(k + 1.0)


GLOBALS = {
    "np": np,
    "fnp": fnp,
    "ft": ft,
    "op": op,
    "fit": fit,
    "with_jvp_rule": with_jvp_rule,
    "with_vjp_rule": with_vjp_rule,
    "weights": weights,
}
HEADER = (
    "import numpy as np\nimport fntrans as ft\nimport fntrans.numpy as fnp\n"
    "from tests.fuzz_programs import fit, op, weights, with_jvp_rule, with_vjp_rule\n"
)

# ---- choices: hypothesis draws in tests, a seeded generator in the campaign ----


class Choices:
    """Every decision of the generator; index 0 of a choice is the simplest option."""

    def integer(self, low, high):
        raise NotImplementedError

    def choice(self, options):
        return options[self.integer(0, len(options) - 1)]

    def chance(self, p):
        # shrinks to False: a feature that is not needed is dropped
        return self.integer(0, 999) >= 1000 - round(1000 * p)


class RandomChoices(Choices):
    def __init__(self, seed):
        self.random = random.Random(seed)

    def integer(self, low, high):
        return self.random.randint(low, high)


class HypothesisChoices(Choices):
    def __init__(self, draw):
        self.draw = draw

    def integer(self, low, high):
        return self.draw(st.integers(low, high))


# Features that had a bug when this fuzzer was written, each the tag of the
# steps that use it. The generator leaves out a step whose tags are in RISKY
# unless its Features allow them; CI allows those since fixed (FIXED), the
# campaign all.
RISKY = {
    "closure": "a custom_jvp/custom_vjp/checkpoint function closing over the caller's values",
    "assign.repeated_per_example": "x[i] = v with repeated indices that differ per example",
    "at.repeated_nonlinear": ".at[].multiply/divide/power/min/max with repeated indices",
    "int.bitwise": "integer &, |, ~, // on traced values",
    "copy.aliasing": "fnp.array(x) or x.astype(x.dtype) as the copy assigned into: it aliases x",
    "vmap.unbatched_new_array": "vmap of a function returning an unbatched array it made",
    "assign.moved_index": "vmap(grad) of x[i] = v, i batched along an axis other than 0",
    "jvp_rule.new_array": "a custom_jvp function using an array it made: vjp's output is a tracer",
    "vjp_rule.new_array": "the same for custom_vjp; and x[i] = v in it breaks hessian, vmap(grad)",
}
# fixed, so CI guards them; a closure over a differentiated value in a custom
# rule is an error by design
FIXED = frozenset(RISKY) - {"closure"}


@dataclasses.dataclass(frozen=True)
class Features:
    """What programs may contain."""

    complex: bool = True
    wrappers: bool = True  # custom_jvp, custom_vjp, checkpoint around a sub-program
    max_depth: int = 1  # wrappers inside wrappers
    risky: frozenset = frozenset()  # the RISKY tags allowed


CI = Features(risky=FIXED)
EVERYTHING = Features(max_depth=2, risky=frozenset(RISKY))
# tags of steps that make a new array (fnp.copy, fnp.full_like)
MAKE_ARRAYS = {"assign", "op.setitem", "op.full_like"}

# ---- programs as data ----


@dataclasses.dataclass(frozen=True)
class Value:
    name: str
    shape: tuple
    is_index: bool = False
    is_complex: bool = False
    batched: bool = True  # differs between examples under vmap
    new: bool = False  # made inside the program (fnp.copy, fnp.full_like), or computed from one
    moved: bool = False  # computed from an input batched along an axis other than 0
    outer: bool = False  # defined outside the sub-program that sees it


@dataclasses.dataclass(frozen=True)
class Function:
    """A sub-program, defined inside the program and called by one step."""

    name: str
    params: tuple
    body: tuple  # Steps
    returns: tuple  # names


@dataclasses.dataclass(frozen=True)
class Step:
    lines: tuple  # source; for a call of a Function, the names of its arguments
    targets: tuple  # the Values it defines
    uses: frozenset  # the names it reads from its scope
    tags: frozenset
    function: Function | None = None
    wrapper: str | None = None  # ft.checkpoint, with_jvp_rule, with_vjp_rule, or a plain call

    def source(self) -> list:
        if self.function is None:
            return list(self.lines)
        fn = self.function
        callee = f"{self.wrapper}({fn.name})" if self.wrapper else fn.name
        targets = ", ".join(v.name for v in self.targets)
        return [
            f"def {fn.name}({', '.join(fn.params)}):",
            *(f"    {line}" for step in fn.body for line in step.source()),
            f"    return {', '.join(fn.returns)}",
            f"{targets} = {callee}({', '.join(self.lines)})",
        ]

    def all_tags(self) -> frozenset:
        if self.function is None:
            return self.tags
        inner = frozenset(t for step in self.function.body for t in step.all_tags())
        if self.wrapper is None:
            return self.tags | inner
        return self.tags | inner | {self.wrapper.replace("ft.", "").replace("with_", "")}


@dataclasses.dataclass
class Program:
    inputs: tuple  # Values: floats first, then index arrays
    steps: list
    examples: list  # one tuple of arguments per example
    in_axes: tuple
    out_axis: int = 0

    @property
    def output(self) -> Value:
        floats = [v for s in self.steps for v in s.targets if not v.is_index]
        return floats[-1]

    @property
    def n_float(self) -> int:
        return sum(not v.is_index for v in self.inputs)

    @property
    def tags(self) -> frozenset:
        tags = {t for s in self.steps for t in s.all_tags()}
        if any(v.is_complex for v in self.inputs):
            tags.add("complex")
        if self.output.new and not self.output.batched:
            tags.add("vmap.unbatched_new_array")
        return frozenset(tags)

    def source(self) -> str:
        body = [line for step in self.steps for line in step.source()]
        params = ", ".join(v.name for v in self.inputs)
        lines = [f"def f({params}):"] + [f"    {line}" for line in body]
        return "\n".join(lines + [f"    return {self.output.name}", ""])

    def function(self):
        namespace = dict(GLOBALS)
        exec(compile(self.source(), "<fuzz program>", "exec"), namespace)
        return namespace["f"]

    def loss(self):
        """The program made scalar, for grad and second order."""
        f, out = self.function(), self.output
        w = weights(out.shape, out.is_complex)
        return lambda *args: fnp.sum(fnp.real(f(*args) * w))

    def reproducer(self) -> str:
        examples = "".join(
            f"    ({', '.join(_literal(a) for a in example)},),\n" for example in self.examples
        )
        out = self.output
        return (
            f"{HEADER}\n\n{self.source()}\n\n"
            f"examples = [  # one tuple of arguments per example\n{examples}]\n"
            f"in_axes, out_axes = {self.in_axes}, {self.out_axis}\n"
            f"float_argnums = {tuple(range(self.n_float))}\n"
            f"loss = lambda *args: fnp.sum(fnp.real(f(*args) * weights({out.shape}, "
            f"{out.is_complex})))\n"
        )

    def __repr__(self):  # hypothesis prints the failing example
        return f"<program\n{self.source()}>"

    def with_steps(self, steps) -> Program:
        return dataclasses.replace(self, steps=list(steps))


def _literal(a):
    a = np.asarray(a)
    if a.dtype.kind in "iu":
        return f"np.array({a.tolist()!r})"
    return f"np.array({a.tolist()!r}, dtype=np.{a.dtype})"


# ---- generation ----


class Reject(Exception):
    """A step (or program) that would sit on a kink, leave a domain, or grow too big."""


@dataclasses.dataclass
class _Scope:
    envs: list  # one namespace per example
    values: list
    depth: int
    steps: list = dataclasses.field(default_factory=list)

    def pick(self, choices, predicate=lambda v: True):
        candidates = [v for v in self.values if predicate(v)]
        if not candidates:
            raise Reject("no value to use")
        if choices.chance(0.6):  # favour the newest value, so programs compose
            return candidates[-1]
        return choices.choice(candidates)

    def evaluate(self, expr):
        return [np.asarray(eval(expr, env)) for env in self.envs]


def _is_real_float(v):
    return not v.is_index and not v.is_complex


class _Generator:
    STEP_KINDS = ["op", "op", "op", "index", "assign", "at", "integer", "wrapper"]

    def __init__(self, choices, features):
        self.c = choices
        self.features = features
        self.counter = 0

    def name(self, prefix="v"):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def permit(self, tags):
        for tag in set(tags) & set(RISKY) - self.features.risky:
            raise Reject(f"{tag} is not allowed")

    # -- the program --

    def program(self, focus=None) -> Program:
        c = self.c
        is_complex = focus == "complex" or (self.features.complex and c.chance(0.15))
        self.cases = [
            case
            for case in OP_CASES
            # cases with a strategy of their own need structured inputs (SPD
            # matrices, distinct eigenvalues) that a box domain cannot give
            if not case.concrete_only and case.draw is None and (case.complex_ok or not is_complex)
        ]
        n_float = c.integer(1, 2)
        shapes = [c.choice(FLOAT_SHAPES) for _ in range(n_float)]
        axes = [c.choice([0, 0, 0, None, -1]) if shape else c.choice([0, None]) for shape in shapes]
        if all(a is None for a in axes):
            axes[0] = 0
        inputs = [
            Value(f"x{k}", shape, is_complex=is_complex, batched=axis is not None, moved=axis == -1)
            for k, (shape, axis) in enumerate(zip(shapes, axes))
        ]
        if focus == "indexing" or c.chance(0.4):
            inputs.append(Value("i0", c.choice([(2,), (), (3,), (1,)]), is_index=True))
            axes.append(0)
        rng = np.random.default_rng(c.integer(0, 2**32 - 1))
        first = [_draw_input(rng, v) for v in inputs]
        examples = [
            tuple(
                x if axis is None or k == 0 else _draw_input(rng, v)
                for x, v, axis in zip(first, inputs, axes)
            )
            for k in range(BATCH)
        ]
        envs = [dict(GLOBALS, **{v.name: x for v, x in zip(inputs, ex)}) for ex in examples]
        scope = _Scope(envs, list(inputs), depth=0)
        n_steps = c.integer(2, 6)
        forced = {"wrappers": "wrapper", "assignment": "assign", "indexing": "index"}.get(focus)
        forced_at = c.integer(0, n_steps - 1)
        for k in range(n_steps):
            self.step(scope, forced if k == forced_at and forced else None)
        if not any(not v.is_index for s in scope.steps for v in s.targets):
            raise Reject("no float output")
        program = Program(tuple(inputs), scope.steps, examples, tuple(axes), c.choice([0, -1]))
        self.permit(program.tags)
        return program

    def step(self, scope, kind=None, attempts=4):
        kinds = self.STEP_KINDS
        if not self.features.wrappers or scope.depth >= self.features.max_depth:
            kinds = [k for k in kinds if k != "wrapper"]
        for _ in range(attempts):
            try:
                getattr(self, f"_{kind or self.c.choice(kinds)}_step")(scope)
                return
            except Reject:
                continue

    def add(self, scope, lines, targets, uses, tags, new=False, **call):
        """Runs the step on every example and records it, or raises Reject."""
        named = tuple(Value(name, ()) for name, *_ in targets)
        step = Step(tuple(lines), named, frozenset(uses), frozenset(tags), **call)
        self.permit(step.all_tags())
        code = compile("\n".join(step.source()), "<fuzz step>", "exec")
        envs = [dict(env) for env in scope.envs]
        for env in envs:
            try:
                with np.errstate(all="ignore"):
                    exec(code, env)
            except Exception as e:  # fntrans.numpy refuses it on plain arrays
                source = "\n".join(step.source())
                raise RuntimeError(f"a step fails on plain arrays:\n{source}") from e
        values = []
        used = [v for v in scope.values if v.name in uses]
        flags = dict(
            batched=any(v.batched for v in used),
            new=new or any(v.new for v in used),
            moved=any(v.moved for v in used),
        )
        for name, is_index, *like in targets:  # like: a Value whose flags it has
            xs = [np.asarray(env[name]) for env in envs]
            x = xs[0]
            if x.size == 0 or x.size > MAX_SIZE or x.ndim > 4:
                raise Reject(f"{name} has shape {x.shape}")
            if is_index != (x.dtype.kind in "iu") or x.dtype.kind not in "iufc":
                raise Reject(f"{name} has dtype {x.dtype}")
            if not all(np.all(np.isfinite(v)) for v in xs):
                raise Reject(f"{name} is not finite")
            if like:
                flags = dict(batched=like[0].batched, new=like[0].new, moved=like[0].moved)
            values.append(Value(name, x.shape, is_index, x.dtype.kind == "c", **flags))
        scope.envs[:] = envs
        scope.values.extend(values)
        scope.steps.append(dataclasses.replace(step, targets=tuple(values)))

    def use(self, scope, value, uses, tags):
        uses.add(value.name)
        if value.outer:
            tags.add("closure")
        return value

    def argument(self, scope, shape, domain, uses, tags, real=False):
        """An expression of ``shape`` with values in ``domain`` (an affine map moves them in)."""
        same = [v for v in scope.values if not v.is_index and v.shape == shape]
        if real:
            same = [v for v in same if not v.is_complex]
        if same and self.c.chance(0.7):
            value = self.c.choice(same)
        else:
            value = scope.pick(self.c, _is_real_float if real else lambda v: not v.is_index)
        self.use(scope, value, uses, tags)
        expr = value.name if value.shape == shape else f"fit({value.name}, {shape})"
        return self.into_domain(scope, expr, *domain)

    def into_domain(self, scope, expr, low, high):
        vals = np.concatenate([np.ravel(v) for v in scope.evaluate(expr)])
        real, imag = vals.real, np.abs(vals.imag)
        if real.min() >= low and real.max() <= high and imag.max() <= 1.0:
            return expr, scope.evaluate(expr)
        scale = 1.0
        if real.max() > real.min():
            scale = min(scale, 0.9 * (high - low) / (real.max() - real.min()))
        if imag.max() > 0:
            scale = min(scale, 0.9 / imag.max())
        scale = _round_down(scale)
        shift = float(round((low + high) / 2 - scale * (real.max() + real.min()) / 2, 3))
        expr = expr if scale == 1.0 else f"{expr} * {scale!r}"
        return _plus(expr, shift), scope.evaluate(_plus(expr, shift))

    def apart(self, scope, expr, offsets, shape):
        """``expr`` squeezed and added to spread-out ``offsets``: entries stay apart."""
        vals = np.concatenate([np.ravel(v) for v in scope.evaluate(expr)])
        spread = vals.max() - vals.min()
        gap = np.min(np.diff(np.sort(np.ravel(offsets))), initial=1.0)
        scale = 1.0 if spread == 0 else _round_down(min(1.0, 0.3 * gap / spread))
        center = round(float(vals.max() + vals.min()) / 2, 3)
        offsets = np.round(offsets, 3).reshape(shape)
        expr = f"({_plus(expr, -center)}) * {scale!r} + np.array({offsets.tolist()!r})"
        return expr, scope.evaluate(expr)

    # -- steps --

    def _op_step(self, scope):
        case = self.c.choice(self.cases)
        shapes = self.c.choice([s for s in case.shapes if all(0 not in shape for shape in s)])
        uses, tags = set(), {f"op.{case.name}"}
        args, arg_values = [], []
        domains = case.domains(len(shapes))
        if case.distinct:  # one domain for all, as ties across arguments are kinks too
            domain = (max(d[0] for d in domains), min(d[1] for d in domains))
            offsets = _spread(self.c, [math.prod(shape) for shape in shapes], *domain)
        for k, (shape, domain) in enumerate(zip(shapes, domains)):
            expr, values = self.argument(scope, shape, domain, uses, tags)
            if case.distinct:
                expr, values = self.apart(scope, expr, offsets[k], shape)
            args.append(expr)
            arg_values.append(values)
        for values in arg_values:
            _away_from(values, case.away_from)
        if case.distinct:
            _distinct(arg_values)
        target = self.name()
        line = f"{target} = op({case.name!r})({', '.join(args)})"
        self.add(scope, [line], [(target, False)], uses, tags, new=bool(tags & MAKE_ARRAYS))

    def index_expr(self, scope, value, uses, tags, for_assignment=False):
        """An index into ``value`` and its positions per example (to find repeats)."""
        c, shape = self.c, value.shape
        n = shape[0]
        kinds = ["int", "slice", "array", "mask", "variable"]
        if len(shape) >= 2:
            kinds += ["column", "pair"]
        if not for_assignment:
            kinds += ["newaxis"]
        kind = c.choice(kinds)
        if kind == "int":
            expr = f"{c.integer(-n, n - 1)}"
        elif kind == "slice":
            start = c.integer(0, n - 1)
            stop = c.integer(start + 1, n)
            expr = f"{start}:{stop}" + (f":{c.integer(2, 3)}" if c.chance(0.3) else "")
            if c.chance(0.2):
                expr = f"::-{c.integer(1, 2)}"
        elif kind == "array":
            expr = f"np.array({[c.integer(-n, n - 1) for _ in range(c.integer(1, 4))]})"
        elif kind == "mask":
            mask = [c.chance(0.5) for _ in range(n)]
            mask[c.integer(0, n - 1)] = True
            expr = f"np.array({mask})"
        elif kind == "column":
            expr = f"..., {c.integer(-shape[-1], shape[-1] - 1)}"
        elif kind == "pair":
            k = c.integer(1, 3)
            rows = [c.integer(0, n - 1) for _ in range(k)]
            cols = [c.integer(0, shape[1] - 1) for _ in range(k)]
            expr = f"np.array({rows}), np.array({cols})"
        elif kind == "newaxis":
            expr = f"None, {c.integer(0, n - 1)}"
        else:
            index = scope.pick(c, lambda v: v.is_index)
            self.use(scope, index, uses, tags)
            if index.batched:
                tags.add("index.per_example")
            if index.batched and index.moved and for_assignment:
                tags.add("assign.moved_index")
            expr = f"{index.name} % {n}"
        positions = [
            np.ravel(np.arange(math.prod(shape)).reshape(shape)[eval(f"np.s_[{expr}]", env)])
            for env in scope.envs
        ]
        return expr, positions

    def _index_step(self, scope):
        value = scope.pick(self.c, lambda v: not v.is_index and v.shape)
        uses, tags = set(), {"index"}
        self.use(scope, value, uses, tags)
        expr, _ = self.index_expr(scope, value, uses, tags)
        target = self.name()
        take = self.c.chance(0.2)
        if not value.batched and "index.per_example" in tags:
            take = True  # a plain ndarray cannot take a traced index (documented)
        if take and not any(s in expr for s in ",:N"):  # an int or an int array
            line = f"{target} = fnp.take({value.name}, {expr}, axis=0)"
        else:
            line = f"{target} = {value.name}[{expr}]"
        self.add(scope, [line], [(target, False)], uses, tags)

    def assignment_index(self, scope, value, uses, tags, nonlinear=False):
        expr, positions = self.index_expr(scope, value, uses, tags, for_assignment=True)
        if any(len(np.unique(p)) < len(p) for p in positions):
            tags.add("assign.repeated")
            if "index.per_example" in tags:
                tags.add("assign.repeated_per_example")
            if nonlinear:
                tags.add("at.repeated_nonlinear")
        self.permit(tags)
        return expr

    def _assign_step(self, scope):
        c = self.c
        value = scope.pick(c, lambda v: not v.is_index and v.shape)
        uses, tags = set(), {"assign"}
        self.use(scope, value, uses, tags)
        target = self.name()
        form = c.choice(["set", "add", "multiply", "view"])
        into, row = target, value
        if form == "view" and len(value.shape) >= 2:
            into = f"{target}_row"
            row = dataclasses.replace(value, shape=value.shape[1:])
        expr = self.assignment_index(scope, row, uses, tags)
        sub_shape = np.empty(row.shape)[eval(f"np.s_[{expr}]", scope.envs[0])].shape
        shape = c.choice([sub_shape, ()])
        arg, _ = self.argument(scope, shape, (-2.0, 2.0), uses, tags)
        # a plain ndarray's .copy() cannot take a traced value (documented): only
        # values that vmap batches are traced under every transform, and not
        # inside a custom rule's function (its fwd may run on plain arrays)
        copies = ["fnp.copy({})"]
        if value.batched and scope.depth == 0:
            copies += ["{}.copy()", "fnp.array({})", "{}.astype({}.dtype)"]
        copy = c.choice(copies)
        if _complex_in(scope, arg) and not value.is_complex:
            copy = "fnp.copy({}).astype(np.complex128)"
        elif copy in copies[2:]:
            tags.add("copy.aliasing")
        lines = [f"{target} = {copy.format(value.name, value.name)}"]
        if into != target:
            lines.append(f"{into} = {target}[{c.integer(0, value.shape[0] - 1)}]")
            tags.add("assign.view")
        operator = {"set": "=", "add": "+=", "multiply": "*="}.get(form, "=")
        lines.append(f"{into}[{expr}] {operator} {arg}")
        self.add(scope, lines, [(target, False)], uses, tags, new=True)

    def _at_step(self, scope):
        c = self.c
        methods = ["set", "add", "subtract", "multiply", "divide", "get"]
        if not any(v.is_complex for v in scope.values):
            methods += ["power", "min", "max"]
        method = c.choice(methods)
        value = scope.pick(c, lambda v: not v.is_index and v.shape)
        uses, tags = set(), {f"at.{method}"}
        domain = (0.2, 2.0) if method == "power" else (-2.0, 2.0)
        base, base_values = self.argument(scope, value.shape, domain, uses, tags)
        nonlinear = method in ("multiply", "divide", "power", "min", "max")
        expr = self.assignment_index(scope, value, uses, tags, nonlinear)
        target = self.name()
        if method == "get":
            line = f"{target} = fnp.at({base})[{expr}].get()"
        else:
            sub_shape = np.empty(value.shape)[eval(f"np.s_[{expr}]", scope.envs[0])].shape
            domain = (0.2, 2.0) if method == "divide" else (-2.0, 2.0)
            real = method in ("power", "min", "max")
            shape = c.choice([sub_shape, ()])
            arg, arg_values = self.argument(scope, shape, domain, uses, tags, real=real)
            if method in ("min", "max"):
                picked = [b[eval(f"np.s_[{expr}]", env)] for b, env in zip(base_values, scope.envs)]
                _distinct([picked, arg_values])
            if _complex_in(scope, arg) and not _complex_in(scope, base):
                base = f"({base}).astype(np.complex128)"
            line = f"{target} = fnp.at({base})[{expr}].{method}({arg})"
        self.add(scope, [line], [(target, False)], uses, tags)

    def _integer_step(self, scope):
        c = self.c
        uses, tags = set(), {"int"}
        indices = [v for v in scope.values if v.is_index]
        if indices and c.chance(0.6):
            j = self.use(scope, c.choice(indices), uses, tags).name
            forms = [
                f"{j} * {c.integer(1, 3)} + {c.integer(-2, 2)}",
                f"fnp.abs({j} - {c.integer(0, 3)})",
                f"fnp.minimum({j}, {c.integer(0, 3)})",
                f"fnp.where({j} > {c.integer(0, 2)}, {j} - 1, {j} + 2)",
                f"-{j}",
                f"{j} % {c.integer(2, 4)}",
                f"{j} ^ {c.integer(1, 3)}",
                f"({j} << 1) >> {c.integer(0, 1)}",
            ]
            if np.ndim(scope.envs[0][j]) == 1:
                forms += [f"{j}[::-1]", f"fnp.concatenate([{j}, {j} + 1])"]
            bitwise = [f"{j} & {c.integer(1, 3)}", f"{j} | 1", f"~{j}", f"{j} // 2"]
            expr = c.choice(forms + bitwise)
            if expr in bitwise:
                tags.add("int.bitwise")
        else:
            value = scope.pick(c, lambda v: _is_real_float(v) and v.shape)
            a = self.use(scope, value, uses, tags).name
            values = scope.evaluate(a)
            cut = round(float(np.median(np.concatenate([np.ravel(v) for v in values]))), 2)
            forms = [
                (f"fnp.argmax({a})", "ties"),
                (f"fnp.argmin({a}, axis=-1)", "ties"),
                (f"fnp.argsort({a}, axis=-1)", "ties"),
                (f"fnp.sum({a} > {cut!r})", "cut"),
                (f"({a} > {cut!r}).astype(int)", "cut"),
            ]
            expr, kink = c.choice(forms)
            if kink == "ties":
                _distinct([values])
            else:
                _away_from(values, (cut,))
        target = self.name("i")
        self.add(scope, [f"{target} = {expr}"], [(target, True)], uses, tags)

    def _wrapper_step(self, scope):
        c = self.c
        wrapper = c.choice(["ft.checkpoint", "with_jvp_rule", "with_vjp_rule"])
        args = [scope.pick(c, lambda v: not v.is_index) for _ in range(c.integer(1, 2))]
        uses, tags = set(), set()
        for a in args:
            self.use(scope, a, uses, tags)
        params = [dataclasses.replace(a, name=self.name("p")) for a in args]
        envs = [
            dict(env, **{p.name: env[a.name] for p, a in zip(params, args)}) for env in scope.envs
        ]
        outer = []
        if "closure" in self.features.risky:
            outer = [dataclasses.replace(v, outer=True) for v in scope.values]
        sub = _Scope(envs, outer + params, scope.depth + 1)
        for _ in range(c.integer(1, 3)):
            self.step(sub)
        results = [v for s in sub.steps for v in s.targets if not v.is_index]
        if not results:
            raise Reject("a sub-program with no float result")
        outs = results[-2:] if len(results) > 1 and c.chance(0.3) else results[-1:]
        inner = {t for step in sub.steps for t in step.all_tags()}
        if wrapper == "with_jvp_rule" and "vjp_rule" in inner:
            raise Reject("the rule, jvp of the function, would reach a custom_vjp function")
        for step in sub.steps:
            uses |= {name for name in step.uses if name in {v.name for v in scope.values}}
            if MAKE_ARRAYS & step.all_tags() and wrapper != "ft.checkpoint":
                tags.add(f"{wrapper[5:]}.new_array")
        if any(o.new and not o.batched for o in outs):
            tags.add("vmap.unbatched_new_array")
        fun = Function(
            self.name("sub"),
            tuple(p.name for p in params),
            tuple(sub.steps),
            tuple(o.name for o in outs),
        )
        targets = [(self.name(), False, o) for o in outs]
        lines = [a.name for a in args]
        self.add(scope, lines, targets, uses, tags, function=fun, wrapper=wrapper)


def _draw_input(rng, value):
    if value.is_index:
        m = max(math.prod(value.shape), rng.integers(2, 5))
        return rng.permutation(m)[: math.prod(value.shape)].reshape(value.shape)
    x = rng.uniform(-1.5, 1.5, value.shape)
    return x + 1j * rng.uniform(-0.8, 0.8, value.shape) if value.is_complex else x


def _complex_in(scope, expr):
    return any(np.iscomplexobj(v) for v in scope.evaluate(expr))


def _plus(expr, shift):
    if shift == 0:
        return expr
    return f"{expr} {'-' if shift < 0 else '+'} {abs(shift)!r}"


def _round_down(x):
    """``x`` (at most 1) rounded down to two significant digits."""
    step = 10.0 ** (math.floor(math.log10(x)) - 1)
    return float(f"{math.floor(x / step) * step:.2g}")


def _spread(choices, sizes, low, high):
    """Values in (low, high), evenly spaced and shuffled, cut into pieces of ``sizes``."""
    n = sum(sizes)
    step = (high - low) / (n + 1)
    order = list(range(n))
    for k in reversed(range(1, n)):  # a Fisher-Yates shuffle from the choices
        j = choices.integer(0, k)
        order[k], order[j] = order[j], order[k]
    flat = low + step * (1 + np.array(order, dtype=np.float64))
    return np.split(flat, np.cumsum(sizes)[:-1])


def _away_from(values, kinks):
    for v in values:
        for k in kinks:
            if np.any(np.abs(v - k) < MARGIN):
                raise Reject(f"a value near the kink at {k}")


def _distinct(arg_values):
    """Entries of every example at least MARGIN apart (ties are kinks for max, sort, std)."""
    for example in zip(*arg_values):
        flat = np.sort(np.concatenate([np.ravel(np.real(a)) for a in example]))
        if np.any(np.diff(flat) < MARGIN):
            raise Reject("a near tie")


def generate(choices: Choices, features: Features = CI, focus: str | None = None) -> Program:
    """One random program (raises Reject when no valid program came of the choices).

    ``focus`` makes sure one step is a ``"wrappers"``, ``"assignment"`` or
    ``"indexing"`` step, or makes the program ``"complex"``.
    """
    return _Generator(choices, features).program(focus)


@st.composite
def programs(draw, features: Features = CI, focus: str | None = None):
    """Hypothesis strategy of random programs."""
    try:
        return generate(HypothesisChoices(draw), features, focus)
    except Reject:
        assume(False)
