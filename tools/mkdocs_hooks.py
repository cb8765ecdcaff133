"""MkDocs hooks for the docs site (``hooks:`` in mkdocs.yml), and a griffe extension.

The Markdown pages and the docstrings stay the source, written to be read on
GitHub or in ``help()`` and run as doctests; this module adapts them for the
site without editing them:

- the home page is README.md, generated at build time (its text is never
  copied by hand), with its ``docs/...`` links made relative to the site;
- bare ``>>>`` examples (doctest's format, which Markdown would read as nested
  block quotes) are fenced as ``pycon`` code blocks, in pages and, through
  ``FencedDoctests`` (a griffe extension), in docstrings;
- ``PublicReexports`` (a griffe extension) documents what a package imports
  from its private submodules (``fntrans.numpy.sin`` comes from
  ``fntrans.numpy._math``) as the package's own, as ``help()`` shows it.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import re

import griffe
from mkdocs.structure.files import File

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
# a link or image target in README that points into docs/: [text](docs/x.md)
DOCS_LINK = re.compile(r"(\]\(|src=\")docs/")


def on_files(files, config):
    """Adds the home page, index.md, made from README.md."""
    text = DOCS_LINK.sub(r"\1", README.read_text(encoding="utf-8"))
    files.append(File.generated(config, "index.md", content=text))
    return files


def on_page_markdown(markdown, page, config, files):
    return fence_doctests(markdown)


def fence_doctests(markdown: str) -> str:
    """Wraps each run of doctest lines (``>>>`` to the next blank line) in a pycon fence.

    The fence takes the first line's indentation, so an example inside a list
    item stays in it; fenced blocks are left alone.

    >>> print(fence_doctests("Text\\n>>> 1 + 1\\n2\\n\\n- item\\n\\n  >>> 3\\n  3"))
    Text
    ```pycon
    >>> 1 + 1
    2
    ```
    <BLANKLINE>
    - item
    <BLANKLINE>
      ```pycon
      >>> 3
      3
      ```
    """
    out: list[str] = []
    fence = None  # the marker of the fenced block we are in, if any
    indent = None  # the indentation of the doctest run we are in, if any
    for line in markdown.split("\n"):
        stripped = line.lstrip()
        if indent is not None and not stripped:
            out.append(indent + "```")
            indent = None
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
        elif indent is None:
            match = FENCE.match(line)
            if match:
                fence = match.group(1)
            elif stripped.startswith(">>>"):
                indent = line[: len(line) - len(stripped)]
                out.append(indent + "```pycon")
        out.append(line)
    if indent is not None:
        out.append(indent + "```")
    return "\n".join(out)


class FencedDoctests(griffe.Extension):
    """Fences the ``>>>`` examples of every docstring before it is parsed."""

    def on_instance(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)


class PublicReexports(griffe.Extension):
    """Documents what a package imports from its private submodules as its own.

    Griffe reads an imported name as private unless ``__all__`` lists it. A
    function made by a factory (``sin = unary(sin_p, "sin")``) reads as an
    attribute whose value is a call, so it is taken from the imported module,
    with its runtime signature and docstring; an instance (``norm =
    norm_gen()``) gets its class's docstring. Names whose objects come from
    outside the package (NumPy's dtypes, ...) are left to their own docs.
    """

    def on_package(self, *, pkg, **kwargs) -> None:
        for mod in _modules(pkg):
            _publish(mod, pkg.path + ".")


def _modules(mod):
    yield mod
    for member in mod.members.values():
        if not member.is_alias and member.is_module:
            yield from _modules(member)


def _publish(mod, root: str) -> None:
    runtime = None
    for name, member in list(mod.members.items()):
        if name.startswith("_") or not member.is_alias:
            continue
        if not member.target_path.startswith(mod.path + "._"):
            continue  # not a re-export from one of this package's private modules
        try:
            target = member.final_target
        except griffe.AliasResolutionError:
            continue
        if not target.path.startswith(root):
            continue
        if target.is_attribute and target.docstring is None:
            runtime = runtime or importlib.import_module(mod.path)
            value = getattr(runtime, name, None)
            if inspect.isfunction(value):
                member = _function(name, value, mod)
                mod.set_member(name, member)
            elif type(value).__module__.startswith(root) and type(value).__doc__:
                target.docstring = _docstring(type(value).__doc__, mod)
        if not mod.exports:  # with __all__, griffe already knows what is public
            member.public = True


def _function(name: str, fn, mod) -> griffe.Function:
    """A griffe Function for a function object, from its runtime signature and docstring."""
    parameters = griffe.Parameters(
        *(
            griffe.Parameter(
                p.name,
                kind=griffe.ParameterKind(p.kind.description),
                default=None if p.default is p.empty else repr(p.default),
            )
            for p in inspect.signature(fn).parameters.values()
        )
    )
    return griffe.Function(name, parameters=parameters, docstring=_docstring(fn.__doc__, mod))


def _docstring(text: str | None, mod) -> griffe.Docstring:
    like = mod.docstring  # the module's parser settings
    return griffe.Docstring(
        fence_doctests(inspect.cleandoc(text or "")),
        parser=like.parser if like else None,
        parser_options=like.parser_options if like else None,
    )
