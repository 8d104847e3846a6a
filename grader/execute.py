"""Execute a grading notebook in a limited kernel and collect what it handed over.

Every run gets a private scratch folder (the kernel's working directory), resource limits, a
per-cell time limit and a limit for the whole notebook. When the run ends, for whatever reason,
every process carrying the run's tag is killed, including children that left the kernel's
process group, so nothing is left running.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.exercises import HARVEST_MIME

from .launch import BATCH_VARIABLE, TAG_VARIABLE
from . import sandbox


@dataclass
class Limits:
    cell_seconds: float = 60.0
    total_seconds: float = 300.0
    memory_bytes: int = 4 * 2**30
    cpu_seconds: int = 600
    processes: int = 64
    file_bytes: int = 256 * 2**20


@dataclass
class Execution:
    """What happened: harvested results per test cell, and where and why the run stopped."""
    harvests: dict = field(default_factory=dict)     # test grade id -> payload results
    errors: dict = field(default_factory=dict)       # cell index -> "ValueError: ..."
    stopped_at: int | None = None                    # cell index where the run ended early
    stop_reason: str = ""
    seconds: float = 0.0
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


def _error_text(output) -> str:
    return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"[:400]


def execute(nb, scratch: Path, limits: Limits, assignment: str) -> Execution:
    """Run ``nb`` in a fresh limited, sandboxed kernel whose working directory is ``scratch``."""
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    tag = uuid.uuid4().hex
    scratch.mkdir(parents=True, exist_ok=True)
    box = sandbox.choose(scratch, assignment)
    groups = sandbox.create_cgroups(tag, limits.processes, limits.memory_bytes)
    settings = {"tag": tag, "batch": os.environ.get(BATCH_VARIABLE, ""), "prefix": box.prefix,
                "cgroups": [str(g) for g in groups],
                "limits": {"cpu": limits.cpu_seconds, "memory": limits.memory_bytes,
                           "processes": limits.processes, "file_size": limits.file_bytes,
                           "files": 256}}

    class LimitedKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            command = super().format_kernel_cmd(extra_arguments)
            return [sys.executable, "-m", "grader.launch", json.dumps(settings), "--", *command]

    km = LimitedKernelManager(kernel_name="python3", transport=box.transport,
                              **({"ip": str(scratch / ".kernel")} if box.transport == "ipc" else {}))
    km.connection_file = str(scratch / ".kernel-connection.json")
    result = Execution(sandbox=box.description)
    current = {"index": None}

    def on_cell_start(cell, cell_index, **_):
        current["index"] = cell_index

    client = NotebookClient(nb, km=km, timeout=limits.cell_seconds, allow_errors=True,
                            startup_timeout=60, record_timing=False,
                            shutdown_kernel="immediate", on_cell_start=on_cell_start,
                            resources={"metadata": {"path": str(scratch)}},
                            kernel_manager_class=LimitedKernelManager)
    watchdog = threading.Timer(limits.total_seconds, kill_tagged, args=(tag,))
    start = time.monotonic()
    watchdog.start()
    kernel_log = open(scratch / ".kernel.log", "wb")
    try:
        client.execute(cwd=str(scratch), env=box.environment(os.environ),
                       stdout=kernel_log, stderr=subprocess.STDOUT)
    except CellTimeoutError:
        result.stopped_at = current["index"]
        result.stop_reason = f"time limit {limits.cell_seconds:g} s exceeded"
    except DeadKernelError:
        result.stopped_at = current["index"]
        elapsed = time.monotonic() - start
        result.stop_reason = (f"time limit {limits.total_seconds:g} s for the whole notebook "
                              "exceeded" if elapsed >= limits.total_seconds - 1 else
                              "the kernel died (the code exited, crashed, or ran out of memory "
                              "or CPU time)")
    except Exception as error:  # noqa: BLE001 - any other failure ends the run with a reason
        result.stopped_at = current["index"] or 0
        log_tail = (scratch / ".kernel.log").read_bytes()[-300:].decode(errors="replace").strip()
        result.stop_reason = (f"the kernel failed: {type(error).__name__}: {error}"[:300]
                              + (f" (kernel log: {log_tail})" if log_tail else ""))
    finally:
        kernel_log.close()
        watchdog.cancel()
        kill_tagged(tag)
        sandbox.kill_cgroup_members(groups)
        reap_children()
        sandbox.remove_cgroups(groups)
        result.seconds = time.monotonic() - start
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                result.errors.setdefault(index, _error_text(output))
            payload = output.get("data", {}).get(HARVEST_MIME)
            if payload is not None:
                result.harvests.setdefault(index, []).append(payload)
    return result
