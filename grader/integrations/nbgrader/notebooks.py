"""nbgrader notebooks from the reference — one per kata module (a d2l section) — and back.

    kata nbgrader build COURSE_DIR [--assignment NAME] [--katas IDS]

A module's notebook: its title and the section's idea (the module's docstring); a locked cell of given code (the
module's imports, with what it imports from other modules written out, and the reference code of
the katas of the module that the assignment builds on but does not hold, so the notebook stands
alone); then per kata, in the manifest's order: instructions (title, d2l section, points, hints),
a solution cell (the kata's definitions from ``solutions/``, bodies between nbgrader's
``### BEGIN SOLUTION`` markers) and an autograded test cell (``grade_id`` = the kata id, the
manifest's points) calling ``grader.integrations.nbgrader.checks.check_kata``. Its hidden line,
``grade_with_secret()``, makes ``nbgrader autograde`` grade each submission on its own seed, derived
from the assignment's grading secret; the build makes the secret (``secret.py``: outside the
notebooks, kept by later builds), and no notebook holds it or any seed.

A course speaks the language it is built in (``--lang``): its texts, the docstrings' instructions,
the book's edition it cites, and — through ``check_kata``'s ``language`` — what its test cells print.

Read backwards, the same layout turns a submitted notebook into the module the sandboxed grader
grades (``module_source``): the source's given code, then the student's solution cells.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.core.backups import backup
from grader.core.docstrings import docstrings_translated
from grader.core.i18n import N_, _, language, ngettext
from grader.core.manifest import Kata, load_manifest
from grader.core.paths import SOLUTIONS_DIR
from grader.core.stubgen import strip_markers

from .secret import ensure_secret

CONFIG_TEXT = N_('''\
# nbgrader's configuration for a convkata course (written by `kata nbgrader build`; yours to edit).
c = get_config()

# A kata's checks can take longer than nbgrader's default 30 s per cell on a slow machine.
c.Execute.timeout = 300
''')

#: A test cell's first line (a comment), translated where it is written.
TEST_CELL_COMMENT = N_("# The checks of {kata_id} ({points} points): what passed, and what to fix. The cell's value "
                       "is your score.")
TEST_CELL = '''\
{comment}
from grader.integrations.nbgrader.checks import check_kata
### BEGIN HIDDEN TESTS
from grader.integrations.nbgrader.checks import grade_with_secret
grade_with_secret()  # autograding: this submission's inputs, from the instructor's grading secret
### END HIDDEN TESTS
check_kata({kata_id!r}{language})'''

#: The hidden lines of courses built before the grading secret (kept for one release: ``grade_with_seed``).
_GRADING_SEED = re.compile(r"^\s*grade_with_seed\((\d+)\)", re.MULTILINE)
_LEGACY_HIDDEN_LINES = re.compile(r"^from grader\.integrations\.nbgrader\.checks import grade_with_seed\n"
                                  r"grade_with_seed\(\d+\)[^\n]*$", re.MULTILINE)

INTRO = N_("""\
Fill in every cell that says `# YOUR CODE HERE` (replace the `raise NotImplementedError()`), then run the test \
cell below it: it runs the kata's checks on fresh random inputs, prints what passed and what to fix, and its \
value is your score. Keep your code, helpers included, inside those cells: only they are graded. \
Grading runs the same checks on other inputs.""")


class CourseError(ValueError):
    """A course folder or notebook convkata cannot use as it is; the message says what to do."""


@dataclass(frozen=True)
class ModuleParts:
    """A reference module cut where its notebook cuts it."""

    title: str
    given: str
    definitions: dict[str, str]  # top-level name -> its source (solution markers kept)


def _start(node: ast.stmt) -> int:
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])


def _segments(source: str) -> list[tuple[ast.stmt, str]]:
    """Each top-level statement with its text, up to the next one (trailing comments, such as a
    solution's end marker, included; blank lines around it left out)."""
    lines = source.splitlines(keepends=True)
    body = ast.parse(source).body
    ends = [_start(node) - 1 for node in body[1:]] + [len(lines)]
    return [(node, "".join(lines[_start(node) - 1:end]).strip() + "\n") for node, end in zip(body, ends)]


def _definitions(source: str) -> dict[str, str]:
    return {node.name: text for node, text in _segments(source) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def module_parts(module: str, solutions_dir: Path = SOLUTIONS_DIR) -> ModuleParts:
    """The title, given code and definitions of ``solutions/<module>.py``, its docstrings in the language
    convkata speaks. A relative import in its header (``from ._args import as_pair``) is replaced by
    the definitions it imports."""
    source = docstrings_translated((solutions_dir / f"{module}.py").read_text(encoding="utf-8"), module)
    segments = _segments(source)
    title = ast.get_docstring(ast.parse(source)) or module
    given = []
    for index, (node, text) in enumerate(segments):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            break
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring: the notebook's title
        given.append(_inlined(node, module, solutions_dir) if isinstance(node, ast.ImportFrom) and node.level
                     else text)
    return ModuleParts(title, "".join(given).strip() + "\n", _definitions(source))


def _inlined(node: ast.ImportFrom, module: str, solutions_dir: Path) -> str:
    """``from .other import a, b as c`` as the definitions of a and b (and ``c = b``)."""
    other = node.module or ""
    available = _definitions(docstrings_translated(strip_markers((solutions_dir / f"{other}.py").read_text(
        encoding="utf-8")), other))
    manifest = load_manifest()
    parts = []
    for alias in node.names:
        if alias.name not in available:
            raise CourseError(_("solutions/{module}.py imports {name} from {other}.py, which does not define it at top "
                                "level; a notebook can only be given top-level functions and classes").format(
                module=module, name=alias.name, other=f"{other}"))
        kata = manifest.kata_of_symbol(other, alias.name)
        if kata:
            given = _("# Given: the reference {name} of kata {kata} ({citation}); yours is graded in {notebook}.").format(
                name=alias.name, kata=kata.id, citation=kata.citation, notebook=f"{other}.ipynb")
        else:
            given = _("# Given: {name}, a helper from {file}.").format(name=alias.name, file=f"{other}.py")
        parts.append(f"\n\n{given}\n{available[alias.name]}")
        if alias.asname:
            parts.append(f"{alias.asname} = {alias.name}\n")
    return "".join(parts) + "\n\n"


def _cell(kind: str, source: str, grade_id: str, *, solution=False, grade=False, locked=True,
          points: int | None = None) -> nbformat.NotebookNode:
    """A cell with nbgrader's metadata; its id is its grade_id, so a rebuild writes the same file."""
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": locked, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    make = new_code_cell if kind == "code" else new_markdown_cell
    return make(source, metadata={"nbgrader": meta}, id=grade_id)


def _kata_markdown(kata: Kata, index: int, total: int) -> str:
    hints = "\n".join(f"{number}. {hint}" for number, hint in enumerate(kata.hints, start=1))
    symbols = ", ".join(f"`{s}`" for s in kata.symbols)
    heading = _("## Kata {index} of {total}: {title}").format(index=index, total=total, title=kata.title)
    points = ngettext("**{points} point**", "**{points} points**", kata.points).format(points=kata.points)
    facts = _("{citation} · {symbols} · {points} · kata id `{kata}`").format(
        citation=kata.citation, symbols=symbols, points=points, kata=kata.id)
    todo = _("Complete the definition below (its docstring says what it takes and returns), then run the test cell "
             "after it.")
    summary = _("Hints, from gentle to explicit")
    return f"{heading}\n\n{facts}\n\n{todo}\n\n<details><summary>{summary}</summary>\n\n{hints}\n\n</details>"


def module_notebook(module: str, katas: list[Kata], kernel: str = "python3",
                    solutions_dir: Path = SOLUTIONS_DIR) -> nbformat.NotebookNode:
    """The source notebook for ``katas`` (all of one ``module``), with solutions and hidden tests."""
    parts = module_parts(module, solutions_dir)
    cells = [_cell("markdown", f"# {parts.title}\n\n{_(INTRO)}", f"{module}_intro"),
             _cell("code", parts.given + _given_requirements(module, katas, parts), f"{module}_given")]
    for index, kata in enumerate(katas, start=1):
        missing = [s for s in kata.symbols if s not in parts.definitions]
        if missing:
            raise CourseError(_("kata {kata}: solutions/{module}.py does not define {missing} at top level").format(
                kata=kata.id, module=module, missing=missing))
        cells += [
            _cell("markdown", _kata_markdown(kata, index, len(katas)), f"{kata.id}_instructions"),
            _cell("code", "\n\n".join(parts.definitions[s].rstrip() for s in kata.symbols), f"{kata.id}_code",
                  solution=True, locked=False),
            _cell("code", test_cell(kata), kata.id, grade=True, points=kata.points),
        ]
    kernelspec = {"name": kernel, "display_name": "Python 3 (convkata)", "language": "python"}
    return new_notebook(cells=cells, metadata={"kernelspec": kernelspec, "language_info": {"name": "python"}})


def test_cell(kata: Kata) -> str:
    """``kata``'s autograded test cell. A course in another language than English has its checks speak
    it (``check_kata(…, language=…)``); an English course's cells are as courses built before had them."""
    speaks = "" if language() == "en" else f", language={language()!r}"
    comment = _(TEST_CELL_COMMENT).format(kata_id=kata.id, points=kata.points)
    return TEST_CELL.format(comment=comment, kata_id=kata.id, language=speaks)


def _given_requirements(module: str, katas: list[Kata], parts: ModuleParts) -> str:
    """The reference code of the katas of ``module`` that ``katas`` build on but the assignment does
    not hold (``--katas conv2d_module`` needs corr2d), so that the notebook can be completed; those
    of other modules come with the given imports (``_inlined``)."""
    manifest, chosen = load_manifest(), {kata.id for kata in katas}
    needed = {required.id: required for kata in katas for required in manifest.requirements(kata.id)
              if required.module == module and required.id not in chosen}
    return "".join("\n\n" + _("# Given: the reference {name} of kata {kata} ({citation}), which this assignment "
                                "builds on but does not ask for.").format(name=symbol, kata=kata.id, citation=kata.citation)
                   + f"\n{strip_markers(parts.definitions[symbol])}"
                   for kata in manifest if kata.id in needed for symbol in kata.symbols)


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def graded_katas(notebook: nbformat.NotebookNode) -> list[str]:
    """The grade ids of a notebook's autograded test cells (convkata's: kata ids), in order."""
    return [_nbgrader(c)["grade_id"] for c in notebook.cells
            if c.cell_type == "code" and _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")]


def grading_seed(notebook: nbformat.NotebookNode) -> int | None:
    """The seed in a source notebook's hidden test lines, if it was built before the grading
    secret (``grade_with_seed(N)``); None for any other."""
    for cell in notebook.cells:
        if _nbgrader(cell).get("grade"):
            found = _GRADING_SEED.search(cell.source)
            if found:
                return int(found.group(1))
    return None


def _without_magics(source: str) -> str:
    """IPython's ``%magic`` and ``!shell`` lines become ``pass`` (a module cannot run them)."""
    return "".join(f"{line[:len(line) - len(line.lstrip())]}pass  # (IPython only) {line.strip()}\n"
                   if line.lstrip().startswith(("%", "!")) else line
                   for line in source.splitlines(keepends=True))


def module_source(source: nbformat.NotebookNode, submitted: nbformat.NotebookNode) -> str:
    """The module a submitted notebook amounts to: the source's given (locked) code cells and the
    submission's solution cells (matched by ``grade_id``), in the source's order. Cells the student
    added are not part of it."""
    answers: dict[str, str] = {}
    for cell in submitted.cells:
        grade_id = _nbgrader(cell).get("grade_id")
        if cell.get("cell_type") == "code" and grade_id:
            answers.setdefault(grade_id, cell.get("source", ""))
    parts = []
    for cell in source.cells:
        meta = _nbgrader(cell)
        if cell.cell_type != "code" or meta.get("grade"):
            continue
        if meta.get("solution"):
            parts.append(_without_magics(answers.get(meta["grade_id"], "")))
        elif meta.get("locked"):
            parts.append(cell.source)
    return "\n\n\n".join(part.rstrip() for part in parts) + "\n"


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """A notebook file, or CourseError naming it and what is wrong."""
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError, json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:
        raise CourseError(_("{path}: not a readable notebook ({error})").format(path=path, error=exc)) from None


def _upgraded(notebook: nbformat.NotebookNode) -> str:
    """A notebook built before the grading secret, as this build writes it: its hidden
    ``grade_with_seed(N)`` lines replaced (the text to compare with the new notebook's)."""
    notebook = nbformat.from_dict(notebook)
    hidden = TEST_CELL.split("### BEGIN HIDDEN TESTS\n")[1].split("\n### END HIDDEN TESTS")[0]
    for cell in notebook.cells:
        if _nbgrader(cell).get("grade"):
            cell.source = _LEGACY_HIDDEN_LINES.sub(hidden, cell.source)
    return nbformat.writes(notebook) + "\n"


def build_course(course: Path, assignment: str, kata_ids: list[str] | None = None, *, kernel: str = "python3",
                 force: bool = False) -> list[Path]:
    """Write ``nbgrader_config.py`` (unless there is one) and ``source/<assignment>/<module>.ipynb``
    for the katas (default: all), and keep the assignment's grading secret in
    ``COURSE/.convkata/secrets/<assignment>`` (made at the first build, kept by later ones); return
    the notebooks written. A notebook that exists with other content is replaced only with
    ``force`` (a copy goes to ``COURSE/.kata-backups/``) — or, with no need for it, when all that
    differs is the ``grade_with_seed(N)`` hidden lines of a course built before the secret."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", assignment):
        raise CourseError(_("assignment {assignment!r}: use letters, digits, '_', '-' and '.' (nbgrader's ids)").format(
            assignment=assignment))
    katas = load_manifest().select(kata_ids)
    folder = course / "source" / assignment
    existing = {p: read_notebook(p) for p in sorted(folder.glob("*.ipynb"))} if folder.is_dir() else {}
    notebooks = {}
    for module in dict.fromkeys(k.module for k in katas):
        text = nbformat.writes(module_notebook(module, [k for k in katas if k.module == module], kernel))
        notebooks[folder / f"{module}.ipynb"] = text + "\n"
    changed = [p for p, text in notebooks.items() if p.exists() and p.read_text(encoding="utf-8") != text]
    refused = [p for p in changed if _upgraded(existing[p]) != notebooks[p]]
    if refused and not force:
        raise CourseError(ngettext("{paths} exists with other content (your edits, or another kata selection); give "
                                   "--force to replace it",
                                   "{paths} exist with other content (your edits, or another kata selection); give "
                                   "--force to replace them", len(refused)).format(
            paths=", ".join(str(p) for p in refused)))
    folder.mkdir(parents=True, exist_ok=True)
    config = course / "nbgrader_config.py"
    if not config.exists():
        config.write_text(_(CONFIG_TEXT), encoding="utf-8")
    ensure_secret(course, assignment)
    for path in changed:
        backup(path, course / ".kata-backups")
    for path, text in notebooks.items():
        path.write_text(text, encoding="utf-8")
    return list(notebooks)
