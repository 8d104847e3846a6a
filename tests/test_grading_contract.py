"""The grading contract, proven with real nbgrader autograde, a real kernel and the real SQLite
gradebook: the solutions score full marks, the untouched student versions score zero, and every
typical mistake in grader/build/mutants.py loses the points of the tests it must fail (and only a few
others, so partial credit works)."""
import pytest

import plain_nbgrader as nbgrader
from grader import course
from grader.build import submissions
from grader.build.mutants import mutants_of


@pytest.fixture(scope="module")
def graded_all(tmp_path_factory):
    """Every assignment's solution, blank release and mutants, graded by plain nbgrader: two
    nbgrader processes at once, each grading its part one notebook after the other."""
    tmp = tmp_path_factory.mktemp("contract")
    batches, mutants = {}, {}
    for assignment in course.ASSIGNMENTS:
        folder = tmp / assignment
        subs = {"solution": submissions.write(submissions.filled_release(assignment),
                                              folder / "s.ipynb"),
                "blank": submissions.write(submissions.release_notebook(assignment),
                                           folder / "b.ipynb")}
        mutants[assignment] = mutants_of(assignment)
        for i, mutant in enumerate(mutants[assignment]):
            nb = submissions.filled_release(assignment, mutant.overrides)
            subs[f"mutant{i}"] = submissions.write(nb, folder / f"m{i}.ipynb")
        batches[assignment] = subs
    scores = nbgrader.autograde_in_parallel(batches, tmp / "courses")
    return {a: (a, mutants[a], scores[a]) for a in course.ASSIGNMENTS}


@pytest.fixture(params=course.ASSIGNMENTS)
def graded(request, graded_all):
    return graded_all[request.param]


def test_solution_scores_full_marks(graded):
    _, _, scores = graded
    score, maximum = nbgrader.total(scores["solution"])
    assert maximum > 0 and score == maximum
    failed = [c.grade_id for c in scores["solution"].values() if not c.manual and c.score != c.max_score]
    assert failed == []


def test_blank_release_scores_zero(graded):
    _, _, scores = graded
    assert scores["blank"], "the blank notebook was not graded"
    assert nbgrader.total(scores["blank"], auto_only=False)[0] == 0


def test_every_mutant_loses_points(graded):
    assignment, mutants, scores = graded
    full = nbgrader.total(scores["solution"])[0]
    assert mutants, f"{assignment} has no mutants"
    for i, mutant in enumerate(mutants):
        cells = scores[f"mutant{i}"]
        lost = [gid for gid, c in cells.items() if not c.manual and c.score != c.max_score]
        missing = [gid for gid in mutant.must_fail if gid not in lost]
        assert not missing, f"{mutant.name!r} kept the points of {missing}"
        assert nbgrader.total(cells)[0] < full
        # partial credit: a single mistake does not wipe out the whole notebook
        assert nbgrader.total(cells)[0] > 0, f"{mutant.name!r} lost every point"
