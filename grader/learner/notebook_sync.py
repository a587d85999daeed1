"""A kata's cell of a self-study notebook, copied into the learner's exercises file.

What is copied is the kata's cell only — the latest cell the kernel ran that defines one of the
kata's symbols — and of it only what a module holds: its functions and classes (not another kata's
symbols), the constants they use and the imports of the names they use. Scratch work (prints,
plots, test inputs) stays in the notebook. In the file, that block replaces what the notebook last
wrote there for the kata (or the kata's symbols), where it stood; its imports join the file's.

Each time, three versions are compared, name by name: the cell's, the file's, and the one the
notebook last wrote or built from (``SyncState``, ``.kata/notebooks.json``):

- the cell did not change: the file is kept (changed in an editor, by ``kata reset``: it says so);
- the cell changed: it is copied — the learner ran its check. Whatever it replaces that no
  notebook wrote (an editor's work) and that is not the stub is backed up first (``.kata/backups``).

Code that would not import is never written: a block that does not compile, or after which the
file would read a name nothing binds, is refused with what to fix; a name the kata's previous code
bound and the rest of the file still uses stays.
"""
from __future__ import annotations

import ast
import builtins
import hashlib
import symtable
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import stubgen
from grader.core.backups import backup
from grader.core.i18n import _
from grader.core.manifest import Kata, Manifest
from grader.learner.state_files import read_state, write_state

BOM = "\ufeff"


class NotebookError(ValueError):
    """A notebook's cell or an exercises file convkata cannot use as it is; the message says what to do."""


def text_digest(text: str) -> str:
    """A short digest of a definition's text (trailing whitespace aside)."""
    return hashlib.sha256(text.rstrip().encode()).hexdigest()[:16]


def read_module(path: Path) -> str:
    """A module's text (a UTF-8 byte-order mark, as Windows editors write, left out)."""
    return path.read_text(encoding="utf-8").removeprefix(BOM)


def write_module(path: Path, text: str) -> None:
    """Write ``text``, keeping the file's byte-order mark if it had one."""
    mark = BOM if path.read_text(encoding="utf-8").startswith(BOM) else ""
    path.write_text(mark + text, encoding="utf-8")


# ------------------------------------------------------------------ the cells the kernel ran

def python_of(cell: str) -> str:
    """A cell's text as Python: IPython's syntax (``%magic``, ``!shell``, ``obj?``) turned into the
    calls IPython runs; a cell magic's first line (``%%time``) dropped, its body kept."""
    if cell.lstrip().startswith("%%"):
        cell = cell.lstrip().partition("\n")[2]
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return cell
    return TransformerManager().transform_cell(cell)


def _defines(tree: ast.Module, names: set[str]) -> bool:
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name in names
               for n in tree.body)


def kata_cell(cells: list[str], kata: Kata) -> str | None:
    """The latest of ``cells`` (as run, oldest first) that defines one of ``kata``'s symbols, as
    Python; None if none does. NotebookError if that latest cell does not parse."""
    symbols = set(kata.symbols)
    for cell in reversed(cells):
        text = python_of(cell)
        try:
            tree = ast.parse(text)
        except SyntaxError as exc:
            if any(line.lstrip().startswith((f"def {s}", f"class {s}")) for line in text.splitlines() for s in symbols):
                # Translators: {symbols} are the kata's functions or classes, e.g. "corr2d"; {error} is Python's
                # message, e.g. "invalid syntax"
                raise NotebookError(_("your latest cell with {symbols} does not parse ({error}, line {line}): fix it, "
                                      "run it, then run the check again").format(
                    symbols=", ".join(kata.symbols), error=exc.msg, line=exc.lineno)) from None
            continue
        if _defines(tree, symbols):
            return text
    return None


# ------------------------------------------------------------------ the block a cell gives the file

def _node_text(source: str, node: ast.stmt) -> str:
    """A statement's text: whole lines for a definition (decorators included), the exact segment otherwise."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        return "".join(source.splitlines(keepends=True)[first - 1:node.end_lineno]).rstrip()
    return ast.get_source_segment(source, node) or ""


def _assigned(node: ast.stmt) -> str | None:
    """The one name a simple assignment binds (``EDGE = …``, ``EDGE: T = …``), else None."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        return node.target.id
    return None


def _bound(node: ast.Import | ast.ImportFrom) -> set[str]:
    return {(alias.asname or alias.name).split(".")[0] for alias in node.names}


def _module_names(tree: ast.Module) -> set[str]:
    """The names a module binds at its top level."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= _bound(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def _reads(text: str) -> set[str]:
    """The module-level names ``text`` (definitions and assignments) reads: in its functions'
    bodies, and where the module evaluates it (decorators, bases, defaults, values)."""
    try:
        tables = [symtable.symtable(text, "<cell>", "exec")]
    except SyntaxError as exc:
        # Translators: {error} is Python's message, e.g. "'return' outside function"
        raise NotebookError(_("this code does not compile ({error}, line {line}): fix it, run it, then run the check "
                              "again").format(error=exc.msg, line=exc.lineno)) from None
    names: set[str] = set()
    while tables:
        table = tables.pop()
        tables += table.get_children()
        global_here = (lambda s: True) if table.get_type() == "module" else (lambda s: s.is_global())
        names |= {s.get_name() for s in table.get_symbols() if s.is_referenced() and global_here(s)}
    return names


@dataclass
class Block:
    """What a kata's cell gives its file: ``definitions`` (name → text, in the cell's order: its
    functions and classes, and the constants they use, each name's assignments together),
    ``imports`` (the statements binding names they use) and ``left_out`` (other katas' symbols and
    the set-up cell's names, defined or assigned in the cell)."""

    definitions: dict[str, str] = field(default_factory=dict)
    imports: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


def kata_block(cell: str, kata: Kata, manifest: Manifest, given: set[str] = frozenset()) -> Block:
    """The block of ``kata``'s ``cell`` (Python, see ``kata_cell``); ``given``: names the notebook's
    set-up cell binds (never copied)."""
    body = ast.parse(cell).body
    others = {s for k in manifest if k.id != kata.id for s in k.symbols}
    block = Block()
    chosen: list[ast.stmt] = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name in others or node.name in given:
                block.left_out.append(node.name)
            else:
                chosen.append(node)
    reads = _reads("\n\n".join(_node_text(cell, n) for n in chosen))
    block.left_out += [name for n in body if (name := _assigned(n)) in others | given and name not in block.left_out]
    assignments = [n for n in body if _assigned(n) and _assigned(n) not in others | given]
    while True:  # the constants the definitions read, and those the constants read
        wanted = [n for n in assignments if _assigned(n) in reads and n not in chosen]
        if not wanted:
            break
        chosen += wanted
        reads |= _reads("\n".join(_node_text(cell, n) for n in wanted))
    for node in sorted(chosen, key=lambda n: n.lineno):
        name = node.name if hasattr(node, "name") else _assigned(node)
        text = _node_text(cell, node)
        block.definitions[name] = block.definitions[name] + "\n" + text if name in block.definitions else text
    imports = [n for n in body if isinstance(n, (ast.Import, ast.ImportFrom)) and not getattr(n, "level", 0)
               and (_bound(n) & reads - given or getattr(n, "module", None) == "__future__")]
    block.imports = [_node_text(cell, n) for n in imports]
    return block


# ------------------------------------------------------------------ the file

def _spans(tree: ast.Module) -> dict[str, list[tuple[int, int]]]:
    """Each top-level definition's and simple assignment's lines (1-based, inclusive), by name."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for node in tree.body:
        name = node.name if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else _assigned(node)
        if name:
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            spans.setdefault(name, []).append((first, node.end_lineno))
    return spans


def file_texts(source: str) -> dict[str, str]:
    """Each top-level definition's (and simple assignment's) text in a module, by name."""
    lines = source.splitlines(keepends=True)
    return {name: "\n".join("".join(lines[a - 1:b]).rstrip() for a, b in spans)
            for name, spans in _spans(ast.parse(source)).items()}


def merged(source: str, block: Block, replaced: set[str]) -> str:
    """``source`` with the names of ``replaced`` and of the block removed and the block's
    definitions put where the first of them stood (at the end if none did), its imports after the
    file's own. SyntaxError if ``source`` does not parse."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    spans = _spans(tree)
    removed = sorted(span for name in replaced | set(block.definitions) for span in spans.get(name, []))
    at = removed[0][0] - 1 if removed else len(lines)
    gone = {line for first, last in removed for line in range(first - 1, last)}
    text = "\n\n\n".join(block.definitions.values()) + "\n"
    kept_before = [line for index, line in enumerate(lines[:at]) if index not in gone]
    kept_after = [line for index, line in enumerate(lines[at:], start=at) if index not in gone]
    head = "".join(kept_before).rstrip("\n")
    tail = "".join(kept_after).strip("\n")
    result = (head + "\n\n\n" if head else "") + text + ("\n\n" + tail + "\n" if tail else "")
    present = {ast.dump(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))}
    missing = [i for i in block.imports if ast.dump(ast.parse(i).body[0]) not in present]
    if missing:
        result_lines = result.splitlines(keepends=True)
        new_tree = ast.parse(result)
        after = max((n.end_lineno for n in new_tree.body if isinstance(n, (ast.Import, ast.ImportFrom))), default=0)
        future = [i for i in missing if i.startswith("from __future__")]
        if future:  # first statement after the docstring
            docstring = new_tree.body[0].end_lineno if new_tree.body and isinstance(new_tree.body[0], ast.Expr) else 0
            result_lines[docstring:docstring] = [i + "\n" for i in future]
            after += len(future)
        result_lines[after:after] = [i + "\n" for i in missing if i not in future]
        result = "".join(result_lines)
    return result


# ------------------------------------------------------------------ what the notebook last saw

@dataclass
class SyncState:
    """What a notebook last wrote to (or built from) each exercises file, per kata: the names of
    its block and each name's text digest (``.kata/notebooks.json``)."""

    exercises: Path

    @property
    def path(self) -> Path:
        return self.exercises.parent / ".kata" / "notebooks.json"

    def _load(self) -> dict:
        data = read_state(self.path)
        return data if data.get("format") == 2 else {}

    def seen(self, file: Path, kata: Kata) -> dict[str, str]:
        """Name → digest of the text the notebook last wrote or built from, for ``kata`` in ``file``."""
        entry = self._load().get(str(file.resolve()), {}).get(kata.id)
        return entry if isinstance(entry, dict) else {}

    def written(self, file: Path) -> dict[str, str]:
        """Name → digest of the text a notebook last wrote for it in ``file`` (whichever notebook)."""
        entry = self._load().get("written", {}).get(str(file.resolve()))
        return entry if isinstance(entry, dict) else {}

    def record(self, file: Path, kata: Kata, texts: dict[str, str], *, written: bool = False) -> None:
        """``texts`` (name → text) as what the notebook saw of ``kata`` in ``file``; ``written``: it wrote them."""
        data = self._load() or {"format": 2}
        digests = {name: text_digest(text) for name, text in texts.items()}
        data.setdefault(str(file.resolve()), {})[kata.id] = digests
        if written:
            data.setdefault("written", {}).setdefault(str(file.resolve()), {}).update(digests)
        write_state(self.path, data)

    def record_file(self, file: Path, katas: list[Kata]) -> None:
        """What a notebook built from ``file`` shows of each of ``katas``: the file's text of its symbols."""
        texts = file_texts(read_module(file))
        for kata in katas:
            self.record(file, kata, {s: texts[s] for s in kata.symbols if s in texts})


@dataclass
class Copied:
    """What copying a kata's cell did: ``written`` (names whose text the file now has from the
    cell), ``kept`` (the file changed and the cell did not: the file's version stays), ``backup``
    (the file before, when both had changed), ``left_out`` (other katas' symbols in the cell)."""

    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    backup: Path | None = None
    left_out: list[str] = field(default_factory=list)


def _unbound(source: str) -> set[str]:
    """The names a module reads that neither it nor Python's builtins bind."""
    return _reads(source) - _module_names(ast.parse(source)) - set(dir(builtins)) - {"__name__", "__file__", "__doc__"}


def copy_cell(cell: str, kata: Kata, manifest: Manifest, file: Path, state: SyncState,
              given: set[str] = frozenset()) -> Copied:
    """Copy ``kata``'s ``cell`` into ``file`` (see the module's docstring); NotebookError, the file
    untouched, when it does not parse or the result would read a name nothing binds."""
    source = read_module(file)
    block = kata_block(cell, kata, manifest, given)
    try:
        in_file = file_texts(source)
    except SyntaxError as exc:
        # Translators: {file} is the learner's exercises file; {error} is Python's message, e.g. "invalid syntax"
        raise NotebookError(_("{file} does not parse ({error}, line {line}): fix it there, or `kata reset {kata}`, "
                              "then run the check again").format(file=file, error=exc.msg, line=exc.lineno,
                                                                  kata=kata.id)) from None
    seen = state.seen(file, kata)
    cell_changed = set(block.definitions) != set(seen) or any(
        text_digest(text) != seen.get(name) for name, text in block.definitions.items())
    done = Copied(left_out=block.left_out)
    if not cell_changed:
        done.kept = sorted(name for name in seen if text_digest(in_file.get(name, "")) != seen[name])
        return done
    if all(in_file.get(name) == block.definitions.get(name) for name in set(block.definitions) | set(seen)):
        state.record(file, kata, block.definitions)
        return done
    before = _unbound(source)
    dropped = set(seen) - set(block.definitions)
    text = merged(source, block, dropped)
    still_read = (_unbound(text) - before) & dropped  # what the rest of the file uses stays
    if still_read:
        dropped -= still_read
        text = merged(source, block, dropped)
    unbound = _unbound(text) - before
    if unbound:
        # Translators: {name} is a function, class or constant of the cell; {names} the names it reads
        users = [_("{name} uses {names}").format(name=name, names=", ".join(sorted(_reads(t) & unbound)))
                 for name, t in block.definitions.items() if _reads(t) & unbound]
        if users:
            uses = users[0]
            for more in users[1:]:
                # Translators: a list of what reads which name, one more item added: "{uses}" is e.g. "corr2d
                # uses np", "{more}" e.g. "pool2d uses EDGE"
                uses = _("{uses}; {more}").format(uses=uses, more=more)
            # Translators: {uses} lists what reads which name, e.g. "corr2d uses np; pool2d uses EDGE"
            raise NotebookError(_("{uses}, which neither the cell (its top-level imports and assignments) nor {file} "
                                  "defines: import or define it in the cell, run it, then run the check again "
                                  "(nothing was copied)").format(uses=uses, file=file.name))
        raise NotebookError(_("the cell reads {names}, which neither the cell (its top-level imports and assignments) "
                              "nor {file} defines: import or define it in the cell, run it, then run the check again "
                              "(nothing was copied)").format(names=", ".join(sorted(unbound)), file=file.name))
    written = state.written(file)
    replaced = [name for name in set(block.definitions) | dropped
                if name in in_file and in_file[name] != block.definitions.get(name)]
    unwritten = [name for name in replaced if text_digest(in_file[name]) != written.get(name)]
    stubs = file_texts(stubgen.generate().get(file.name, "")) if unwritten else {}
    if any(in_file[name] != stubs.get(name) for name in unwritten):
        done.backup = backup(file, file.parent.parent / ".kata" / "backups")  # text no notebook wrote
    write_module(file, text)
    state.record(file, kata, block.definitions, written=True)
    done.written = [name for name in block.definitions if in_file.get(name) != block.definitions[name]]
    return done
