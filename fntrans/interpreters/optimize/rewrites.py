"""Local rewrites: small rules, each keyed by a primitive, that simplify what
automatic differentiation writes.

A rule sees one equation, its inputs already rewritten, and a :class:`Site`:
the equation that produced each value so far, how many equations read a
value, the values of constants. It returns what replaces the equation's
result, often after writing new equations with ``site.bind``, or ``None`` to
keep the equation. A replacement must have the result's exact abstract value
(shape, dtype and weak type): ``rewrite`` checks, and keeps the equation when
it does not.

The rules:

- multiplication or division by one, addition or subtraction of zeros (a
  Python scalar, a constant array of ones or zeros, a broadcast of one);
- explicit broadcasts into an elementwise operation that NumPy's own
  broadcasting makes anyway;
- chains: transpose of transpose, reshape of reshape, broadcast of
  broadcast, a transpose between reshapes that only add or drop unit axes;
  and the ones that do nothing (a reshape or broadcast to the same shape,
  the identity transpose, ``reduce_sum`` over no axes);
- ``neg(neg x)``, ``exp(log x)`` and ``log(exp x)`` are ``x``; ``-(k * x)`` is
  ``(-k) * x``; ``exp(y - logaddexp(x, y))`` is ``expit(y - x)`` (the
  derivative of a softplus or a logistic loss);
- a sum of the slices ``A[0], ..., A[n-1]`` is ``reduce_sum(A, axes=(0,))``,
  and a sum of ``scatter_add``s filling rows ``0, ..., n-1`` is a ``stack``;
  a stack of one value repeated is a broadcast;
- a matrix-vector product written with a column (or row) of one vector and
  a reshape back is the matrix-vector product; a matrix product over an
  axis of length one is a broadcast elementwise product;
- identity bases: the Jacobian basis of ``jacrev`` and ``jacfwd`` is a
  constant identity matrix, which elementwise scaling keeps diagonal; a
  matrix product with a diagonal matrix ``diag(d)`` is a scaling of rows or
  columns by ``d`` (O(n^2) instead of O(n^3)).

Exactness. Rules are exact in floating point except:

- ``x + 0 -> x`` gives ``-0.0`` where ``-0.0 + 0.0`` gives ``0.0``;
- ``exp(log x) -> x`` differs for ``x < 0`` (``log`` gives nan there), and
  ``log(exp x) -> x`` where ``exp`` overflows (``x > 709`` in float64);
  elsewhere the rewritten value is the more exact one. JAX and PyTensor
  rewrite both too;
- a product with a diagonal matrix skips the products with its zeros, which
  are nan where the other operand has an infinity or a nan;
- a sum of slices becomes one reduction, which adds in another order.

Only NumPy constants are inspected (for ones, zeros and identities);
constants on other backends are left as they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from fntrans.core.ir import IR, Eqn, Literal, Var, renamed
from fntrans.core.primitive import Primitive
from fntrans.core.tracer import Tracer
from fntrans.primitives._util import elementwise_batch
from fntrans.primitives.broadcasting import broadcast_to_p, reduce_sum_p
from fntrans.primitives.elementwise import add_p, div_p, mul_p, neg_p, sub_p
from fntrans.primitives.indexing import getitem_p, scatter_add_p
from fntrans.primitives.joining import join_p
from fntrans.primitives.math_functions import exp_p, log_p, logaddexp_p
from fntrans.primitives.products import matmul_p
from fntrans.primitives.shape import reshape_p, transpose_p
from fntrans.primitives.special import expit_p

__all__ = ["RULES", "Diagonal", "Site", "register_rule", "rewrite"]

Rule = Callable[[Eqn, "Site"], "Var | Literal | None"]

RULES: dict[Primitive, list[Rule]] = {}
"""The rules of each primitive, tried in order until one applies."""

_ELEMENTWISE_RULES: list[Rule] = []  # tried on every elementwise primitive


def register_rule(*prims: Primitive) -> Callable[[Rule], Rule]:
    """Adds the decorated function to the rules of ``prims``.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> from fntrans.primitives.math_functions import sqrt_p, square_p
    >>> @register_rule(sqrt_p)
    ... def sqrt_of_square(eqn, site):  # for x >= 0 only: an example, not a rule of fntrans
    ...     producer = site.producer(eqn.invars[0])
    ...     return producer.invars[0] if producer and producer.prim is square_p else None
    >>> ir = ft.make_jaxpr(lambda x: fnp.sqrt(fnp.square(x)))(2.0)
    >>> print(rewrite(ir))
    { lambda ; x:f64[]. let
        a:f64[] = square x
      in (x,) }
    >>> RULES[sqrt_p].remove(sqrt_of_square)
    """

    def register(rule: Rule) -> Rule:
        for prim in prims:
            RULES.setdefault(prim, []).append(rule)
        return rule

    return register


class Diagonal(NamedTuple):
    """A square matrix known to be ``diag(d)``: ``d`` is the product of
    ``factors`` (each of shape ``()``, ``(n,)``, ``(1, n)``, ``(n, 1)`` or
    with one element, all of ``dtype`` or weak), the identity when there are
    none.

    >>> Diagonal(3, np.dtype("float64"), ()).size
    3
    """

    size: int
    dtype: np.dtype
    factors: tuple


class Site:
    """What a rule knows of the program rewritten so far: the equation that
    produced each value, how often each value is read, the values of
    constants; and ``bind``, which writes a new equation (simplified by the
    rules in turn) before the one being rewritten.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ir = ft.make_jaxpr(lambda x: fnp.sin(x) * 2.0)(1.0)
    >>> site = Site(ir)
    >>> site.fill(ir.eqns[1].invars[1]), site.uses(ir.eqns[0].outvars[0])
    (2.0, 1)
    """

    def __init__(self, ir: IR):
        self.eqns = []  # the rewritten program
        self.changed = False
        self._consts = dict(zip(ir.constvars, ir.consts))
        self._producers = {}
        self._uses = Counter(v for eqn in ir.eqns for v in eqn.invars if type(v) is Var)
        self._uses.update(v for v in ir.outvars if type(v) is Var)
        # values read only by a sum of the same type: the sum above looks at them
        self._inside_sums = {
            v
            for eqn in ir.eqns
            if eqn.prim is add_p
            for v in eqn.invars
            if type(v) is Var and self._uses[v] == 1 and v.aval == eqn.outvars[0].aval
        }
        self._fills = {}
        self._diagonals = {}

    def producer(self, x) -> Eqn | None:
        """The equation that computes ``x``; None for inputs, constants, literals."""
        return None if type(x) is Literal else self._producers.get(x)

    def uses(self, x) -> int:
        """How many times the program reads ``x`` (outputs included)."""
        return 0 if type(x) is Literal else self._uses[x]

    def value(self, x):
        """The value of a literal or a constant; None for anything else."""
        if type(x) is Literal:
            return x.value
        value = self._consts.get(x)
        return None if isinstance(value, Tracer) else value

    def fill(self, x):
        """The one value every element of ``x`` has, when it is known (a
        literal, a uniform constant, a broadcast or reshape of one); else None."""
        if type(x) is Literal:
            return x.value
        if x not in self._fills:
            self._fills[x] = self._find_fill(x)
        return self._fills[x]

    def _find_fill(self, x):
        if x in self._consts:
            return _uniform_value(self.value(x))
        eqn = self.producer(x)
        if eqn is not None and eqn.prim in (broadcast_to_p, reshape_p, transpose_p):
            return self.fill(eqn.invars[0])
        return None

    def diagonal(self, x) -> Diagonal | None:
        """``x`` as a :class:`Diagonal` when it is a constant identity matrix,
        scaled elementwise by vectors or scalars, transposed or negated."""
        if type(x) is Literal or x.aval.ndim != 2 or x.aval.shape[0] != x.aval.shape[1]:
            return None
        if x not in self._diagonals:
            self._diagonals[x] = self._find_diagonal(x)
        return self._diagonals[x]

    def _find_diagonal(self, x) -> Diagonal | None:
        n, dtype = x.aval.shape[0], x.aval.dtype
        if x in self._consts:
            return Diagonal(n, dtype, ()) if _is_identity(self.value(x)) else None
        eqn = self.producer(x)
        if eqn is None:
            return None
        if eqn.prim is transpose_p:  # a diagonal matrix is symmetric
            return self.diagonal(eqn.invars[0])
        if eqn.prim is neg_p:
            return _scaled(self.diagonal(eqn.invars[0]), Literal(-1), dtype)
        if eqn.prim is mul_p:
            a, b = eqn.invars
            for matrix, scale in ((a, b), (b, a)):
                if _scales_rows_or_columns(scale.aval.shape, n):
                    diagonal = _scaled(self.diagonal(matrix), scale, dtype)
                    if diagonal is not None:
                        return diagonal
        return None

    def diagonal_vector(self, diagonal: Diagonal):
        """The diagonal ``d`` of ``diagonal`` as a value of shape ``(n,)``, or
        ``()`` when all its factors have one element; None for the identity."""
        vector = None
        for factor in diagonal.factors:
            shape = factor.aval.shape
            if factor.aval.size == 1 and shape != ():
                factor = self.bind(reshape_p, factor, shape=())
            elif factor.aval.size > 1 and shape != (diagonal.size,):
                factor = self.bind(reshape_p, factor, shape=(diagonal.size,))
            vector = factor if vector is None else self.bind(mul_p, vector, factor)
        return vector

    def broadcast(self, x, shape: tuple):
        """``x`` broadcast to ``shape`` (``x`` itself when it has it)."""
        return x if x.aval.shape == shape else self.bind(broadcast_to_p, x, shape=shape)

    def bind(self, prim: Primitive, *args, **params):
        """Writes ``prim(*args, **params)`` into the program, simplified by the
        rules, and returns its result."""
        out = Var(prim.shape(*(a.aval for a in args), **params))
        eqn = Eqn(prim, list(args), [out], params)
        self._uses.update(a for a in args if type(a) is Var)
        replacement = self.simplify(eqn)
        if replacement is not None:
            return replacement
        self.keep(eqn)
        return out

    def simplify(self, eqn: Eqn):
        """What replaces ``eqn``'s result by the first rule that applies, or None."""
        if eqn.prim.multiple_results:
            return None
        rules = RULES.get(eqn.prim, [])
        if eqn.prim.batch is elementwise_batch:
            rules = rules + _ELEMENTWISE_RULES
        out = eqn.outvars[0]
        for rule in rules:
            mark = len(self.eqns)
            replacement = rule(eqn, self)
            if replacement is not None and replacement.aval == out.aval:
                self.changed = True
                if type(replacement) is Var:
                    self._uses[replacement] += self._uses[out]
                return replacement
            del self.eqns[mark:]  # what a rejected rule wrote
        return None

    def keep(self, eqn: Eqn) -> None:
        self.eqns.append(eqn)
        for v in eqn.outvars:
            self._producers[v] = eqn

    def inside_sum(self, x) -> bool:
        """Whether ``x`` is read only by a sum of the same shape and dtype."""
        return x in self._inside_sums


def rewrite(ir: IR) -> IR:
    """``ir`` with the local rules applied to each equation, in order (a rule
    sees the rewritten inputs). Returns ``ir`` itself when no rule applies;
    the equations a rewrite no longer reads are left to dead-code
    elimination.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ir = ft.make_jaxpr(lambda x: -(-fnp.exp(fnp.log(x)) * 1.0))(2.0)
    >>> print(rewrite(ir))
    { lambda ; x:f64[]. let
        a:f64[] = log x
        b:f64[] = neg x
      in (x,) }
    """
    site = Site(ir)
    rename = {}
    for eqn in ir.eqns:
        eqn = eqn.renamed(rename)
        replacement = site.simplify(eqn)
        if replacement is None:
            site.keep(eqn)
        else:
            rename[eqn.outvars[0]] = replacement
    if not site.changed:
        return ir
    outvars = renamed(ir.outvars, rename)
    return IR(ir.invars, ir.constvars, ir.consts, site.eqns, outvars, ir.in_names, ir.out_names)


# ---- helpers of the rules ----


def _uniform_value(value):
    """The Python scalar every element of a NumPy value equals, else None."""
    if type(value) in (bool, int, float, complex):
        return value
    if not isinstance(value, (np.ndarray, np.generic)) or value.size == 0:
        return None
    flat = np.ravel(value)
    first = flat[0]
    if flat[-1] != first or not np.all(flat == first):  # most arrays fail the first test
        return None
    return first.item()


def _is_identity(value) -> bool:
    if not isinstance(value, np.ndarray) or value.ndim != 2 or value.shape[0] != value.shape[1]:
        return False
    n = value.shape[0]
    if n == 0 or value[0, 0] != 1 or n > 1 and value[1, 0] != 0:  # most matrices fail here
        return False
    return bool(np.count_nonzero(value) == n and np.all(value.diagonal() == 1))


def _scales_rows_or_columns(shape: tuple, n: int) -> bool:
    """Whether an operand of ``shape`` scales an ``(n, n)`` matrix's rows or
    columns, so that it keeps a diagonal matrix diagonal."""
    return len(shape) <= 2 and all(d in (1, n) for d in shape) and shape.count(n) <= 1 or n == 1


def _scaled(diagonal: Diagonal | None, scale, dtype) -> Diagonal | None:
    # every factor has the matrix's dtype (or is weak), so that multiplying
    # the factors alone rounds as the matrix products did
    if diagonal is None or dtype != diagonal.dtype:
        return None
    if scale.aval.dtype != dtype and not scale.aval.weak_type:
        return None
    return diagonal._replace(factors=diagonal.factors + (scale,))


def _only_unit_axes_differ(a: tuple, b: tuple) -> bool:
    return [d for d in a if d != 1] == [d for d in b if d != 1]


# ---- multiplication by one, addition of zeros ----


# the operand that leaves the other unchanged
_NEUTRAL = {mul_p: 1, add_p: 0}


@register_rule(mul_p, add_p)
def _with_neutral(eqn, site):
    x, y = eqn.invars
    neutral = _NEUTRAL[eqn.prim]
    for kept, other in ((x, y), (y, x)):
        if site.fill(other) == neutral:
            return site.broadcast(kept, eqn.outvars[0].aval.shape)
    return None


@register_rule(div_p)
def _over_one(eqn, site):
    x, y = eqn.invars
    return site.broadcast(x, eqn.outvars[0].aval.shape) if site.fill(y) == 1 else None


@register_rule(sub_p)
def _minus_zero(eqn, site):
    x, y = eqn.invars
    shape = eqn.outvars[0].aval.shape
    if site.fill(y) == 0:
        return site.broadcast(x, shape)
    if site.fill(x) == 0:
        return site.broadcast(site.bind(neg_p, y), shape)
    return None


def _drop_broadcasts(eqn, site):
    """An operand broadcast explicitly is read as it was before, where NumPy
    broadcasting against the other operands gives the same result."""
    if len(eqn.invars) < 2:
        return None
    out = eqn.outvars[0].aval
    args = list(eqn.invars)
    for i, arg in enumerate(args):
        producer = site.producer(arg)
        if producer is None or producer.prim is not broadcast_to_p:
            continue
        trial = args[:i] + [producer.invars[0]] + args[i + 1 :]
        if eqn.prim.shape(*(a.aval for a in trial), **eqn.params) == out:
            args = trial
    if args == eqn.invars:
        return None
    return site.bind(eqn.prim, *args, **eqn.params)


def _scalar_for_uniform_constant(eqn, site):
    """A constant array of one repeated value, where the other operands give
    the result's shape, is read as a scalar of its dtype (as AD's seeds and
    scaled cotangents are): the same result without reading the array."""
    if len(eqn.invars) < 2:
        return None
    out = eqn.outvars[0].aval
    args = list(eqn.invars)
    for i, arg in enumerate(args):
        if type(arg) is Literal or arg.aval.ndim == 0 or site.value(arg) is None:
            continue
        fill = site.fill(arg)
        if fill is None:
            continue
        scalar = Literal(np.asarray(fill, arg.aval.dtype)[()])  # a NumPy scalar: not weak
        trial = args[:i] + [scalar] + args[i + 1 :]
        if eqn.prim.shape(*(a.aval for a in trial), **eqn.params) == out:
            args = trial
    if args == eqn.invars:
        return None
    return site.bind(eqn.prim, *args, **eqn.params)


_ELEMENTWISE_RULES.extend([_drop_broadcasts, _scalar_for_uniform_constant])


# ---- operations that undo each other or do nothing ----


# each primitive's inverse: exp(log(x)) is x for x > 0 but nan for x < 0 (see
# the module's notes on exactness)
_INVERSE = {neg_p: neg_p, exp_p: log_p, log_p: exp_p}


@register_rule(neg_p, exp_p, log_p)
def _of_inverse(eqn, site):
    producer = site.producer(eqn.invars[0])
    inverse = _INVERSE[eqn.prim]
    return producer.invars[0] if producer is not None and producer.prim is inverse else None


@register_rule(exp_p)
def _sigmoid(eqn, site):
    """``exp(y - logaddexp(x, y))`` is ``expit(y - x)``, one ufunc for three:
    the derivative of ``logaddexp`` (softplus, the logistic loss) is a sigmoid."""
    difference = site.producer(eqn.invars[0])
    if difference is None or difference.prim is not sub_p:
        return None
    y, total = difference.invars
    combined = site.producer(total)
    if combined is None or combined.prim is not logaddexp_p or combined.invars[1] is not y:
        return None
    x = combined.invars[0]
    if type(x) is Literal and x.value == 0:
        return site.bind(expit_p, y)
    return site.bind(expit_p, site.bind(sub_p, y, x))


@register_rule(neg_p)
def _negated_scaling(eqn, site):
    """``-(k * x)`` with a number ``k`` is ``(-k) * x``: one operation."""
    product = site.producer(eqn.invars[0])
    if product is None or product.prim is not mul_p or site.uses(eqn.invars[0]) != 1:
        return None
    for k, x in (product.invars, product.invars[::-1]):
        number = type(k) is Literal and not isinstance(k.value, (bool, np.bool_))
        if number and isinstance(k.value, (int, float, np.integer, np.floating)):
            return site.bind(mul_p, Literal(-k.value), x)
    return None


@register_rule(reduce_sum_p)
def _sum_over_no_axes(eqn, site):
    return eqn.invars[0] if eqn.params["axes"] == () else None


@register_rule(reshape_p, broadcast_to_p)
def _shape_chain(eqn, site):
    """A reshape or broadcast to the shape it has is nothing; two in a row are one."""
    x, shape = eqn.invars[0], eqn.params["shape"]
    if x.aval.shape == shape:
        return x
    producer = site.producer(x)
    if producer is not None and producer.prim is eqn.prim:
        return site.bind(eqn.prim, producer.invars[0], shape=shape)
    return None


@register_rule(reshape_p)
def _matrix_vector_product(eqn, site):
    """``reshape(A @ reshape(v, (k, 1)), (n,))`` is ``A @ v`` (and on the left,
    ``reshape(reshape(v, (1, k)) @ B, (m,))`` is ``v @ B``): reverse mode
    writes a matrix-vector product's cotangents as outer-shaped products."""
    product = site.producer(eqn.invars[0])
    if product is None or product.prim is not matmul_p or site.uses(eqn.invars[0]) != 1:
        return None
    a, b = product.invars
    if a.aval.ndim != 2 or b.aval.ndim != 2:
        return None
    for column, (matrix, vector) in ((True, (a, b)), (False, (b, a))):
        shaped = site.producer(vector)
        if shaped is None or shaped.prim is not reshape_p:
            continue
        v = shaped.invars[0]
        unit = vector.aval.shape[1] if column else vector.aval.shape[0]
        if v.aval.ndim == 1 and unit == 1:
            out = site.bind(matmul_p, matrix, v) if column else site.bind(matmul_p, v, matrix)
            return out if out.aval.shape == eqn.params["shape"] else None
    return None


@register_rule(matmul_p)
def _outer_product(eqn, site):
    """A matrix product over an axis of length one is an elementwise product:
    ``(..., n, 1) @ (..., 1, m)`` is NumPy's broadcast ``a * b`` (per-example
    gradients of a linear layer are such outer products)."""
    a, b = eqn.invars
    if a.aval.ndim == 0 or b.aval.ndim == 0 or a.aval.shape[-1] != 1:
        return None
    if a.aval.ndim == 1:  # (1,) @ (..., 1, m): drop the contracted axis of b
        b = site.bind(reshape_p, b, shape=b.aval.shape[:-2] + b.aval.shape[-1:])
    elif b.aval.ndim == 1:  # (..., n, 1) @ (1,): drop the contracted axis of a
        a = site.bind(reshape_p, a, shape=a.aval.shape[:-1])
    return site.bind(mul_p, a, b)


@register_rule(transpose_p)
def _transpose_chain(eqn, site):
    x, axes = eqn.invars[0], eqn.params["axes"]
    if axes == tuple(range(len(axes))):
        return x
    producer = site.producer(x)
    if producer is None:
        return None
    source = producer.invars[0]
    if producer.prim is transpose_p:
        inner = producer.params["axes"]
        return site.bind(transpose_p, source, axes=tuple(inner[a] for a in axes))
    if producer.prim is reshape_p and _only_unit_axes_differ(source.aval.shape, x.aval.shape):
        # the reshape only adds or drops unit axes: transpose the source's
        # axes in the same order and reshape after, so reshapes meet and merge
        big_x = [i for i, d in enumerate(x.aval.shape) if d != 1]
        big_source = [i for i, d in enumerate(source.aval.shape) if d != 1]
        axis_in_source = dict(zip(big_x, big_source))
        order = [axis_in_source[a] for a in axes if a in axis_in_source]
        order += [i for i in range(source.aval.ndim) if i not in order]
        moved = site.bind(transpose_p, source, axes=tuple(order))
        return site.bind(reshape_p, moved, shape=eqn.outvars[0].aval.shape)
    return None


@register_rule(join_p)
def _stack_of_one_value(eqn, site):
    first = eqn.invars[0]
    if not eqn.params["new_axis"] or any(v is not first for v in eqn.invars):
        return None
    axis, shape = eqn.params["axis"], first.aval.shape
    one = site.bind(reshape_p, first, shape=shape[:axis] + (1,) + shape[axis:])
    return site.broadcast(one, eqn.outvars[0].aval.shape)


# ---- sums of slices and of scatters ----


def _sum_terms(eqn, site) -> list:
    """The terms of the sum tree rooted at ``eqn``: operands of nested sums of
    the same abstract value that nothing else reads."""
    aval = eqn.outvars[0].aval
    terms, stack = [], list(reversed(eqn.invars))
    while stack:
        x = stack.pop()
        producer = site.producer(x)
        if producer is not None and producer.prim is add_p and x.aval == aval and site.uses(x) == 1:
            stack.extend(reversed(producer.invars))
        else:
            terms.append(x)
    return terms


def _row_piece(producer):
    """``(kind, key, row, payload)`` when ``producer`` reads or writes one row
    of an array along axis 0 (``A[i]``, ``A[i, :]``, a scatter_add there)."""
    if producer is None or len(producer.invars) != 1:
        return None
    indexer = producer.params.get("indexer")
    if not indexer or type(indexer[0]) is not int:
        return None
    if any(item != slice(None) for item in indexer[1:]):
        return None
    if producer.prim is getitem_p:
        source = producer.invars[0]
        rows = source.aval.shape[0]
        return "slices", (source, len(indexer)), indexer[0] % rows, rows
    if producer.prim is scatter_add_p:
        shape = producer.params["shape"]
        update = producer.invars[0]
        if update.aval.shape != shape[1:]:
            return None
        return "scatters", (shape, len(indexer), update.aval), indexer[0] % shape[0], update
    return None


@register_rule(add_p)
def _sum_of_rows(eqn, site):
    """The sum of every row of ``A`` taken apart is one reduction over axis
    0; the sum of ``scatter_add``s that fill every row is a stack of them."""
    if site.inside_sum(eqn.outvars[0]):
        return None  # the sum that reads this one sees all the terms
    terms = _sum_terms(eqn, site)
    groups = {}
    for term in terms:
        piece = _row_piece(site.producer(term))
        if piece is not None:
            kind, key, row, payload = piece
            groups.setdefault((kind, key), []).append((row, term, payload))
    sums = []
    for (kind, key), rows in groups.items():
        count = key[0].aval.shape[0] if kind == "slices" else key[0][0]
        if sorted(row for row, _, _ in rows) != list(range(count)):
            continue
        if kind == "slices":
            sums.append(site.bind(reduce_sum_p, key[0], axes=(0,)))
        else:
            updates = [update for _, _, update in sorted(rows, key=lambda r: r[0])]
            sums.append(site.bind(join_p, *updates, axis=0, new_axis=True))
        taken = {id(term) for _, term, _ in rows}
        terms = [t for t in terms if id(t) not in taken]
    if not sums:
        return None
    total = sums[0]
    for term in sums[1:] + terms:
        total = site.bind(add_p, total, term)
    return total


# ---- identity bases: products with diagonal matrices ----


@register_rule(matmul_p)
def _product_with_diagonal(eqn, site):
    """``A @ diag(d)`` scales A's columns by d, ``diag(d) @ B`` B's rows."""
    a, b = eqn.invars
    diagonal = site.diagonal(b)
    if diagonal is not None and a.aval.shape[-1:] == (diagonal.size,):
        d = site.diagonal_vector(diagonal)
        return a if d is None else site.bind(mul_p, a, d)
    diagonal = site.diagonal(a)
    if diagonal is not None and b.aval.ndim >= 1:
        d = site.diagonal_vector(diagonal)
        if d is None:
            return b
        if b.aval.ndim >= 2 and d.aval.shape != ():
            d = site.bind(reshape_p, d, shape=(diagonal.size, 1))
        return site.bind(mul_p, d, b)
    return None
