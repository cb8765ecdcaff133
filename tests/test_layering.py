"""Every fntrans module imports only downward, through the layers of the
architecture; function-local imports count as much as top-level ones.

Modules of one layer that belong to different groups do not import each
other (the interpreters and fntrans.numpy know nothing of one another);
inside one group (a package such as ``fntrans.core``) imports are free.
"""

from __future__ import annotations

import ast
import pathlib

import fntrans

ROOT = pathlib.Path(fntrans.__file__).parent

# Lowest first. A module may import its own group and the layers below.
LAYERS = [
    ["fntrans.errors", "fntrans.backend"],
    ["fntrans.core"],
    ["fntrans.primitives"],
    ["fntrans.interpreters", "fntrans.tree", "fntrans.numpy"],
    ["fntrans._arguments"],
    [
        "fntrans.api",
        "fntrans.vectorize",
        "fntrans.custom",
        "fntrans.checkpointing",
        "fntrans.extend",
        "fntrans.device",
        "fntrans.lax",
        "fntrans.distributed",
    ],
    [
        "fntrans.jacobians",
        "fntrans.test_util",
        "fntrans.optimizers",
        "fntrans.scipy",
        "fntrans.jit",
    ],
    ["fntrans.compat"],
    ["fntrans"],
]
LAYER_OF = {group: i for i, groups in enumerate(LAYERS) for group in groups}


def group_of(module: str) -> str:
    """The longest prefix of ``module`` that names a group of the layers."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYER_OF:
            return prefix
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS")


def module_name(path: pathlib.Path) -> str:
    parts = ["fntrans", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    """Whether ``name`` is a fntrans module (rather than a name inside one)."""
    if not name.startswith("fntrans."):
        return False
    path = ROOT.joinpath(*name.split(".")[1:])
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imported_modules(path: pathlib.Path):
    """``(line, module)`` for every fntrans module that ``path`` imports, anywhere."""
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # ``from fntrans import errors`` imports the module fntrans.errors
            names = [
                f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            if name == "fntrans" or name.startswith("fntrans."):
                yield node.lineno, name


def upward_imports() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        source = module_name(path)
        source_group = group_of(source)
        for line, target in imported_modules(path):
            target_group = group_of(target)
            if target_group == source_group:
                continue
            if LAYER_OF[target_group] >= LAYER_OF[source_group]:
                found.append(f"{path.relative_to(ROOT.parent)}:{line} imports {target}")
    return found


def test_every_import_goes_down_the_layers():
    assert upward_imports() == []


def test_the_layering_check_sees_function_local_imports():
    module = ROOT / "core" / "_layering_probe.py"
    module.write_text("def f():\n    from fntrans.interpreters.reverse import Tape\n")
    try:
        assert upward_imports() == [
            "fntrans/core/_layering_probe.py:2 imports fntrans.interpreters.reverse"
        ]
    finally:
        module.unlink()


def test_core_knows_no_interpreter_primitive_or_transform():
    for path in (ROOT / "core").rglob("*.py"):
        for _, target in imported_modules(path):
            assert group_of(target) in ("fntrans.core", "fntrans.errors", "fntrans.backend"), (
                path,
                target,
            )
