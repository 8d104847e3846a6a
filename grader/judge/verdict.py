"""One executed grading notebook -> every test cell's result, why the run stopped, and the errors
of the student's own cells: the judging half of ``grader.grade``, with no I/O.

``run`` is what ``grader.run.execute.execute`` returns (its ``harvests``, ``errors``,
``stopped_at``, ``stop_reason`` and ``stop_detail``); ``roles`` says what each cell of the
grading notebook is (``grader.plan.grading_notebook``)."""
from __future__ import annotations

from dataclasses import dataclass, field

from course_lib.exercises import Exercise

from grader.judge.score import judge_test
from grader.plan.blueprint import Blueprint
from grader.results import CellResult
from grader.text import readable

MAX_ANSWER_ERRORS = 5


@dataclass
class Verdict:
    cells: list[CellResult] = field(default_factory=list)
    stop: str = ""                        # why the run stopped early, or ""
    notes: list[str] = field(default_factory=list)


def describe_cell(role: dict) -> str:
    kinds = {"answer": f"your answer {role.get('grade_id')!r}", "test": f"test {role.get('grade_id')!r}",
             "extra": "a cell you added", "given": "a cell of the assignment"}
    where = f"cell {role['position']}" if role.get("position") else "a cell"
    return f"{where} ({kinds[role['kind']]})"


def judge_run(plan: Blueprint, exercise: Exercise, stored: dict, run, roles: list[dict],
              nonce: str) -> Verdict:
    """Each test of ``plan`` judged from what its cell handed over (exactly one record carrying
    ``nonce``), else scored zero with the reason; and the first errors of the other cells."""
    verdict = Verdict()
    if run.stopped_at is not None:
        verdict.stop = readable(f"{run.stop_reason} in {describe_cell(roles[run.stopped_at])}" + (
            f": {run.stop_detail}" if run.stop_detail else ""))
    index_of_test = {role["grade_id"]: i for i, role in enumerate(roles) if role["kind"] == "test"}
    failed = set()
    for gid, test in plan.tests.items():
        index = index_of_test[gid]
        payloads = [p for p in run.harvests.get(index, []) if isinstance(p, dict)
                    and p.get("nonce") == nonce and p.get("cell") == gid]
        if len(payloads) == 1:
            verdict.cells.append(judge_test(exercise, stored, test, payloads[0], failed))
        elif len(payloads) > 1:
            failed.update(name for name, _, _ in test.calls)
            verdict.cells.append(CellResult(
                gid, test.points, 0.0, False, f"the test handed over {len(payloads)} results "
                "instead of one, so none was used: something in the notebook interferes with "
                "grading"))
        elif run.stopped_at is not None and run.stopped_at <= index:
            verdict.cells.append(CellResult(gid, test.points, 0.0, False,
                                            f"not run: {verdict.stop}"))
        else:
            error = readable(run.errors.get(index, "it produced no results"))
            verdict.cells.append(CellResult(gid, test.points, 0.0, False,
                                            f"the test could not run: {error}"))
    answer_errors = [f"{describe_cell(roles[i])} raised {readable(text)}"
                     for i, text in sorted(run.errors.items())
                     if roles[i]["kind"] in ("answer", "extra", "given")]
    verdict.notes = answer_errors[:MAX_ANSWER_ERRORS]
    return verdict
