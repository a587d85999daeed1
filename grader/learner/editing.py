"""Editing a learner's module by its top-level symbols: where each function and class is, one
symbol's source, and a kata's stub put back in place of the learner's version (``kata reset``)."""
from __future__ import annotations

import ast

#: ``top-level symbol -> (first line, last line)``, 1-based and inclusive, decorators included.
Spans = dict[str, tuple[int, int]]


def symbol_spans(source: str) -> Spans:
    """Where each top-level function and class of a module is; SyntaxError if it does not parse."""
    spans = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            spans[node.name] = (first, node.end_lineno)
    return spans


def symbol_source(source: str, symbol: str) -> str:
    """The text of one top-level function or class."""
    first, last = symbol_spans(source)[symbol]
    return "".join(source.splitlines(keepends=True)[first - 1:last])


def splice_symbols(learner: str, stub: str, symbols: tuple[str, ...]) -> str:
    """``learner`` with each of ``symbols`` replaced by its stub; a symbol the learner's file lacks
    is appended. SyntaxError if the learner's file does not parse."""
    lines = learner.splitlines(keepends=True)
    spans = symbol_spans(learner)
    appended = []
    for symbol in sorted(symbols, key=lambda s: spans.get(s, (0, 0)), reverse=True):  # bottom up: spans stay valid
        replacement = symbol_source(stub, symbol)
        if symbol in spans:
            first, last = spans[symbol]
            lines[first - 1:last] = replacement.splitlines(keepends=True)
        else:
            appended.append(replacement)
    text = "".join(lines)
    for replacement in appended:
        text = text.rstrip("\n") + "\n\n\n" + replacement
    return text
