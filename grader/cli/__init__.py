"""Command line of the course grader: ``python -m grader <command> --help``, or ``nn-grader``
as installed. Every command works on a course (``grader.course``): ``--course DIR``, else
``$NN_COURSE_DIR``, else the current folder (or one above it), else the checkout the grader runs
from. Without one, the command stops with a one-line message before doing anything.

Each command is a module of its own (``<command>_command.py``: its help, its arguments and a
``run()``); this module only parses the command line and dispatches."""
from __future__ import annotations

import argparse
import sys

from course_lib import __version__

from grader import course
from grader.cli import (autograde_command, build_command, check_command, demo_command,
                        export_command, feedback_command, hub_command, report_command)

PROG = "python -m grader"

# command -> its module (HELP, DESCRIPTION, add_arguments, run), in the order --help lists them
COMMANDS = {"build": build_command, "autograde": autograde_command,
            "feedback": feedback_command, "report": report_command, "export": export_command,
            "demo": demo_command, "check": check_command, "hub": hub_command}


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
    for name, module in COMMANDS.items():
        command = commands.add_parser(name, help=module.HELP, description=module.DESCRIPTION)
        add_course(command, argparse.SUPPRESS)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
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
