"""What every optimization loop can do besides stepping: report progress and
stop at the first non-finite loss or gradient."""

from __future__ import annotations

import importlib
import math
import sys
from typing import Any

from fntrans.backend import module_of
from fntrans.tree import tree_leaves
from fntrans.tree.pytrees import leaf_names


def _non_finite(leaf: Any) -> str | None:
    """``None`` for a finite leaf; else what the first bad element is, and where."""
    xp = module_of(leaf)
    finite = xp.isfinite(leaf)
    if bool(finite.all()):
        return None
    where = ""
    if leaf.ndim:
        index = tuple(int(k) for k in xp.argwhere(~finite)[0])
        where = f" at index {index}"
    return f"{leaf[~finite].ravel()[0].item()}{where}"


class Monitor:
    """Progress (a tqdm bar, or a stderr line every ``every`` steps) and NaN checks.

    ``progress=True`` draws a tqdm bar when tqdm is installed and otherwise
    prints a line every tenth of the run; an int ``progress=n`` prints a line
    every ``n`` steps.
    """

    def __init__(self, name: str, num_steps: int, progress: bool | int, stop_on_nan: bool):
        self.name, self.num_steps, self.stop_on_nan = name, num_steps, stop_on_nan
        self.bar, self.every = None, 0
        if progress is True:
            try:
                tqdm = importlib.import_module("tqdm")
            except ImportError:
                self.every = max(1, num_steps // 10)
            else:
                self.bar = tqdm.tqdm(total=num_steps, desc=name)
        elif progress:
            if not isinstance(progress, int) or progress < 0:
                raise ValueError(
                    f"{name}: progress must be True, False or a number of steps between "
                    f"reports, but got {progress!r}."
                )
            self.every = progress

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.bar is not None:
            self.bar.close()

    def check(self, i: int, loss: float | None, grads: Any, params: Any) -> None:
        """Raise ``FloatingPointError`` if the loss or a gradient leaf is not finite;
        the error's ``params`` attribute holds ``params``, the last finite values."""
        if not self.stop_on_nan:
            return
        problem = None
        for leaf, path in zip(tree_leaves(grads), leaf_names(params, "params")):
            bad = _non_finite(leaf)
            if bad is not None:
                problem = f"the gradient for {path} is {bad}"
                break
        if problem is None and loss is not None and not math.isfinite(loss):
            problem = f"the loss is {loss}"
        if problem is not None:
            loss_note = f" (loss {loss})" if loss is not None and "loss" not in problem else ""
            error = FloatingPointError(
                f"{self.name} stopped at step {i} of {self.num_steps}: {problem}{loss_note}. "
                f"The error's .params attribute holds the params before this step. Lower the "
                f"step size, or find the operation that makes it with "
                f"ft.config.update('debug_nans', True)."
            )
            error.params = params
            raise error

    def done(self, i: int, loss: float | None) -> None:
        """Report that step ``i`` (counting from 0) is done."""
        if self.bar is not None:
            if loss is not None:
                self.bar.set_postfix(loss=f"{loss:.6g}", refresh=False)
            self.bar.update(1)
        elif self.every and ((i + 1) % self.every == 0 or i + 1 == self.num_steps):
            shown = "" if loss is None else f", loss {loss:.6g}"
            print(f"{self.name}: step {i + 1}/{self.num_steps}{shown}", file=sys.stderr)
