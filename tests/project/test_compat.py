"""What is kept for one release so that earlier users' files keep working."""


def test_notebooks_built_before_the_regrouping_still_import_their_checks():
    from grader.integrations.nbgrader import checks
    from grader.notebook_checks import check_kata, grade_with_seed

    assert (check_kata, grade_with_seed) == (checks.check_kata, checks.grade_with_seed)
