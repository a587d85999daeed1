"""Known mistakes (grader/core/mistakes.toml): their names, why they are wrong and a hint, and the two
ways a failure is matched to them — a judge that recognises the mistake in the probe data, or an
error message that a mistake's ``exception`` pattern matches."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .i18n import _

KNOWN_PATH = Path(__file__).with_name("mistakes.toml")


@dataclass(frozen=True)
class KnownMistake:
    """A known mistake; ``name``, ``why`` and ``hint`` are read in the language convkata speaks, the
    ``source_`` fields are mistakes.toml's English."""
    id: str
    katas: tuple[str, ...]
    source_name: str
    source_why: str
    source_hint: str
    exception: str | None = None

    @property
    def name(self) -> str:
        return _(self.source_name)

    @property
    def why(self) -> str:
        return _(self.source_why)

    @property
    def hint(self) -> str:
        return _(self.source_hint)

    def applies_to(self, kata: str) -> bool:
        return "*" in self.katas or kata in self.katas

    def explain(self) -> str:
        return _("This looks like a known mistake — {name}: {why}.\n  Hint: {hint}.").format(
            name=self.name, why=self.why, hint=self.hint)


@cache
def known_mistakes() -> dict[str, KnownMistake]:
    entries = tomllib.loads(KNOWN_PATH.read_text(encoding="utf-8"))["known"]
    mistakes = {}
    for entry in entries:
        if entry["id"] in mistakes:
            raise ValueError(f"{KNOWN_PATH.name}: duplicate known mistake {entry['id']!r}")
        mistakes[entry["id"]] = KnownMistake(entry["id"], tuple(entry["katas"]), entry["name"], entry["why"],
                                             entry["hint"], entry.get("exception"))
    return mistakes


def known(mistake_id: str) -> KnownMistake:
    return known_mistakes()[mistake_id]


def explain(mistake_ids) -> str:
    """The explanations of the named mistakes, one paragraph each (empty for none)."""
    return "\n".join(known(m).explain() for m in dict.fromkeys(mistake_ids))


def match_text(text: str) -> list[str]:
    """Known mistakes whose exception pattern matches an error's text."""
    return [m.id for m in known_mistakes().values() if m.exception and re.search(m.exception, text)]


def for_kata(kata: str, mistake_ids) -> tuple[str, ...]:
    """The mistakes, without repeats, that can happen in ``kata``."""
    return tuple(m for m in dict.fromkeys(mistake_ids) if known(m).applies_to(kata))
