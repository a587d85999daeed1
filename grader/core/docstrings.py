"""The instructions a learner reads in the stubs and notebooks — the docstrings of the reference
solutions, which the stubs keep — in the language convkata speaks.

The catalogue holds each docstring cleaned (``inspect.cleandoc``, as ``ast.get_docstring`` gives it);
``docstrings_translated`` puts each translation back in the source at the docstring's indentation. A
docstring the catalogue does not hold (a learner's own) is left as it is.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator

from .i18n import _

Owner = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


def docstring_owners(tree: ast.Module, module: str) -> Iterator[tuple[str, Owner]]:
    """(qualified name, node) of the module and every class and function in it that has a docstring,
    in source order: ``conv_layer``, ``conv_layer.Conv2D``, ``conv_layer.Conv2D.forward``, …"""
    def walk(node: Owner, name: str) -> Iterator[tuple[str, Owner]]:
        if ast.get_docstring(node) is not None:
            yield name, node
        for child in node.body:
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from walk(child, f"{name}.{child.name}")
    yield from walk(tree, module)


def _literal(text: str, indent: str, closing_own_line: bool) -> str:
    """A triple-quoted docstring literal of ``text`` (clean, as the catalogue holds it) at ``indent``."""
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = body.split("\n")
    body = "\n".join([lines[0], *(f"{indent}{line}" if line else "" for line in lines[1:])])
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    return f'"""{body}\n{indent}"""' if closing_own_line else f'"""{body}"""'


def docstrings_translated(source: str, module: str = "module") -> str:
    """``source`` with every docstring the catalogue translates replaced by its translation (the
    source itself when none is, as in English); the code and its line structure otherwise kept."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    edits = []
    for _owner, node in docstring_owners(tree, module):
        original = ast.get_docstring(node)
        translated = _(original)
        if translated == original:
            continue
        literal = node.body[0].value
        start = offsets[literal.lineno - 1] + literal.col_offset
        end = offsets[literal.end_lineno - 1] + literal.end_col_offset
        indent = " " * literal.col_offset
        closing_own_line = literal.end_lineno > literal.lineno and lines[literal.end_lineno - 1].strip() == '"""'
        edits.append((start, end, _literal(translated, indent, closing_own_line)))
    for start, end, text in sorted(edits, reverse=True):
        source = source[:start] + text + source[end:]
    return source
