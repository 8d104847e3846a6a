"""Grading with plain nbgrader (its autograde and its SQLite gradebook) in a scratch course.

Used by the quality gate and the tests to prove the grading contract on the real tool, and as the
baseline of the benchmark.
"""
from __future__ import annotations

import multiprocessing
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from grader.nbgrader.api import nbgrader_api


@dataclass
class CellScore:
    grade_id: str
    score: float | None
    max_score: float
    manual: bool


def autograde(assignment: str, submissions: dict[str, Path], workdir: Path | None = None
              ) -> dict[str, dict[str, CellScore]]:
    """Grade ``{student: notebook path}`` with ``nbgrader autograde``.

    Returns ``{student: {grade_id: CellScore}}`` read back from the gradebook. Manually graded
    cells have ``score=None`` (nbgrader leaves them for a person).
    """
    own_tmp = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="nbgrader-")) if own_tmp else Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        db_url = f"sqlite:///{workdir / 'gradebook.db'}"
        api = nbgrader_api(release_directory=str(workdir / "release"),
                           submitted_directory=str(workdir / "submitted"),
                           autograded_directory=str(workdir / "autograded"),
                           feedback_directory=str(workdir / "feedback"), db_url=db_url)
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result.get("success"):
            raise RuntimeError(result.get("error") or result.get("log"))
        for student, path in submissions.items():
            target = workdir / "submitted" / student / assignment / f"{assignment}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            api.gradebook.update_or_create_student(student)
        for student in submissions:
            api.autograde(assignment, student, force=True, create=True)
        return read_scores(api, assignment, list(submissions))
    finally:
        if own_tmp:
            shutil.rmtree(workdir, ignore_errors=True)


def autograde_in_parallel(batches: dict[str, dict[str, Path]], workdir: Path, processes: int = 2
                          ) -> dict[str, dict[str, dict[str, CellScore]]]:
    """``autograde`` of several assignments' submissions ``{assignment: {student: path}}`` in
    ``processes`` processes at once: nbgrader grades one notebook after the other, so each
    assignment's students are split into ``processes`` parts, each graded by ``autograde`` in its
    own scratch course and gradebook under ``workdir`` (every part pays its own
    ``generate_assignment``). Returns ``{assignment: {student: {grade_id: CellScore}}}``."""
    parts = []
    for assignment, submissions in batches.items():
        students = list(submissions)
        for k in range(min(processes, len(students))):
            part = {student: submissions[student] for student in students[k::processes]}
            parts.append((assignment, part, Path(workdir) / f"{assignment}-{k}"))
    scores: dict[str, dict[str, dict[str, CellScore]]] = {a: {} for a in batches}
    # spawn: a fresh interpreter per process, nothing inherited from the caller's threads
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [(assignment, pool.submit(autograde, assignment, part, folder))
                   for assignment, part, folder in parts]
        for assignment, future in futures:
            scores[assignment].update(future.result())
    return scores


def read_scores(api, assignment: str, students: list[str]) -> dict[str, dict[str, CellScore]]:
    scores = {}
    with api.gradebook as gradebook:
        for student in students:
            try:
                notebook = gradebook.find_submission_notebook(assignment, assignment, student)
            except Exception:  # noqa: BLE001 - not graded at all
                scores[student] = {}
                continue
            scores[student] = {
                grade.name: CellScore(grade.name, grade.score if grade.auto_score is not None
                                      or grade.manual_score is not None else None,
                                      grade.max_score, grade.auto_score is None)
                for grade in notebook.grades}
    return scores


def total(cells: dict[str, CellScore], *, auto_only: bool = True) -> tuple[float, float]:
    """(score, max score) over the autograded cells (or all cells)."""
    chosen = [c for c in cells.values() if not (auto_only and c.manual)]
    return sum(c.score or 0.0 for c in chosen), sum(c.max_score for c in chosen)
