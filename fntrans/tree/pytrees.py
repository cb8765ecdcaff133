"""Pytrees: nested dicts, lists, tuples, namedtuples, None and registered classes.

Every flatten in fntrans goes through this module, on optree, in fntrans's own
namespace. Dict leaves come in sorted key order; unflatten keeps a dict's
insertion order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optree

NAMESPACE = "fntrans"

PyTreeDef = optree.PyTreeSpec


def tree_flatten(tree: Any, is_leaf: Callable | None = None) -> tuple[list, PyTreeDef]:
    """The leaves of ``tree`` and its structure.

    >>> leaves, treedef = tree_flatten({"b": 2, "a": (1, None)})
    >>> leaves
    [1, 2]
    """
    return optree.tree_flatten(tree, is_leaf, namespace=NAMESPACE)


def tree_unflatten(treedef: PyTreeDef, leaves) -> Any:
    """Rebuilds a pytree of structure ``treedef`` from ``leaves``.

    >>> leaves, treedef = tree_flatten([1, (2, 3)])
    >>> tree_unflatten(treedef, [4, 5, 6])
    [4, (5, 6)]
    """
    return optree.tree_unflatten(treedef, leaves)


def tree_leaves(tree: Any, is_leaf: Callable | None = None) -> list:
    """The leaves of ``tree``, in flatten order.

    >>> tree_leaves({"x": 1.0, "y": [2.0, 3.0]})
    [1.0, 2.0, 3.0]
    """
    return optree.tree_leaves(tree, is_leaf, namespace=NAMESPACE)


def tree_structure(tree: Any, is_leaf: Callable | None = None) -> PyTreeDef:
    """The structure of ``tree`` without its leaves.

    >>> tree_structure((1, [2]))
    PyTreeSpec((*, [*]))
    """
    return optree.tree_structure(tree, is_leaf, namespace=NAMESPACE)


def tree_map(f: Callable, tree: Any, *rest: Any, is_leaf: Callable | None = None) -> Any:
    """Applies ``f`` leaf by leaf over ``tree`` (and trees of the same structure).

    >>> tree_map(lambda x: x * 2, {"a": 1, "b": (2, 3)})
    {'a': 2, 'b': (4, 6)}
    """
    return optree.tree_map(f, tree, *rest, is_leaf=is_leaf, namespace=NAMESPACE)


def register_pytree_node(cls: type, flatten: Callable, unflatten: Callable) -> type:
    """Makes instances of ``cls`` pytrees, with JAX's signatures.

    Args:
        cls: the class to register.
        flatten: ``flatten(obj) -> (children, aux_data)``.
        unflatten: ``unflatten(aux_data, children) -> obj``.

    >>> class Pair:
    ...     def __init__(self, a, b):
    ...         self.a, self.b = a, b
    >>> _ = register_pytree_node(Pair, lambda p: ((p.a, p.b), None),
    ...                          lambda aux, children: Pair(*children))
    >>> tree_leaves(Pair(1.0, 2.0))
    [1.0, 2.0]
    """
    return optree.register_pytree_node(
        cls, flatten, lambda aux, children: unflatten(aux, list(children)), namespace=NAMESPACE
    )


def tree_paths(tree: Any) -> list[tuple]:
    """The path (keys and indices) of each leaf of ``tree``, in flatten order."""
    return optree.tree_flatten_with_path(tree, namespace=NAMESPACE)[0]


def leaf_names(tree: Any, prefix: str, skip: int = 0) -> list[str]:
    """A name for each leaf of ``tree``, in flatten order: ``prefix`` and its
    path (``argument 0['w'][1]``), leaving out the first ``skip`` path entries."""
    paths = tree_paths(tree)
    return [prefix + "".join(f"[{key!r}]" for key in path[skip:]) for path in paths]
