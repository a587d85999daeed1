"""Correct implementations written independently of the reference pass every check: the checks
judge behaviour through the API, not the reference's internals (attribute names, call order)."""
import json

from tests.exemplar_verdicts import verdicts


def assert_passes_everything(found: dict) -> None:
    assert not found["failures"], "\n\n".join(found["failures"])
    assert set(found["statuses"].values()) == {"passed"}


def test_the_book_style_exemplar_passes_every_check(background):
    """Convergence checks included: they run on this run's seed in a background job (tests/conftest.py)."""
    assert_passes_everything(json.loads((background["book_style"].result() / "verdicts.json").read_text()))


def test_the_different_style_exemplar_passes_every_check_but_the_convergence_ones(kata_seed):
    """The convergence checks build the same small networks from its blocks as from the first's."""
    assert_passes_everything(verdicts("different_style", kata_seed, training=False))
