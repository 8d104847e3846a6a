"""``python -m grader report``: the instructor's class report, written to ``<output>/report/``:

    index.html               the assignments, with links to their pages
    <assignment>.html        per test: attempted, passed, mean points, discrimination, the
                             common failures by hint and the students concerned, tests failed
                             on hidden cases after the visible example passed; the score
                             histogram, hand-grading progress, grading times, similar submissions
    <assignment>.csv         one row per test, the same numbers

The report is for the instructor only and goes to its own folder, never into ``feedback/``
(what ``nbgrader release_feedback`` gives students). It shows what the feedback pages show
students (hints, reasons), never expected values or hidden inputs. Plots are drawn with
matplotlib (Agg) and put inline as PNG data, the stylesheet too: a page opens offline.

Similar submissions (``similarity``) are computed from the answer cells of the autograded
notebooks (``<output>/autograded/<student>/<assignment>/<assignment>.ipynb``, which hold the
student's code as it ran), read as JSON, bounded in size and never executed; for a result whose
notebook is missing, the answers saved in the result stand in.
"""
from __future__ import annotations

import base64
import csv
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

from markupsafe import Markup

from grader.course import OutputTree
from grader.nbgrader.notebooks import nbgrader_meta, release_notebook, source_notebook
from grader.record.atomic import replace_file
from grader.record.store import load_results
from grader.report import similarity
from grader.report.class_stats import AssignmentStats, class_stats
from grader.report.feedback import gradebook_marks
from grader.report.page import environment, stylesheet
from grader.results import GRADED, SubmissionResult

INDEX_TEMPLATE = "class_index.html.j2"
PAGE_TEMPLATE = "class_report.html.j2"
STYLESHEET = "class_report.css"
MAX_NOTEBOOK_BYTES = 5 * 2**20          # an autograded notebook larger than this is not read
CSV_FIELDS = ["test", "points", "graded", "attempted", "passed", "pass_rate", "mean_points",
              "discrimination", "upper_lower", "failed_hidden_after_example", "failures"]


def report_dir(output: Path) -> Path:
    """``<output>/report``; never inside the feedback folder students are given."""
    tree = OutputTree(output)
    folder = tree.report_root
    feedback = tree.feedback_root.resolve()
    resolved = folder.resolve()
    if resolved == feedback or resolved.is_relative_to(feedback):
        raise ValueError(f"the class report must not go into the feedback folder {feedback}")
    return folder


# --- reading the answers -------------------------------------------------------------------------

def _code_cells(notebook: dict) -> dict[str, str]:
    """grade id -> source of the answer (``solution``) code cells of a notebook's JSON."""
    found = {}
    for cell in notebook.get("cells", []) if isinstance(notebook, dict) else []:
        meta = nbgrader_meta(cell)
        if cell.get("cell_type") == "code" and meta.get("solution") and meta.get("grade_id"):
            source = cell.get("source", "")
            found[str(meta["grade_id"])] = "".join(source) if isinstance(source, list) else str(source)
    return found


def submitted_answers(output: Path, result: SubmissionResult) -> dict[str, str]:
    """The student's answer cells as autograde recorded them (read-only, never run)."""
    path = OutputTree(output).autograded(result.student, result.assignment) / f"{result.assignment}.ipynb"
    try:
        if path.stat().st_size <= MAX_NOTEBOOK_BYTES:
            return _code_cells(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    return {str(gid): str(code) for gid, code in (result.answers or {}).items()}


def common_text(assignment: str) -> dict[str, list[str]]:
    """grade id -> what every student has for an answer cell: the release's text and the
    reference solution's."""
    common: dict[str, list[str]] = {}
    for notebook in (release_notebook(assignment), source_notebook(assignment)):
        for gid, source in _code_cells(notebook).items():
            common.setdefault(gid, []).append(source)
    return common


def assignment_similarity(output: Path, assignment: str, results: list[SubmissionResult]
                          ) -> similarity.Similarity:
    answers = {r.student: submitted_answers(output, r) for r in results
               if r.assignment == assignment and r.status == GRADED}
    return similarity.similar_pairs(answers, common_text(assignment))


# --- plots ---------------------------------------------------------------------------------------

def histogram_png(scores: tuple[float, ...], max_score: float) -> str:
    """The scores' histogram as a ``data:`` URL of a PNG (Agg; no pyplot, no open figures)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 2.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    top = max(max_score, max(scores, default=0.0), 1.0)
    bins = min(20, max(1, int(top))) if top == int(top) else 20
    axes.hist(scores, bins=bins, range=(0, top), color="#0969da", edgecolor="white")
    axes.set_xlabel("points from the tests")
    axes.set_ylabel("submissions")
    axes.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# --- writing -------------------------------------------------------------------------------------

def _number(value, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def write_csv(path: Path, stats: AssignmentStats) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for test in stats.tests:
        writer.writerow({
            "test": test.grade_id, "points": f"{test.points:g}", "graded": test.graded,
            "attempted": test.attempted, "passed": test.passed,
            "pass_rate": _number(test.pass_rate), "mean_points": _number(test.mean_points),
            "discrimination": _number(test.discrimination),
            "upper_lower": _number(test.upper_lower),
            "failed_hidden_after_example": " ".join(test.hidden_only),
            "failures": " | ".join(f"{g.count}x {g.hint}" for g in test.failures)})
    replace_file(path, buffer.getvalue())


def render_assignment(stats: AssignmentStats, similar: similarity.Similarity) -> str:
    template = environment().get_template(PAGE_TEMPLATE)
    return template.render(stats=stats, similar=similar, threshold=similarity.THRESHOLD,
                           min_tokens=similarity.MIN_TOKENS,
                           histogram=Markup(histogram_png(stats.scores, stats.max_score)),
                           stylesheet=stylesheet(STYLESHEET), number=_number)


def render_index(all_stats: list[AssignmentStats], flagged: dict[str, int]) -> str:
    template = environment().get_template(INDEX_TEMPLATE)
    return template.render(assignments=all_stats, flagged=flagged,
                           stylesheet=stylesheet(STYLESHEET), number=_number)


def write_class_report(output: Path, *, db_url: str = "",
                       warn: Callable[[str], None] | None = None) -> list[Path]:
    """Write the class report of the saved results under ``output/results`` (with the
    written answers' progress from the gradebook, ``db_url``, default ``output/gradebook.db``);
    return the files written, index first."""
    warn = warn or (lambda text: print(text, file=sys.stderr))
    output = Path(output)
    folder = report_dir(output)
    results, unreadable = load_results(OutputTree(output).results)
    for path in unreadable:
        warn(f"skipped {path}: not a readable result")
    marks = gradebook_marks(db_url or OutputTree(output).gradebook_url, results, warn)
    all_stats = class_stats(results, marks)
    written, flagged = [], {}
    for stats in all_stats:
        similar = assignment_similarity(output, stats.assignment, results)
        flagged[stats.assignment] = len(similar.pairs)
        page = folder / f"{stats.assignment}.html"
        replace_file(page, render_assignment(stats, similar))
        write_csv(folder / f"{stats.assignment}.csv", stats)
        written += [page, folder / f"{stats.assignment}.csv"]
    index = folder / "index.html"
    replace_file(index, render_index(all_stats, flagged))
    return [index, *written]
