"""Command line of the course grader: ``python -m grader <command> --help``, or ``nn-grader``
as installed. Every command works on a course (``grader.course``): ``--course DIR``, else
``$NN_COURSE_DIR``, else the current folder (or one above it), else the checkout the grader runs
from. Without one, the command stops with a one-line message before doing anything."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from course_lib import __version__

from grader import course

PROG = "python -m grader"


def _build(args) -> int:
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


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def _autograde(args) -> int:
    from grader.autograde import Options, autograde
    from grader.record.database import GradebookUnavailable
    from grader.run.execute import Limits
    from grader.dispatch.executors import ClusterError
    from grader.report.table import print_table
    from grader.results import FAILED

    folder = Path(args.submissions)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder; pass the folder that holds the submissions",
              file=sys.stderr)
        return 2
    limits = Limits(cell_cpu_seconds=args.timeout, notebook_cpu_seconds=args.total_timeout,
                    wall_factor=args.wall_factor, idle_seconds=args.idle_timeout,
                    memory_bytes=int(args.memory * 2**30))
    options = Options(jobs=args.jobs, force=args.force, limits=limits,
                      output=course.OutputTree.of(args.output).root, db_url=args.db_url or "",
                      cluster=args.cluster or "")
    try:
        results = autograde(folder, options)
    except (GradebookUnavailable, ClusterError) as error:
        print(f"{args.prog}: {error}", file=sys.stderr)
        return 1
    print()
    print_table(results)
    print(f"\ngradebook:  {options.shown_db_url}\ngrades:     {options.tree.csv}\n"
          f"autograded: {options.tree.autograded_root} (the Formgrader's Manual Grading lists "
          "these)")
    failed = [r for r in results if r.status == FAILED]
    if failed:
        print(f"\n{len(failed)} of {len(results)} submissions could not be graded (see the "
              "reasons above); exit status 1", file=sys.stderr)
        return 1
    return 0


def _graded_output(args, output=None, also: str = "") -> course.OutputTree | None:
    """The tree autograde wrote (``output``, by default ``--output``), or None, said on stderr
    (with ``also`` appended), without results."""
    tree = course.OutputTree.of(args.output if output is None else output)
    if not tree.results.is_dir():
        print(f"error: no results in {tree.results}: run `{args.prog} autograde` first{also}",
              file=sys.stderr)
        return None
    return tree


def _feedback(args) -> int:
    from grader.report.feedback import write_feedback

    tree = _graded_output(args)
    if tree is None:
        return 1
    results = tree.results
    pages = write_feedback(tree.root, student=args.student, assignment=args.assignment,
                           db_url=args.db_url or "")
    for page in pages:
        print(page)
    if not pages:
        print(f"no results in {results} match", file=sys.stderr)
        return 1
    print(f"\n{len(pages)} feedback page{'s' if len(pages) != 1 else ''} in "
          f"{tree.feedback_root}")
    return 0


def _report(args) -> int:
    from grader.report.class_report import write_class_report

    tree = _graded_output(args)
    if tree is None:
        return 1
    written = write_class_report(tree.root, db_url=args.db_url or "")
    for path in written:
        print(path)
    print(f"\nclass report (instructors only): {written[0]}")
    return 0


def _export(args) -> int:
    from grader.record.lms import CANVAS, RosterError, export

    tree = _graded_output(args, args.output_dir or "",
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


def _demo(args) -> int:
    from grader.cli.demo import run_demo

    return run_demo(Path(args.output or course.WORK_DIR / "demo"), args.jobs)


def _check(args) -> int:
    from grader.build.gate import print_rows, run_check

    rows = run_check(args.assignments or course.ASSIGNMENTS, jobs=args.jobs)
    print_rows(rows)
    return 0 if all(row.ok for row in rows) else 1


def _hub(args) -> int:
    from grader.hub import HubError, run_hub
    from grader.nbgrader.api import course_config

    try:
        return run_hub(Path(args.roster), course_dir=course.ROOT,
                       course_id=course_config().CourseDirectory.course_id,
                       state=Path(args.state), exchange=args.exchange, ip=args.ip,
                       port=args.port, grader_account=args.grader_account,
                       cull_idle=args.cull_idle)
    except HubError as error:
        print(f"{args.prog} hub: {error}", file=sys.stderr)
        return 1


def _add_graded_output(command) -> None:
    """--output and --db-url of a command that reads what autograde wrote."""
    command.add_argument("--output", default=None,
                         help="the folder autograde wrote to (default: course/ in the course "
                              "folder)")
    command.add_argument("--db-url", default=None,
                         help="SQLAlchemy URL of the gradebook with the hand-graded points "
                              "(default: SQLite in --output)")


def _add_jobs(command) -> None:
    command.add_argument("--jobs", "-j", type=_positive(int), default=os.cpu_count() or 1,
                         help="notebooks graded at once (default: the number of cores)")


def parser(prog: str = PROG) -> argparse.ArgumentParser:
    def add_course(command, default):          # before or after the command's name
        command.add_argument("--course", metavar="DIR", default=default,
                             help="the course folder, with solutions/ and grader/expected/ "
                                  "(default: $NN_COURSE_DIR, else the current folder or one "
                                  "above it, else the checkout the grader runs from)")

    top = argparse.ArgumentParser(prog=prog,
                                  description="Build, check and grade the course's notebooks.")
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_course(top, None)
    top.set_defaults(prog=prog)
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add_command(name, **kwargs):
        command = commands.add_parser(name, **kwargs)
        add_course(command, argparse.SUPPRESS)
        return command

    build = add_command("build", help="regenerate student notebooks and expected results",
                        description="Regenerate notebooks/ and grader/expected/ from solutions/ "
                                    "and course_lib.")
    build.add_argument("--check", action="store_true",
                       help="change nothing; exit 1 if anything is out of date")
    build.add_argument("--force", action="store_true",
                       help="replace release notebooks even where they were changed since the "
                            "last build (by default such changes, e.g. a student's work, are kept "
                            "and reported)")
    build.add_argument("assignments", nargs="*", choices=[[], *course.ASSIGNMENTS],
                       metavar="ASSIGNMENT", help=f"default: all ({', '.join(course.ASSIGNMENTS)})")
    build.set_defaults(run=_build)

    grade = add_command(
        "autograde", help="grade a folder of submissions in parallel",
        description="Grade every submission in SUBMISSIONS: nbgrader's layout "
                    "(<student>/<assignment>/<notebook>.ipynb) or flat files named "
                    "<student>_<assignment>.ipynb. Scores go to nbgrader's gradebook and "
                    "grades.csv, and each graded notebook, with its tests' results, to "
                    "<output>/autograded/ for manual grading in the Formgrader; finished "
                    "submissions are kept, so an interrupted run resumes (and rewrites "
                    "grades.csv with the points given by hand since). "
                    "Exits 1 when a submission could not be graded.")
    grade.add_argument("submissions", metavar="SUBMISSIONS", help="folder of submissions")
    _add_jobs(grade)
    grade.add_argument("--cluster", metavar="ADDRESS", default=None,
                       help="grade on a Dask cluster instead of --jobs processes here: a "
                            "scheduler's address (tcp://host:8786) or local:N for N worker "
                            "processes on this machine; every worker needs this project and "
                            "bubblewrap (see the README)")
    grade.add_argument("--force", action="store_true",
                       help="grade again even what is already graded and unchanged")
    grade.add_argument("--timeout", type=_positive(float), default=60,
                       help="CPU seconds one cell may use, counting every process the kernel "
                            "starts; the same on an idle and a busy machine (default 60)")
    grade.add_argument("--total-timeout", type=_positive(float), default=300,
                       help="CPU seconds a whole notebook may use, kernel start included "
                            "(default 300)")
    grade.add_argument("--wall-factor", type=_positive(float), default=5,
                       help="wall-clock backstop for code that waits without being idle: a "
                            "cell may take this many times --timeout in real time, a notebook "
                            "this many times --total-timeout (default 5)")
    grade.add_argument("--idle-timeout", type=_positive(float), default=30,
                       help="seconds a cell may stay idle before it is stopped: asleep or "
                            "waiting (for input, a pipe, a lock) with no thread running or "
                            "reading the disk and almost no CPU used; code that computes is "
                            "never idle, however busy the machine (default 30)")
    grade.add_argument("--memory", type=_positive(float), default=4,
                       help="GiB of memory a submission may use (default 4)")
    grade.add_argument("--output", default=None,
                       help="folder for grades.csv, results and the default gradebook "
                            "(default: course/ in the course folder)")
    grade.add_argument("--db-url", default=None,
                       help="SQLAlchemy URL of the gradebook (default: SQLite in --output), e.g. "
                            "postgresql://user@host/db with the postgres extra; a password is "
                            "better kept in PGPASSWORD or ~/.pgpass than here")
    grade.set_defaults(run=_autograde)

    feedback = add_command(
        "feedback", help="write an HTML feedback page per student and assignment",
        description="Write <output>/feedback/<student>/<assignment>/<assignment>.html for every "
                    "saved result in <output>/results: the score, what each failed test "
                    "checked, expected (visible cases only) against got, hints, and the points "
                    "and comments given in the Formgrader. Self-contained: no network. "
                    "nbgrader's layout: `nbgrader release_feedback ASSIGNMENT` releases the "
                    "pages and students get them with Fetch Feedback.")
    _add_graded_output(feedback)
    feedback.add_argument("--student", default=None, help="only this student")
    feedback.add_argument("--assignment", default=None, help="only this assignment")
    feedback.set_defaults(run=_feedback)

    report = add_command(
        "report", help="write the instructor's class report (HTML and CSV per assignment)",
        description="Write <output>/report/index.html, a page per assignment (<assignment>.html) "
                    "and a CSV per assignment (<assignment>.csv, one row per test) from the saved "
                    "results: per test how many attempted and passed, mean points, a "
                    "discrimination index, the common failures by hint with the students "
                    "concerned, failures on hidden cases after the visible example passed; "
                    "the score histogram, hand-grading progress, grading times, and pairs of "
                    "similar submissions (copydetect). For the instructor only: it names "
                    "students and is never written into feedback/. Self-contained: no network.")
    _add_graded_output(report)
    report.set_defaults(run=_report)

    lms = add_command(
        "export", help="write the grades for Canvas's or Moodle's grade import",
        description="Write the total of every student and assignment (grades.csv's score: the "
                    "tests plus the points given by hand so far) as a CSV file that Canvas "
                    "(Grades > Import) or Moodle (Grades > Import > CSV file) imports. A roster "
                    "maps the course's student ids to the platform's; graded students missing "
                    "from it are named on stderr, left out of the file, and the exit status is "
                    "1. See docs/instructors.md.")
    lms.add_argument("--format", required=True, choices=["canvas", "moodle"],
                     help="the platform's import layout")
    lms.add_argument("--roster", metavar="ROSTER.csv", default=None,
                     help="CSV with the columns student (the course's id) and the platform's "
                          "ids: name, canvas_id, sis_user_id, sis_login_id, section (Canvas); "
                          "email, username, idnumber (Moodle). Default: the course's ids are "
                          "used as the platform's logins")
    lms.add_argument("--moodle-id", choices=["email", "username", "idnumber"], default=None,
                     help="the roster column Moodle matches students on (default: the first of "
                          "email, username, idnumber the roster has)")
    lms.add_argument("--output", metavar="FILE", default=None,
                     help="the file to write (default: grades-<format>.csv in --output-dir)")
    lms.add_argument("--output-dir", metavar="DIR", default=None,
                     help="the folder autograde wrote to, its --output (default: course/ in "
                          "the course folder)")
    lms.add_argument("--db-url", default=None,
                     help="SQLAlchemy URL of the gradebook with the hand-graded points "
                          "(default: SQLite in --output-dir)")
    lms.set_defaults(run=_export)

    demo = add_command(
        "demo", help="build, grade a small sample class in parallel, show the results",
        description="The whole workflow on made-up submissions (correct, partly correct, blank, "
                    "raising, looping forever, a faked test cell, a malformed file).")
    _add_jobs(demo)
    demo.add_argument("--output", default=None,
                      help="folder for the class, gradebook, CSV and feedback (default: "
                           "course/demo in the course folder)")
    demo.set_defaults(run=_demo)

    gate = add_command(
        "check", help="quality gate: solutions full marks, blanks zero, mutants lose points",
        description="Grade every solution, blank release and mutant (grader/build/mutants.py) and "
                    "compare the CPU time of each full notebook with its budget; exit 1 on "
                    "any failure.")
    gate.add_argument("assignments", nargs="*", choices=[[], *course.ASSIGNMENTS],
                      metavar="ASSIGNMENT", help="default: all")
    _add_jobs(gate)
    gate.set_defaults(run=_check)

    hub = add_command(
        "hub", help="run the course's JupyterHub for a class (Linux, as root)",
        description="Create a system user for each person of the roster (home mode 0700, a "
                    "random password in <state>/passwords.csv), the shared nbgrader exchange "
                    "and the grader account, then run JupyterHub until Ctrl-C: PAM login, each "
                    "person's own server with the Assignments tab, the Formgrader as the "
                    "service /services/<course>/ for the instructors, idle servers culled. "
                    "See docs/hub.md.")
    hub.add_argument("--roster", required=True, metavar="ROSTER.csv",
                     help="CSV with the header username,role[,name]; role is student or "
                          "instructor")
    hub.add_argument("--port", type=_positive(int), default=8000,
                     help="the port people open (default 8000)")
    hub.add_argument("--ip", default="127.0.0.1",
                     help="the address to listen on (default 127.0.0.1, this machine only; "
                          "0.0.0.0 for a class, behind HTTPS: see docs/hub.md)")
    hub.add_argument("--state", default="/srv/nn-course-hub", metavar="DIR",
                     help="the hub's own files: its database, the passwords of new accounts, "
                          "its log, the exchange (default /srv/nn-course-hub)")
    hub.add_argument("--exchange", default=None, metavar="DIR",
                     help="nbgrader's shared exchange (default: <state>/exchange)")
    hub.add_argument("--grader-account", default=None, metavar="NAME",
                     help="the system user that runs the Formgrader and owns the course's "
                          "course/ folder (default: grader-<course id>)")
    hub.add_argument("--cull-idle", type=_positive(int), default=3600, metavar="SECONDS",
                     help="stop a server idle this long (default 3600)")
    hub.set_defaults(run=_hub)

    return top


def main(argv=None, prog: str = PROG) -> int:
    args = parser(prog).parse_args(argv)
    try:
        course.use_course(args.course)        # before anything else, so it fails in one line
    except course.NoCourseError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 1
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:          # output piped into `head` and the like
        return 0
    except (FileNotFoundError, PermissionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def run() -> None:
    """The ``nn-grader`` console script."""
    sys.exit(main(prog="nn-grader"))
