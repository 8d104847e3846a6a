"""Finding every process of a run (or batch) by the tag in its environment, killing them all, and
reaping the killed children so that no zombie is left."""
from __future__ import annotations

import os
import signal
import time

from grader.run.launch import TAG_VARIABLE


def _tagged_processes(tag: str, variable: str = TAG_VARIABLE) -> list[int]:
    """PIDs of every process whose environment carries the run's (or batch's) tag."""
    needle = f"{variable}={tag}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if needle in handle.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def kill_tagged(tag: str, variable: str = TAG_VARIABLE) -> int:
    """Kill every process of a run (repeatedly, in case one is forking); how many were killed."""
    killed = 0
    for _ in range(20):
        pids = _tagged_processes(tag, variable)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        time.sleep(0.05)
    return killed


def reap_children() -> None:
    """Collect the exit status of finished child processes (the killed sandboxes), so that no
    zombie is left and the run's cgroups can be removed."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
