"""convkata's grader. Its packages, from the bottom layer up (import-linter checks the layers:
pyproject.toml, ``[tool.importlinter]``):

- ``core``: what a kata is — the manifest, paths, loading an implementation folder, known mistakes
  (diagnosis), scoring rules, stubs generated from the solutions, backups.
- ``checks``: every kata's checks (probe + judge), their generators and judges, and running them:
  ``probing`` (the half that runs beside the submission) and ``runner`` (the verdicts).
- ``sandbox``: confined children that run a submission's probes and send plain data back.
- ``grading``: the class grader — sessions, batches, typed records and the files derived from them.
- ``learner``, ``integrations`` (nbgrader, Gradescope, Classroom), ``bench``, ``training``, ``dev``:
  independent of each other, each built on the layers below.
- ``cli``: the ``kata`` command, a module per command group.
"""
