"""Self-study notebooks: one per d2l section, over the learner's own ``exercises/``.

    kata notebooks DIR [--katas IDS] [--force]

A section's notebook: its idea in a few lines (the reference module's docstring), a set-up cell,
then per kata its instructions, a cell holding the kata's code as ``exercises/<module>.py`` has it
now, and a check cell (``kata.check("corr2d")``). It speaks the language it was built in (``--lang``):
its texts, the instructions in the code's docstrings that are still the reference's, and what its
cells print when they run.

One source of truth, the files: a check cell first copies the kata's cell as the kernel last ran it
into ``exercises/<module>.py`` (``notebook_sync``: its definitions, the constants and imports they
use; a file changed elsewhere is kept or backed up, never lost), then checks that file exactly as
``kata check`` does. So ``kata status``, ``kata check``, ``kata watch`` and the pytest plugin see
what the notebook did, the verdicts are kept in the same ``.kata/verdicts.json``, and ``kata.hint``
reveals the same hints as ``kata hint`` (``.kata/state.json``). Building again never replaces a
notebook that exists: it is kept; ``--force`` backs it up and writes it from the files as they are.

``--katas`` gives some katas only; the katas they build on that are still stubs in the learner's
files are given the reference's code (``give_requirements``), so that each can be completed alone.
"""
from __future__ import annotations

import ast
import json
import os
from dataclasses import replace
from pathlib import Path

from grader.core import stubgen
from grader.core.backups import backup
from grader.core.docstrings import docstrings_translated
from grader.core.i18n import N_, _, language, ngettext, set_language
from grader.core.manifest import Kata, load_manifest
from grader.core.paths import SOLUTIONS_DIR
from grader.learner.editing import splice_symbols, symbol_source
from grader.learner.notebook_sync import (
    NotebookError,
    SyncState,
    copy_cell,
    file_texts,
    kata_cell,
    read_module,
    text_digest,
    write_module,
)
from grader.learner.state_files import read_state, write_state

#: nbformat's version 4 layout, written without nbformat (the learner's tools stay light).
_NOTEBOOK_META = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                  "language_info": {"name": "python"}}

HOW_TO = N_("""\
Write each kata in the cell under its instructions, run that cell, then run the check cell below it: it copies \
that cell — its functions and classes, and the constants and imports they use; not your scratch work — into \
`{file}` and checks it there, as `kata check` does in a terminal. Progress, hints and `kata status` are the same \
in both places. Stuck? `kata.hint("…")` shows the next hint.""")


def _cell(kind: str, source: str, **metadata) -> dict:
    cell = {"cell_type": kind, "metadata": metadata, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _module_idea(module: str) -> tuple[str, str]:
    """The section's title and idea: the first line of the reference module's docstring, and the rest."""
    doc = ast.get_docstring(ast.parse((SOLUTIONS_DIR / f"{module}.py").read_text(encoding="utf-8")))
    doc = _(doc) if doc else module
    title, _newline, idea = doc.partition("\n")
    return title.strip(), idea.strip()


def _header(source: str) -> list[str]:
    """The set-up lines for a module's notebook: its imports as the file has them, a relative one
    (``from .conv_layer import corr2d``) as the learner's own module's names (``kata.imported``)."""
    lines = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and not node.level):
            lines.append(ast.get_source_segment(source, node))
        elif isinstance(node, ast.ImportFrom):
            lines += [f"{alias.asname or alias.name} = kata.imported({node.module!r}, {alias.name!r})"
                      for alias in node.names]
    return lines


def _kata_code(source: str, kata: Kata) -> str:
    """The kata's symbols as the file has them now, with the instructions the reference's docstrings give
    in the language the notebook speaks (a docstring of the learner's own stays as it is)."""
    texts = file_texts(source)
    return docstrings_translated("\n\n".join(texts[s] for s in kata.symbols if s in texts), kata.module)


def section_notebook(module: str, katas: list[Kata], exercises: Path, folder: Path) -> dict:
    """The self-study notebook of ``module`` for ``katas`` (its katas, in order), over the file in ``exercises``."""
    path = exercises / f"{module}.py"
    try:
        source = read_module(path)
        ast.parse(source)
    except (OSError, SyntaxError) as exc:
        raise NotebookError(_("{path} cannot be read as Python ({error}): fix it, or `kata reset` its katas, "
                              "then build the notebooks again").format(path=path, error=exc)) from None
    title, idea = _module_idea(module)
    file = os.path.relpath(path, folder.resolve())
    cells = [_cell("markdown", "\n\n".join(filter(None, [f"# {title}", idea, _(HOW_TO).format(file=file)])))]
    where = os.path.relpath(exercises, folder.resolve())
    required = [r for k in katas for r in load_manifest().requirements(k.id) if r.module == module and r not in katas]
    setup = ["from grader.learner.notebooks import Workspace\n",
             f"kata = Workspace({where!r}, {module!r}, language={language()!r})  # "
             + _("your exercises/ folder, relative to this notebook; the language this notebook speaks"),
             *_header(source),
             *(f"{s} = kata.imported({module!r}, {s!r})  # "
               + _("{kata}, from {file}").format(kata=r.id, file=f"{module}.py") for r in dict.fromkeys(required)
               for s in r.symbols)]
    cells.append(_cell("code", "\n".join(setup), convkata={"role": "setup"}))
    for kata in katas:
        symbols = ", ".join(f"`{s}`" for s in kata.symbols)
        # Translators: a kata's instructions in its notebook; {citation} is e.g. "d2l 7.2", {symbols} e.g. "`corr2d`"
        text = ngettext("{citation}, {points} point. Write {symbols} below.",
                        "{citation}, {points} points. Write {symbols} below.", kata.points).format(
            citation=kata.citation, points=kata.points, symbols=symbols)
        if kata.requires:
            text += _(" It builds on {katas}.").format(katas=", ".join(kata.requires))
        cells.append(_cell("markdown", f"## {kata.id} — {kata.title}\n\n{text}"))
        cells.append(_cell("code", _kata_code(source, kata), convkata={"role": "code", "kata": kata.id}))
        cells.append(_cell("code", f"kata.check({kata.id!r})", convkata={"role": "check", "kata": kata.id}))
    cells.append(_cell("code", "kata.status()", convkata={"role": "status"}))
    for number, cell in enumerate(cells):
        cell["id"] = f"{module}-{number}"
    return {"cells": cells, "metadata": _NOTEBOOK_META, "nbformat": 4, "nbformat_minor": 5}


class GivenCode:
    """The katas whose code ``give_requirements`` put in the learner's files, with a digest of it
    (``.kata/given.json``): while a file still holds that code, ``kata status`` shows the kata as
    given, for no points."""

    def __init__(self, exercises: Path):
        self.exercises = exercises
        self.path = exercises.parent / ".kata" / "given.json"

    def _digest(self, kata: Kata) -> str | None:
        try:
            texts = file_texts(read_module(self.exercises / f"{kata.module}.py"))
            return text_digest("\0".join(texts[s] for s in kata.symbols))
        except (OSError, SyntaxError, KeyError):
            return None

    def record(self, kata: Kata) -> None:
        write_state(self.path, {**read_state(self.path), kata.id: self._digest(kata)})

    def still_given(self, katas) -> set[str]:
        """The ids of ``katas`` whose files still hold the code given them."""
        data = read_state(self.path)
        return {k.id for k in katas if k.id in data and data[k.id] is not None and data[k.id] == self._digest(k)}


def give_requirements(katas: list[Kata], exercises: Path) -> list[tuple[Kata, Path]]:
    """So that ``katas`` alone can be completed: the katas they build on, outside them, whose code
    in the learner's files is still the stub get the reference's code (as an nbgrader assignment
    gives it), each file backed up first; what was given, and each backup. A kata the learner has
    written, right or wrong, keeps the learner's code."""
    manifest = load_manifest()
    chosen = {k.id for k in katas}
    needed = {r.id for k in katas for r in manifest.requirements(k.id)} - chosen
    stubs = stubgen.generate()
    given, saved = [], {}
    for kata in (k for k in manifest if k.id in needed):
        path = exercises / f"{kata.module}.py"
        source, stub = read_module(path), stubs[path.name]
        try:
            untouched = all(symbol_source(source, s) == symbol_source(stub, s) for s in kata.symbols)
        except (KeyError, SyntaxError):  # written otherwise, or a file that does not parse: the learner's
            continue
        if untouched:
            reference = stubgen.strip_markers((SOLUTIONS_DIR / path.name).read_text(encoding="utf-8"))
            if path not in saved:  # the learner's file as it was, once
                saved[path] = backup(path, exercises.parent / ".kata" / "backups")
            write_module(path, splice_symbols(source, reference, kata.symbols))
            GivenCode(exercises).record(kata)
            given.append((kata, saved[path]))
    return given


def build_notebooks(folder: Path, exercises: Path, kata_ids: list[str] | None = None, *,
                    force: bool = False) -> list[tuple[Path, str]]:
    """Write a notebook per section of ``kata_ids`` (default: every kata) into ``folder``: each
    path, and what happened to it ("written", "kept": it exists; "rewritten, yours saved as …");
    the requirements outside ``kata_ids`` that are still stubs are given first (``give_requirements``)."""
    manifest = load_manifest()
    katas = manifest.select(kata_ids)
    if folder.exists() and not folder.is_dir():
        raise NotebookError(_("{folder} is a file: give a folder for the notebooks (it is made if missing)")
                            .format(folder=folder))
    modules = list(dict.fromkeys(k.module for k in katas))
    notebooks = {module: section_notebook(module, [k for k in katas if k.module == module], exercises, folder)
                 for module in modules}  # all of them first: a file that does not parse stops before anything is written
    folder.mkdir(parents=True, exist_ok=True)
    # Translators: {others} are the katas that build on {kata}; {saved} the backup of the learner's file
    done = [(exercises / f"{kata.module}.py",
             _("gave the reference's {kata} ({symbols}): {others} builds on it and yours was a stub (`kata reset "
               "{kata}` puts it back; your file is saved as {saved})").format(
                 kata=kata.id, symbols=", ".join(kata.symbols), saved=saved,
                 others=", ".join(k.id for k in katas if kata in manifest.requirements(k.id))))
            for kata, saved in give_requirements(katas, exercises)]
    for module, notebook in notebooks.items():
        path = folder / f"{module}.ipynb"
        if path.exists() and not force:
            done.append((path, _("kept (it exists: your cells stay; --force rewrites it, keeping a backup)")))
            continue
        action = _("written")
        if path.exists():
            action = _("rewritten; yours is saved as {backup}").format(
                backup=backup(path, exercises.parent / ".kata" / "backups"))
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        SyncState(exercises).record_file(exercises / f"{module}.py", [k for k in katas if k.module == module])
        done.append((path, action))
    return done


def marked_given(verdicts: list, exercises: Path) -> list:
    """``verdicts`` (``Verdict``s), those of katas whose code is still the one given them marked given."""
    given = GivenCode(exercises).still_given([v.kata for v in verdicts])
    return [replace(v, given=True) if v.kata.id in given else v for v in verdicts]


class _Printed:
    """``Lines`` for a notebook cell: plain text, no styles."""

    def line(self, text: str = "", style: str | None = None) -> None:
        print(text)


class Workspace:
    """The set-up cell's ``kata``: checks, hints and progress of the learner's ``exercises`` folder
    (a path relative to the notebook), from the notebook of its ``module``, in the notebook's
    ``language`` (None: the kernel's, from its environment)."""

    def __init__(self, exercises: str | Path, module: str, language: str | None = None):
        if language:
            set_language(language)
        self.exercises = Path(exercises).resolve()
        if not (self.exercises / f"{module}.py").is_file():
            raise NotebookError(_("{file} does not exist: this notebook works on your exercises/ folder; build the "
                                  "notebooks again from the folder that holds it (`kata notebooks DIR`)").format(
                file=self.exercises / f"{module}.py"))
        self.module = module
        self._given = {"kata", "Workspace"}

    def imported(self, module: str, name: str):
        """``name`` from the learner's own ``module`` (as ``from .module import name`` gives it)."""
        from grader.core.implementation import load_implementation

        impl = load_implementation(self.exercises)
        impl.reload()
        self._given.add(name)
        return getattr(impl.module(module), name)

    def _cells_run(self) -> list[str]:
        try:
            shell = get_ipython()  # noqa: F821 — defined inside IPython
        except NameError:
            return []
        return list(shell.history_manager.input_hist_raw)

    def _kata(self, kata_id: str) -> Kata | None:
        """The kata of that id; None, having said which ids are close, if there is none."""
        manifest = load_manifest()
        try:
            return manifest.get(kata_id)
        except KeyError:
            close = manifest.closest(kata_id)
            if close:
                print("✗ " + _("no kata {kata!r} — did you mean {close!r}? (`kata.status()` lists them)").format(
                    kata=kata_id, close=close))
            else:
                print("✗ " + _("no kata {kata!r} (`kata.status()` lists them)").format(kata=kata_id))
            return None

    def sync(self, kata: Kata) -> None:
        """Copy ``kata``'s latest cell into its file, saying what happened (see notebook_sync)."""
        file = self.exercises / f"{kata.module}.py"
        cell = kata_cell(self._cells_run(), kata)
        if cell is None:
            print("(" + _("no cell run in this notebook defines {symbols}: checking {file} as it is").format(
                symbols=", ".join(kata.symbols), file=file) + ")")
            return
        copied = copy_cell(cell, kata, load_manifest(), file, SyncState(self.exercises), self._given)
        for name in copied.left_out:
            owner = next((k for k in load_manifest() if name in k.symbols), None)
            if owner and owner.module == kata.module:
                where = _("it is the {kata} kata's: write it in that kata's cell").format(kata=owner.id)
            elif owner:
                where = _("it is the {kata} kata's, in {file}").format(kata=owner.id, file=f"{owner.module}.py")
            else:
                where = _("this notebook's set-up cell gives it")
            print("(" + _("not copied: {name} — {where}").format(name=name, where=where) + ")")
        if copied.backup is not None:
            print("(" + _("{file} had changes of its own to {kata}: that version is saved as {backup}").format(
                file=file.name, kata=kata.id, backup=copied.backup) + ")")
        if copied.written:
            print("(" + _("copied {names} into {file}").format(names=", ".join(copied.written), file=file) + ")")
        if copied.kept:
            print("(" + _("{names} changed in {file} since this notebook last copied or showed it, and the cell did "
                          "not: the file's version is checked. To check the cell's instead, change the cell and run "
                          "it; the file's version is then backed up").format(names=", ".join(copied.kept), file=file)
                  + ")")

    def check(self, kata_id: str, seed: int | None = None) -> None:
        """Copy the kata's cell into its file, then check the file as ``kata check`` does; pictures
        of what differs are shown under the text where the notebook can show them."""
        from grader.grading.pictures import display_pictures
        from grader.learner.session import KeptRuns, show_result

        kata = self._kata(kata_id)
        if kata is None:
            return
        try:
            self.sync(kata)
        except NotebookError as exc:
            print(f"✗ {exc}")
            return
        result = KeptRuns(self.exercises, seed, rerun="kata.check(…, seed={seed})").run(kata)
        show_result(_Printed(), result, hint="kata.hint('{kata}')", solution="kata solution {kata}",
                    given=bool(GivenCode(self.exercises).still_given([kata])))
        display_pictures(result)

    def hint(self, kata_id: str) -> None:
        """The hints of ``kata_id`` seen so far and the next one (the same as `kata hint`)."""
        from grader.learner.session import KeptRuns, show_hints

        kata = self._kata(kata_id)
        if kata is None:
            return
        hints = KeptRuns(self.exercises, None).hints()
        show_hints(_Printed(), kata, hints.reveal(kata), again=f"kata.hint({kata.id!r})")

    def status(self) -> None:
        """The progress table of every kata (the same as `kata status`)."""
        from grader.learner.progress import render_plain
        from grader.learner.session import KeptRuns

        runs = KeptRuns(self.exercises, None, rerun="kata.check(…, seed={seed})")
        render_plain(marked_given([runs.verdict(kata)[0] for kata in load_manifest()], self.exercises))
