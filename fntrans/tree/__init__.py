"""Pytrees (``fntrans.tree``): nested dicts, lists, tuples, namedtuples, None and
registered classes, on optree; and ``ravel_pytree``.

>>> import fntrans as ft
>>> ft.tree.tree_leaves({"b": 2.0, "a": (1.0, None)})
[1.0, 2.0]
"""

from fntrans.tree.pytrees import (
    NAMESPACE,
    PyTreeDef,
    register_pytree_node,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
)
from fntrans.tree.ravel import ravel_pytree

__all__ = [
    "PyTreeDef",
    "ravel_pytree",
    "register_pytree_node",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_structure",
    "tree_unflatten",
]
