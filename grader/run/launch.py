"""The kernel launcher: ``python -m grader.run.launch LIMITS_JSON -- KERNEL COMMAND...``.

It runs in the child process that becomes the kernel: it joins the run's cgroups, applies the
resource limits, marks the process (and so every process it starts) with the run's tag, and then
replaces itself with the sandbox (see ``grader.run.sandbox``) wrapped around the kernel command. It
imports nothing but the standard library, so it starts fast.
"""
from __future__ import annotations

import json
import os
import resource
import sys

TAG_VARIABLE = "NN_COURSE_GRADER_RUN"          # one submission's run
BATCH_VARIABLE = "NN_COURSE_GRADER_BATCH"      # every run of one autograde command


def apply_limits(limits: dict) -> None:
    """CPU seconds, address space (bytes), open files and processes, as POSIX rlimits."""
    for key, which in (("cpu", resource.RLIMIT_CPU), ("memory", resource.RLIMIT_AS),
                       ("files", resource.RLIMIT_NOFILE), ("processes", resource.RLIMIT_NPROC),
                       ("file_size", resource.RLIMIT_FSIZE)):
        value = limits.get(key)
        if value:
            resource.setrlimit(which, (int(value), int(value)))


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] != "--":
        sys.exit("usage: python -m grader.run.launch LIMITS_JSON -- COMMAND...")
    settings = json.loads(argv[0])
    command = argv[2:]
    os.environ[TAG_VARIABLE] = settings["tag"]
    if settings.get("batch"):
        os.environ[BATCH_VARIABLE] = settings["batch"]
    for group in settings.get("cgroups", []):       # processes and memory of the whole run
        try:
            with open(os.path.join(group, "cgroup.procs"), "w") as handle:
                handle.write(str(os.getpid()))
        except OSError:
            pass
    apply_limits(settings.get("limits", {}))
    wrapped = settings.get("prefix", []) + command
    os.execvp(wrapped[0], wrapped)


if __name__ == "__main__":
    main(sys.argv[1:])
