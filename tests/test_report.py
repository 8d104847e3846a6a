"""Batch progress: a tqdm bar on a terminal, one line per finished submission elsewhere."""
import io

from grader.report.table import Progress, progress_line
from grader.results import SubmissionResult


def _result(student: str) -> SubmissionResult:
    return SubmissionResult(student=student, assignment="ex1_softmax", file=f"{student}.ipynb",
                            sha256="0" * 64, status="graded", score=10, max_score=12, seconds=1.5)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_not_a_terminal_logs_one_line_per_submission():
    lines = []
    progress = Progress(2, log=lines.append)
    for done, student in enumerate(["alice", "bob"], start=1):
        progress.update(done, _result(student))
    assert lines == [progress_line(1, 2, _result("alice")), progress_line(2, 2, _result("bob"))]


def test_print_to_a_pipe_has_no_bar():
    pipe = io.StringIO()
    progress = Progress(1, log=print, stream=pipe)
    assert progress.bar is None


def test_a_terminal_gets_a_bar_with_the_lines_above_it():
    screen = Terminal()
    progress = Progress(2, log=print, stream=screen)
    assert progress.bar is not None
    progress.update(1, _result("alice"))
    progress.update(2, _result("bob"))
    assert progress.bar is None                       # closed after the last submission
    text = screen.getvalue()
    assert progress_line(1, 2, _result("alice")) in text
    assert progress_line(2, 2, _result("bob")) in text
    assert "2/2" in text and "100%" in text           # tqdm's bar, finished
