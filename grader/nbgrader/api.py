"""nbgrader's Python API configured for this course, for use inside the grader's own process."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from grader import course


def prepare_environment() -> None:
    """What nbgrader and the kernels it starts need from this process's environment.

    nbgrader starts ``alembic`` as a program (``nbgrader db upgrade``, and a new gradebook's
    stamp in processes that do not use ``_head_in_process``), so the venv's ``bin`` must be on
    PATH; kernels find the course (for the hidden tests' expected results) through
    ``$NN_COURSE_DIR`` wherever they run. (They use one BLAS thread each: the ``grader`` package
    sets that for every grader process; see nbgrader_config.py.)
    """
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    os.environ[course.COURSE_VARIABLE] = str(course.ROOT)


def config_folder() -> Path:
    """The folder of the nbgrader configuration: the course's ``grader/`` (as plain nbgrader run
    in the course loads it), else this package's (the same file, as installed)."""
    folder = course.ROOT / "grader" / "nbgrader"
    return folder if (folder / "nbgrader_config.py").is_file() else Path(__file__).resolve().parent


def course_config(**course_directory) -> Config:
    """The course's nbgrader configuration, with ``CourseDirectory`` values overridden."""
    prepare_environment()           # the configuration finds the course through $NN_COURSE_DIR
    config = PyFileConfigLoader("nbgrader_config.py", path=str(config_folder())).load_config()
    for key, value in course_directory.items():
        config.CourseDirectory[key] = value
    return config


def _alembic_head() -> str:
    """The gradebook schema's newest revision, read by alembic's Python API from nbgrader's
    migrations: what ``alembic heads`` prints, without a second Python process."""
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    return ScriptDirectory(ALEMBIC_DIR).get_current_head()


def _head_in_process() -> None:
    """nbgrader stamps a new gradebook with the head revision it gets by running ``alembic
    heads`` as a program: 2.5 s of CPU (a Python process importing alembic and the migrations)
    for every new gradebook. This process asks alembic directly instead (a few milliseconds)."""
    import nbgrader.api

    nbgrader.api.get_alembic_version = _alembic_head


def nbgrader_gradebook(db_url: str):
    """nbgrader's ``Gradebook`` on ``db_url``, created if there is none."""
    _head_in_process()
    from nbgrader.api import Gradebook

    return Gradebook(db_url)


def nbgrader_api(**course_directory):
    """An ``NbGraderAPI`` on this course (quiet unless something fails)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    _head_in_process()

    config = course_config(**course_directory)
    logging.getLogger("traitlets").setLevel(logging.WARNING)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)
