"""``demo``: build, grade the demo class (``grader.build.demo_class``) in parallel, show the
results."""
from __future__ import annotations

import sys
from pathlib import Path

from grader import course
from grader.cli.common import add_jobs

HELP = "build, grade a small sample class in parallel, show the results"
DESCRIPTION = ("The whole workflow on made-up submissions (correct, partly correct, blank, "
               "raising, looping forever, a faked test cell, a malformed file).")


def add_arguments(command) -> None:
    add_jobs(command)
    command.add_argument("--output", default=None,
                         help="folder for the class, gradebook, CSV and feedback (default: "
                              "course/demo in the course folder)")


def run(args) -> int:
    from grader.build.demo_class import run_demo
    from grader.record.database import GradebookUnavailable

    try:
        return run_demo(Path(args.output or course.WORK_DIR / "demo"), args.jobs)
    except GradebookUnavailable as error:
        print(f"{args.prog}: {error}", file=sys.stderr)
        return 1
