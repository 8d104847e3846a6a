"""nbgrader configuration of the course: maps nbgrader's course directory onto this project.

    solutions/<assignment>/   nbgrader's "source" (instructor notebooks with solutions)
    notebooks/<assignment>/   nbgrader's "release" (the student versions)
    course/                   submissions, autograded copies, feedback, the gradebook, exchange

The project root's nbgrader_config.py loads this file, so plain `nbgrader generate_assignment`,
`nbgrader autograde` and the formgrader in JupyterLab work from the project root.
"""
import os
from pathlib import Path

# Kernels inherit this process's environment. The notebooks multiply small matrices, for which
# several BLAS threads per kernel are slower, not faster (and the grader runs kernels in parallel).
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

root = Path(__file__).resolve().parents[1]
c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.root = str(root)
c.CourseDirectory.course_id = "nn-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "course/submitted"
c.CourseDirectory.autograded_directory = "course/autograded"
c.CourseDirectory.feedback_directory = "course/feedback"
c.CourseDirectory.db_url = f"sqlite:///{root / 'course' / 'gradebook.db'}"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]
c.Exchange.root = str(root / "course" / "exchange")
# nbgrader treats a missing exchange as "no exchange": the formgrader then greys out Release and
# `nbgrader release_assignment` fails. course/ is not committed, so create the folder here.
try:
    os.makedirs(c.Exchange.root, exist_ok=True)
except OSError:
    pass  # e.g. a read-only checkout: nbgrader reports the unwritable exchange itself
c.Exchange.path_includes_course = True
c.Execute.timeout = 60
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
