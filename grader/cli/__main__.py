"""``python -m grader.cli``: the ``kata`` command."""
from grader.cli import run

run()
