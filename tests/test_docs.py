"""Every ```python block in README.md and docs/ runs (``>>>`` examples run as doctests)."""

from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def python_blocks():
    for page in PAGES:
        for i, match in enumerate(BLOCK.finditer(page.read_text())):
            yield pytest.param(match.group(1), id=f"{page.name}-{i}")


@pytest.mark.parametrize("source", python_blocks())
def test_python_block_runs(source):
    exec(compile(source, "<docs>", "exec"), {"__name__": "__docs__"})


def test_every_page_has_runnable_examples():
    for page in PAGES:
        text = page.read_text()
        assert ">>>" in text or "```python" in text, f"{page.name} has no example that runs"


def test_api_reference_lists_every_public_name():
    import types

    import fntrans as ft
    import fntrans.numpy as fnp

    text = (ROOT / "docs" / "api.md").read_text()
    namespaces = [fnp, ft, fnp.linalg, fnp.fft] + [
        getattr(ft.scipy, name) for name in ft.scipy.__all__
    ]
    public = {
        (space, n)
        for space in namespaces
        for n in getattr(space, "__all__", dir(space))
        if not n.startswith("_")
    }
    missing = sorted(
        f"{space.__name__}.{n}"
        for space, n in public
        if not re.search(rf"[`.]{re.escape(n)}\b", text)
    )
    assert not missing, f"docs/api.md does not mention: {missing}"
    undocumented = sorted(
        f"{space.__name__}.{n}"
        for space, n in public
        if isinstance(getattr(space, n), types.FunctionType)
        and not (getattr(space, n).__doc__ or "").strip()
    )
    assert not undocumented, f"public functions without a docstring: {undocumented}"
