"""The message catalogues' sources beyond the grader's ``_()`` calls: Babel extracts the texts a learner
reads from the manifest (kata titles and hints), the known mistakes (names, whys and hints) and the
reference solutions' docstrings (the stubs' and notebooks' instructions), as ``babel.cfg`` says
(``make messages``)."""
from __future__ import annotations

import ast
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path

from grader.core.docstrings import docstring_owners


def extract_toml(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel's extraction method for a TOML file: the strings (or lists of strings) under ``fields``
    in each entry of the array of tables ``table``, each with its line and a comment naming the entry
    and field for the translator (``kata corr2d: hints``)."""
    text = fileobj.read().decode("utf-8")
    lines = text.splitlines()
    fields = options.get("fields", "").split()
    line = 0
    for entry in tomllib.loads(text).get(options["table"], []):
        for field in fields:
            values = entry.get(field, [])
            for value in [values] if isinstance(values, str) else values:
                line = _line_of(lines, json.dumps(value, ensure_ascii=False), line)
                yield line + 1, None, value, [f"{options['table']} {entry['id']}: {field}"]


def _line_of(lines: list[str], quoted: str, start: int) -> int:
    """The index of the first line from ``start`` holding ``quoted`` (a TOML basic string), else ``start``."""
    return next((i for i in range(start, len(lines)) if quoted in lines[i]), start)


def extract_docstrings(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel's extraction method for the reference solutions' docstrings: the module's, each class's
    and each function's, cleaned as ``inspect.cleandoc`` cleans them (what ``docstring_translated``
    looks up), each with a comment naming its owner (``docstring of conv_layer.corr2d``)."""
    source = fileobj.read().decode("utf-8")
    module = Path(getattr(fileobj, "name", "module")).stem
    for owner, node in docstring_owners(ast.parse(source), module):
        yield node.body[0].lineno, None, ast.get_docstring(node), [f"docstring of {owner}"]
