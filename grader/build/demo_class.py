"""The demo class: the whole grading workflow on a small made-up class (``python -m grader demo``).

It checks that the course is built (without touching notebooks/, where students may work), writes
sample submissions (one correct student, one with typical
mistakes, a blank one, one whose code raises, one stuck in an infinite loop, one who edited a
test cell to fake a pass, and a malformed file), grades them in parallel, prints the gradebook
and says where the CSV and the feedback pages are, and the one command that shows the class in
nbgrader's Formgrader (``python3 course.py instructor --demo``: the demo has a gradebook of its
own, kept apart from a real class's). It needs no configuration.
"""
from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import nbformat

from grader import course
from grader.build import submissions
from grader.run.limits import Limits
from grader.build.mutants import mutants_of

# CPU seconds, so the same on an idle and a busy machine. The instructor's heaviest cell (ex3's
# training test) needs about 3 CPU seconds and a whole notebook about 5, so a correct solution
# has a wide margin even on a slow machine, while the infinite loop is stopped after 20.
DEMO_LIMITS = Limits(cell_cpu_seconds=20, notebook_cpu_seconds=120)


def _mutated(assignment: str, *names: str) -> nbformat.NotebookNode:
    chosen = [m for m in mutants_of(assignment) if m.name in names]
    overrides = {}
    for mutant in chosen:
        overrides.update(mutant.overrides)
    return submissions.filled_release(assignment, overrides)


def _edited_test_cell() -> nbformat.NotebookNode:
    """A wrong softmax whose test cell was replaced by a fake success line worth 100 points."""
    nb = _mutated("ex1_softmax", "softmax over the wrong axis")
    for cell in nb.cells:
        if submissions.grade_id(cell) == "test_softmax":
            cell.source = 'print("PASSED softmax: all checks passed")'
            cell.metadata["nbgrader"]["points"] = 100
    return nb


def _raises() -> nbformat.NotebookNode:
    return submissions.filled_release("ex1_softmax", {"softmax_jacobian": (
        "raise RuntimeError('I was still working on this')\n\n"
        "def softmax_jacobian(z):\n    s = softmax(z)\n    return np.diagflat(s) - s @ s.T")})


def _infinite_loop() -> nbformat.NotebookNode:
    return submissions.filled_release("ex2_backprop", {"dE_dz1": (
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)   # not even Ctrl-C stops it\n"
        "def dE_dz1(dE_dy1_row, dy1_dz1_matrix):\n    return dE_dy1_row @ dy1_dz1_matrix\n\n"
        "while True:\n    pass")})


# student -> assignment -> (what it is, how to make it), written in nbgrader's layout; the
# malformed file is a flat export, as learning platforms name them
CLASS = {
    "alice": {"ex1_softmax": ("correct", lambda: submissions.filled_release("ex1_softmax")),
              "ex2_backprop": ("correct", lambda: submissions.filled_release("ex2_backprop")),
              "ex3_mnist": ("correct", lambda: submissions.filled_release("ex3_mnist")),
              "ex4_deep": ("correct", lambda: submissions.filled_release("ex4_deep"))},
    "bob": {"ex1_softmax": ("partly correct", lambda: _mutated(
                "ex1_softmax", "softmax without the max shift", "gradient without 1/m")),
            "ex2_backprop": ("partly correct", lambda: _mutated(
                "ex2_backprop", "transposed gradient dE/dW2", "weight decay forgotten"))},
    "carol": {"ex1_softmax": ("blank", lambda: submissions.release_notebook("ex1_softmax"))},
    "dave": {"ex1_softmax": ("raises an exception", _raises)},
    "erin": {"ex2_backprop": ("infinite loop that ignores Ctrl-C", _infinite_loop)},
    "frank": {"ex1_softmax": ("test cell edited to fake a pass", _edited_test_cell)},
}
MALFORMED = ("grace", "ex1_softmax", "malformed file (cut off mid-way)")


def make_class(folder: Path) -> list[tuple[str, str, str]]:
    """Write the demo class into ``folder``; returns (student, assignment, description)."""
    if folder.exists():
        shutil.rmtree(folder)
    made = []
    for student, work in CLASS.items():
        for assignment, (description, make) in work.items():
            submissions.write(make(), folder / student / assignment / f"{assignment}.ipynb")
            made.append((student, assignment, description))
    student, assignment, description = MALFORMED
    text = nbformat.writes(submissions.filled_release(assignment))
    (folder / f"{student}_{assignment}.ipynb").write_text(text[: len(text) // 2])
    made.append((student, assignment, description))
    return made


def run_demo(output: Path, jobs: int, log=print) -> int:
    from grader.autograde import Options, autograde
    from grader.build.generate import build
    from grader.report.table import print_table

    log("1. checking that the student notebooks and expected results are built from solutions/")
    problems = build(check=True)          # builds in a temporary folder: notebooks/ is untouched
    if problems:
        for problem in problems:
            log(f"   out of date: {problem}")
        log("   run `python -m grader build` first")
        return 1
    log("   up to date")
    class_dir = output / "submissions"
    made = make_class(class_dir)
    log(f"\n2. a class of {len({s for s, _, _ in made})} students, {len(made)} submissions, "
        f"in {class_dir}:")
    for student, assignment, description in made:
        log(f"   {student:<8} {assignment:<14} {description}")
    log(f"\n3. grading with {jobs} parallel jobs (a cell may use "
        f"{DEMO_LIMITS.cell_cpu_seconds:g} s of CPU time)")
    options = Options(jobs=jobs, force=True, output=output, limits=DEMO_LIMITS)
    # The made-up class is made anew each run, and so is its gradebook: one left by an older
    # version of the course holds cells the notebooks no longer have, which nbgrader refuses.
    options.tree.gradebook.unlink(missing_ok=True)
    results = autograde(class_dir, options, log=lambda line: log(f"   {line}"))
    log("\n4. the gradebook\n")
    print_table(results, out=log)
    pages = _feedback(output)
    log(f"\ngradebook (SQLite):  {options.shown_db_url}")
    log(f"grades.csv:          {options.tree.csv}")
    if pages:
        log(f"feedback pages:      {options.tree.feedback_root}/<student>/<assignment>/"
            f"<assignment>.html ({len(pages)} pages)")
    log(f"autograded tree:     {options.tree.autograded_root} (for manual grading in the "
        "Formgrader)")
    log(f"in the Formgrader:   {formgrader_command(output)}")
    return 0


def formgrader_command(output: Path) -> str:
    """The one command that opens the Formgrader on the class graded into ``output``: the
    course's own Formgrader shows course/ (a real class), so the demo's class, in course/demo/
    by default, has its own (see course.py's ``--demo`` and grader/nbgrader/nbgrader_config.py)."""
    output = Path(output).resolve()
    if output == (course.WORK_DIR / "demo").resolve():
        return "python3 course.py instructor --demo"
    try:
        shown = output.relative_to(course.ROOT.resolve())
    except ValueError:
        shown = output
    return f"NN_FORMGRADER_OUTPUT={shlex.quote(str(shown))} python3 course.py instructor"


def _feedback(output: Path) -> list:
    try:
        from grader.report.feedback import write_feedback
    except ImportError:
        return []
    return write_feedback(output)
