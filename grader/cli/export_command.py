"""``export``: write the grades for Canvas's or Moodle's grade import."""
from __future__ import annotations

import sys
from pathlib import Path

from grader.cli.common import graded_output

HELP = "write the grades for Canvas's or Moodle's grade import"
DESCRIPTION = ("Write the total of every student and assignment (grades.csv's score: the "
               "tests plus the points given by hand so far) as a CSV file that Canvas "
               "(Grades > Import) or Moodle (Grades > Import > CSV file) imports. A roster "
               "maps the course's student ids to the platform's; graded students missing "
               "from it are named on stderr, left out of the file, and the exit status is "
               "1. See docs/instructors.md.")


def add_arguments(command) -> None:
    command.add_argument("--format", required=True, choices=["canvas", "moodle"],
                         help="the platform's import layout")
    command.add_argument("--roster", metavar="ROSTER.csv", default=None,
                         help="CSV with the columns student (the course's id) and the "
                              "platform's ids: name, canvas_id, sis_user_id, sis_login_id, "
                              "section (Canvas); email, username, idnumber (Moodle). Default: "
                              "the course's ids are used as the platform's logins")
    command.add_argument("--moodle-id", choices=["email", "username", "idnumber"], default=None,
                         help="the roster column Moodle matches students on (default: the "
                              "first of email, username, idnumber the roster has)")
    command.add_argument("--output", metavar="FILE", default=None,
                         help="the file to write (default: grades-<format>.csv in --output-dir)")
    command.add_argument("--output-dir", metavar="DIR", default=None,
                         help="the folder autograde wrote to, its --output (default: course/ "
                              "in the course folder)")
    command.add_argument("--db-url", default=None,
                         help="SQLAlchemy URL of the gradebook with the hand-graded points "
                              "(default: SQLite in --output-dir)")


def run(args) -> int:
    from grader.record.lms import CANVAS, RosterError, export

    tree = graded_output(args, args.output_dir or "",
                         also=", or pass --output-dir, the folder autograde wrote to")
    if tree is None:
        return 1
    output = tree.root
    if args.moodle_id and (args.format != "moodle" or not args.roster):
        print("error: --moodle-id chooses the roster column Moodle matches on: use it with "
              "--format moodle --roster ROSTER.csv", file=sys.stderr)
        return 2
    target = Path(args.output) if args.output else output / f"grades-{args.format}.csv"
    try:
        exported = export(args.format, output, target,
                          Path(args.roster) if args.roster else None, db_url=args.db_url or "",
                          moodle_id=args.moodle_id,
                          warn=lambda line: print(line, file=sys.stderr))
    except RosterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:            # the file to write: a folder, a read-only place
        print(f"error: cannot write {target}: {error.strerror or error}: pass another --output",
              file=sys.stderr)
        return 1
    where = ("Canvas: Grades > Import" if args.format == CANVAS
             else "Moodle: Grades > Import > CSV file")
    print(f"{exported.path}: {exported.students} student{'s' if exported.students != 1 else ''}, "
          f"{exported.assignments} assignment{'s' if exported.assignments != 1 else ''} "
          f"(import it in {where})")
    if exported.left_out:
        print(f"{len(exported.left_out)} graded student{'s' if len(exported.left_out) != 1 else ''}"
              f" left out of the file (not in the roster); exit status 1", file=sys.stderr)
        return 1
    return 0
