"""What one run may use: CPU and wall-clock time per cell and per notebook, idle time, memory,
processes, file sizes and disk."""
from __future__ import annotations

import math
from dataclasses import dataclass

from grader.run import sandbox
from grader.run.scratch import SCRATCH_BYTES, SCRATCH_FILES


@dataclass
class Limits:
    """What one run may use.

    The time limits are CPU seconds (user + system) of the kernel and every process it starts:
    ``cell_cpu_seconds`` for each cell while the kernel executes it, ``notebook_cpu_seconds``
    for the whole run, kernel start included. ``idle_seconds``: a cell whose process tree stays
    idle (no thread running or waiting for the disk, almost no CPU used; see ``grader.run.idle``)
    that long is stopped. The wall-clock backstops stop code that uses no CPU for another
    reason; unless given, they are ``wall_factor`` times the CPU limits. They count the time the
    code waits, not the time it is runnable but waiting for a CPU, so that a very busy machine
    never stops honest work (see ``grader.run.timekeeper``); ``ceiling_factor`` times them
    bounds even that.
    ``rlimit_cpu_seconds`` is each process's RLIMIT_CPU, a last resort should the monitor fail
    (default: twice the notebook's CPU limit).
    """
    cell_cpu_seconds: float = 60.0
    notebook_cpu_seconds: float = 300.0
    wall_factor: float = 5.0
    ceiling_factor: float = 10.0
    idle_seconds: float = 30.0
    cell_wall_seconds: float | None = None
    notebook_wall_seconds: float | None = None
    memory_bytes: int = 4 * 2**30
    rlimit_cpu_seconds: int | None = None
    processes: int = 64
    file_bytes: int = 256 * 2**20
    disk_bytes: int = sandbox.DISK_BYTES       # each private tmpfs (work folder, /tmp, /dev/shm)
    scratch_bytes: int = SCRATCH_BYTES         # what may be written to the run's host folder
    scratch_files: int = SCRATCH_FILES

    def __post_init__(self):
        for name in ("cell_cpu_seconds", "notebook_cpu_seconds", "wall_factor", "idle_seconds",
                     "ceiling_factor"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)}")
        if self.cell_wall_seconds is None:
            self.cell_wall_seconds = self.wall_factor * self.cell_cpu_seconds
        if self.notebook_wall_seconds is None:
            self.notebook_wall_seconds = self.wall_factor * self.notebook_cpu_seconds
        if self.rlimit_cpu_seconds is None:
            self.rlimit_cpu_seconds = math.ceil(2 * self.notebook_cpu_seconds)
