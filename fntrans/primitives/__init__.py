"""The primitive set, one module per family, every rule beside its primitive."""

from fntrans.primitives import (
    contraction,
    cumulative,
    elementwise,
    elementwise_math,
    indexing,
    reductions,
    sorting,
    structural,
)

__all__ = [
    "contraction",
    "cumulative",
    "elementwise",
    "elementwise_math",
    "indexing",
    "reductions",
    "sorting",
    "structural",
]


def all_primitives() -> list:
    """Every primitive fntrans defines (for tests that check coverage)."""
    from fntrans.core.primitive import Primitive

    found = []
    for module in (
        elementwise,
        elementwise_math,
        structural,
        reductions,
        cumulative,
        sorting,
        indexing,
        contraction,
    ):
        found += [v for v in vars(module).values() if isinstance(v, Primitive)]
    return list({id(p): p for p in found}.values())
