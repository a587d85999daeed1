"""tests/background.py's pytest of its own (``own_pytest``): each test it runs is reported in the
foreground under its own name — passed, failed with its failure, skipped with its reason — so a test
moved into the background cannot fail unseen."""
from __future__ import annotations

import pytest

from tests.background import case_names, outcome_of, own_pytest

CASES = '''
import pytest

def test_passes():
    assert 1 + 1 == 2

def test_fails():
    assert 1 + 1 == 3, "arithmetic is broken"

@pytest.mark.parametrize("n", [1, 2])
def test_one_of_two_fails(n):
    assert n == 1

def test_skips():
    pytest.skip("needs a device this machine lacks")

def helper():
    pass
'''


SKIPPED = '''
import pytest
pytest.importorskip("no_such_module", reason="needs no_such_module")

def test_anything():
    pass
'''


def _cases(source: str):
    """Background work: ``source`` as a test module of the job's folder, run by ``own_pytest``."""
    def work(job, config):
        module = job.root / "cases.py"
        module.write_text(source)
        return own_pytest(module)(job, config)
    return work


BACKGROUND = {"own_pytest_cases": _cases(CASES), "own_pytest_skipped": _cases(SKIPPED)}


def test_each_background_case_passes_fails_or_skips_in_the_foreground_as_it_did(background, tmp_path):
    cases = background["own_pytest_cases"]
    (tmp_path / "cases.py").write_text(CASES)
    assert case_names(tmp_path / "cases.py") == ["test_passes", "test_fails", "test_one_of_two_fails", "test_skips"]
    outcome_of(cases, "test_passes")
    with pytest.raises(pytest.fail.Exception, match="arithmetic is broken"):
        outcome_of(cases, "test_fails")
    with pytest.raises(pytest.fail.Exception, match=r"test_one_of_two_fails\[2\]") as failed:
        outcome_of(cases, "test_one_of_two_fails")
    assert "test_one_of_two_fails[1]" not in str(failed.value)
    with pytest.raises(pytest.skip.Exception, match="needs a device this machine lacks"):
        outcome_of(cases, "test_skips")
    with pytest.raises(pytest.fail.Exception, match="test_gone did not run"):
        outcome_of(cases, "test_gone")
    with pytest.raises(pytest.skip.Exception, match="needs no_such_module"):
        outcome_of(background["own_pytest_skipped"], "test_anything")
