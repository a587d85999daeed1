"""Grading on a Dask cluster (tests/project/cluster_cases.py): its tests mostly wait — on worker
processes and a Dask Gateway server warming up, on workers killed and restarted — so they run in a
pytest of their own in the background (tests/background.py), beside the rest of the suite, and each
reports here under its own name."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.background import case_names, outcome_of, own_pytest

CASES = Path(__file__).with_name("cluster_cases.py")
BACKGROUND = {"cluster_cases": own_pytest(CASES)}


@pytest.mark.parametrize("name", case_names(CASES))
def test_on_a_dask_cluster(background, name):
    outcome_of(background["cluster_cases"], name)
