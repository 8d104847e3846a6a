"""nbgrader's Python API configured for this course, for use inside the grader's own process."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from . import settings


def ensure_venv_on_path() -> None:
    """nbgrader starts ``alembic`` as a program to create a gradebook: it must be on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def course_config(**course_directory) -> Config:
    """The course's nbgrader configuration, with ``CourseDirectory`` values overridden."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(settings.ROOT / "grader")).load_config()
    for key, value in course_directory.items():
        config.CourseDirectory[key] = value
    return config


def nbgrader_api(**course_directory):
    """An ``NbGraderAPI`` on this course (quiet unless something fails)."""
    ensure_venv_on_path()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = course_config(**course_directory)
    logging.getLogger("traitlets").setLevel(logging.WARNING)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)
