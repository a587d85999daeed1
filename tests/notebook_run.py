"""A learner's self-study notebook, run in a real Jupyter kernel (nbclient + ipykernel).

    python -m tests.notebook_run ROOT     # what tests/project/test_notebooks.py runs in the background

``ROOT/project/exercises`` gets fresh stubs and ``kata notebooks ROOT/project/nb`` writes the
notebooks. conv_layer.ipynb's corr2d cell then holds WRONG (the kernel flipped: a convolution, not a
cross-correlation) and the whole notebook runs, saved as ``ROOT/wrong.ipynb``; then RIGHT (the book's
corr2d with the output in X's dtype), saved as ``ROOT/right.ipynb``. The kernel is this Python
(``tests.nbgrader_course.jupyter_env``) and runs in the notebook's folder, as Jupyter runs it.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader.cli import main as kata
from grader.core import stubgen
from tests.nbgrader_course import jupyter_env

WRONG = '''\
def corr2d(X, K):
    """The kernel flipped: a convolution."""
    K = torch.flip(K, (0, 1))
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y'''

RIGHT = '''\
def corr2d(X, K):
    """The book's corr2d, its output in X's dtype and on X's device."""
    h, w = K.shape
    Y = X.new_zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y'''


def run_with(notebook_path: Path, corr2d: str, saved_as: Path) -> None:
    """Run the notebook with ``corr2d`` in its corr2d cell, in its own folder; save the run."""
    notebook = nbformat.read(notebook_path, as_version=4)
    [cell] = [c for c in notebook.cells if c.metadata.get("convkata") == {"role": "code", "kata": "corr2d"}]
    cell.source = corr2d
    nbformat.write(notebook, notebook_path)  # as the learner saves it
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook_path.parent)}}).execute()
    nbformat.write(notebook, saved_as)


def prepare(root: Path) -> None:
    os.environ.update(jupyter_env(root))
    project = root / "project"
    stubgen.write(project / "exercises")
    if kata(["notebooks", str(project / "nb"), "--impl", str(project / "exercises")]) != 0:
        raise RuntimeError("kata notebooks failed")
    run_with(project / "nb" / "conv_layer.ipynb", WRONG, root / "wrong.ipynb")
    run_with(project / "nb" / "conv_layer.ipynb", RIGHT, root / "right.ipynb")


if __name__ == "__main__":
    prepare(Path(sys.argv[1]))
