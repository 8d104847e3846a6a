"""Command line of the course grader: ``python -m grader <command> --help``."""
from __future__ import annotations

import argparse
import sys

from . import settings


def _build(args) -> int:
    from .build import build

    problems = build(check=args.check, assignments=args.assignments or settings.ASSIGNMENTS)
    for problem in problems:
        print(f"out of date: {problem}", file=sys.stderr)
    if problems:
        if args.check:
            print("run `python -m grader build` and commit the result", file=sys.stderr)
        return 1
    if args.check:
        print("everything built from solutions/ is up to date")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m grader",
                                  description="Build, check and grade the course's notebooks.")
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    build = commands.add_parser("build", help="regenerate student notebooks and expected results",
                                description="Regenerate notebooks/ and grader/expected/ from "
                                            "solutions/ and course_lib.")
    build.add_argument("--check", action="store_true",
                       help="change nothing; exit 1 if anything is out of date")
    build.add_argument("assignments", nargs="*", choices=[[], *settings.ASSIGNMENTS],
                       metavar="ASSIGNMENT", help=f"default: all ({', '.join(settings.ASSIGNMENTS)})")
    build.set_defaults(run=_build)
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
