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
from grader.learner.notebooks import (
    NotebookCode,
    NotebookError,
    SyncState,
    build_notebooks,
    copy_into_file,
    section_notebook,
)
from grader.learner.verdicts import VerdictCache
from tests.browser import render
from tests.notebook_run import RIGHT


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
    assert "kata = Workspace('../exercises', 'conv_layer')" in setup["source"]
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
    copy_into_file(NotebookCode.of_cells([answer]), exercises / f"{alone.module}.py", SyncState(exercises))
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


CELLS = [
    "from grader.learner.notebooks import Workspace\nkata = Workspace('../exercises', 'conv_layer')\n"
    "import torch\nas_pair = kata.imported('_args', 'as_pair')",
    "def corr2d(X, K):\n    return None  # first try",
    "import math\nfrom functools import reduce\nSCALE = 2\nX = torch.ones(3, 3)\n\n"
    "def corr2d(X, K):\n    return window_sum(X, K) * SCALE\n\n\n@staticmethod\ndef window_sum(X, K):\n    return X\n\n"
    "corr2d(X, torch.ones(2, 2))",
    "corr2d(torch.ones(4, 4), torch.ones(2, 2)).shape",
    "%timeit corr2d(X, X)",
]


def test_the_code_the_kernel_ran_goes_into_the_file_definitions_imports_and_the_constants_they_use():
    code = NotebookCode.of_cells(CELLS, ignored={"kata", "Workspace", "as_pair"})
    assert code.definitions == {"corr2d": "def corr2d(X, K):\n    return window_sum(X, K) * SCALE",
                                "window_sum": "@staticmethod\ndef window_sum(X, K):\n    return X"}
    assert code.imports == ["import math", "from functools import reduce"]  # the set-up cell's are not copied
    assert code.constants == {"SCALE": "SCALE = 2"}  # X is used by no definition: scratch work stays out
    module = ('"""doc"""\nimport torch\n\nfrom ._args import as_pair\n\nSCALE = 1\n\n\n'
              'def corr2d(X, K):\n    raise NotImplementedError\n\n\ndef pool2d(X):\n    return X\n')
    assert code.merged_into(module) == (
        '"""doc"""\nimport torch\n\nfrom ._args import as_pair\nimport math\nfrom functools import reduce\n\nSCALE = 2\n\n\n'
        'def corr2d(X, K):\n    return window_sum(X, K) * SCALE\n\n\ndef pool2d(X):\n    return X\n\n\n'
        '@staticmethod\ndef window_sum(X, K):\n    return X\n')


def test_a_definition_edited_in_the_file_since_the_notebook_saw_it_is_backed_up_before_it_is_replaced(tmp_path):
    exercises = learner_project(tmp_path)
    file, state = exercises / "conv_layer.py", SyncState(exercises)
    state.remember(file)
    stub = file.read_text()
    notebook = NotebookCode.of_cells([RIGHT])
    assert copy_into_file(notebook, file, state) == (["corr2d"], None)  # the stub, as the notebook last saw it
    assert symbol_source(file.read_text(), "corr2d").rstrip("\n") == RIGHT
    edited = file.read_text().replace("The book's corr2d", "Edited in my editor")
    file.write_text(edited)
    first_try = NotebookCode.of_cells(["def corr2d(X, K):\n    return X"])
    changed, saved = copy_into_file(first_try, file, state)
    assert changed == ["corr2d"] and saved is not None and saved.read_text() == edited
    assert "Edited in my editor" not in file.read_text()
    assert copy_into_file(first_try, file, state) == ([], None)  # nothing new
    assert stub != file.read_text()


def test_a_file_that_does_not_parse_is_left_as_it_is(tmp_path):
    exercises = learner_project(tmp_path)
    file = exercises / "conv_layer.py"
    file.write_text("def corr2d(:\n")
    with pytest.raises(NotebookError, match=r"conv_layer.py does not parse .* `kata reset`"):
        copy_into_file(NotebookCode.of_cells([RIGHT]), file, SyncState(exercises))
    assert file.read_text() == "def corr2d(:\n"


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
