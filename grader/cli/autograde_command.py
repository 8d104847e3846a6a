"""``autograde``: grade a folder of submissions in parallel and say where the grades went."""
from __future__ import annotations

import sys
from pathlib import Path

from grader import course
from grader.cli.common import add_jobs, positive

HELP = "grade a folder of submissions in parallel"
DESCRIPTION = ("Grade every submission in SUBMISSIONS: nbgrader's layout "
               "(<student>/<assignment>/<notebook>.ipynb) or flat files named "
               "<student>_<assignment>.ipynb. Scores go to nbgrader's gradebook and "
               "grades.csv, and each graded notebook, with its tests' results, to "
               "<output>/autograded/ for manual grading in the Formgrader; finished "
               "submissions are kept, so an interrupted run resumes (and rewrites "
               "grades.csv with the points given by hand since). "
               "Exits 1 when a submission could not be graded.")


def add_arguments(command) -> None:
    command.add_argument("submissions", metavar="SUBMISSIONS", help="folder of submissions")
    add_jobs(command)
    command.add_argument("--cluster", metavar="ADDRESS", default=None,
                         help="grade on a Dask cluster instead of --jobs processes here: a "
                              "scheduler's address (tcp://host:8786) or local:N for N worker "
                              "processes on this machine; every worker needs this project and "
                              "bubblewrap (see the README)")
    command.add_argument("--force", action="store_true",
                         help="grade again even what is already graded and unchanged")
    command.add_argument("--timeout", type=positive(float), default=60,
                         help="CPU seconds one cell may use, counting every process the kernel "
                              "starts; the same on an idle and a busy machine (default 60)")
    command.add_argument("--total-timeout", type=positive(float), default=300,
                         help="CPU seconds a whole notebook may use, kernel start included "
                              "(default 300)")
    command.add_argument("--wall-factor", type=positive(float), default=5,
                         help="wall-clock backstop for code that waits without being idle: a "
                              "cell may take this many times --timeout in real time, a notebook "
                              "this many times --total-timeout (default 5)")
    command.add_argument("--idle-timeout", type=positive(float), default=30,
                         help="seconds a cell may stay idle before it is stopped: asleep or "
                              "waiting (for input, a pipe, a lock) with no thread running or "
                              "reading the disk and almost no CPU used; code that computes is "
                              "never idle, however busy the machine (default 30)")
    command.add_argument("--memory", type=positive(float), default=4,
                         help="GiB of memory a submission may use (default 4)")
    command.add_argument("--output", default=None,
                         help="folder for grades.csv, results and the default gradebook "
                              "(default: course/ in the course folder)")
    command.add_argument("--db-url", default=None,
                         help="SQLAlchemy URL of the gradebook (default: SQLite in --output), "
                              "e.g. postgresql://user@host/db with the postgres extra; a "
                              "password is better kept in PGPASSWORD or ~/.pgpass than here")


def run(args) -> int:
    from grader.autograde import Options, autograde
    from grader.dispatch.pools import ClusterError
    from grader.record.database import GradebookUnavailable
    from grader.report.table import print_table
    from grader.results import FAILED
    from grader.run.limits import Limits

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
