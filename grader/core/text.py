"""Text that came from a submission, made safe to keep: bounded in size, printable, encodable; and
text aligned in a terminal's columns, whatever language it is in.

A submission controls its exception messages, warnings and reprs; a record, a feedback file or a
terminal must stay small and valid whatever they hold.
"""
from __future__ import annotations

import re
import unicodedata

from .i18n import _

#: Control characters other than newline and tab (a terminal would act on them; JSON escapes them six-fold).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _json_bytes(text: str) -> int:
    """What ``text`` weighs as a JSON string written as UTF-8 (its quotes aside): backslashes,
    quotes, newlines and tabs take two bytes."""
    return len(text.encode("utf-8")) + sum(map(text.count, '"\\\n\t'))


def _cut(text: str, limit: int, size: int) -> str:
    """``text``'s start and end in ``limit`` bytes of UTF-8, with a note of the ``size`` - ``limit`` cut."""
    data = text.encode("utf-8")
    # Translators: marks where the middle of a long text (an error message, a warning) was cut out
    marker = "\n[… " + _("{count} bytes cut").format(count=size - limit) + " …]\n"
    keep = max(limit - len(marker.encode()), 0)
    head = data[:keep * 2 // 3].decode("utf-8", "ignore")
    tail = data[len(data) - keep // 3:].decode("utf-8", "ignore") if keep // 3 else ""
    return head + marker + tail


def clip(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` bytes once written in JSON as UTF-8: control characters and lone
    surrogates replaced, the middle of a longer text cut (its start and end say the most) and the
    cut said."""
    text = _CONTROL.sub("\ufffd", text.encode("utf-8", "replace").decode("utf-8"))
    size = _json_bytes(text)
    budget = limit
    clipped = text
    while _json_bytes(clipped) > limit and budget > 0:
        clipped = _cut(text, budget, size)
        budget = min(budget - 1, budget * limit // _json_bytes(clipped))
    return clipped


def clip_all(texts, count: int, limit: int) -> tuple[str, ...]:
    """The first ``count`` distinct ``texts``, each clipped to ``limit`` bytes, and a note of how
    many more there were (however many: the rest are counted, not read)."""
    kept: list[str] = []
    seen: set = set()
    more = 0
    for text in texts:
        text = str(text)
        if text in seen:  # one string repeated: hashed once, compared cheaply, never clipped again
            continue
        seen.add(text)
        if len(kept) < count:
            clipped = clip(text, limit)
            if clipped not in kept:
                kept.append(clipped)
        else:
            more += 1
    # Translators: after a list of warnings or messages, how many more were left out
    return (*kept, "… " + _("and {count} more").format(count=more)) if more else tuple(kept)


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes: two for a wide (Chinese) character, one for any other."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def padded(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns, as ``str.ljust`` aligns ASCII."""
    return text + " " * max(width - columns(text), 0)
