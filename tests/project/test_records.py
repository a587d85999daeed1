"""Records: a graded submission's JSON goes out and comes back through one place, unchanged."""
import json
import stat

import pytest

from grader.core.scoring import Status
from grader.grading.records import CheckRecord, KataRecord, RecordError, SubmissionRecord
from grader.grading.store import atomic_write

CHECK = CheckRecord("corr2d::numeric_sweep", "numeric_sweep", "numeric", Status.FAILED, "differs\n(seed 5)",
                    ("flipped_kernel",), ("UserWarning: careful",))
RECORD = SubmissionRecord("ann", "/tmp/ann.zip", "abc123", 5, 1.3333, 4, 0.25, None, (
    KataRecord("corr2d", "2-D cross-correlation", "7.2", "conv_layer", 4, 1.3333, Status.FAILED, False, (
        CHECK, CheckRecord("corr2d::gpu", "gpu", "gpu", Status.SKIPPED, "needs a CUDA device"))),))


def test_a_record_round_trips_through_json_in_the_documented_shape():
    text = RECORD.to_json()
    assert SubmissionRecord.from_json(text) == RECORD
    data = json.loads(text)
    assert list(data) == ["student", "source", "digest", "seed", "score", "max_score", "seconds", "error", "katas",
                          "language"]
    assert list(data["katas"][0]) == ["id", "title", "section", "module", "points", "score", "status", "uncredited",
                                      "checks"]
    assert data["katas"][0]["checks"][0] == {"id": "corr2d::numeric_sweep", "name": "numeric_sweep", "kind": "numeric",
                                             "status": "failed", "message": "differs\n(seed 5)",
                                             "mistakes": ["flipped_kernel"], "warnings": ["UserWarning: careful"]}
    assert RECORD.to_dict() == data


def test_lookups_and_the_applicable_checks():
    assert RECORD.kata("corr2d").score == 1.3333
    assert RECORD.kata("corr2d").applicable() == [CHECK]
    with pytest.raises(KeyError):
        RECORD.kata("pool2d")


@pytest.mark.parametrize("text", ["not json", "[]", '{"student": "ann"}',
                                  json.dumps({**RECORD.to_dict(), "katas": [{"id": "corr2d"}]}),
                                  json.dumps({**RECORD.to_dict(), "seed": "five"})])
def test_anything_else_is_a_record_error(text):
    with pytest.raises(RecordError):
        SubmissionRecord.from_json(text)



def test_a_file_written_atomically_is_as_readable_as_one_written_plainly(tmp_path):
    """Not mkstemp's 0600: records, grades and the report sit beside matplotlib's PNGs, which a
    plain open writes (0666 less the umask); and no temporary file is left behind."""
    atomic_write(tmp_path / "report.md", "# report\n")
    (tmp_path / "speedup.png").write_bytes(b"png")
    assert stat.S_IMODE((tmp_path / "report.md").stat().st_mode) == stat.S_IMODE((tmp_path / "speedup.png").stat().st_mode)
    assert (tmp_path / "report.md").read_text() == "# report\n" and sorted(p.name for p in tmp_path.iterdir()) == [
        "report.md", "speedup.png"]
