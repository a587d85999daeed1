"""Self-study notebooks: one per d2l section, over the learner's own ``exercises/``.

    kata notebooks DIR [--katas IDS] [--force]

A section's notebook: its idea in a few lines (the reference module's docstring), a set-up cell,
then per kata its instructions, a cell holding the kata's code as ``exercises/<module>.py`` has it
now, and a check cell (``kata.check("corr2d")``).

One source of truth, the files: a check cell first copies the code this notebook's kernel ran —
each top-level function and class of its cells, the imports they add, the constants they use — into
``exercises/<module>.py``, then checks that file exactly as ``kata check`` does. So ``kata status``,
``kata check``, ``kata watch`` and the pytest plugin see what the notebook did, the verdicts are
kept in the same ``.kata/verdicts.json``, and ``kata.hint`` reveals the same hints as ``kata hint``
(``.kata/state.json``). A definition changed in the file since the notebook last wrote or read it
(the learner edited it elsewhere) is not overwritten silently: the file is backed up first
(``.kata/backups``), and the check says so. Building again never replaces a notebook that exists:
it is kept; ``--force`` backs it up and writes it from the files as they are.

``--katas`` gives some katas only; the katas they build on that are still stubs in the learner's
files are given the reference's code (``give_requirements``), so that each can be completed alone.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import symtable
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import stubgen
from grader.core.backups import backup
from grader.core.manifest import Kata, load_manifest
from grader.core.paths import SOLUTIONS_DIR
from grader.learner.editing import splice_symbols, symbol_source, symbol_spans

#: nbformat's version 4 layout, written without nbformat (the learner's tools stay light).
_NOTEBOOK_META = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                  "language_info": {"name": "python"}}

HOW_TO = """\
Write each kata in the cell under its instructions, run that cell, then run the check cell below it: it copies \
the code you ran into `{file}` and checks it there, as `kata check` does in a terminal. Progress, hints and \
`kata status` are the same in both places. Stuck? `kata.hint("…")` shows the next hint."""


class NotebookError(ValueError):
    """A notebook or an exercises file convkata cannot use as it is; the message says what to do."""


def _cell(kind: str, source: str, **metadata) -> dict:
    cell = {"cell_type": kind, "metadata": metadata, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _module_idea(module: str) -> tuple[str, str]:
    """The section's title and idea: the first line of the reference module's docstring, and the rest."""
    doc = ast.get_docstring(ast.parse((SOLUTIONS_DIR / f"{module}.py").read_text(encoding="utf-8"))) or module
    title, _, idea = doc.partition("\n")
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
    """The kata's symbols as the file has them now."""
    spans = symbol_spans(source)
    lines = source.splitlines(keepends=True)
    return "\n\n".join("".join(lines[spans[s][0] - 1:spans[s][1]]).rstrip("\n") for s in kata.symbols if s in spans)


def section_notebook(module: str, katas: list[Kata], exercises: Path, folder: Path) -> dict:
    """The self-study notebook of ``module`` for ``katas`` (its katas, in order), over the file in ``exercises``."""
    path = exercises / f"{module}.py"
    try:
        source = path.read_text(encoding="utf-8")
        ast.parse(source)
    except (OSError, SyntaxError) as exc:
        raise NotebookError(f"{path} cannot be read as Python ({exc}): fix it, or `kata reset` its katas, "
                            "then build the notebooks again") from None
    title, idea = _module_idea(module)
    file = os.path.relpath(path, folder.resolve())
    cells = [_cell("markdown", "\n\n".join(filter(None, [f"# {title}", idea, HOW_TO.format(file=file)])))]
    where = os.path.relpath(exercises, folder.resolve())
    required = [r for k in katas for r in load_manifest().requirements(k.id) if r.module == module and r not in katas]
    setup = ["from grader.learner.notebooks import Workspace\n",
             f"kata = Workspace({where!r}, {module!r})  # your exercises/ folder, relative to this notebook",
             *_header(source),
             *(f"{s} = kata.imported({module!r}, {s!r})  # {r.id}, from {module}.py" for r in dict.fromkeys(required)
               for s in r.symbols)]
    cells.append(_cell("code", "\n".join(setup), convkata={"role": "setup"}))
    for kata in katas:
        builds_on = f" It builds on {', '.join(kata.requires)}." if kata.requires else ""
        cells.append(_cell("markdown", f"## {kata.id} — {kata.title}\n\nd2l {kata.section}, {kata.points} points. "
                                       f"Write {', '.join(f'`{s}`' for s in kata.symbols)} below.{builds_on}"))
        cells.append(_cell("code", _kata_code(source, kata), convkata={"role": "code", "kata": kata.id}))
        cells.append(_cell("code", f"kata.check({kata.id!r})", convkata={"role": "check", "kata": kata.id}))
    cells.append(_cell("code", "kata.status()", convkata={"role": "status"}))
    for number, cell in enumerate(cells):
        cell["id"] = f"{module}-{number}"
    return {"cells": cells, "metadata": _NOTEBOOK_META, "nbformat": 4, "nbformat_minor": 5}


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
        source, stub = path.read_text(encoding="utf-8"), stubs[path.name]
        try:
            untouched = all(symbol_source(source, s) == symbol_source(stub, s) for s in kata.symbols)
        except (KeyError, SyntaxError):  # written otherwise, or a file that does not parse: the learner's
            continue
        if untouched:
            reference = stubgen.strip_markers((SOLUTIONS_DIR / path.name).read_text(encoding="utf-8"))
            if path not in saved:  # the learner's file as it was, once
                saved[path] = backup(path, exercises.parent / ".kata" / "backups")
            path.write_text(splice_symbols(source, reference, kata.symbols), encoding="utf-8")
            given.append((kata, saved[path]))
    return given


def build_notebooks(folder: Path, exercises: Path, kata_ids: list[str] | None = None, *,
                    force: bool = False) -> list[tuple[Path, str]]:
    """Write a notebook per section of ``kata_ids`` (default: every kata) into ``folder``: each
    path, and what happened to it ("written", "kept": it exists; "rewritten, yours saved as …");
    the requirements outside ``kata_ids`` that are still stubs are given first (``give_requirements``)."""
    manifest = load_manifest()
    katas = manifest.select(kata_ids)
    folder.mkdir(parents=True, exist_ok=True)
    done = [(exercises / f"{kata.module}.py", f"gave the reference's {kata.id} ({', '.join(kata.symbols)}): "
             f"{', '.join(k.id for k in katas if kata in manifest.requirements(k.id))} builds on it and yours was "
             f"a stub (`kata reset {kata.id}` puts it back; your file is saved as {saved})")
            for kata, saved in give_requirements(katas, exercises)]
    for module in dict.fromkeys(k.module for k in katas):
        path = folder / f"{module}.ipynb"
        notebook = section_notebook(module, [k for k in katas if k.module == module], exercises, folder)
        if path.exists() and not force:
            done.append((path, "kept (it exists: your cells stay; --force rewrites it, keeping a backup)"))
            continue
        action = "written"
        if path.exists():
            action = f"rewritten; yours is saved as {backup(path, exercises.parent / '.kata' / 'backups')}"
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        SyncState(exercises).remember(exercises / f"{module}.py")
        done.append((path, action))
    return done


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class SyncState:
    """What each exercises file held, definition by definition, when a notebook last wrote or read
    it (``.kata/notebooks.json``): a definition that differs now was changed elsewhere."""

    exercises: Path
    path: Path = field(init=False)

    def __post_init__(self):
        self.path = self.exercises.parent / ".kata" / "notebooks.json"

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def known(self, file: Path) -> dict[str, str]:
        entry = self._load().get(str(file.resolve()))
        return entry if isinstance(entry, dict) else {}

    def remember(self, file: Path) -> None:
        """Record ``file``'s definitions as they are now."""
        source = file.read_text(encoding="utf-8")
        data = self._load()
        data[str(file.resolve())] = {name: _digest(_span_text(source, span)) for name, span in symbol_spans(source).items()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _span_text(source: str, span: tuple[int, int]) -> str:
    return "".join(source.splitlines(keepends=True)[span[0] - 1:span[1]])


@dataclass
class NotebookCode:
    """What a notebook's kernel ran, for its module file: the latest text of each top-level function
    and class, the imports of the cells that define them, and the constants those use."""

    definitions: dict[str, str] = field(default_factory=dict)
    imports: list[str] = field(default_factory=list)
    constants: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_cells(cls, cells: list[str], ignored: set[str] = frozenset()) -> NotebookCode:
        """From the cells run, oldest first (cells that do not parse as Python are skipped);
        ``ignored``: names the set-up cell gives (never copied into the file)."""
        code = cls()
        assigned: dict[str, str] = {}
        for cell in cells:
            try:
                body = ast.parse(cell).body
            except SyntaxError:
                continue
            defines = [n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
            for node in body:
                text = _node_text(cell, node)
                if node in defines and node.name not in ignored:
                    code.definitions[node.name] = text
                elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    assigned[node.targets[0].id] = text
                elif defines and isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0) \
                        and text not in code.imports and "kata" not in _bound_names(node):
                    code.imports.append(text)
        used = set().union(*map(_global_names, code.definitions.values()))
        code.constants = {name: text for name, text in assigned.items()
                          if name in used and name not in ignored and name not in code.definitions}
        return code

    def merged_into(self, source: str) -> str:
        """``source`` (a module's text) with these definitions and constants replacing theirs or
        added at the end, and the imports it lacks added after its own."""
        lines = source.splitlines(keepends=True)
        body = ast.parse(source).body
        spans = symbol_spans(source)
        constants = {n.targets[0].id: (n.lineno, n.end_lineno) for n in body
                     if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)}
        replacements = [(spans[name], text) for name, text in self.definitions.items() if name in spans]
        replacements += [(constants[name], text) for name, text in self.constants.items() if name in constants]
        appended = [text for name, text in {**self.constants, **self.definitions}.items()
                    if name not in spans and name not in constants]
        for (first, last), text in sorted(replacements, reverse=True):  # bottom up: spans stay valid
            lines[first - 1:last] = (text.rstrip("\n") + "\n").splitlines(keepends=True)
        present = {ast.dump(n) for n in body if isinstance(n, (ast.Import, ast.ImportFrom))}
        missing = [text for text in self.imports if ast.dump(ast.parse(text).body[0]) not in present]
        if missing:
            last_import = max((n.end_lineno for n in body if isinstance(n, (ast.Import, ast.ImportFrom))), default=0)
            lines[last_import:last_import] = [text + "\n" for text in missing]
        text = "".join(lines)
        for extra in appended:
            text = text.rstrip("\n") + "\n\n\n" + extra.rstrip("\n") + "\n"
        return text


def _node_text(cell: str, node: ast.stmt) -> str:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return "".join(cell.splitlines(keepends=True)[first - 1:node.end_lineno]).rstrip("\n")


def _global_names(definition: str) -> set[str]:
    """The module-level names a definition's code reads (not its parameters or local variables)."""
    names: set[str] = set()
    tables = [symtable.symtable(definition, "<cell>", "exec")]
    while tables:
        table = tables.pop()
        tables += table.get_children()
        if table.get_type() != "module":
            names |= {s.get_name() for s in table.get_symbols() if s.is_referenced() and s.is_global()}
    return names


def _bound_names(node: ast.Import | ast.ImportFrom) -> set[str]:
    return {(alias.asname or alias.name).split(".")[0] for alias in node.names}


def copy_into_file(code: NotebookCode, file: Path, state: SyncState) -> tuple[list[str], Path | None]:
    """Write the notebook's ``code`` into ``file``: the names whose text changed, and the backup of
    the file when a definition it replaces was changed there since the notebook last saw it.
    NotebookError when the file does not parse (its text is left as it is)."""
    source = file.read_text(encoding="utf-8")
    try:
        merged = code.merged_into(source)
    except SyntaxError as exc:
        raise NotebookError(f"{file} does not parse ({exc.msg}, line {exc.lineno}): fix it there, or `kata reset` "
                            "the kata, then run the check again") from None
    if merged == source:
        state.remember(file)
        return [], None
    spans, known = symbol_spans(source), state.known(file)
    changed = [name for name, text in code.definitions.items()
               if name not in spans or _span_text(source, spans[name]).rstrip("\n") != text]
    edited_elsewhere = [name for name in changed if name in spans
                        and known.get(name) != _digest(_span_text(source, spans[name]))]
    saved = backup(file, file.parent.parent / ".kata" / "backups") if edited_elsewhere else None
    file.write_text(merged, encoding="utf-8")
    state.remember(file)
    return changed, saved


class _Printed:
    """``Lines`` for a notebook cell: plain text, no styles."""

    def line(self, text: str = "", style: str | None = None) -> None:
        print(text)


class Workspace:
    """The set-up cell's ``kata``: checks, hints and progress of the learner's ``exercises`` folder
    (a path relative to the notebook), from the notebook of its ``module``."""

    def __init__(self, exercises: str | Path, module: str):
        self.exercises = Path(exercises).resolve()
        if not (self.exercises / f"{module}.py").is_file():
            raise NotebookError(f"{self.exercises / (module + '.py')} does not exist: this notebook works on your "
                                "exercises/ folder; build the notebooks again from the folder that holds it "
                                "(`kata notebooks DIR`)")
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

    def sync(self) -> None:
        """Copy the code the kernel ran into the module's file, saying what changed."""
        file = self.exercises / f"{self.module}.py"
        code = NotebookCode.of_cells(self._cells_run(), self._given)
        changed, saved = copy_into_file(code, file, SyncState(self.exercises))
        if saved is not None:
            print(f"({file.name} had changes made outside this notebook: that version is saved as {saved})")
        if changed:
            print(f"(copied {', '.join(changed)} into {file})")

    def check(self, kata_id: str, seed: int | None = None) -> None:
        """Copy this notebook's code into the file, then check ``kata_id`` there as ``kata check``
        does; pictures of what differs are shown under the text where the notebook can show them."""
        from grader.grading.pictures import display_pictures
        from grader.learner.session import KeptRuns, show_result

        kata = load_manifest().get(kata_id)
        self.sync()
        result = KeptRuns(self.exercises, seed, rerun="kata.check(…, seed={seed})").run(kata)
        show_result(_Printed(), result, hint="kata.hint('{kata}')", solution="kata solution {kata}")
        display_pictures(result)

    def hint(self, kata_id: str) -> None:
        """The hints of ``kata_id`` seen so far and the next one (the same as `kata hint`)."""
        from grader.learner.session import KeptRuns, show_hints

        kata = load_manifest().get(kata_id)
        hints = KeptRuns(self.exercises, None).hints()
        show_hints(_Printed(), kata, hints.reveal(kata), again=f"kata.hint({kata.id!r})")

    def status(self) -> None:
        """The progress table of every kata (the same as `kata status`)."""
        from grader.learner.progress import render_plain
        from grader.learner.session import KeptRuns

        runs = KeptRuns(self.exercises, None, rerun="kata.check(…, seed={seed})")
        render_plain([runs.verdict(kata)[0] for kata in load_manifest()])
