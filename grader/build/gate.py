"""``python -m grader check``: the quality gate to run before releasing an assignment.

For every assignment: the solution must score full marks, the blank release zero, every mutant
(grader/build/mutants.py) must lose the points of the tests it targets, and the whole solution notebook
(every cell, demos included) must run within its budget of CPU time. Prints a table; exits 1 on
any failure.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


from grader.run import sandbox
from grader import course
from grader.build import submissions
from grader.autograde import Options, autograde
from grader.run.cputime import CpuMeter, kernel_pid
from grader.run.limits import Limits
from grader.build.mutants import mutants_of
from grader.nbgrader.notebooks import source_notebook

# CPU seconds of the kernel and its children, so the verdict is the same on a busy machine
BUDGET_SECONDS = {"ex1_softmax": 30, "ex2_backprop": 30, "ex3_mnist": 60, "ex4_deep": 60}


@dataclass
class Row:
    assignment: str
    what: str
    expected: str
    got: str
    ok: bool


def time_notebook(assignment: str) -> tuple[float, float]:
    """(CPU seconds, wall-clock seconds) to run the instructor's notebook top to bottom in a
    plain kernel with one BLAS thread, as when grading. The CPU time is the kernel's process
    tree's, measured as the grader measures its limits (``grader.run.cputime``)."""
    from nbclient import NotebookClient

    nb = source_notebook(assignment)
    meter: list[CpuMeter] = []
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        client = NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": scratch}},
            on_notebook_start=lambda **_: meter.append(CpuMeter(kernel_pid(client.km))),
            on_cell_executed=lambda **_: meter[0].seconds())   # the last reading is kept
        # the source's hidden tests (check_hidden) find the course's expected results by this
        env = {**os.environ, **sandbox.ONE_BLAS_THREAD, course.COURSE_VARIABLE: str(course.ROOT)}
        client.execute(env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)  # kernel chatter
    return meter[0].seconds(), time.monotonic() - start


def run_check(assignments=course.ASSIGNMENTS, jobs: int = 2, log=print,
              timing: bool = True) -> list[Row]:
    """The gate's rows for ``assignments``; ``timing=False`` leaves out the run-time rows (which
    run the notebooks in a plain kernel, the same with or without a sandbox)."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="grader-check-") as tmp:
        folder = Path(tmp) / "submissions"
        expectations = {}
        for assignment in assignments:
            def put(student, nb, what, check):
                submissions.write(nb, folder / student / assignment / f"{assignment}.ipynb")
                expectations[(student, assignment)] = (what, check)
            put("solution", submissions.filled_release(assignment), "solution", "full")
            put("blank", submissions.release_notebook(assignment), "blank release", "zero")
            for i, mutant in enumerate(mutants_of(assignment), start=1):
                put(f"mutant{i:02d}", submissions.filled_release(assignment, mutant.overrides),
                    f"mutant: {mutant.name}", mutant)
        log(f"grading {len(expectations)} notebooks (solutions, blank releases, mutants)")
        results = autograde(folder, Options(jobs=jobs, force=True, output=Path(tmp) / "out",
                                            limits=Limits()),
                            log=lambda line: None)
        by_key = {(r.student, r.assignment): r for r in results}
        for (student, assignment), (what, check) in sorted(expectations.items(),
                                                            key=lambda kv: (kv[0][1], kv[0][0])):
            result = by_key.get((student, assignment))
            score = "not graded" if result is None or result.score is None else \
                f"{result.score:g}/{result.max_score:g}"
            if check == "full":
                ok = result is not None and result.score == result.max_score
                rows.append(Row(assignment, what, "full marks", score, ok))
            elif check == "zero":
                ok = result is not None and result.score == 0
                rows.append(Row(assignment, what, "0", score, ok))
            else:
                lost = {c.grade_id for c in result.cells if not c.passed} if result else set()
                ok = result is not None and set(check.must_fail) <= lost
                rows.append(Row(assignment, what, f"loses {', '.join(check.must_fail)}",
                                f"{score}, lost {', '.join(sorted(lost)) or 'nothing'}", ok))
    for assignment in assignments if timing else ():
        cpu, wall = time_notebook(assignment)
        budget = BUDGET_SECONDS.get(assignment, 60)
        rows.append(Row(assignment, "run time of the full notebook", f"<= {budget} s of CPU time",
                        f"{cpu:.1f} s CPU ({wall:.1f} s wall)", cpu <= budget))
    return rows


def print_rows(rows: list[Row], out=print) -> None:
    out(f"{'':4}{'assignment':<14}{'check':<52}{'expected':<34}got")
    for row in rows:
        out(f"{'ok' if row.ok else 'FAIL':<4}{row.assignment:<14}{row.what[:50]:<52}"
            f"{row.expected[:32]:<34}{row.got}")
    failed = sum(not r.ok for r in rows)
    out(f"\n{len(rows) - failed} of {len(rows)} checks passed" + (f", {failed} FAILED" if failed else ""))
