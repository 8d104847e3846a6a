"""The instructor's class report (``python -m grader report``) on a generated class of 43
submissions over the four assignments, graded in one batch: the solution, the quality gate's
mutants (one of them made by two students), correct answers written differently (the fairness
corpus) and two planted copies (one verbatim with new comments, one with renamed variables and
reordered helper functions). The report's counts, pass rates and failure groups must be what
the planted mistakes give; the copies, and only they, must be flagged; the page must render
offline in Chromium; nothing may be written to the students' feedback folder."""
import csv
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from grader import course
from grader.autograde import Options, autograde
from grader.build import submissions
from grader.build.mutants import mutants_of
from grader.cli import main
from grader.report import class_report, similarity
from grader.run.limits import Limits

sys.path.insert(0, str(Path(__file__).parent))
from corpora import fairness  # noqa: E402

EX1, EX2, EX3, EX4 = course.ASSIGNMENTS
HIDDEN = re.compile(r"\(hidden case \d+ of \d+\)$")

# --- the class -----------------------------------------------------------------------------------

INDEPENDENT = {EX1: ["ex1_loops", "ex1_masks", "ex1_tanh", "ex1_einsum"],
               EX2: ["ex2_batch_loop", "ex2_einsum", "ex2_loss_own_logsumexp",
                     "ex2_gradients_inline"],
               EX3: ["ex3_read_loops", "ex3_minibatches_take"],
               EX4: ["ex4_gradients_reversed", "ex4_forward_einsum"]}
MUTANTS_USED = {EX1: 9, EX2: 6, EX3: 4, EX4: 3}
SOLUTIONS = {EX1: 2, EX2: 1, EX3: 1, EX4: 1}
TWICE = (EX1, 2)                     # the third ex1 mutant is made by a second student as well

ORIGINAL_BATCH = '''
def as32(A):
    return np.asarray(A, dtype=np.float32)


def column_count(X):
    """How many samples: the number of columns, as float32."""
    return np.float32(X.shape[1])


def batch_gradients(params, X, T):
    Y1, Y2 = (as32(Y) for Y in forward(params, X))
    X32, T32, W2 = as32(X), as32(T), as32(params["W2"])
    D2 = (Y2 - T32) / column_count(X)
    D1 = (W2.T @ D2) * Y1 * (np.float32(1.0) - Y1)
    return {"W1": D1 @ X32.T, "W2": D2 @ Y1.T}
'''
# the copy: names changed, the main function first and the helpers swapped
COPIED_BATCH = '''
def batch_gradients(params, X, T):
    hidden, probs = (to_f32(out) for out in forward(params, X))
    inputs, targets, w_out = to_f32(X), to_f32(T), to_f32(params["W2"])
    delta_out = (probs - targets) / n_samples(X)
    delta_hid = (w_out.T @ delta_out) * hidden * (np.float32(1.0) - hidden)
    return {"W1": delta_hid @ inputs.T, "W2": delta_out @ hidden.T}


def n_samples(data):
    # number of columns
    return np.float32(data.shape[1])


def to_f32(arr):
    return np.asarray(arr, dtype=np.float32)
'''
COPIED_FORWARD = '''
def forward(params, X):
    xs = X.astype(np.float32)
    hidden = sigmoid(params["W1"].astype(np.float32) @ xs)
    probs = softmax(params["W2"].astype(np.float32) @ hidden)
    return hidden, probs
'''
COPIES = {EX1: ("ex1_loops", "ex1_copy"), EX2: ("ex2_orig", "ex2_copy")}


def _with_comments(nb):
    """The verbatim copy: every answer cell of ex1_loops with a comment line changed/added."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = "# my own work\n" + cell.source.replace('"""One element', '"""Element')
    return nb


def make_class(folder: Path) -> dict:
    """Write the class (nbgrader's layout); returns {(student, assignment): tests it must fail}."""
    planned = {}

    def put(student, assignment, nb, fails=()):
        submissions.write(nb, folder / student / assignment / f"{assignment}.ipynb")
        planned[(student, assignment)] = set(fails)

    variants = {v.name: v for v in fairness.CORRECT}
    for assignment in course.ASSIGNMENTS:
        short = assignment.split("_")[0]
        for i in range(SOLUTIONS[assignment]):
            put(f"{short}_solution_{i}", assignment, submissions.filled_release(assignment))
        for i, mutant in enumerate(mutants_of(assignment)[:MUTANTS_USED[assignment]]):
            nb = submissions.filled_release(assignment, mutant.overrides)
            put(f"{short}_mutant_{i}", assignment, nb, mutant.must_fail)
            if (assignment, i) == TWICE:
                put(f"{short}_mutant_{i}_again", assignment, nb, mutant.must_fail)
        for name in INDEPENDENT[assignment]:
            put(name, assignment, variants[name].make())
    put("ex1_copy", EX1, _with_comments(variants["ex1_loops"].make()))
    f32 = {"forward": fairness.FORWARD_F32, "dE_dz2": fairness.DZ2_F32,
           "dE_dW1": fairness.DW1_F32}
    put("ex2_orig", EX2, submissions.filled_release(EX2, {**f32, "batch_gradients": ORIGINAL_BATCH}))
    put("ex2_copy", EX2, submissions.filled_release(
        EX2, {**f32, "forward": COPIED_FORWARD, "batch_gradients": COPIED_BATCH}))
    return planned


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    planned = make_class(tmp / "submissions")
    assert len(planned) >= 40
    results = autograde(tmp / "submissions",
                        Options(jobs=2, force=True, output=tmp / "out", limits=Limits()),
                        log=lambda line: None)
    assert len(results) == len(planned)
    assert main(["report", "--output", str(tmp / "out")]) == 0
    return tmp / "out", planned, {(r.student, r.assignment): r for r in results}


def _rows(output: Path, assignment: str) -> dict:
    with open(output / "report" / f"{assignment}.csv", newline="", encoding="utf-8") as handle:
        return {row["test"]: row for row in csv.DictReader(handle)}


# --- the numbers ---------------------------------------------------------------------------------

def test_every_submission_is_graded(graded):
    _, planned, results = graded
    assert all(results[key].status == "graded" for key in planned)


def test_counts_and_pass_rates_are_those_of_the_planted_mistakes(graded):
    output, planned, results = graded
    for assignment in course.ASSIGNMENTS:
        students = sorted(s for s, a in planned if a == assignment)
        rows = _rows(output, assignment)
        tests = [c.grade_id for c in results[(students[0], assignment)].cells]
        assert sorted(rows) == sorted(tests)
        for test in tests:
            failing = {s for s in students if test in planned[(s, assignment)]}
            row = rows[test]
            assert int(row["graded"]) == int(row["attempted"]) == len(students), test
            assert int(row["passed"]) == len(students) - len(failing), test
            assert float(row["pass_rate"]) == pytest.approx(1 - len(failing) / len(students),
                                                            abs=0.005)
            points = results[(students[0], assignment)].cells[tests.index(test)].points
            assert float(row["mean_points"]) == pytest.approx(
                points * (1 - len(failing) / len(students)), abs=0.005)


def test_failure_groups_name_the_students_who_made_each_mistake(graded):
    output, planned, results = graded
    from grader.report.class_stats import class_stats

    stats = {s.assignment: s for s in class_stats(list(results.values()))}
    for assignment in course.ASSIGNMENTS:
        for test in stats[assignment].tests:
            failing = {s for (s, a), fails in planned.items() if a == assignment and test.grade_id in fails}
            grouped = [s for group in test.failures for s in group.students]
            assert sorted(grouped) == sorted(failing), test.grade_id
            for group in test.failures:
                assert group.hint
                for student in group.students:   # the hint the student was given first
                    cell = next(c for c in results[(student, assignment)].cells
                                if c.grade_id == test.grade_id)
                    first = next(o for o in cell.outcomes if not o["passed"])
                    assert group.hint == (first.get("hint") or first.get("detail") or cell.reason)
    short, index = TWICE[0].split("_")[0], TWICE[1]
    twice = {f"{short}_mutant_{index}", f"{short}_mutant_{index}_again"}
    assert any(set(g.students) == twice for t in stats[TWICE[0]].tests for g in t.failures)
    page = (output / "report" / f"{TWICE[0]}.html").read_text()
    assert f"{short}_mutant_{index}, {short}_mutant_{index}_again" in page


def test_hidden_case_failures_after_the_example_and_no_expected_values(graded):
    output, planned, results = graded
    for assignment in course.ASSIGNMENTS:
        rows = _rows(output, assignment)
        page = (output / "report" / f"{assignment}.html").read_text()
        fitted = {}
        for (student, a), result in results.items():
            if a != assignment:
                continue
            for cell in result.cells:
                visible = [o for o in cell.outcomes if not HIDDEN.search(o["tested"])]
                hidden = [o for o in cell.outcomes if HIDDEN.search(o["tested"])]
                if visible and all(o["passed"] for o in visible) and \
                        any(not o["passed"] for o in hidden):
                    fitted.setdefault(cell.grade_id, set()).add(student)
                for outcome in cell.outcomes:        # nothing a case expected is on the page
                    if not outcome["passed"] and len(outcome.get("expected", "")) > 12:
                        assert outcome["expected"] not in page
                assert all(o.get("expected", "") in ("",) or o["expected"].startswith("shape ")
                           for o in hidden if not o["passed"])
        for test, row in rows.items():
            assert set(row["failed_hidden_after_example"].split()) == fitted.get(test, set())


def test_hand_grading_progress_and_histogram(graded):
    output, planned, results = graded
    page = (output / "report" / f"{EX1}.html").read_text()
    written = sum(len(r.manual) for (s, a), r in results.items() if a == EX1)
    assert written > 0
    assert f"<strong>0</strong> graded, <strong>{written}</strong> pending" in page
    assert page.count("data:image/png;base64,") == 1
    index = (output / "report" / "index.html").read_text()
    for assignment in course.ASSIGNMENTS:
        assert f'href="{assignment}.html"' in index


def test_nothing_is_written_to_the_feedback_folder(graded, tmp_path):
    output, _, _ = graded
    assert not (output / "feedback").exists()
    assert sorted(p.name for p in (output / "report").iterdir()) == sorted(
        ["index.html"] + [f"{a}.{ext}" for a in course.ASSIGNMENTS for ext in ("html", "csv")])
    (tmp_path / "feedback").mkdir()                # a report folder that leads into feedback/
    (tmp_path / "report").symlink_to(tmp_path / "feedback")
    with pytest.raises(ValueError, match="feedback"):
        class_report.report_dir(tmp_path)


# --- similar submissions -------------------------------------------------------------------------

def test_the_planted_copies_and_only_they_are_flagged(graded, report_note):
    output, planned, results = graded
    for assignment in course.ASSIGNMENTS:
        answers = {r.student: class_report.submitted_answers(output, r)
                   for (s, a), r in results.items() if a == assignment}
        scores = {}
        found = similarity.similar_pairs(answers, class_report.common_text(assignment),
                                         scores=scores)
        flagged = {(p.first, p.second) for p in found.pairs}
        expected = {tuple(sorted(COPIES[assignment]))} if assignment in COPIES else set()
        top = sorted(scores.items(), key=lambda item: -item[1])[:4]
        report_note(f"similarity {assignment}: " + ", ".join(f"{a}~{b} {v:.2f}" for (a, b), v in top))
        assert flagged == expected, (assignment, top)
        page = (output / "report" / f"{assignment}.html").read_text()
        for first, second in flagged:
            assert f"{first} &amp; {second}" in page
        assert "not a verdict" in page


# --- in a browser --------------------------------------------------------------------------------

def test_the_report_renders_offline_in_chromium(graded, tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    chromium = os.environ.get("NN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(chromium, os.X_OK):
        pytest.skip(f"no Chromium at {chromium}")
    output, _, _ = graded
    outside, errors = [], []
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        try:
            page = browser.new_page()

            def route(request_route, request):
                if request.url.startswith("file://") or request.url.startswith("data:"):
                    request_route.continue_()
                else:
                    outside.append(request.url)
                    request_route.abort("internetdisconnected")
            page.route("**/*", route)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto((output / "report" / "index.html").as_uri())
            page.click(f"a[href='{EX2}.html']")
            page.wait_for_load_state("load")
            assert page.url.endswith(f"{EX2}.html")
            assert page.eval_on_selector("img.plot", "i => i.complete && i.naturalWidth > 0")
            assert page.locator("section.pair").count() == 1
            page.screenshot(path=str(tmp_path / "class-report.png"), full_page=True)
        finally:
            browser.close()
    assert not outside and not errors, (outside, errors)
