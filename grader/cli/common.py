"""Arguments and checks that several commands share: positive numbers, --jobs, the folder
autograde wrote to and its gradebook."""
from __future__ import annotations

import argparse
import os
import sys

from grader import course


def positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def default_jobs() -> int:
    """One notebook more than the cores this process may use. Each run leaves its core idle for
    moments (its kernel starting, the hand-overs between kernel and worker, judging); a further
    notebook fills them. Measured on 2 cores, 30 notebooks of the four assignments: 74 and 76
    notebooks a minute with 2 at once, 82 and 83 with 3, 78 and 76 with 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:                     # not Linux
        cores = os.cpu_count() or 1
    return cores + 1


def add_jobs(command) -> None:
    jobs = default_jobs()
    command.add_argument("--jobs", "-j", type=positive(int), default=jobs,
                         help=f"notebooks graded at once (default: one more than the cores, "
                              f"{jobs} here)")


def add_graded_output(command) -> None:
    """--output and --db-url of a command that reads what autograde wrote."""
    command.add_argument("--output", default=None,
                         help="the folder autograde wrote to (default: course/ in the course "
                              "folder)")
    command.add_argument("--db-url", default=None,
                         help="SQLAlchemy URL of the gradebook with the hand-graded points "
                              "(default: SQLite in --output)")


def graded_output(args, output=None, also: str = "") -> course.OutputTree | None:
    """The tree autograde wrote (``output``, by default ``--output``), or None, said on stderr
    (with ``also`` appended), without results."""
    tree = course.OutputTree.of(args.output if output is None else output)
    if not tree.results.is_dir():
        print(f"error: no results in {tree.results}: run `{args.prog} autograde` first{also}",
              file=sys.stderr)
        return None
    return tree
