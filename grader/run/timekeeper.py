"""The time keeper: a thread that enforces a run's time, idle, process and disk limits and kills
the run's processes when one is exceeded."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from grader.run.cputime import CpuMeter
from grader.run.idle import IdleWatch, is_active, tree_states
from grader.run.limits import Limits
from grader.run.processes import kill_tagged
from grader.run.scratch import exceeded as exceeded_quota


class TimeKeeper:
    """Enforces a run's time limits.

    A thread samples the CPU time of the kernel's process tree, its threads' states and the wall
    clock every ``interval`` seconds. The cell count covers the time the kernel executes a cell:
    from just before nbclient sends it (``cell_started``) to its reply (``cell_finished``), not
    the idle time between cells. When a cell or the notebook uses more CPU time than allowed, a
    cell is idle for ``idle_seconds`` (``grader.run.idle``), or a cell or the notebook passes its
    wall-clock backstop, the keeper records why in ``stopped`` and kills the run's processes,
    which makes nbclient raise DeadKernelError.

    The backstops count *waiting* time: wall-clock time less the readings that found a thread of
    the tree runnable ('R': on a CPU or waiting for one). On a machine so busy that a computing
    cell gets 1 % of a CPU, the cell is runnable all along and only its CPU limit applies; a cell
    that sleeps, or hangs in the disk, waits, and meets the backstop as before. nbclient's own
    timeout, ``ceiling_factor`` times the cell's backstop, bounds even a starved cell
    (``cell_timeout`` words it).

    Reasons come as (reason, detail): "CPU time limit 60 s exceeded", to which the grader adds
    where, then an optional explanation.
    """

    def __init__(self, limits: Limits, tag: str, interval: float = 0.2, *,
                 scratch: Path | None = None, count_processes: bool = False):
        self.limits = limits
        self.tag = tag
        self.interval = interval
        self.scratch = scratch                    # measured against the disk quota
        self.count_processes = count_processes    # no cgroup caps the processes: count them
        self._ticks = 0
        self.stopped: tuple[str, str] | None = None
        self._meter: CpuMeter | None = None
        self._cell_start: float | None = None     # CPU seconds when the current cell began
        self._cell_began = 0.0                    # the wall clock then
        self._runnable = 0.0                      # seconds found runnable: the run's
        self._cell_runnable = 0.0                 # ... and the current cell's
        self._last = 0.0                          # the wall clock at the previous reading
        self._idle = IdleWatch(limits.idle_seconds)
        self._started = time.monotonic()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True,
                                        name=f"time-limits-{tag[:8]}")

    def start(self) -> None:
        self._started = self._last = time.monotonic()
        self._thread.start()

    def attach(self, pid: int) -> None:
        """Start measuring the process tree rooted at ``pid`` (the kernel's launcher)."""
        self._meter = CpuMeter(pid)

    def cpu_seconds(self) -> float:
        """CPU seconds the run has used so far (0 before the kernel is attached)."""
        return self._meter.seconds() if self._meter else 0.0

    def cell_cpu_seconds(self) -> float:
        """CPU seconds the current cell has used so far (0 between cells)."""
        start = self._cell_start
        return 0.0 if start is None else self.cpu_seconds() - start

    def cell_started(self, **_) -> None:
        self._cell_start = self.cpu_seconds()
        self._cell_began, self._cell_runnable = time.monotonic(), 0.0
        self._idle.restart()

    def cell_finished(self, **_) -> None:
        self._cell_start = None
        self._idle.pause()

    def exceeded(self) -> tuple[str, str] | None:
        """Why the run must stop now, or None if it is within its limits."""
        limits = self.limits
        if self.cell_cpu_seconds() > limits.cell_cpu_seconds:
            return f"CPU time limit {limits.cell_cpu_seconds:g} s exceeded", ""
        used = self.cpu_seconds()
        if used > limits.notebook_cpu_seconds:
            return (f"CPU time limit {limits.notebook_cpu_seconds:g} s for the whole notebook "
                    "exceeded", "")
        now = time.monotonic()
        in_cell = self._cell_start is not None and self._meter is not None
        # the threads' states, read only while a cell runs (between cells the kernel waits)
        states = tree_states(self._meter.pids) if in_cell else frozenset()
        if "R" in states:                       # runnable since the last reading, as sampled
            self._runnable += now - self._last
            self._cell_runnable += now - self._last
        self._last = now
        if now - self._started - self._runnable > limits.notebook_wall_seconds:
            return (f"wall-clock time limit {limits.notebook_wall_seconds:g} s for the whole "
                    "notebook exceeded", _waiting(used))
        if in_cell and now - self._cell_began - self._cell_runnable > limits.cell_wall_seconds:
            return (f"wall-clock time limit {limits.cell_wall_seconds:g} s exceeded",
                    _waiting(self.cell_cpu_seconds()))
        if in_cell and self._idle.observe(now, used, is_active(states)):
            return (f"idle time limit {limits.idle_seconds:g} s exceeded",
                    _waiting(self._idle.cpu_seconds_in_window(), idle=limits.idle_seconds))
        if self.count_processes and self._meter and self._meter.processes > limits.processes:
            return f"process limit {limits.processes} exceeded", "the code started too many processes"
        self._ticks += 1
        if self.scratch is not None and self._ticks % 5 == 0:
            over = exceeded_quota(self.scratch, limits.scratch_bytes, limits.scratch_files)
            if over:
                return over, "the code wrote too much outside its working folder"
        return None

    def cell_timeout(self) -> tuple[str, str]:
        """The reason for nbclient's CellTimeoutError: the ceiling of a cell, however busy the
        machine (``ceiling_factor`` times its backstop)."""
        ceiling = self.limits.ceiling_factor * self.limits.cell_wall_seconds
        return (f"wall-clock time limit {ceiling:g} s exceeded",
                f"the machine was too busy to run the cell in that time (it used "
                f"{self.cell_cpu_seconds():.1f} s of CPU time)")

    def halt(self, reason: str, detail: str = "") -> None:
        """Stop the run now for a reason found elsewhere (the output budget)."""
        if self.stopped is None:
            self.stopped = (reason, detail)
        kill_tagged(self.tag)

    def stop(self) -> None:
        """Stop the thread and take a last reading."""
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()
        self.cpu_seconds()

    def _watch(self) -> None:
        while not self._done.wait(self.interval):
            over = self.stopped or self.exceeded()
            if over:
                self.stopped = over
                kill_tagged(self.tag)
                return


def _waiting(cpu_seconds: float, idle: float | None = None) -> str:
    """Why a wall-clock backstop was reached, or the idle rule acted, for the student."""
    if idle is None:
        return f"the code was sleeping or waiting (it used {cpu_seconds:.1f} s of CPU time)"
    return (f"the code was sleeping or waiting for input that never comes (it used "
            f"{cpu_seconds:.1f} s of CPU time in {idle:g} s)")
