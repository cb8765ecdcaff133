"""The errors of fntrans.lax: each says what differs, with both types, and what to do."""

from __future__ import annotations


def output_structure(what: str, first: str, other: str, first_tree, other_tree) -> TypeError:
    return TypeError(
        f"{what}: {first} and {other} must return the same structure, but {first} returned "
        f"{first_tree} and {other} returned {other_tree}."
    )


def output_type(what: str, first: str, other: str, leaf: str, first_aval, other_aval) -> TypeError:
    return TypeError(
        f"{what}: {first} and {other} must return the same types, but {leaf} is "
        f"{first_aval.str_short()} from {first} and {other_aval.str_short()} from {other}. "
        f"Every branch must give each output the same shape and dtype (convert with "
        f".astype, or broadcast, in the branch that differs)."
    )


def carry_structure(what: str, fun: str, in_tree, out_tree) -> TypeError:
    return TypeError(
        f"{what}: {fun} must return a carry of the same structure as the one it is given, "
        f"but it was given {in_tree} and returned {out_tree}."
    )


def carry_type(what: str, fun: str, leaf: str, in_aval, out_aval) -> TypeError:
    return TypeError(
        f"{what}: {fun} must return a carry of the same types as the one it is given, but "
        f"{leaf} is {in_aval.str_short()} going in and {out_aval.str_short()} coming out. "
        f"A loop's carry keeps one shape and dtype: give the initial value that dtype "
        f"(e.g. fnp.asarray(0.0, dtype=...)), or convert in the body with .astype."
    )


def not_scalar_predicate(what: str, name: str, fun: str, aval) -> TypeError:
    return TypeError(
        f"{what}: {name} must be a scalar boolean, but {fun} gave {aval.str_short()}. "
        f"For an elementwise choice use fnp.where or fntrans.lax.select_n."
    )


def bad_index(what: str, name: str, aval, kinds: str) -> TypeError:
    return TypeError(
        f"{what}: {name} must be a scalar {kinds}, but got {aval.str_short()}. "
        f"For an elementwise choice use fnp.where or fntrans.lax.select_n."
    )


def reverse_while() -> ValueError:
    return ValueError(
        "Reverse-mode differentiation (grad, vjp, jacrev, hessian) does not work through "
        "while_loop, or fori_loop with traced bounds: the number of steps is not known "
        "before the loop runs, so the steps cannot be stored for the backward pass. Use "
        "scan with a fixed length, or fori_loop with concrete (Python or NumPy int) "
        "lower and upper bounds, which is a scan; forward mode (jvp, jacfwd) works."
    )
