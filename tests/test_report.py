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


def test_the_class_report_times_notebooks_in_cpu_seconds_when_results_have_them():
    from dataclasses import replace

    from grader.report.class_stats import assignment_stats

    ann = replace(_result("ann"), seconds=9.0, cpu_seconds=2.5)
    bob = replace(_result("bob"), seconds=4.0, cpu_seconds=3.0)
    stats = assignment_stats("ex1_softmax", [ann, bob])
    assert stats.cpu_time and stats.seconds == (("bob", 3.0), ("ann", 2.5))
    old = replace(_result("cat"), seconds=7.0)               # saved before CPU time was kept
    stats = assignment_stats("ex1_softmax", [ann, old])
    assert not stats.cpu_time and stats.seconds == (("ann", 9.0), ("cat", 7.0))


def test_a_result_saved_without_cpu_time_still_reads():
    import json

    data = json.loads(_result("ann").to_json())
    del data["cpu_seconds"]
    assert SubmissionResult.from_json(json.dumps(data)).cpu_seconds == 0.0
