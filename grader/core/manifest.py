"""``katas.toml``: the ordered manifest of katas, validated on load."""
from __future__ import annotations

import ast
import difflib
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .i18n import EDITIONS, _, edition
from .paths import MANIFEST_PATH, SOLUTIONS_DIR

REQUIRED_FIELDS = {"id": str, "title": str, "module": str, "symbols": list,
                   "points": int, "requires": list, "hints": list}
#: The editions of the book the ``[sections]`` table maps every kata to.
BOOK_EDITIONS = tuple(dict.fromkeys(EDITIONS.values()))


def kata_ids(text: str | None) -> list[str] | None:
    """A ``--katas`` option (comma-separated ids) as a list; None (every kata) when not given."""
    return [k for k in text.split(",") if k] if text else None


class ManifestError(ValueError):
    """katas.toml is malformed; the message names the kata and the fix."""


def citation(section: str) -> str:
    """A section of the book, cited in the reader's language: ``d2l 7.2``, ``d2l-zh 6.2``."""
    return _("d2l {section}").format(section=section)


@dataclass(frozen=True)
class Kata:
    """A kata as the manifest gives it. ``title``, ``hints`` and ``section`` are read in the
    language convkata speaks (``grader.core.i18n``); ``source_title`` and ``source_hints`` are the
    manifest's English, ``sections`` the kata's section in each edition of the book."""
    id: str
    source_title: str
    sections: tuple[tuple[str, str], ...]
    module: str
    symbols: tuple[str, ...]
    points: int
    requires: tuple[str, ...]
    source_hints: tuple[str, ...]

    @property
    def title(self) -> str:
        return _(self.source_title)

    @property
    def hints(self) -> tuple[str, ...]:
        return tuple(_(hint) for hint in self.source_hints)

    @property
    def section(self) -> str:
        """The kata's section in the reader's edition of the book: ``7.2`` (English), ``6.2`` (d2l-zh)."""
        return dict(self.sections)[edition()]

    @property
    def citation(self) -> str:
        """Where the book teaches this kata, in the reader's edition: ``d2l 7.2`` (English), ``d2l-zh 6.2``."""
        return citation(self.section)


@dataclass(frozen=True)
class Manifest:
    katas: tuple[Kata, ...]

    def __iter__(self):
        return iter(self.katas)

    def __len__(self):
        return len(self.katas)

    def get(self, kata_id: str) -> Kata:
        for kata in self.katas:
            if kata.id == kata_id:
                return kata
        raise KeyError(f"no kata {kata_id!r}; known katas: {', '.join(k.id for k in self.katas)}")

    def select(self, ids: list[str] | None) -> list[Kata]:
        """The katas with these ids (every kata for None), in manifest order; ValueError naming an unknown id."""
        if not ids:
            return list(self.katas)
        known = {k.id for k in self.katas}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ValueError(f"unknown kata {', '.join(map(repr, unknown))}; known katas: {', '.join(sorted(known))}")
        return [k for k in self.katas if k.id in ids]

    @property
    def modules(self) -> tuple[str, ...]:
        """The kata modules, in the order they first appear."""
        return tuple(dict.fromkeys(k.module for k in self.katas))

    def requirements(self, kata_id: str) -> list[Kata]:
        """The katas ``kata_id`` builds on, directly or not, in manifest order."""
        found, todo = set(), list(self.get(kata_id).requires)
        while todo:
            kata = self.get(todo.pop())
            found.add(kata.id)
            todo += kata.requires
        return [kata for kata in self.katas if kata.id in found]

    def required_symbols(self, kata_id: str) -> tuple[str, ...]:
        """The symbols of the katas ``kata_id`` builds on, directly or not: the learner's own, too."""
        return tuple(symbol for kata in self.requirements(kata_id) for symbol in kata.symbols)

    def closest(self, kata_id: str) -> str | None:
        """The id most like ``kata_id`` (a misspelt or miscased one), if any is close."""
        close = difflib.get_close_matches(str(kata_id), [k.id for k in self.katas], n=1)
        return close[0] if close else None

    def kata_of_symbol(self, module: str, symbol: str) -> Kata | None:
        return next((k for k in self.katas if k.module == module and symbol in k.symbols), None)

    @property
    def total_points(self) -> int:
        return sum(k.points for k in self.katas)


def _public_names(module_path: Path) -> set[str]:
    """Top-level function, class and variable names defined in a module (read with ast, not imported)."""
    tree = ast.parse(module_path.read_text(encoding="utf-8"), filename=str(module_path))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _sections_table(table, ids: list, source: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """The ``[sections]`` table checked: every kata listed, no other, each in every edition of the book."""
    numbers = ", ".join(f'{name} = "7.2"' for name in BOOK_EDITIONS)
    example = f"{ids[0]} = {{ {numbers} }}"
    if not isinstance(table, dict):
        raise ManifestError(f"{source}: no [sections] table; it maps each kata to its section in each edition "
                            f"of the book, e.g. {example}")
    for kata_id in ids:
        if kata_id not in table:
            raise ManifestError(f"{source}: [sections] has no {kata_id!r}; add e.g. "
                                f"{example.replace(str(ids[0]), str(kata_id), 1)}")
    extra = sorted(set(table) - set(ids))
    if extra:
        raise ManifestError(f"{source}: [sections] lists {extra}, which no [[kata]] has; remove or rename them")
    checked = {}
    for kata_id, entry in table.items():
        where = f"{source}: [sections] {kata_id}"
        if not isinstance(entry, dict) or set(entry) != set(BOOK_EDITIONS):
            raise ManifestError(f"{where}: give the section in each edition of the book, e.g. {example}")
        for name, number in entry.items():
            if not isinstance(number, str) or not re.fullmatch(r"\d+(\.\d+)*", number):
                raise ManifestError(f"{where}: {name} must be a section number such as \"7.2\", got {number!r}")
        checked[kata_id] = tuple((name, entry[name]) for name in BOOK_EDITIONS)
    return checked


def parse_manifest(text: str, *, source: str = "katas.toml", solutions_dir: Path = SOLUTIONS_DIR) -> Manifest:
    """Parse and validate a manifest; raise ManifestError naming the faulty kata."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{source}: not valid TOML: {exc}") from None
    entries = data.get("kata")
    if not isinstance(entries, list) or not entries:
        raise ManifestError(f"{source}: no [[kata]] tables")
    sections = _sections_table(data.get("sections"), [e.get("id") for e in entries], source)
    katas: list[Kata] = []
    seen: set[str] = set()
    names_by_module: dict[str, set[str]] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"{source}: kata #{number} ({entry.get('id', '?')!r})"
        unknown = set(entry) - set(REQUIRED_FIELDS)
        if unknown:
            raise ManifestError(f"{where}: unknown field(s) {sorted(unknown)}; allowed: {sorted(REQUIRED_FIELDS)}")
        for field, kind in REQUIRED_FIELDS.items():
            if field not in entry:
                raise ManifestError(f"{where}: missing field {field!r}")
            if not isinstance(entry[field], kind) or isinstance(entry[field], bool):
                raise ManifestError(f"{where}: {field!r} must be a {kind.__name__}, got {entry[field]!r}")
        kata = Kata(entry["id"], entry["title"], sections[entry["id"]], entry["module"], tuple(entry["symbols"]),
                    entry["points"], tuple(entry["requires"]), tuple(entry["hints"]))
        if kata.id in seen:
            raise ManifestError(f"{where}: duplicate id {kata.id!r}; every kata needs its own id")
        if kata.points < 1:
            raise ManifestError(f"{where}: points must be a positive int, got {kata.points}")
        if not kata.symbols:
            raise ManifestError(f"{where}: symbols is empty; name the public names the kata asks for")
        if len(kata.hints) < 2:
            raise ManifestError(f"{where}: give at least two hints, from gentle to explicit")
        module_path = solutions_dir / f"{kata.module}.py"
        if not module_path.is_file():
            raise ManifestError(f"{where}: unknown module {kata.module!r}: no {module_path.name} in {solutions_dir}")
        defined = names_by_module.setdefault(kata.module, _public_names(module_path))
        missing = [s for s in kata.symbols if s not in defined]
        if missing:
            raise ManifestError(f"{where}: {kata.module}.py does not define {missing}")
        for required in kata.requires:
            if required not in seen:
                raise ManifestError(f"{where}: requires {required!r}, which is not a kata listed before it")
        seen.add(kata.id)
        katas.append(kata)
    return Manifest(tuple(katas))


@cache
def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    """The project's manifest (cached)."""
    return parse_manifest(path.read_text(encoding="utf-8"), source=path.name)
