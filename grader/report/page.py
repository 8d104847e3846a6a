"""One feedback page: the data a page shows, taken from a result and the gradebook's marks, laid
out by the Jinja2 template ``templates/feedback.html.j2`` with the stylesheet
``templates/feedback.css`` put inline, so that the page is one file that needs no network.

The template escapes everything it is given (autoescaping): what a submission returned, error
messages, notes, comments, names. The only markup given to it is the task text, the release
notebook's markdown as HTML with its maths as MathML (``grader/mathml.py``), which the
instructor wrote. The ``code`` filter shows `backticked` words of a text (as in hints) as code.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from grader.record.marks import Marks
from grader.report.mathml import markdown_to_html
from grader.report.task_text import answer_title, assignment_title, task_markdown
from grader.results import FAILED, CellResult, SubmissionResult

# next to this module, wherever it is installed or moved to (the package data ship it)
TEMPLATES = Path(__file__).resolve().parent / "templates"
PAGE_TEMPLATE = "feedback.html.j2"
STYLESHEET = "feedback.css"
HIDDEN_CASE = re.compile(r"\s*\(hidden case (\d+) of (\d+)\)$")
ANSWER_CHARS = 4000                     # a written answer is quoted up to this many characters


# --- what a page shows ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Test:
    """A test's row in the table of tests."""
    grade_id: str
    score: float
    points: float
    status: str                         # "passed", "failed" or "not run"


@dataclass(frozen=True)
class MergedFailure:
    """Failed cases of a test that say the same thing, merged into one."""
    tested: str
    check: str
    cases: str                          # which ones, e.g. "hidden cases 1, 3 of 5"
    expected: str                       # "" where there is nothing to show
    got: str
    detail: str
    hint: str                           # "" when every outcome of the test has the same hint


@dataclass(frozen=True)
class FailedTest:
    test: Test
    task: Markup                        # what the test checks, from the release notebook
    reason: str                         # shown when no case failed (the test did not run)
    outcomes: list[MergedFailure]
    shared_hint: str                    # the hint of all its outcomes, shown once
    cases_passed: int
    cases: int


@dataclass(frozen=True)
class PassedTest:
    test: Test
    tested: str                         # what its cases tested, "; " between them


@dataclass(frozen=True)
class WrittenAnswer:
    """A hand-graded answer: its line in the score box, and its text with the comment."""
    grade_id: str
    title: str                          # from the release's task text; the grade id if none
    points: float                       # what it is worth
    given: float | None                 # the points the instructor gave; None: not yet
    answered: bool
    comment: str                        # the instructor's, "" when none
    text: str                           # the student's answer as submitted (bounded), or ""
    shortened: bool                     # the text is only the first ANSWER_CHARS characters


@dataclass(frozen=True)
class Comment:
    """The instructor's comment on a cell other than a written answer (a test, a function)."""
    grade_id: str
    title: str                          # as a written answer's: from the release's task text
    text: str


@dataclass(frozen=True)
class Page:
    assignment: str                     # "" when the result has none
    title: str                          # the release notebook's first heading
    student: str
    file: str                           # the submitted file's name
    graded: bool                        # False: the submission could not be graded at all
    reason: str                         # why it could not be graded, or why the run stopped
    notes: list[str]
    comments: list[Comment]             # on cells other than written answers
    score: float
    max_score: float
    written: list[WrittenAnswer]
    total: float | None                 # tests and written answers (the gradebook's total)
    total_max: float
    pending: bool                       # written answers wait for the instructor
    tests: list[Test]
    failed: list[FailedTest]
    passed: list[PassedTest]
    sha256: str
    seconds: float


def page_data(result: SubmissionResult, marks: Marks | None = None) -> Page:
    """What the page of ``result`` shows; ``marks`` (from the gradebook) add the written
    answers' points and the instructor's comments."""
    assignment = result.assignment or ""
    marks = marks or Marks.of_result(result)
    graded = result.status != FAILED
    written = [_written(assignment, gid, info, marks)
               for gid, info in result.manual.items()] if graded else []
    return Page(
        assignment=assignment, title=assignment_title(assignment), student=str(result.student),
        file=Path(result.file).name if result.file else "", graded=graded,
        reason=result.reason or ("" if graded else "no reason was recorded"),
        notes=[str(note) for note in result.notes or ()],
        comments=[Comment(gid, answer_title(assignment, gid) or gid, comment)
                  for gid, comment in marks.comments.items() if gid not in result.manual],
        score=result.score, max_score=result.max_score, written=written, total=marks.total,
        total_max=marks.max_score, pending=bool(marks.pending),
        tests=[_test(cell) for cell in result.cells] if graded else [],
        failed=[_failed(assignment, c) for c in result.cells if not c.passed] if graded else [],
        passed=[_passed(c) for c in result.cells if c.passed] if graded else [],
        sha256=result.sha256 or "", seconds=result.seconds or 0.0)


def _written(assignment: str, grade_id: str, info: dict, marks: Marks) -> WrittenAnswer:
    """A written answer, titled as in the release, with the text the student submitted (from the
    saved result: what the instructor graded) when it was answered."""
    answered = bool(info.get("answered"))
    text = str(info.get("text") or "").strip("\n") if answered else ""
    shortened = len(text) > ANSWER_CHARS
    return WrittenAnswer(
        grade_id, answer_title(assignment, grade_id) or grade_id,
        float(info.get("points", 0) or 0), marks.manual_scores.get(grade_id), answered,
        marks.comments.get(grade_id) or "",
        text[:ANSWER_CHARS].rstrip() + " \u2026" if shortened else text, shortened)


def _test(cell: CellResult) -> Test:
    status = "passed" if cell.passed else \
        "not run" if cell.reason.startswith("not run") else "failed"
    return Test(str(cell.grade_id), cell.score, cell.points, status)


def _failed(assignment: str, cell: CellResult) -> FailedTest:
    task = task_markdown(assignment, cell.grade_id)
    outcomes = [o for o in cell.outcomes if isinstance(o, dict)]
    failed = [o for o in outcomes if not o.get("passed")]
    groups = _group(failed)
    hints = {str(outcome.get("hint") or "") for outcome, _ in groups}
    shared = hints.pop() if len(groups) > 1 and len(hints) == 1 else ""
    return FailedTest(
        test=_test(cell),
        # trusted: the instructor's markdown, rendered and its maths converted here
        task=Markup(markdown_to_html(task)) if task else Markup(""),
        reason=cell.reason or "this test did not pass",
        outcomes=[_merged_failure(outcome, cases, with_hint=not shared) for outcome, cases in groups],
        shared_hint=shared, cases_passed=len(outcomes) - len(failed), cases=len(outcomes))


def _passed(cell: CellResult) -> PassedTest:
    tested = sorted({HIDDEN_CASE.sub("", str(o.get("tested", ""))) for o in cell.outcomes
                     if isinstance(o, dict)})
    return PassedTest(_test(cell), "; ".join(tested))


def _group(outcomes: list[dict]) -> list[tuple[dict, list]]:
    """Failed outcomes that say the same thing, merged: [(outcome, [case labels])]."""
    groups: dict[tuple, tuple[dict, list]] = {}
    for outcome in outcomes:
        tested = str(outcome.get("tested", ""))
        hidden = HIDDEN_CASE.search(tested)
        base = HIDDEN_CASE.sub("", tested)
        key = (outcome.get("check"), base, outcome.get("expected"), outcome.get("got"),
               outcome.get("detail"), outcome.get("hint"))
        entry = groups.setdefault(key, ({**outcome, "tested": base}, []))
        entry[1].append((int(hidden.group(1)), int(hidden.group(2))) if hidden else None)
    return list(groups.values())


def _cases_label(cases: list) -> str:
    visible = [c for c in cases if c is None]
    hidden = sorted(c for c in cases if c is not None)
    parts = []
    if visible:
        parts.append("the example case from the notebook" if len(visible) == 1
                     else f"{len(visible)} example cases from the notebook")
    if hidden:
        numbers = ", ".join(str(i) for i, _ in hidden)
        parts.append(f"hidden case{'s' if len(hidden) > 1 else ''} {numbers} of {hidden[0][1]}")
    return " and ".join(parts)


def _merged_failure(outcome: dict, cases: list, with_hint: bool) -> MergedFailure:
    def shown(key: str) -> str:
        return str(outcome[key]) if outcome.get(key) else ""

    return MergedFailure(tested=str(outcome.get("tested", "")),
                         check=str(outcome.get("check", "")), cases=_cases_label(cases),
                         expected=shown("expected"), got=shown("got"), detail=shown("detail"),
                         hint=shown("hint") if with_hint else "")


# --- the page ------------------------------------------------------------------------------------

def text(value) -> Markup:
    """Text from a result, escaped, with its `backticked` words (as in hints) as code."""
    escaped = str(escape(str(value)))
    return Markup(re.sub(r"`([^`\n]+)`", r"<code>\1</code>", escaped))


def points(value) -> str:
    return f"{float(value or 0):g}"


def plural(value, word: str) -> str:
    return f"{points(value)} {word}{'' if float(value or 0) == 1 else 's'}"


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    """The report's Jinja2 environment (the templates in ``templates/``, autoescaped), shared by
    the feedback pages and the class report."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)
    environment.filters.update(code=text, points=points, plural=plural)
    return environment


@functools.lru_cache(maxsize=None)
def stylesheet(name: str = STYLESHEET) -> Markup:
    """A stylesheet of ``templates/``, to go inline (the package's own file: not a template, not
    escaped)."""
    return Markup((TEMPLATES / name).read_text(encoding="utf-8"))


def render_page(result: SubmissionResult, marks: Marks | None = None) -> str:
    """The whole feedback page of one result, as a string of HTML; ``marks`` (from the
    gradebook) add the written answers' points and the instructor's comments."""
    template = environment().get_template(PAGE_TEMPLATE)
    return template.render(page=page_data(result, marks), stylesheet=stylesheet())
