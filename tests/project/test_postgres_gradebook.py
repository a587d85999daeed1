"""nbgrader's gradebook on a real PostgreSQL server (``kata grade --db postgresql://…``): the same
class graded with the same seed into SQLite and into PostgreSQL gives the same gradebook, read back
through nbgrader's API; grading again (resuming, and with --force) keeps one submission per student.
The server is a throwaway one (tests/postgres.py); where none can start these tests skip and say why."""
import shutil
import time
from dataclasses import replace

import pytest
from sqlalchemy.engine import make_url

from grader.core import stubgen
from grader.core.paths import SOLUTIONS_DIR
from grader.grading.batch import GradeOptions, Progress, grade_batch
from grader.grading.gradebook import Gradebook, GradebookError
from grader.sandbox.confine import Limits

pytest_plugins = ["tests.postgres"]

KATAS = ["corr2d", "pool2d"]
SEED = 16
ASSIGNMENT = "convkata"


@pytest.fixture(scope="module")
def submissions(tmp_path_factory) -> list:
    """A small class: the reference, untouched stubs, and a pool2d that always averages."""
    root = tmp_path_factory.mktemp("class")
    shutil.copytree(SOLUTIONS_DIR, root / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    stubgen.write(root / "stubs", backup_dir=root / "backups")
    shutil.copytree(root / "reference", root / "mistaken")
    pooling = root / "mistaken" / "pooling.py"
    text = pooling.read_text(encoding="utf-8")
    assert 'windows.amax(dim=0) if mode == "max" else ' in text
    pooling.write_text(text.replace('windows.amax(dim=0) if mode == "max" else ', ""), encoding="utf-8")
    return [root / "reference", root / "stubs", root / "mistaken"]


def grade(submissions, out, db_url, sandbox):
    return grade_batch(submissions, GradeOptions(out=out, db_url=db_url, katas=KATAS, seed=SEED, jobs=2,
                                                 limits=Limits(cpu_seconds=20)), server=sandbox)


@pytest.fixture(scope="module")
def graded(postgres_server, tmp_path_factory, submissions, sandbox):
    """The class graded into a fresh SQLite gradebook and into a fresh PostgreSQL database."""
    sqlite_out, postgres_out = tmp_path_factory.mktemp("sqlite"), tmp_path_factory.mktemp("postgres")
    sqlite_url, postgres_url = f"sqlite:///{sqlite_out / 'gradebook.db'}", postgres_server.database("gradebook")
    records = grade(submissions, sqlite_out, sqlite_url, sandbox)
    again = grade(submissions, postgres_out, postgres_url, sandbox)
    assert [(r.student, r.seed, [k.score for k in r.katas]) for r in again] == \
        [(r.student, r.seed, [k.score for k in r.katas]) for r in records]  # the same seeds, the same scores
    return sqlite_url, postgres_url, postgres_out, records


def contents(url: str) -> dict:
    """Everything the gradebook holds, as nbgrader's API reads it back."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gradebook:
        assignment = gradebook.find_assignment(ASSIGNMENT)
        return {
            "students": sorted(s.id for s in gradebook.students),
            "assignments": sorted(a.name for a in gradebook.assignments),
            "notebooks": {n.name: sorted((c.name, c.max_score, c.cell_type) for c in n.grade_cells)
                          for n in assignment.notebooks},
            "max_score": assignment.max_score,
            "submissions": {
                s.student.id: {
                    "score": s.score, "max_score": s.max_score,
                    "notebooks": {n.name: {"grades": sorted((g.name, g.auto_score, g.manual_score, g.score, g.max_score)
                                                            for g in n.grades),
                                           "comments": sorted((c.name, c.auto_comment, c.manual_comment)
                                                              for c in n.comments)}
                                  for n in s.notebooks}}
                for s in assignment.submissions},
        }


def row_counts(url: str) -> dict[str, int]:
    """Rows of the assignment's submissions, and of their notebooks and grades."""
    from nbgrader.api import Grade, Gradebook, SubmittedAssignment, SubmittedNotebook

    with Gradebook(url) as gradebook:
        return {table.__name__: gradebook.db.query(table).count()
                for table in (SubmittedAssignment, SubmittedNotebook, Grade)}


def test_the_same_class_gives_the_same_gradebook_in_sqlite_and_postgresql(graded):
    sqlite_url, postgres_url, _, records = graded
    in_sqlite, in_postgres = contents(sqlite_url), contents(postgres_url)
    assert in_postgres == in_sqlite
    # and it is not trivially equal: every student, every kata, and scores that differ between them
    assert in_postgres["students"] == ["mistaken", "reference", "stubs"]
    assert in_postgres["notebooks"] == {"conv_layer": [("corr2d", 4.0, "code")], "pooling": [("pool2d", 4.0, "code")]}
    scores = {student: submission["score"] for student, submission in in_postgres["submissions"].items()}
    assert scores == {r.student: pytest.approx(r.score) for r in records}
    assert scores["reference"] == 8 and scores["stubs"] == 0 and 4 < scores["mistaken"] < 8


def test_grading_again_into_postgresql_keeps_one_submission_per_student(graded, submissions, sandbox):
    """Resuming (the records exist: nothing is regraded, the gradebook is written again) and --force
    (everything regraded) leave the gradebook as it was."""
    _, postgres_url, postgres_out, _ = graded
    before = contents(postgres_url)
    expected = {"SubmittedAssignment": 3, "SubmittedNotebook": 6, "Grade": 6}
    assert row_counts(postgres_url) == expected
    for force in (False, True):
        seen = []
        progress = Progress(finished=lambda record, skipped: seen.append(skipped))
        grade_batch(submissions, GradeOptions(out=postgres_out, db_url=postgres_url, katas=KATAS, seed=SEED, force=force,
                                              limits=Limits(cpu_seconds=20)), progress, sandbox)
        assert seen == [not force] * 3
        assert contents(postgres_url) == before
        assert row_counts(postgres_url) == expected


def written(server, url: str) -> int:
    """Submissions in the gradebook at ``url`` so far, read without nbgrader (which would create its tables)."""
    import psycopg2

    connection = server.connect(make_url(url).database)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM submitted_assignment")
            return cursor.fetchone()[0]
    except psycopg2.errors.UndefinedTable:
        return 0
    finally:
        connection.close()


def test_a_connection_the_server_dropped_between_writes_is_replaced(graded, postgres_server, postgres_url):
    """A server restarted, or an idle timeout, while a long class is graded: the next record still arrives."""
    records = graded[3]
    gradebook = Gradebook(postgres_url, ASSIGNMENT)
    gradebook.write(records[:1])
    deadline = time.monotonic() + 30
    while written(postgres_server, postgres_url) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)  # the first record written: the gradebook's connections are idle, in their pools
    connection = postgres_server.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = %s AND pid <> pg_backend_pid()", (make_url(postgres_url).database,))
            assert cursor.fetchall(), "no connection of the gradebook's to drop"
    finally:
        connection.close()
    gradebook.write(records[1:])
    gradebook.close()
    assert contents(postgres_url)["submissions"].keys() == {r.student for r in records}


def test_graders_writing_one_gradebook_at_once_wait_for_each_other(graded, postgres_url):
    """Two `kata grade` runs that share a fresh gradebook: nbgrader creates tables and rows by looking
    first, so both would create them; they take turns instead, and every student is written."""
    records = graded[3]
    classes = [[replace(record, student=f"{name}-{record.student}") for record in records] for name in ("a", "b")]
    gradebooks = [Gradebook(postgres_url, ASSIGNMENT) for _ in classes]
    for pair in zip(*classes):
        for gradebook, record in zip(gradebooks, pair):
            gradebook.write([record])
    for gradebook in gradebooks:
        gradebook.close()
    assert sorted(contents(postgres_url)["students"]) == sorted(r.student for c in classes for r in c)
    assert row_counts(postgres_url) == {"SubmittedAssignment": 6, "SubmittedNotebook": 12, "Grade": 12}


def test_a_gradebook_error_never_shows_the_database_password(postgres_server):
    url = make_url(postgres_server.url("no_such_database")).set(password="s3cret")
    gradebook = Gradebook(url.render_as_string(hide_password=False), ASSIGNMENT)
    with pytest.raises(GradebookError, match='database "no_such_database" does not exist') as raised:
        gradebook.close()
    assert "s3cret" not in str(raised.value) and f"{url.username}:***@" in str(raised.value)
