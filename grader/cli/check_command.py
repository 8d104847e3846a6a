"""``check``: the quality gate (solutions full marks, blanks zero, every mutant loses points)."""
from __future__ import annotations

from grader import course
from grader.cli.common import add_jobs

HELP = "quality gate: solutions full marks, blanks zero, mutants lose points"
DESCRIPTION = ("Grade every solution, blank release and mutant (grader/build/mutants.py) and "
               "compare the CPU time of each full notebook with its budget; exit 1 on "
               "any failure.")


def add_arguments(command) -> None:
    command.add_argument("assignments", nargs="*", choices=[[], *course.ASSIGNMENTS],
                         metavar="ASSIGNMENT", help="default: all")
    add_jobs(command)


def run(args) -> int:
    from grader.build.gate import print_rows, run_check

    rows = run_check(args.assignments or course.ASSIGNMENTS, jobs=args.jobs)
    print_rows(rows)
    return 0 if all(row.ok for row in rows) else 1
