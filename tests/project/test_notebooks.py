"""Self-study notebooks (``kata notebooks DIR``): one per section over the learner's exercises/,
whose check cells copy the notebook's code into the files and check it there — run for real in a
Jupyter kernel (tests/notebook_run.py) with a wrong and a right corr2d."""
import base64
import json
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

from grader.checks import checks_of_kata
from grader.checks.runner import Runner
from grader.cli import main as kata
from grader.core import stubgen
from grader.core.implementation import load_implementation
from grader.core.manifest import load_manifest
from grader.core.paths import SOLUTIONS_DIR
from grader.core.scoring import Status
from grader.core.stubgen import strip_markers
from grader.learner.editing import symbol_source
from grader.learner.notebook_sync import (
    NotebookError,
    SyncState,
    copy_cell,
    kata_block,
    kata_cell,
    merged,
    python_of,
)
from grader.learner.notebooks import Workspace, build_notebooks, section_notebook
from grader.learner.verdicts import VerdictCache
from tests.browser import render
from tests.notebook_run import RIGHT

STUB_BODY = '    raise NotImplementedError("corr2d: implement corr2d (d2l 7.2)")'


def learner_project(tmp_path: Path) -> Path:
    """A learner's checkout: fresh stubs in tmp_path/exercises; the exercises folder."""
    stubgen.write(tmp_path / "exercises", backup_dir=tmp_path / "unused-backups")
    return tmp_path / "exercises"


def cells_of(notebook: dict, role: str) -> list[dict]:
    return [c for c in notebook["cells"] if c["metadata"].get("convkata", {}).get("role") == role]


def test_a_sections_notebook_holds_its_idea_and_each_katas_code_as_the_file_has_it(tmp_path):
    exercises = learner_project(tmp_path)
    source = (exercises / "conv_layer.py").read_text()
    (exercises / "conv_layer.py").write_text(source.replace("2-D cross-correlation of X", "My notes: X"))
    katas = [k for k in load_manifest() if k.module == "conv_layer"]
    notebook = section_notebook("conv_layer", katas, exercises, tmp_path / "nb")
    nbformat.validate(nbformat.from_dict(notebook))
    assert "slides a small kernel over the image" in notebook["cells"][0]["source"]  # the section's idea
    [setup] = cells_of(notebook, "setup")
    assert "kata = Workspace('../exercises', 'conv_layer', language='en')" in setup["source"]
    assert "as_pair = kata.imported('_args', 'as_pair')" in setup["source"]  # the learner's own module
    code = {c["metadata"]["convkata"]["kata"]: c["source"] for c in cells_of(notebook, "code")}
    assert list(code) == [k.id for k in katas]
    assert code["corr2d"] == symbol_source((exercises / "conv_layer.py").read_text(), "corr2d").rstrip("\n")
    assert "My notes: X" in code["corr2d"]
    assert [c["source"] for c in cells_of(notebook, "check")] == [f"kata.check({k.id!r})" for k in katas]


def test_building_again_keeps_the_learners_notebooks_and_force_keeps_a_backup(tmp_path, capsys):
    exercises = learner_project(tmp_path)
    folder = tmp_path / "nb"
    assert kata(["notebooks", str(folder), "--impl", str(exercises), "--katas", "corr2d,pool2d"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["conv_layer.ipynb", "pooling.ipynb"]
    mine = folder / "conv_layer.ipynb"
    mine.write_text(mine.read_text().replace("kata.check('corr2d')", "kata.check('corr2d')  # my note"))
    assert kata(["notebooks", str(folder), "--impl", str(exercises)]) == 0
    assert "# my note" in mine.read_text() and "conv_layer.ipynb: kept" in capsys.readouterr().out
    assert (folder / "resnet.ipynb").exists()
    assert kata(["notebooks", str(folder), "--impl", str(exercises), "--katas", "corr2d", "--force"]) == 0
    assert "# my note" not in mine.read_text()
    [saved] = (tmp_path / ".kata" / "backups").rglob("conv_layer.ipynb")
    assert "# my note" in saved.read_text()


def test_kata_notebooks_names_an_unknown_kata_and_a_file_that_does_not_parse(tmp_path, capsys):
    exercises = learner_project(tmp_path)
    assert kata(["notebooks", str(tmp_path / "nb"), "--impl", str(exercises), "--katas", "corr2dd"]) == 2
    assert "did you mean 'corr2d'" in capsys.readouterr().err
    (exercises / "pooling.py").write_text("def pool2d(:\n")
    assert kata(["notebooks", str(tmp_path / "nb"), "--impl", str(exercises), "--katas", "pool2d"]) == 2
    assert "pooling.py cannot be read as Python" in capsys.readouterr().err
    assert not (tmp_path / "nb" / "pooling.ipynb").exists()


@pytest.mark.parametrize("kata_id", [k.id for k in load_manifest() if k.requires])
def test_every_kata_alone_in_a_notebook_can_be_completed_the_katas_it_builds_on_given(kata_id, tmp_path, kata_seed):
    """``kata notebooks --katas K`` on fresh stubs: what K builds on is given (the reference's code, in
    its own file), and the reference's answer to K in the notebook passes every check but the
    convergence runs (their networks are the ones the other checks build)."""
    manifest = load_manifest()
    alone = manifest.get(kata_id)
    exercises = learner_project(tmp_path)
    done = build_notebooks(tmp_path / "nb", exercises, [kata_id])
    given = [(path, action.split()[3]) for path, action in done if action.startswith("gave the reference's")]
    assert given == [(exercises / f"{r.module}.py", r.id) for r in manifest.requirements(kata_id)]
    notebook = json.loads((tmp_path / "nb" / f"{alone.module}.ipynb").read_text())
    [setup] = cells_of(notebook, "setup")
    assert all(f"{s} = kata.imported({alone.module!r}, {s!r})" in setup["source"]
               for r in manifest.requirements(kata_id) if r.module == alone.module for s in r.symbols)
    reference = strip_markers((SOLUTIONS_DIR / f"{alone.module}.py").read_text())
    answer = "\n\n".join(symbol_source(reference, s) for s in alone.symbols)
    done = copy_cell(answer, alone, manifest, exercises / f"{alone.module}.py", SyncState(exercises))
    assert done.written == list(alone.symbols)
    runner = Runner(load_implementation(exercises), kata_seed)
    results = [runner.run(check, alone.module) for check in checks_of_kata(kata_id) if check.kind != "training"]
    assert [r.message for r in results if r.status not in (Status.PASSED, Status.SKIPPED)] == []


def test_a_requirement_the_learner_wrote_is_never_replaced_by_the_reference(tmp_path):
    exercises = learner_project(tmp_path)
    file = exercises / "conv_layer.py"
    mine = file.read_text().replace('    raise NotImplementedError("corr2d: implement corr2d (d2l 7.2)")', "    return X  # mine")
    file.write_text(mine)
    assert all("gave" not in action for _, action in build_notebooks(tmp_path / "nb", exercises, ["conv2d_module"]))
    assert file.read_text() == mine


CORR2D = load_manifest().get("corr2d")
CELL = """\
from __future__ import annotations
import math; import numpy as np; print("scratch on an import's line")
import matplotlib.pyplot as plt
EDGE = torch.ones(2, 2)
EDGE = EDGE * 2
X = torch.ones(3, 3)


def traced(fn):
    return fn


@traced
def corr2d(X, K=EDGE):
    return window_sum(X, K) * SCALE + math.pi


def window_sum(X, K):
    return X


def pool2d(X):
    return X


SCALE = 2
plt.imshow(corr2d(X, EDGE))
"""


def test_a_katas_cell_gives_its_file_its_definitions_the_constants_and_the_imports_they_use():
    block = kata_block(python_of(CELL), CORR2D, load_manifest(), given={"kata"})
    assert list(block.definitions) == ["EDGE", "traced", "corr2d", "window_sum", "SCALE"]  # the cell's order
    assert block.definitions["EDGE"] == "EDGE = torch.ones(2, 2)\nEDGE = EDGE * 2"  # each of its assignments
    assert block.definitions["corr2d"].startswith("@traced\ndef corr2d(X, K=EDGE):")
    assert block.imports == ["from __future__ import annotations", "import math"]  # not numpy, matplotlib, the print
    assert block.left_out == ["pool2d"]  # another kata's


def test_the_block_takes_the_place_of_the_katas_code_and_its_imports_join_the_files():
    module = ('"""doc"""\nimport torch\n\nfrom ._args import as_pair\n\nSCALE = 1\n\n\n'
              'def corr2d(X, K):\n    raise NotImplementedError\n\n\ndef helper_gone():\n    pass\n\n\n'
              'def conv2d(X):\n    return X\n')
    block = kata_block(python_of(CELL), CORR2D, load_manifest())
    text = merged(module, block, replaced={"corr2d", "helper_gone"})
    assert text.startswith('"""doc"""\nfrom __future__ import annotations\nimport torch\n\nfrom ._args import as_pair\n'
                           'import math\n')
    assert "SCALE = 1" not in text and "helper_gone" not in text and "def conv2d(X):" in text
    assert text.index("EDGE = torch.ones(2, 2)") < text.index("def corr2d") < text.index("def conv2d")
    compile(text, "conv_layer.py", "exec")


def test_cell_magics_and_ipython_lines_are_read_as_ipython_runs_them():
    cells = ["%%time\ndef corr2d(X, K):\n    return X  # first\n",
             "%matplotlib inline\n!ls\ndef corr2d(X, K):\n    return X  # latest\nX?\n",
             "corr2d(torch.ones(2, 2), torch.ones(1, 1))"]
    assert "# latest" in kata_cell(cells, CORR2D)
    assert "# first" in kata_cell(cells[:1], CORR2D)
    with pytest.raises(NotebookError, match=r"your latest cell with corr2d does not parse \(.*line 2"):
        kata_cell([*cells, "def corr2d(X, K):\n    return X +\n"], CORR2D)
    assert kata_cell(["def pool2d(X):\n    return X"], CORR2D) is None


def built_project(tmp_path) -> tuple[Path, SyncState]:
    """A fresh learner project with its conv_layer notebook built: the exercises file and the sync state."""
    exercises = learner_project(tmp_path)
    build_notebooks(tmp_path / "nb", exercises, ["corr2d"])
    return exercises / "conv_layer.py", SyncState(exercises)


def copy(cell: str, file: Path, state: SyncState):
    return copy_cell(cell, CORR2D, load_manifest(), file, state)


def test_a_changed_cell_is_copied_and_a_file_changed_elsewhere_is_kept_or_backed_up_never_lost(tmp_path):
    file, state = built_project(tmp_path)
    stub_cell = symbol_source(file.read_text(), "corr2d")
    done = copy(RIGHT, file, state)  # only the cell changed
    assert (done.written, done.backup, done.kept) == (["corr2d"], None, [])
    assert symbol_source(file.read_text(), "corr2d").rstrip() == RIGHT
    mine = file.read_text().replace("The book's corr2d", "Edited in my editor")
    file.write_text(mine)
    done = copy(RIGHT, file, state)  # only the file changed (the same cell run again): the file is kept
    assert (done.written, done.backup, done.kept) == ([], None, ["corr2d"]) and file.read_text() == mine
    done = copy(stub_cell, file, state)  # both changed: the cell wins, the file is saved first
    assert done.written == ["corr2d"] and done.backup.read_text() == mine
    assert "Edited in my editor" not in file.read_text()


def test_run_all_on_a_notebook_built_earlier_keeps_what_the_editor_wrote(tmp_path):
    file, state = built_project(tmp_path)
    stub_cell = symbol_source(file.read_text(), "corr2d")
    mine = file.read_text().replace(STUB_BODY, "    return X  # written in an editor")
    file.write_text(mine)
    done = copy(stub_cell, file, state)  # the untouched cell, run again
    assert (done.written, done.kept) == ([], ["corr2d"]) and file.read_text() == mine


def test_without_what_the_notebook_saw_a_file_that_differs_is_backed_up(tmp_path):
    exercises = learner_project(tmp_path)
    file = exercises / "conv_layer.py"
    assert copy(RIGHT, file, SyncState(exercises)).backup is None  # no notebooks.json, and a stub: nothing to keep
    mine = file.read_text().replace("The book's corr2d", "Edited in my editor")
    file.write_text(mine)
    (exercises.parent / ".kata" / "notebooks.json").unlink()  # built by an older convkata, or removed
    done = copy("def corr2d(X, K):\n    return X", file, SyncState(exercises))
    assert done.written == ["corr2d"] and done.backup.read_text() == mine


def test_code_that_would_not_import_is_refused_and_the_file_left_as_it_is(tmp_path):
    file, state = built_project(tmp_path)
    before = file.read_text()
    with pytest.raises(NotebookError, match=r"corr2d uses np, which neither the cell \(its top-level imports and "
                                            r"assignments\) nor conv_layer.py defines"):
        copy("def corr2d(X, K):\n    return np.zeros(1)", file, state)  # numpy imported in another cell
    with pytest.raises(NotebookError, match=r"corr2d uses d2l"):
        copy("class corr2d(d2l.Module):\n    pass", file, state)
    with pytest.raises(NotebookError, match="does not compile"):
        copy("def corr2d(X, K):\n    x = 1\n    global x", file, state)
    assert file.read_text() == before
    file.write_text("def corr2d(:\n")
    with pytest.raises(NotebookError, match=r"conv_layer.py does not parse .* `kata reset corr2d`"):
        copy(RIGHT, file, state)
    assert file.read_text() == "def corr2d(:\n"


def test_a_file_with_a_byte_order_mark_keeps_it(tmp_path):
    file, state = built_project(tmp_path)
    file.write_text("\ufeff" + file.read_text())
    assert copy(RIGHT, file, state).written == ["corr2d"]
    assert file.read_text().startswith("\ufeff") and RIGHT in file.read_text()


def prepared_run(job, config) -> Path:
    """tests.notebook_run: the conv_layer notebook run in a kernel with a wrong, then a right corr2d."""
    job.run_module("tests.notebook_run")
    return job.root


BACKGROUND = {"notebook_run": prepared_run}


def check_cell_outputs(path: Path, kata_id: str = "corr2d") -> tuple[str, list]:
    """A check cell's printed text, and its other outputs; AssertionError if it wrote to stderr."""
    notebook = nbformat.read(path, as_version=4)
    [cell] = [c for c in notebook.cells if c.metadata.get("convkata") == {"role": "check", "kata": kata_id}]
    streams = [o for o in cell.outputs if o.output_type == "stream"]
    assert {o.name for o in streams} <= {"stdout"}
    return "".join(o.text for o in streams), [o for o in cell.outputs if o.output_type != "stream"]


def test_a_wrong_corr2d_run_in_a_kernel_shows_the_diagnosis_and_the_three_maps(background):
    root = background["notebook_run"].result()
    text, outputs = check_cell_outputs(root / "wrong.ipynb")
    assert [o.output_type for o in outputs] == ["display_data"]  # no error
    assert "copied corr2d into" in text and "✗ numeric_sweep [numeric]" in text
    assert "flipped kernel" in text and "rerun with kata.check(…, seed=" in text
    html = outputs[0].data["text/html"]
    images = [part.split('"', 1)[0] for part in html.split('src="data:image/png;base64,')[1:]]
    assert images and all(base64.b64decode(image).startswith(b"\x89PNG\r\n\x1a\n") for image in images)
    assert "expected, yours and yours − expected as heatmaps" in html  # the pictures' alt text
    page_path = root / "wrong.html"  # the notebook as Jupyter shows it, in a browser
    page_path.write_text(HTMLExporter().from_filename(str(root / "wrong.ipynb"))[0], encoding="utf-8")
    page = render(page_path, name="self-study-notebook")
    assert page.image_problems() == [] and len([i for i in page.images if i["kind"] == "data"]) >= 3


def test_a_right_corr2d_is_done_in_the_notebook_and_for_kata_status(background):
    root = background["notebook_run"].result()
    text, outputs = check_cell_outputs(root / "right.ipynb")
    assert outputs == [] and "done: " in text and "checks passed, 4/4 points" in text
    exercises = root / "project" / "exercises"
    assert symbol_source((exercises / "conv_layer.py").read_text(), "corr2d").rstrip("\n") == RIGHT
    corr2d = load_manifest().get("corr2d")
    cache = VerdictCache(exercises, None)
    kept = cache.get(corr2d, cache.key(corr2d))  # what `kata status` shows without running anything
    assert kept is not None and kept.status is Status.PASSED
    assert "pending" in check_cell_outputs(root / "right.ipynb", "conv2d_module")[0]
    [status] = [c for c in nbformat.read(root / "right.ipynb", as_version=4).cells
                if c.metadata.get("convkata", {}).get("role") == "status"]
    rows = {line.split()[1]: line for line in status.outputs[0].text.splitlines() if line[:1].isdigit()}
    assert "done" in rows["corr2d"] and "pending" in rows["conv2d_module"]


def test_a_check_names_an_unknown_kata_and_a_cell_it_cannot_copy_without_a_traceback(tmp_path, capsys):
    exercises = learner_project(tmp_path)
    workspace = Workspace(exercises, "conv_layer")
    workspace.check("Corr2D")
    workspace.hint("nope")
    assert capsys.readouterr().out == ("✗ no kata 'Corr2D' — did you mean 'corr2d'? (`kata.status()` lists them)\n"
                                       "✗ no kata 'nope' (`kata.status()` lists them)\n")
    workspace._cells_run = lambda: ["def corr2d(X, K):\n    return np.ones(1)"]
    workspace.check("corr2d")
    out = capsys.readouterr().out
    assert out.startswith("✗ corr2d uses np, which neither the cell (its top-level imports and assignments) nor "
                          "conv_layer.py defines: import or define it in the cell")


def test_the_code_given_for_a_kata_alone_earns_nothing_until_the_learner_writes_their_own(tmp_path, capsys):
    exercises = learner_project(tmp_path)
    build_notebooks(tmp_path / "nb", exercises, ["resnet_block"])  # resnet_block builds on residual

    def status_rows() -> dict[str, str]:
        capsys.readouterr()
        assert kata(["status", "--impl", str(exercises), "--seed", "3"]) == 0
        out = capsys.readouterr().out
        return {line.split()[1]: line for line in out.splitlines() if line[:1].isdigit()} | {"summary": out}

    rows = status_rows()
    assert "given" in rows["residual"] and "0/4" in rows["residual"] and ", 1 given of 22 katas" in rows["summary"]
    assert kata(["check", "residual", "--impl", str(exercises), "--seed", "3"]) == 0
    assert "given: 6/6 checks passed on the reference's code" in capsys.readouterr().out
    file = exercises / "resnet.py"
    file.write_text(file.read_text().replace("class Residual(nn.Module):", "class Residual(nn.Module):  # mine now"))
    rows = status_rows()
    assert "done" in rows["residual"] and "4/4" in rows["residual"] and "given" not in rows["summary"]


CONV2D = load_manifest().get("conv2d_module")


def test_another_katas_name_assigned_in_a_cell_is_left_out_and_its_code_stays(tmp_path):
    file, state = built_project(tmp_path)
    copy(RIGHT, file, state)
    conv2d = "corr2d = d2l.corr2d\n\n\nclass Conv2D(nn.Module):\n    pass"
    block = kata_block(conv2d, CONV2D, load_manifest())
    assert (list(block.definitions), block.left_out) == (["Conv2D"], ["corr2d"])
    copy_cell(conv2d, CONV2D, load_manifest(), file, state)
    assert symbol_source(file.read_text(), "corr2d").rstrip() == RIGHT


def test_a_name_the_katas_earlier_code_bound_stays_while_the_rest_of_the_file_uses_it(tmp_path):
    file, state = built_project(tmp_path)
    copy("SCALE = 1.0\n\n\ndef corr2d(X, K):\n    return X * SCALE", file, state)
    copy_cell("class Conv2D(nn.Module):\n    scale = SCALE", CONV2D, load_manifest(), file, state)
    copy("def corr2d(X, K):\n    return X", file, state)  # SCALE no longer in corr2d's cell: Conv2D still reads it
    assert "SCALE = 1.0" in file.read_text()
    copy("def _window(X):\n    return X\n\n\ndef corr2d(X, K):\n    return _window(X)", file, state)
    copy("def corr2d(X, K):\n    return _window(X) * 2", file, state)  # _window moved to a cell of its own
    assert "def _window(X):" in file.read_text()
    compile(file.read_text(), "conv_layer.py", "exec")


def test_an_editors_text_is_backed_up_even_after_the_notebook_is_built_again(tmp_path):
    file, state = built_project(tmp_path)
    copy(RIGHT, file, state)
    mine = file.read_text().replace("The book's corr2d", "Edited in my editor")
    file.write_text(mine)
    build_notebooks(tmp_path / "nb", file.parent, ["corr2d"], force=True)  # the notebook now shows the editor's
    done = copy(RIGHT, file, state)  # a kernel of the old notebook runs its cell again
    assert done.written == ["corr2d"] and done.backup.read_text() == mine
