"""``report``: write the instructor's class report (HTML and CSV per assignment)."""
from __future__ import annotations

from grader.cli.common import add_graded_output, graded_output

HELP = "write the instructor's class report (HTML and CSV per assignment)"
DESCRIPTION = ("Write <output>/report/index.html, a page per assignment (<assignment>.html) "
               "and a CSV per assignment (<assignment>.csv, one row per test) from the saved "
               "results: per test how many attempted and passed, mean points, a "
               "discrimination index, the common failures by hint with the students "
               "concerned, failures on hidden cases after the visible example passed; "
               "the score histogram, hand-grading progress, grading times, and pairs of "
               "similar submissions (copydetect). For the instructor only: it names "
               "students and is never written into feedback/. Self-contained: no network.")


def add_arguments(command) -> None:
    add_graded_output(command)


def run(args) -> int:
    from grader.report.class_report import write_class_report

    tree = graded_output(args)
    if tree is None:
        return 1
    written = write_class_report(tree.root, db_url=args.db_url or "")
    for path in written:
        print(path)
    print(f"\nclass report (instructors only): {written[0]}")
    return 0
