"""Generate the learner's ``exercises/`` from ``solutions/`` and the manifest.

Every ``### BEGIN SOLUTION`` … ``### END SOLUTION`` region (nbgrader's markers) becomes a
``raise NotImplementedError("<kata>: …")`` at the region's indentation; everything else — imports,
signatures, docstrings, given helpers — is kept as it is. The committed ``exercises/`` are English;
a stub in another language (``kata reset --lang zh``, the notebooks) has its header, its docstrings and
its message in that language, and cites that language's edition of the book.

    python -m grader.core.stubgen            # rewrite exercises/
    python -m grader.core.stubgen --check    # exit 1 if the committed exercises/ are out of date

A learner writes in ``exercises/``, so its working copy is theirs: the check compares the files as
the project committed them (see ``stale_committed``).
"""
from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

from grader.core.backups import backup

from .docstrings import docstrings_translated, replaced
from .i18n import LANGUAGES, N_, _, speaking
from .manifest import Kata, Manifest, load_manifest
from .paths import BACKUP_DIR, EXERCISES_DIR, REPO_ROOT, SOLUTIONS_DIR

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HEADER = N_("# Your code for these katas. Replace each `raise NotImplementedError(...)` with your implementation;\n"
             "# `make grade` shows your progress. Generated from solutions/{name} by `make exercises`.\n")


def strip_markers(source: str) -> str:
    """The reference's text without its solution marker lines."""
    return "".join(line for line in source.splitlines(keepends=True) if line.strip() not in (BEGIN, END))


class StubError(ValueError):
    """The solution markers are malformed; the message names the file and line."""


def _enclosing(tree: ast.Module, line: int) -> tuple[str, str]:
    """(top-level symbol, qualified name of the innermost function) around a 1-based line."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.lineno <= line <= node.end_lineno:
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.lineno <= line <= item.end_lineno:
                        return node.name, f"{node.name}.{item.name}"
            return node.name, node.name
    return "", ""


def stub_source(source: str, module: str, manifest: Manifest, *, name: str = "", language: str = "en") -> str:
    """The exercise text for one solution module, in ``language``."""
    with speaking(language):
        return _stub_source(docstrings_translated(source, module), module, manifest, name)


def _stub_source(source: str, module: str, manifest: Manifest, name: str) -> str:
    lines = source.splitlines(keepends=True)
    if not any(line.strip() in (BEGIN, END) for line in lines):
        return source
    tree = ast.parse(source)
    out = [_(HEADER).format(name=name or f"{module}.py")]
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.strip() == END:
            raise StubError(f"{module}.py:{index + 1}: {END} without {BEGIN}")
        if line.strip() != BEGIN:
            out.append(line)
            index += 1
            continue
        symbol, qualname = _enclosing(tree, index + 1)
        kata = manifest.kata_of_symbol(module, symbol)
        if kata is None:
            raise StubError(f"{module}.py:{index + 1}: solution region in {qualname or 'module level'}, which no "
                            f"kata in katas.toml lists among its symbols")
        end = next((j for j in range(index + 1, len(lines)) if lines[j].strip() in (BEGIN, END)), None)
        if end is None or lines[end].strip() != END:
            raise StubError(f"{module}.py:{index + 1}: {BEGIN} without a matching {END}")
        indent = line[: len(line) - len(line.lstrip())]
        out.append(f'{indent}raise NotImplementedError({json.dumps(stub_message(kata, qualname), ensure_ascii=False)})\n')
        index = end + 1
    return "".join(out)


def stub_message(kata: Kata, name: str) -> str:
    """What the stub of ``name`` (a function, ``Conv2D.forward``) raises, in the language convkata speaks:
    ``corr2d: implement corr2d (d2l 7.2)``. The kata's id leads, whatever the language (``_stub_file``)."""
    # Translators: what a stub raises, after "<kata id>: "; {name} is a function, {citation} e.g. "d2l 7.2"
    return f"{kata.id}: " + _("implement {name} ({citation})").format(name=name, citation=kata.citation)


@cache
def _stub_messages() -> tuple[re.Pattern, ...]:
    """What the generated stubs raise, in each language convkata speaks, as patterns (made once: every
    pending check's message is read through them)."""
    patterns = []
    for code in LANGUAGES:
        with speaking(code):
            message = re.escape(_("implement {name} ({citation})"))
            citation = re.escape(_("d2l {section}")).replace(re.escape("{section}"), r"[\d.]+")
        patterns.append(re.compile(r"(?P<kata>\w+): " + message.replace(re.escape("{name}"), r"(?P<name>[\w.]+)")
                                   .replace(re.escape("{citation}"), citation)))
    return tuple(patterns)


def stub_said(message: str) -> str:
    """What a stub raised (``corr2d: implement corr2d (d2l 7.2)``), said in the language convkata speaks
    when it is what a generated stub says in any language (the exercises/ a learner cloned are
    English); any other message as it is."""
    for pattern in _stub_messages():
        found = pattern.fullmatch(message)
        if found:
            try:
                return stub_message(load_manifest().get(found["kata"]), found["name"])
            except KeyError:
                return message
    return message


def in_language(source: str, module: str, language: str) -> str:
    """A stubs file (a learner's ``exercises/<module>.py``) with its instructions in ``language``: the
    header, the docstrings and the stubs' messages this project wrote, whatever language they are in
    now; the learner's code and own docstrings as they are. The source itself when it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    with speaking(language):
        edits = []
        for node in ast.walk(tree):
            if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name)
                    and node.exc.func.id == "NotImplementedError" and len(node.exc.args) == 1
                    and isinstance(node.exc.args[0], ast.Constant) and isinstance(node.exc.args[0].value, str)):
                message = node.exc.args[0].value
                said = stub_said(message)
                if said != message:
                    edits.append((node.exc.args[0], json.dumps(said, ensure_ascii=False)))
        source = docstrings_translated(replaced(source, edits), module)
        header = _(HEADER).format(name=f"{module}.py")
    for code in LANGUAGES:
        with speaking(code):
            theirs = _(HEADER).format(name=f"{module}.py")
        if source.startswith(theirs):
            return header + source[len(theirs):]
    return source


def generate(solutions_dir: Path = SOLUTIONS_DIR, manifest: Manifest | None = None, *,
             language: str = "en") -> dict[str, str]:
    """File name → exercise text in ``language`` (the committed exercises/: English), for every .py
    file in ``solutions_dir``."""
    manifest = manifest or load_manifest()
    return {path.name: stub_source(path.read_text(encoding="utf-8"), path.stem, manifest, name=path.name,
                                   language=language)
            for path in sorted(solutions_dir.glob("*.py"))}


def stale_files(expected: dict[str, str], folder: Path) -> list[str]:
    """The .py files under ``folder`` (by relative path) that differ from ``expected``: missing,
    stale, or extra."""
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*.py")} if folder.is_dir() else set()
    stale = [name for name, text in expected.items()
             if name not in present or (folder / name).read_text(encoding="utf-8") != text]
    return sorted(stale + [name for name in present - set(expected)])


def out_of_sync(exercises_dir: Path = EXERCISES_DIR, solutions_dir: Path = SOLUTIONS_DIR) -> list[str]:
    """The exercise files that differ from a fresh generation (missing, stale, or extra)."""
    return stale_files(generate(solutions_dir), exercises_dir)


#: What exercises/ is generated from, relative to the repository root.
GENERATION_SOURCES = ("solutions", "katas.toml", "grader/core/stubgen.py")


def committed_exercises(repo: Path = REPO_ROOT) -> dict[str, str] | None:
    """File name → text of ``repo``'s exercises/ at the last commit that changed what it is generated
    from; None outside a git checkout (or without git)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout

    try:
        commit = git("log", "-1", "--format=%H", "--", *GENERATION_SOURCES).strip()
        if not commit:
            return None
        names = git("ls-tree", "--name-only", "-r", commit, "exercises/").splitlines()
        return {name.removeprefix("exercises/"): git("show", f"{commit}:{name}") for name in names if name.endswith(".py")}
    except (OSError, subprocess.CalledProcessError):
        return None


def stale_committed(repo: Path = REPO_ROOT) -> list[str]:
    """The files of ``repo``'s exercises/ out of sync with a fresh generation, as the project committed them.

    An in-sync working copy passes (a regeneration not yet committed). Otherwise the working copy may
    hold a learner's work, committed or not, so the files at the last commit that changed solutions/,
    katas.toml or this generator are compared: a change to those must be committed with its
    regeneration. Outside a git checkout the working copy is all there is."""
    stale = out_of_sync(repo / "exercises", repo / "solutions")
    committed = committed_exercises(repo) if stale else None
    if committed is None:
        return stale
    expected = generate(repo / "solutions")
    return sorted(name for name in expected.keys() | committed.keys() if expected.get(name) != committed.get(name))


def write(target: Path = EXERCISES_DIR, solutions_dir: Path = SOLUTIONS_DIR,
          backup_dir: Path = BACKUP_DIR) -> list[str]:
    """Write a fresh generation into ``target``; return the names written. A file whose text
    would change is first copied to ``backup_dir/<timestamp>/``, so no learner's work is lost."""
    target.mkdir(parents=True, exist_ok=True)
    files = generate(solutions_dir)
    for name, text in files.items():
        path = target / name
        if path.exists() and path.read_text(encoding="utf-8") != text:
            print(f"kept your previous {name} as {backup(path, backup_dir)}")
        path.write_text(text, encoding="utf-8")
    return sorted(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.core.stubgen", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only report whether the committed exercises/ are up to date")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_committed()
        if stale:
            print(f"exercises/ is out of sync with solutions/: {', '.join(stale)}. Run `make exercises` and "
                  "commit exercises/ with the change to solutions/ that needs it.")
            return 1
        edited = out_of_sync()
        print("exercises/ is in sync with solutions/" + (f" as committed (your working copy changes {', '.join(edited)})"
                                                           if edited else ""))
        return 0
    names = write()
    print(f"wrote {len(names)} files to {EXERCISES_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
