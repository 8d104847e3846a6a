"""Execute a grading notebook in a limited kernel and collect what it handed over.

Every run gets a private scratch folder (the kernel's working directory), resource limits and
time limits per cell and for the whole notebook. The time limits count the CPU time of the
kernel's process tree (see ``grader.run.cputime``), so a grade does not depend on how busy the
machine is. A cell that sleeps or waits for something that never comes is stopped by the idle
rule (see ``grader.run.idle``); wall-clock backstops, much larger, stop whatever else waits without
end. When the run ends, for whatever reason, every process carrying the run's tag is killed,
including children that left the kernel's process group, so nothing is left running.
"""
from __future__ import annotations

import functools
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from grader.run import cgroups
from grader.run import sandbox
from grader.run.cputime import CpuMeter, kernel_pid
from grader.run.idle import IdleWatch, tree_is_active
from grader.run.launch import BATCH_VARIABLE, TAG_VARIABLE
from grader.text import error_text, readable
from grader.run.scratch import SCRATCH_BYTES, SCRATCH_FILES
from grader.run.scratch import exceeded as exceeded_quota
from grader.run.traffic import BoundedClient, BoundedKernelClient, Budget, Traffic


@dataclass
class Limits:
    """What one run may use.

    The time limits are CPU seconds (user + system) of the kernel and every process it starts:
    ``cell_cpu_seconds`` for each cell while the kernel executes it, ``notebook_cpu_seconds``
    for the whole run, kernel start included. ``idle_seconds``: a cell whose process tree stays
    idle (no thread running or waiting for the disk, almost no CPU used; see ``grader.run.idle``)
    that long is stopped. The wall-clock backstops stop code that uses no CPU for another
    reason; unless given, they are ``wall_factor`` times the CPU limits.
    ``rlimit_cpu_seconds`` is each process's RLIMIT_CPU, a last resort should the monitor fail
    (default: twice the notebook's CPU limit).
    """
    cell_cpu_seconds: float = 60.0
    notebook_cpu_seconds: float = 300.0
    wall_factor: float = 5.0
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
        for name in ("cell_cpu_seconds", "notebook_cpu_seconds", "wall_factor", "idle_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)}")
        if self.cell_wall_seconds is None:
            self.cell_wall_seconds = self.wall_factor * self.cell_cpu_seconds
        if self.notebook_wall_seconds is None:
            self.notebook_wall_seconds = self.wall_factor * self.notebook_cpu_seconds
        if self.rlimit_cpu_seconds is None:
            self.rlimit_cpu_seconds = math.ceil(2 * self.notebook_cpu_seconds)


@dataclass
class Execution:
    """What happened: harvested results per test cell, and where and why the run stopped."""
    harvests: dict = field(default_factory=dict)     # test grade id -> payload results
    errors: dict = field(default_factory=dict)       # cell index -> "ValueError: ..."
    stopped_at: int | None = None                    # cell index where the run ended early
    stop_reason: str = ""                            # "CPU time limit 60 s exceeded"
    stop_detail: str = ""                            # an explanation, after where it stopped
    seconds: float = 0.0                             # wall clock, kernel start to clean-up
    cpu_seconds: float = 0.0                         # CPU time of the kernel's process tree
    sandbox: str = ""


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


class TimeKeeper:
    """Enforces a run's time limits.

    A thread samples the CPU time of the kernel's process tree and the wall clock every
    ``interval`` seconds. The cell count covers the time the kernel executes a cell: from just
    before nbclient sends it (``cell_started``) to its reply (``cell_finished``), not the idle
    time between cells. When a cell or the notebook uses more CPU time than allowed, a cell is
    idle for ``idle_seconds`` (``grader.run.idle``), or the notebook runs past its wall-clock
    backstop, the keeper records why in ``stopped`` and kills the run's processes, which makes
    nbclient raise DeadKernelError. nbclient's own timeout is the per-cell wall-clock backstop
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
        self._idle = IdleWatch(limits.idle_seconds)
        self._started = time.monotonic()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True,
                                        name=f"time-limits-{tag[:8]}")

    def start(self) -> None:
        self._started = time.monotonic()
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
        if now - self._started > limits.notebook_wall_seconds:
            return (f"wall-clock time limit {limits.notebook_wall_seconds:g} s for the whole "
                    "notebook exceeded", _waiting(used))
        if self._cell_start is not None and self._meter and self._idle.observe(
                now, used, tree_is_active(self._meter.pids)):
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
        """The reason for nbclient's CellTimeoutError: the cell's wall-clock backstop."""
        return (f"wall-clock time limit {self.limits.cell_wall_seconds:g} s exceeded",
                _waiting(self.cell_cpu_seconds()))

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


@functools.lru_cache(maxsize=1)
def cgroup_host() -> cgroups.Host:
    """This machine's control groups (looked at once per process)."""
    return cgroups.detect()


def _log_tail(log, size: int = 300) -> str:
    """The end of the kernel's own log (an unnamed file only the grader holds), bounded."""
    try:
        log.flush()
        end = log.seek(0, os.SEEK_END)
        log.seek(max(0, end - size))
        return readable(log.read(size).decode("utf-8", "replace")).strip()
    except (OSError, ValueError):
        return ""


def execute(nb, scratch: Path, limits: Limits, assignment: str,
            budget: Budget | None = None, batch: str | None = None) -> Execution:
    """Run ``nb`` in a fresh limited, sandboxed kernel whose working directory is in ``scratch``.

    Only errors and harvest payloads come back (see ``grader.run.traffic``); the notebook's outputs
    are not kept. The kernel's processes and control groups carry the ``batch`` tag (default:
    this process's batch, ``$NN_COURSE_GRADER_BATCH``), so that the batch's clean-up finds them.
    """
    batch = batch or os.environ.get(BATCH_VARIABLE, "")
    from jupyter_client.manager import AsyncKernelManager
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    tag = uuid.uuid4().hex
    scratch.mkdir(parents=True, exist_ok=True)
    box = sandbox.choose(scratch, assignment, limits.disk_bytes)
    host = cgroup_host()
    groups = cgroups.create(host, f"{cgroups.PREFIX}{batch or 'solo'}-{tag}",
                            limits.processes, limits.memory_bytes)
    settings = {"tag": tag, "batch": batch, "prefix": box.prefix,
                "cgroups": [str(g) for g in groups],
                "limits": {"cpu": limits.rlimit_cpu_seconds, "memory": limits.memory_bytes,
                           "processes": limits.processes, "file_size": limits.file_bytes,
                           "files": 256}}

    class LimitedKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            command = super().format_kernel_cmd(extra_arguments)
            return [sys.executable, "-m", "grader.run.launch", json.dumps(settings), "--", *command]

    km = LimitedKernelManager(kernel_name="python3", transport=box.transport,
                              **({"ip": str(scratch / ".kernel")} if box.transport == "ipc" else {}))
    km.client_factory = BoundedKernelClient
    km.connection_file = str(scratch / ".kernel-connection.json")
    result = Execution(sandbox=box.description)
    current = {"index": None}
    keeper = TimeKeeper(limits, tag, scratch=scratch,
                        count_processes=not any((g / "pids.max").exists() for g in groups))
    traffic = Traffic(budget or Budget(), halt=keeper.halt)

    def on_cell_start(cell, cell_index, **_):
        current["index"] = cell_index

    def on_notebook_start(**_):
        keeper.attach(kernel_pid(km))
        client.watch()

    # iopub_timeout: how long to wait, after a cell's reply, for the rest of its output (the
    # harvested results among it); generous, so that a busy machine loses no output.
    client = BoundedClient(nb, km=km, timeout=math.ceil(limits.cell_wall_seconds),
                           iopub_timeout=60, allow_errors=True, startup_timeout=60,
                           record_timing=False, shutdown_kernel="immediate",
                           store_widget_state=False, on_notebook_start=on_notebook_start,
                           on_cell_start=on_cell_start, on_cell_execute=keeper.cell_started,
                           on_cell_executed=keeper.cell_finished,
                           resources={"metadata": {"path": str(box.workdir)}},
                           kernel_manager_class=LimitedKernelManager)
    client.traffic = traffic
    start = time.monotonic()
    keeper.start()
    kernel_log = tempfile.TemporaryFile()
    try:
        client.execute(cwd=str(box.workdir), env=box.environment(os.environ),
                       stdout=kernel_log, stderr=subprocess.STDOUT)
    except CellTimeoutError:
        result.stopped_at = current["index"]
        result.stop_reason, result.stop_detail = keeper.stopped or keeper.cell_timeout()
    except DeadKernelError:
        result.stopped_at = current["index"]
        result.stop_reason, result.stop_detail = keeper.stopped or (
            "the kernel died (the code exited, crashed, or ran out of memory or CPU time)", "")
    except Exception as error:  # noqa: BLE001 - any other failure ends the run with a reason
        result.stopped_at = current["index"] or 0
        log_tail = _log_tail(kernel_log)
        result.stop_reason, result.stop_detail = keeper.stopped or (
            readable(f"the kernel failed: {error_text(error)}"[:300])
            + (f" (kernel log: {log_tail})" if log_tail else ""), "")
    finally:
        kernel_log.close()
        keeper.stop()
        kill_tagged(tag)
        cgroups.kill_members(groups)
        reap_children()
        cgroups.remove(groups)
        result.seconds = time.monotonic() - start
        result.cpu_seconds = keeper.cpu_seconds()
    result.errors, result.harvests = traffic.errors, traffic.harvests
    return result
