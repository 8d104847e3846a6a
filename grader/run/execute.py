"""Execute a grading notebook in a limited kernel and collect what it handed over.

Every run gets a private scratch folder (the kernel's working directory), resource limits and
time limits per cell and for the whole notebook. The time limits count the CPU time of the
kernel's process tree (see ``grader.run.cputime``), so a grade does not depend on how busy the
machine is. A cell that sleeps or waits for something that never comes is stopped by the idle
rule (see ``grader.run.idle``); wall-clock backstops, much larger, stop whatever else waits without
end. When the run ends, for whatever reason, every process carrying the run's tag is killed,
including children that left the kernel's process group, so nothing is left running. A kernel
that does not answer before its first cell (a very busy machine) is the grader's trouble, not the
student's: it is started again, up to ``KERNEL_STARTS`` times, as none of the notebook has run.
"""
from __future__ import annotations

import atexit
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from grader.run import cgroups
from grader.run import sandbox
from grader.run.cgroups import cgroup_host
from grader.run.cputime import kernel_pid
from grader.run.launch import BATCH_VARIABLE
from grader.run.limits import Limits
from grader.run.processes import kill_tagged, reap_children
from grader.run.timekeeper import TimeKeeper
from grader.text import error_text, readable
from grader.run.traffic import BoundedClient, BoundedKernelClient, Budget, Traffic


KERNEL_STARTS = 3                # tries at a kernel that answers before the notebook's first cell
STARTUP_SECONDS = 120            # per try, of waiting (BoundedKernelClient.wait_for_ready)
SOCKET_PATH_BYTES = 107          # the longest path a Unix socket may have (the kernel's, in the
SOCKET_NAME = ".kernel"          # sandbox, are ``<run folder>/.kernel-<n>``)


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
            budget: Budget | None = None, batch: str | None = None,
            cases: list = ()) -> Execution:
    """Run ``nb`` in a fresh limited, sandboxed kernel whose working directory is in ``scratch``,
    with the harvest cells' ``cases`` readable by the kernel (``sandbox.write_cases``).

    Only errors and harvest payloads come back (see ``grader.run.traffic``); the notebook's outputs
    are not kept. The kernel's processes and control groups carry the ``batch`` tag (default:
    this process's batch, ``$NN_COURSE_GRADER_BATCH``), so that the batch's clean-up finds them.
    A kernel that fails before the first cell is started again (``KERNEL_STARTS`` tries).
    """
    longest = len(os.fsencode(scratch / f"{SOCKET_NAME}-99"))
    if sandbox.bubblewrap_works() and longest > SOCKET_PATH_BYTES:
        return Execution(stopped_at=0, stop_reason=(
            f"the kernel cannot start: the paths of its sockets in {scratch} would be {longest} "
            f"bytes long, and at most {SOCKET_PATH_BYTES} work; set TMPDIR to a shorter folder "
            "(for example /tmp)"))
    sandbox.write_cases(scratch, cases)
    for _ in range(KERNEL_STARTS):
        result, started = _execute_once(nb, scratch, limits, assignment, budget, batch)
        if started:
            break
    return result


def _close_sockets(client, km) -> None:
    """Stop the client's channels and close the kernel manager's sockets, however the run
    ended. After a kernel that never answered, nobody else does: its context was then closed
    when garbage collected, which waited for ever on a socket still open, and the worker with
    it."""
    kc = getattr(client, "kc", None)
    if kc is not None:
        kc.stop_channels()
    if not km.context.closed:
        km.context.destroy(linger=0)


def _execute_once(nb, scratch, limits, assignment, budget, batch) -> tuple[Execution, bool]:
    """One kernel's run of ``nb``; and whether the kernel answered (the notebook started)."""
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
            command = [*super().format_kernel_cmd(extra_arguments),
                       f"--IPKernelApp.extensions={sandbox.KERNEL_EXTENSION}"]
            return [sys.executable, "-m", "grader.run.launch", json.dumps(settings), "--", *command]

    km = LimitedKernelManager(kernel_name="python3", transport=box.transport,
                              **({"ip": str(scratch / SOCKET_NAME)} if box.transport == "ipc" else {}))
    km.client_factory = BoundedKernelClient
    km.connection_file = str(scratch / ".kernel-connection.json")
    result = Execution(sandbox=box.description)
    current = {"index": None, "started": False}
    keeper = TimeKeeper(limits, tag, scratch=scratch,
                        count_processes=not any((g / "pids.max").exists() for g in groups))
    traffic = Traffic(budget or Budget(), halt=keeper.halt)

    def on_cell_start(cell, cell_index, **_):
        current["index"] = cell_index

    def on_notebook_start(**_):
        current["started"] = True
        current["process"] = km.provisioner.process
        keeper.attach(kernel_pid(km))
        client.watch()

    # After a cell's reply, nbclient waits for the rest of its output (the harvested results
    # among it: the kernel sends output from another thread, which can come later) up to
    # iopub_timeout. The time keeper's rules still apply then (a kernel that sends nothing and
    # sleeps is idle), so the wait has the cell's own ceiling; past it, the cell is stopped
    # for that reason rather than graded without its output (nbclient's default would drop it).
    ceiling = math.ceil(limits.ceiling_factor * limits.cell_wall_seconds)
    client = BoundedClient(nb, km=km, timeout=ceiling, iopub_timeout=ceiling,
                           raise_on_iopub_timeout=True, allow_errors=True,
                           startup_timeout=STARTUP_SECONDS,
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
        # nbclient asks to shut its kernel down at exit; done here (and, after a kernel that
        # never answered, its kernel manager is gone: the call at exit would fail noisily)
        atexit.unregister(client._cleanup_kernel)
        _close_sockets(client, km)
        keeper.stop()
        kill_tagged(tag)
        cgroups.kill_members(groups)
        reap_children()
        # the kernel's Popen learns that its process ended (reaped above, or now); otherwise it
        # warns "still running" whenever it is collected, in a test that has nothing to do with it
        provisioner = getattr(km, "provisioner", None)
        for process in {current.get("process"), getattr(provisioner, "process", None)} - {None}:
            process.poll()
        cgroups.remove(groups)
        result.seconds = time.monotonic() - start
        result.cpu_seconds = keeper.cpu_seconds()
    result.errors, result.harvests = traffic.errors, traffic.harvests
    return result, current["started"]
