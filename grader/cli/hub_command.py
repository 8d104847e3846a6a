"""``hub``: run the course's JupyterHub for a class on one Linux server (as root)."""
from __future__ import annotations

import sys
from pathlib import Path

from grader import course
from grader.cli.common import positive

HELP = "run the course's JupyterHub for a class (Linux, as root)"
DESCRIPTION = ("Create a system user for each person of the roster (home mode 0700, a "
               "random password in <state>/passwords.csv), the shared nbgrader exchange "
               "and the grader account, then run JupyterHub until Ctrl-C: PAM login, each "
               "person's own server with the Assignments tab, the Formgrader as the "
               "service /services/<course>/ for the instructors, idle servers culled. "
               "See docs/hub.md.")


def add_arguments(command) -> None:
    command.add_argument("--roster", required=True, metavar="ROSTER.csv",
                         help="CSV with the header username,role[,name]; role is student or "
                              "instructor")
    command.add_argument("--port", type=positive(int), default=8000,
                         help="the port people open (default 8000)")
    command.add_argument("--ip", default="127.0.0.1",
                         help="the address to listen on (default 127.0.0.1, this machine only; "
                              "0.0.0.0 for a class, behind HTTPS: see docs/hub.md)")
    command.add_argument("--state", default="/srv/nn-course-hub", metavar="DIR",
                         help="the hub's own files: its database, the passwords of new accounts, "
                              "its log, the exchange (default /srv/nn-course-hub)")
    command.add_argument("--exchange", default=None, metavar="DIR",
                         help="nbgrader's shared exchange (default: <state>/exchange)")
    command.add_argument("--grader-account", default=None, metavar="NAME",
                         help="the system user that runs the Formgrader and owns the course's "
                              "course/ folder (default: grader-<course id>)")
    command.add_argument("--cull-idle", type=positive(int), default=3600, metavar="SECONDS",
                         help="stop a server idle this long (default 3600)")


def run(args) -> int:
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
