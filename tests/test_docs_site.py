"""The docs site builds: ``mkdocs build --strict`` (the ``docs`` extra) passes.

Strict mode fails on a broken link or anchor, a page left out of the nav, an
API reference entry that does not resolve, and a docstring griffe cannot read.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))


def test_docs_site_builds_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    pytest.importorskip("mkdocstrings_handlers.python", reason="the docs extra is not installed")
    pytest.importorskip("material", reason="the docs extra is not installed")
    site = tmp_path / "site"
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    home = (site / "index.html").read_text()
    assert "A first look" in home  # README.md is the home page
    # its >>> examples are highlighted code (prompts: "gp"), not nested block quotes
    assert 'class="gp"' in home and "<blockquote>" not in home
    reference = (site / "reference" / "numpy" / "index.html").read_text()
    for name in ("fntrans.numpy.sin", "fntrans.numpy.logaddexp", "fntrans.numpy.linspace"):
        assert f'id="{name}"' in reference, f"{name} is missing from the API reference"


def test_doctests_are_fenced_outside_fences_only():
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    pytest.importorskip("griffe", reason="the docs extra is not installed")
    from mkdocs_hooks import fence_doctests

    page = "```python\n>>> kept\n```\n>>> 1\n1\n"
    assert fence_doctests(page) == "```python\n>>> kept\n```\n```pycon\n>>> 1\n1\n```\n"
