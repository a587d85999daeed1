"""The language convkata speaks: English, or Simplified Chinese for readers of d2l-zh.

Every text a learner or an instructor reads goes through ``_`` (or ``ngettext`` where a number
picks the form) at the moment it is shown, so one process can judge, write feedback and print in
the language it was asked for. The messages are gettext catalogues (``grader/locale``), managed with
Babel (``make messages``: extract, update) and compiled when convkata is installed.

The language comes from ``--lang``, else ``KATA_LANG``, else the locale (``LANGUAGE``, ``LC_ALL``,
``LC_MESSAGES``, ``LANG``, as gettext reads them), else English. Chinese readers use d2l-zh, whose
sections are numbered apart from the English edition's: ``edition()`` says which book to cite.
"""
from __future__ import annotations

import gettext
import io
import os
from collections.abc import Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path

DOMAIN = "convkata"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

#: The languages convkata speaks: a code (what ``--lang`` and ``KATA_LANG`` take) and its catalogue's locale.
LANGUAGES = {"en": None, "zh": "zh_CN"}
LANGUAGE_NAMES = {"en": "English", "zh": "简体中文, Simplified Chinese"}
#: Each language's tag in HTML's ``lang`` (BCP 47).
LANGUAGE_TAGS = {"en": "en", "zh": "zh-CN"}
#: The book each language reads, as ``katas.toml``'s ``[sections]`` names the editions.
EDITIONS = {"en": "en", "zh": "zh"}

_current: str | None = None


class LanguageError(ValueError):
    """A language convkata does not speak was asked for by name."""


def parse_language(name: str, *, source: str = "--lang") -> str:
    """The language code for ``name`` as a user writes it (``zh``, ``zh_CN``, ``zh-Hans``, ``en_US.UTF-8``);
    LanguageError naming the choices otherwise."""
    code = _code_of(name)
    if code is None:
        choices = ", ".join(f"{code} ({LANGUAGE_NAMES[code]})" for code in LANGUAGES)
        raise LanguageError(f"{source}: convkata does not speak {name!r}; choose one of: {choices}")
    return code


def _code_of(name: str) -> str | None:
    """``name``'s language code if convkata speaks it: its part before ``_``, ``-``, ``.`` or ``@``."""
    base = name.strip().replace("-", "_").split(".")[0].split("@")[0].split("_")[0].lower()
    return base if base in LANGUAGES else None


def locale_language(environ: Mapping[str, str]) -> str | None:
    """The language the locale asks for, as gettext reads it: ``LANGUAGE`` (a list, first match
    wins) unless the locale is C/POSIX, then the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that
    is set. None when it names no language convkata speaks."""
    chosen = next((environ[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(v)), "")
    names = [chosen]
    if chosen.split(".")[0] not in ("", "C", "POSIX"):
        names[:0] = environ.get("LANGUAGE", "").split(":")
    for name in names:
        if (code := _code_of(name)) is not None:
            return code
    return None


def resolve_language(option: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language to speak: ``option`` (``--lang``), else ``KATA_LANG``, else the locale, else
    English. LanguageError when ``--lang`` or ``KATA_LANG`` names a language convkata does not speak
    (a locale it does not speak just means English)."""
    environ = os.environ if environ is None else environ
    if option:
        return parse_language(option)
    if environ.get("KATA_LANG"):
        return parse_language(environ["KATA_LANG"], source="KATA_LANG")
    return locale_language(environ) or "en"


def set_language(code: str | None) -> str:
    """Speak ``code`` from now on in this process (None: resolve it from the environment again); the code."""
    global _current
    _current = parse_language(code) if code else resolve_language()
    return _current


def language() -> str:
    """The language this process speaks (resolved from the environment on first use)."""
    return _current if _current is not None else set_language(None)


@contextmanager
def speaking(code: str | None, *, export: bool = False):
    """Speak ``code`` (None: the environment's language) inside the block, then the language spoken
    before; yields the code. ``export``: also as $KATA_LANG, for the processes started in the block."""
    global _current
    before, exported = _current, os.environ.get("KATA_LANG")
    chosen = set_language(code)
    if export:
        os.environ["KATA_LANG"] = chosen
    try:
        yield chosen
    finally:
        _current = before
        if export and exported is None:
            os.environ.pop("KATA_LANG", None)
        elif export:
            os.environ["KATA_LANG"] = exported


def edition() -> str:
    """The edition of the book the reader has: ``en`` (d2l.ai) or ``zh`` (d2l-zh, zh.d2l.ai)."""
    return EDITIONS[language()]


def catalogue_path(code: str, suffix: str = ".po") -> Path:
    return LOCALE_DIR / LANGUAGES[code] / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@cache
def _translations(code: str) -> gettext.NullTranslations:
    if LANGUAGES[code] is None:
        return gettext.NullTranslations()
    po, mo = catalogue_path(code), catalogue_path(code, ".mo")
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as file:
            return gettext.GNUTranslations(file)
    # Not compiled yet, or the catalogue changed since (a pull without a reinstall): compile it here.
    return gettext.GNUTranslations(io.BytesIO(compile_catalogue(po)))


def load_catalogues() -> None:
    """Read every language's catalogue now (a sandbox's fork server: its children cannot read files)."""
    for code in LANGUAGES:
        _translations(code)


def compile_catalogue(po: Path) -> bytes:
    """The ``.mo`` bytes of the catalogue at ``po`` (what ``pybabel compile`` writes), fuzzy entries left out."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as file:
        catalog = read_po(file)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def _(message: str) -> str:
    """``message`` in the language this process speaks."""
    return _translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` that ``n`` takes, in the language this process speaks."""
    return _translations(language()).ngettext(singular, plural, n)


@cache
def _sources() -> dict[str, str]:
    """Each translation, in every language convkata speaks, and the English message it translates."""
    found = {}
    for code in LANGUAGES:
        catalog = getattr(_translations(code), "_catalog", {})
        found.update((text, message) for message, text in catalog.items() if isinstance(message, str) and message)
    return found


def source_of(text: str) -> str:
    """The English message that ``text`` translates (``text`` itself when it is English, or no message's
    translation): what to look up again to say it in another language."""
    return _sources().get(text, text)


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue where it is defined; ``_`` translates it where it is shown."""
    return message


class Lazy:
    """A message translated when it is shown: ``str()`` (an f-string, ``format``) gives it in the
    language spoken then, its fields filled in (a Lazy field is read then too). For texts made before
    the language is known, such as the labels of checks built when their module is imported:
    ``Lazy(N_("{call} (only 'max' and 'avg' exist)"), call="pool2d(…)")``."""

    def __init__(self, message: str, **fields):
        self.message, self.fields = message, fields

    def __str__(self) -> str:
        return _(self.message).format(**self.fields) if self.fields else _(self.message)

    def __repr__(self) -> str:
        return f"Lazy({self.message!r})"
