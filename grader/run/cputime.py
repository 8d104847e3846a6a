"""The CPU time of a process tree: the one meter behind the grader's time limits and the run
time budget of ``python -m grader check``.

CPU time (user + system) measures the work a kernel did, whatever else the machine was doing at
the time, so limits and budgets expressed in it give the same verdict on an idle and on a busy
machine.
"""
from __future__ import annotations

import threading

import psutil


class CpuMeter:
    """CPU seconds used so far by a process and all its descendants.

    Live processes count their own time; processes that have exited and were reaped count
    through their parent's ``children_user``/``children_system`` (which the kernel accumulates
    down the tree, and which never includes children still alive, so nothing is counted twice).
    Each process is read after its parent, so a child reaped during a sample is missed by that
    sample (its parent was read before it gained the child's time) rather than counted twice;
    the meter reports the highest total seen, so it never goes backwards. Once the root has
    exited, it keeps reporting the last total measured.
    """

    def __init__(self, pid: int):
        try:
            self._root: psutil.Process | None = psutil.Process(pid)
        except psutil.Error:                     # already gone: nothing more to count
            self._root = None
        self._highest = 0.0
        self.processes = 0                       # processes in the tree at the last reading
        self.pids: list[int] = []                # their PIDs (as this machine sees them)
        self._lock = threading.Lock()

    def seconds(self) -> float:
        """Measure the tree now; CPU seconds used so far (user + system, children included)."""
        total = 0.0
        try:
            processes = [self._root, *self._root.children(recursive=True)] if self._root else []
        except psutil.Error:                     # the root has exited
            processes = []
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.Error:                 # exited (and reaped) since the listing
                continue
            total += times.user + times.system + times.children_user + times.children_system
        with self._lock:
            self.processes = len(processes)
            self.pids = [process.pid for process in processes]
            self._highest = max(self._highest, total)
            return self._highest


def kernel_pid(kernel_manager) -> int:
    """The PID of the process a jupyter_client kernel manager started (the kernel, or the
    launcher that became the sandbox around it)."""
    pid = getattr(kernel_manager.provisioner, "pid", None)
    if pid is None:
        raise RuntimeError("the kernel manager has no kernel process to measure")
    return pid
