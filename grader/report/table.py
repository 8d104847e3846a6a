"""Printing results as a table a person reads at a glance: aligned columns, and long reasons
wrapped at word boundaries under their own column instead of cut off; and a batch's progress,
as a bar on a terminal."""
from __future__ import annotations

import shutil
import sys
import textwrap

from grader.results import FAILED, SubmissionResult

STUDENT, ASSIGNMENT, SCORE, STATUS = 20, 14, 9, 7


def _width() -> int:
    return max(100, min(160, shutil.get_terminal_size((120, 24)).columns))


def print_table(results: list[SubmissionResult], out=print) -> None:
    """One line per result: the tests' points (written answers are graded by hand, in the
    Formgrader; grades.csv has the totals)."""
    rows = sorted(results, key=lambda r: (r.student, r.assignment))
    indent = STUDENT + ASSIGNMENT + SCORE + STATUS + 5
    width = _width()
    out(f"{'student':<{STUDENT}} {'assignment':<{ASSIGNMENT}} {'tests':>{SCORE}}  "
        f"{'status':<{STATUS}} reason")
    out("-" * width)
    for r in rows:
        score = "" if r.status == FAILED or r.score is None else f"{r.score:g}/{r.max_score:g}"
        lines = textwrap.wrap(r.summary(), width=width - indent) or [""]
        out(f"{r.student[:STUDENT]:<{STUDENT}} {(r.assignment or '?')[:ASSIGNMENT]:<{ASSIGNMENT}} "
            f"{score:>{SCORE}}  {r.status:<{STATUS}} {lines[0]}")
        for line in lines[1:]:
            out(" " * indent + line)


def progress_line(done: int, total: int, result: SubmissionResult,
                  workers: tuple[int, int] | None = None) -> str:
    """One line per finished submission, with the counter padded so the columns stay put;
    ``workers`` is (busy, all) of the executor's workers."""
    score = f"{result.score:g}/{result.max_score:g}" if result.status != FAILED else "failed"
    extra = f" - {result.reason}" if result.reason else ""
    busy = f", {workers[0]}/{workers[1]} workers busy" if workers else ""
    counter = f"[{done:>{len(str(total))}}/{total}{busy}]"
    return (f"{counter} {result.student[:STUDENT]:<{STUDENT}} {result.assignment:<{ASSIGNMENT}} "
            f"{score:>{SCORE}} ({result.seconds:.1f} s){extra}")


class Progress:
    """A batch's progress, one finished submission at a time.

    On a terminal (``log`` is ``print`` and standard output is a TTY) a tqdm bar at the bottom,
    with each submission's ``progress_line`` printed above it; anywhere else (a file, a pipe, a
    test's or the demo's ``log``) only those lines, through ``log``, as before."""

    def __init__(self, total: int, log=print, stream=None):
        self.total, self.log = total, log
        self.stream = sys.stdout if stream is None else stream
        self.bar = None
        if log is print and total > 0 and _is_terminal(self.stream):
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit="submission", file=self.stream, dynamic_ncols=True)

    def update(self, done: int, result: SubmissionResult,
               workers: tuple[int, int] | None = None) -> None:
        line = progress_line(done, self.total, result, workers)
        if self.bar is None:
            self.log(line)
            return
        self.bar.write(line, file=self.stream)
        self.bar.update(1)
        if done >= self.total:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):        # no isatty, or a closed stream
        return False
