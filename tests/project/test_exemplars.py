"""Correct implementations written independently of the reference pass every check: the checks
judge behaviour through the API, not the reference's internals (attribute names, call order)."""
import shutil
from pathlib import Path

import pytest

from grader.checks import checks_of_kata
from grader.checks.runner import Runner, Status
from grader.core.implementation import load_implementation
from grader.core.manifest import load_manifest

EXEMPLARS = Path(__file__).resolve().parents[1] / "exemplars"
#: An exemplar that holds only the modules it writes differently, over the one it builds on: the
#: book's current edition (Lazy layers, its Residual) over the book's code both editions share.
OVER = {"d2l_current": "book_style"}

#: The katas whose convergence checks an exemplar runs. The structure checks fix each network's
#: layers and their order, so a correct implementation starts from the reference's weights and
#: trains as it does: measured, every exemplar's runs equal the reference's exactly for vgg, nin,
#: googlenet and resnet18 (d2l_current's Lazy layers too, once the checks' dry run has shaped them;
#: test_lazy_layers.py proves that a Lazy network starts from the reference's weights), so those
#: checks would only re-run the reference (seconds each). The hand-written BatchNorm is where an
#: exemplar's arithmetic differs (within float noise).
TRAINED = {"batch_norm_module"}


def exemplar_folder(name: str, tmp_path: Path) -> Path:
    """The exemplar as an implementation folder (laid over the one it builds on, if any)."""
    if name not in OVER:
        return EXEMPLARS / name
    folder = tmp_path / name
    shutil.copytree(EXEMPLARS / OVER[name], folder, ignore=shutil.ignore_patterns("__pycache__"))
    for path in (EXEMPLARS / name).glob("*.py"):
        shutil.copyfile(path, folder / path.name)
    return folder


@pytest.mark.parametrize("name", ["book_style", "different_style", "d2l_current"])
def test_the_exemplar_passes_every_check(name, kata_seed, tmp_path):
    """Every check of the katas in the exemplar's own modules."""
    runner = Runner(load_implementation(exemplar_folder(name, tmp_path)), kata_seed)
    modules = {path.stem for path in (EXEMPLARS / name).glob("*.py")}
    failures = []
    for kata in (kata for kata in load_manifest() if kata.module in modules):
        checks = [c for c in checks_of_kata(kata.id) if c.kind != "training" or kata.id in TRAINED]
        results = [runner.run(check, kata.module) for check in checks]
        failures += [f"{r.check.id}: {r.message}" for r in results if r.status is not Status.PASSED
                     and not (r.status is Status.SKIPPED and r.check.needs_cuda)]
    assert not failures, "\n\n".join(failures)
