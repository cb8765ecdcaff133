"""Finding fusion groups: sets of elementwise equations over one output shape
that can run as one kernel.

A group is convex: no value leaves it and comes back through an equation
outside it, so the group can become one equation of the program. Each value
records the groups it depends on through some equation outside them
(``upstream``); an equation may join a group only if none of its inputs
depends on that group that way. A group may be closed by ``reduce_sum``
equations over its values: their results count as leaving the group, so no
member reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fntrans.core.ir import IR, Literal


@dataclass
class Group:
    """Equations (indices into the program) that run as one kernel."""

    shape: tuple
    members: list = field(default_factory=list)  # elementwise equations, in order
    reductions: list = field(default_factory=list)  # closing reduce_sum equations
    upstream: set = field(default_factory=set)  # groups its inputs depend on

    @property
    def size(self) -> int:
        return len(self.members) + len(self.reductions)


class _Groups:
    """Groups under union: merged groups answer to one representative."""

    def __init__(self):
        self.parent = {}
        self.groups = {}

    def new(self, shape) -> int:
        gid = len(self.parent)
        self.parent[gid] = gid
        self.groups[gid] = Group(shape)
        return gid

    def find(self, gid: int) -> int:
        while self.parent[gid] != gid:
            self.parent[gid] = gid = self.parent[self.parent[gid]]
        return gid

    def merge(self, gids: list) -> int:
        root, *rest = gids
        group = self.groups[root]
        for gid in rest:
            other = self.groups.pop(gid)
            group.members += other.members
            group.reductions += other.reductions
            group.upstream |= other.upstream
            self.parent[gid] = root
        group.members.sort()
        group.reductions.sort()
        return root

    def closure(self, gids) -> set:
        """``gids`` and every group they depend on, as representatives."""
        seen, stack = set(), [self.find(g) for g in gids]
        while stack:
            gid = stack.pop()
            if gid in seen:
                continue
            seen.add(gid)
            stack.extend(self.find(g) for g in self.groups[gid].upstream)
        return seen


def find_groups(
    ir: IR,
    fusible: Callable,
    reducible: Callable | None = None,
    min_size: int = 3,
) -> list[Group]:
    """The groups of ``ir``'s equations worth one kernel each, in order.

    ``fusible(eqn)`` says whether an equation is elementwise in a form the
    kernels compile; ``reducible(eqn)`` whether a ``reduce_sum`` may close a
    group (``None``: never). Groups of fewer than ``min_size`` equations are
    dropped.

    >>> import fntrans as ft, fntrans.numpy as fnp
    >>> ir = ft.make_jaxpr(lambda x: 1.0 - fnp.tanh(x) * fnp.tanh(x))(fnp.ones(3))
    >>> from fntrans.interpreters.fusion import fusible
    >>> [g.members for g in find_groups(ir, fusible)]
    [[0, 1, 2, 3]]
    """
    groups = _Groups()
    producer = {}  # variable -> group (representative at the time) that made it
    upstream = {}  # variable -> groups it depends on through an outside equation

    def ups(v):
        return () if type(v) is Literal else upstream.get(v, ())

    for index, eqn in enumerate(ir.eqns):
        reads = [v for v in eqn.invars if type(v) is not Literal]
        joined = None
        if fusible(eqn):
            shape = eqn.outvars[0].aval.shape
            forbidden = groups.closure(g for v in reads for g in ups(v))
            candidates = []
            for v in reads:
                gid = producer.get(v)
                if gid is None:
                    continue
                gid = groups.find(gid)
                if gid in forbidden or gid in candidates or groups.groups[gid].shape != shape:
                    continue
                # two groups merge only if neither depends on the other from outside
                if any(
                    gid in groups.closure(groups.groups[c].upstream)
                    or c in groups.closure(groups.groups[gid].upstream)
                    for c in candidates
                ):
                    continue
                candidates.append(gid)
            joined = groups.merge(candidates) if candidates else groups.new(shape)
            groups.groups[joined].members.append(index)
        elif reducible is not None and reducible(eqn):
            gid = producer.get(eqn.invars[0])
            if gid is not None and groups.find(gid) not in groups.closure(ups(eqn.invars[0])):
                joined = groups.find(gid)
                groups.groups[joined].reductions.append(index)
        # what this equation's results depend on from outside the group they are in
        found = set()
        for v in reads:
            found.update(ups(v))
            gid = producer.get(v)
            if gid is not None and groups.find(gid) != joined:
                found.add(groups.find(gid))
        reduced = joined is not None and not fusible(eqn)
        if joined is not None:
            groups.groups[joined].upstream |= found
            if reduced:
                found.add(joined)  # a reduction's result leaves its group
        for out in eqn.outvars:
            if found:
                upstream[out] = frozenset(found)
            if joined is not None and not reduced:
                producer[out] = joined
    kept = [g for g in groups.groups.values() if g.size >= min_size]
    return sorted(kept, key=lambda g: g.members[0])
