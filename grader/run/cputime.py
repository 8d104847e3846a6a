"""The CPU time of a process tree: the one meter behind the grader's time limits and the run
time budget of ``python -m grader check``.

CPU time (user + system) measures the work a kernel did, whatever else the machine was doing at
the time, so limits and budgets expressed in it give the same verdict on an idle and on a busy
machine.
"""
from __future__ import annotations

import os
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

    On Linux the tree is walked through ``/proc/PID/task/TID/children``, reading only the tree's
    own processes; elsewhere (or without that file) through psutil, which lists every process
    of the machine to find the children: about 1.3 ms a reading beside 70 processes, 0.07 ms
    this way, and the time keeper reads several times a second.
    """

    def __init__(self, pid: int):
        try:
            self._root: psutil.Process | None = psutil.Process(pid)
        except psutil.Error:                     # already gone: nothing more to count
            self._root = None
        self._proc_root = _ProcTree.of(pid)
        self._highest = 0.0
        self.processes = 0                       # processes in the tree at the last reading
        self.pids: list[int] = []                # their PIDs (as this machine sees them)
        self._lock = threading.Lock()

    def seconds(self) -> float:
        """Measure the tree now; CPU seconds used so far (user + system, children included)."""
        if self._proc_root is not None:
            pids, total = self._proc_root.measure()
        else:
            pids, total = self._measure_psutil()
        with self._lock:
            self.processes = len(pids)
            self.pids = pids
            self._highest = max(self._highest, total)
            return self._highest

    def _measure_psutil(self) -> tuple[list[int], float]:
        total = 0.0
        try:
            processes = [self._root, *self._root.children(recursive=True)] if self._root else []
        except psutil.Error:                     # the root has exited
            processes = []
        pids = []
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.Error:                 # exited (and reaped) since the listing
                continue
            pids.append(process.pid)
            total += times.user + times.system + times.children_user + times.children_system
        return pids, total


class _ProcTree:
    """A process tree read from Linux's /proc: each process's ``stat`` (its own and its reaped
    children's CPU time), and its threads' ``children`` files."""

    TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, pid: int, started: bytes):
        self.pid, self.started = pid, started

    @classmethod
    def of(cls, pid: int) -> "_ProcTree | None":
        """The tree under ``pid``, or None where /proc cannot list a process's children."""
        stat = cls._stat(pid)
        if stat is None or not os.path.exists(f"/proc/{pid}/task/{pid}/children"):
            return None
        return cls(pid, stat[19])

    @staticmethod
    def _stat(pid: int) -> list[bytes] | None:
        """The fields of /proc/PID/stat after the command's name (state first), or None."""
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                return handle.read().rpartition(b")")[2].split()
        except OSError:
            return None

    @staticmethod
    def _children(pid: int) -> list[int]:
        found = []
        try:
            for thread in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{thread}/children", "rb") as handle:
                    found += [int(child) for child in handle.read().split()]
        except (OSError, ValueError):            # exited meanwhile
            pass
        return found

    def measure(self) -> tuple[list[int], float]:
        """(the tree's PIDs, its CPU seconds); nothing once the root has exited (its PID may
        since name another process: the start time tells)."""
        pids, ticks, todo = [], 0, [self.pid]
        while todo:
            pid = todo.pop()
            stat = self._stat(pid)
            if stat is None or (pid == self.pid and stat[19] != self.started):
                continue
            pids.append(pid)
            ticks += sum(int(field) for field in stat[11:15])   # utime stime cutime cstime
            todo += self._children(pid)
        return pids, ticks / self.TICKS


def kernel_pid(kernel_manager) -> int:
    """The PID of the process a jupyter_client kernel manager started (the kernel, or the
    launcher that became the sandbox around it)."""
    pid = getattr(kernel_manager.provisioner, "pid", None)
    if pid is None:
        raise RuntimeError("the kernel manager has no kernel process to measure")
    return pid
