"""``build``: regenerate the student notebooks and expected results from solutions/."""
from __future__ import annotations

import sys

from grader import course

HELP = "regenerate student notebooks and expected results"
DESCRIPTION = "Regenerate notebooks/ and grader/expected/ from solutions/ and course_lib."


def add_arguments(command) -> None:
    command.add_argument("--check", action="store_true",
                         help="change nothing; exit 1 if anything is out of date")
    command.add_argument("--force", action="store_true",
                         help="replace release notebooks even where they were changed since the "
                              "last build (by default such changes, e.g. a student's work, are "
                              "kept and reported)")
    command.add_argument("assignments", nargs="*", choices=[[], *course.ASSIGNMENTS],
                         metavar="ASSIGNMENT",
                         help=f"default: all ({', '.join(course.ASSIGNMENTS)})")


def run(args) -> int:
    from grader.build.generate import build

    problems = build(check=args.check, force=args.force,
                     assignments=args.assignments or course.ASSIGNMENTS)
    for problem in problems:
        print(f"{'out of date' if args.check else 'problem'}: {problem}", file=sys.stderr)
    if problems:
        if args.check:
            print(f"run `{args.prog} build` and commit the result", file=sys.stderr)
        return 1
    if args.check:
        print("everything built from solutions/ is up to date")
    return 0
