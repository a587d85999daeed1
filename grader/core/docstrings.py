"""The instructions a learner reads in the stubs and notebooks — the docstrings of the reference
solutions, which the stubs keep — in the language convkata speaks.

The catalogue holds each docstring cleaned (``inspect.cleandoc``, as ``ast.get_docstring`` gives it);
``docstrings_translated`` puts each translation back in the source at the docstring's indentation —
from English, or from another language back to English. A docstring the catalogue does not hold (a
learner's own) is left as it is.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator

from .i18n import _, source_of

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
    """``source`` with every docstring the catalogue holds — in English or in a language it translates
    it to — in the language convkata speaks (the source itself when there is none); the code and its
    line structure otherwise kept."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines(keepends=True)
    edits = []
    for _owner, node in docstring_owners(tree, module):
        original = ast.get_docstring(node)
        translated = _(source_of(original))
        if translated == original:
            continue
        literal = node.body[0].value
        closing_own_line = literal.end_lineno > literal.lineno and lines[literal.end_lineno - 1].strip() == '"""'
        edits.append((literal, _literal(translated, " " * literal.col_offset, closing_own_line)))
    return replaced(source, edits)


def replaced(source: str, edits: list[tuple[ast.expr, str]]) -> str:
    """``source`` with the text of each node of ``edits`` (parsed from it) replaced by its new text."""
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def at(line: int, column: int) -> int:  # ast's columns count UTF-8 bytes
        return offsets[line - 1] + len(lines[line - 1].encode("utf-8")[:column].decode("utf-8"))

    spans = [(at(node.lineno, node.col_offset), at(node.end_lineno, node.end_col_offset), text) for node, text in edits]
    for start, end, text in sorted(spans, key=lambda span: span[0], reverse=True):
        source = source[:start] + text + source[end:]
    return source
