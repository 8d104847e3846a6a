"""``feedback``: write an HTML feedback page per student and assignment from the saved results."""
from __future__ import annotations

import sys

from grader.cli.common import add_graded_output, graded_output

HELP = "write an HTML feedback page per student and assignment"
DESCRIPTION = ("Write <output>/feedback/<student>/<assignment>/<assignment>.html for every "
               "saved result in <output>/results: the score, what each failed test "
               "checked, expected (visible cases only) against got, hints, and the points "
               "and comments given in the Formgrader. Self-contained: no network. "
               "nbgrader's layout: `nbgrader release_feedback ASSIGNMENT` releases the "
               "pages and students get them with Fetch Feedback.")


def add_arguments(command) -> None:
    add_graded_output(command)
    command.add_argument("--student", default=None, help="only this student")
    command.add_argument("--assignment", default=None, help="only this assignment")


def run(args) -> int:
    from grader.report.feedback import write_feedback

    tree = graded_output(args)
    if tree is None:
        return 1
    pages = write_feedback(tree.root, student=args.student, assignment=args.assignment,
                           db_url=args.db_url or "")
    for page in pages:
        print(page)
    if not pages:
        print(f"no results in {tree.results} match", file=sys.stderr)
        return 1
    print(f"\n{len(pages)} feedback page{'s' if len(pages) != 1 else ''} in "
          f"{tree.feedback_root}")
    return 0
