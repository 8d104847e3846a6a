"""nbgrader configuration of the course: maps nbgrader's course directory onto this project.

    solutions/<assignment>/   nbgrader's "source" (instructor notebooks with solutions)
    notebooks/<assignment>/   nbgrader's "release" (the student versions)
    course/                   submissions, autograded copies, feedback, the gradebook, exchange

The project root's nbgrader_config.py loads this file, so plain `nbgrader generate_assignment`,
`nbgrader autograde` and the formgrader in JupyterLab work from the project root. The grader
loads the course's copy of this file (or, if the course has none, the copy installed with the
grader package; then it finds the course through $NN_COURSE_DIR).
"""
import os
from pathlib import Path

# Kernels inherit this process's environment. The notebooks multiply small matrices, for which
# several BLAS threads per kernel are slower, not faster (and the grader runs kernels in parallel).
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")


def _is_course(folder: Path) -> bool:          # as course_lib.exercises.is_course
    return (folder / "solutions").is_dir() and (folder / "grader" / "expected").is_dir()


# The course is the folder above this file's (a checkout, or a copy of one, where nbgrader runs),
# else the one in $NN_COURSE_DIR (the grader sets it when it loads this file as installed with the
# package). Outside a course nothing is configured and nothing is written.
root = Path(__file__).resolve().parents[2]
if not _is_course(root):
    named = os.environ.get("NN_COURSE_DIR")
    root = Path(named).expanduser().resolve() if named else None
    if root is not None and not _is_course(root):
        root = None

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

# The grader's output folder that nbgrader's steps (submitted, autograded, feedback) and the
# gradebook are in: course/, or the one named in $NN_FORMGRADER_OUTPUT (relative to the course or
# absolute), which `python3 course.py instructor --demo` sets to course/demo so that the
# Formgrader shows the demo's class, kept apart from the course's own.
output = os.environ.get("NN_FORMGRADER_OUTPUT") or "course"

if root is not None:
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.db_url = f"sqlite:///{root / output / 'gradebook.db'}"
    # the course's JupyterHub (`python -m grader hub`) shares one exchange outside the course
    c.Exchange.root = os.environ.get("NN_COURSE_EXCHANGE") or str(root / "course" / "exchange")
    # nbgrader treats a missing exchange as "no exchange": the formgrader then greys out Release
    # and `nbgrader release_assignment` fails. course/ is not committed, so create the folder here.
    try:
        os.makedirs(c.Exchange.root, exist_ok=True)
    except OSError:
        pass  # e.g. a read-only checkout: nbgrader reports the unwritable exchange itself
c.CourseDirectory.course_id = "nn-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = os.path.join(output, "submitted")
c.CourseDirectory.autograded_directory = os.path.join(output, "autograded")
c.CourseDirectory.feedback_directory = os.path.join(output, "feedback")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]
c.Exchange.path_includes_course = True
c.Execute.timeout = 60
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"


def _formgrader_templates() -> list[str]:
    """The template folders of nbgrader's HTML pages, with this course's folder first.

    nbgrader's formgrade template (the Manual Grading view) loads MathJax from a CDN: it calls
    nbconvert's mathjax() macro without a URL, so HTMLExporter.mathjax_url is not used. Our
    templates/formgrade/mathjax.html.j2 replaces that macro by one loading the MathJax that the
    Jupyter server serves (package jupyter-server-mathjax), so LaTeX renders without internet.
    Only the "formgrade" template is touched: the student's feedback ("feedback") is as before.
    nbgrader's own folder stays in the list, because generate_feedback uses a configured list as
    it is. Next to this file in a checkout (or a course copied with it), else in the installed
    grader package; none where neither has it, or without nbgrader."""
    import importlib.util

    ours = Path(__file__).resolve().parent / "templates"
    if not ours.is_dir():
        spec = importlib.util.find_spec("grader")
        ours = (Path(spec.origin).parent / "nbgrader" / "templates"
                if spec and spec.origin else None)
    spec = importlib.util.find_spec("nbgrader")
    if ours is None or not ours.is_dir() or not (spec and spec.origin):
        return []
    nbgrader = Path(spec.origin).parent / "server_extensions" / "formgrader" / "templates"
    return [str(ours), str(nbgrader)] if nbgrader.is_dir() else []


_templates = _formgrader_templates()
if _templates:
    c.HTMLExporter.extra_template_basedirs = _templates

# The grader's autograded notebooks hold, right below each hand-graded answer, a cell for the
# marker only: the model answer and the rubric (metadata grader.instructor_only; see
# grader/record/formgrader_tree.py). The course's feedback pages (`python -m grader feedback`) never
# read those notebooks; should plain `nbgrader generate_feedback` be run on them instead, it
# drops these cells first, so no student gets them.
try:
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades, NbGraderPreprocessor
except ImportError:  # not nbgrader's own process: nothing to configure
    pass
else:
    class DropInstructorOnlyCells(NbGraderPreprocessor):
        """Removes the cells the grader added for the marker (``metadata.grader.instructor_only``)."""

        def preprocess(self, nb, resources):
            def instructor_only(cell):
                meta = cell.get("metadata", {}).get("grader")
                return isinstance(meta, dict) and bool(meta.get("instructor_only"))

            nb.cells = [cell for cell in nb.cells if not instructor_only(cell)]
            return nb, resources

    c.GenerateFeedback.preprocessors = [DropInstructorOnlyCells, GetGrades,
                                        CSSHTMLHeaderPreprocessor]
