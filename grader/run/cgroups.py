"""Control groups for one run: a cap on its processes and on its memory in all, and one CPU
core's worth of time, so that a fork bomb or a spinning submission cannot hurt the others.

Three kinds of host are handled:

* **cgroup v1** (separate hierarchies under /sys/fs/cgroup/<controller>): a group per run in
  each of the pids, memory and cpu hierarchies, where this process may create one (root);
* **cgroup v2** (one unified hierarchy, /sys/fs/cgroup/cgroup.controllers exists): a group per
  run below a parent this process may write, with pids, memory and cpu enabled for it. The
  parent is ``nn-grader`` under the hierarchy's root when running as root, or under the
  grader's own cgroup when that was delegated to it (systemd ``Delegate=yes``, as in a user
  session's ``systemd-run --user --scope -p Delegate=yes``): there the grader first moves
  itself into a leaf ``grader`` group, because v2 lets only leaves hold processes;
* **neither**: no group; ``grader.run.timekeeper`` then counts the run's processes itself and
  stops a run that exceeds the cap (see ``Limits.processes``).

Groups are named ``nn-grader-<batch>-<run>`` so that the coordinating process can remove every
group of its batch at the end, including those of a worker that was killed.
"""
from __future__ import annotations

import functools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PREFIX = "nn-grader-"
V2_CONTROLLERS = ("pids", "memory", "cpu")


@dataclass(frozen=True)
class Host:
    """What this machine offers: ``kind`` is "v1", "v2" or "" (none), ``parent`` where run
    groups go (v2), ``reason`` why there is none."""
    kind: str
    parent: Path | None = None
    reason: str = ""


def _writable(path: Path) -> bool:
    return path.exists() and os.access(path, os.W_OK)


def _own_v2_group(root: Path) -> Path | None:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                return root / line[3:].lstrip("/")
    except OSError:
        pass
    return None


def _enable(group: Path, controllers=V2_CONTROLLERS) -> bool:
    """Enable ``controllers`` for the children of a v2 group; False if one is not available."""
    try:
        available = set((group / "cgroup.controllers").read_text().split())
        if not set(controllers) <= available:
            return False
        enabled = set((group / "cgroup.subtree_control").read_text().split())
        missing = [c for c in controllers if c not in enabled]
        if missing:
            (group / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in missing))
        return True
    except OSError:
        return False


def _v2_parent(root: Path) -> tuple[Path | None, str]:
    """Where run groups can go on a v2 host, preparing it if needed; (None, why) if nowhere."""
    if _writable(root / "cgroup.subtree_control") and _enable(root):
        parent = root / "nn-grader"
        try:
            parent.mkdir(exist_ok=True)
        except OSError as error:
            return None, f"cannot create {parent}: {error.strerror}"
        return (parent, "") if _enable(parent) else (None, f"{parent}: controllers not available")
    own = _own_v2_group(root)
    if own is None or not _writable(own / "cgroup.subtree_control"):
        return None, ("cgroup v2 without a delegated subtree: run the grader as root, or inside "
                      "`systemd-run --user --scope -p Delegate=yes`")
    leaf = own / "grader"
    try:
        leaf.mkdir(exist_ok=True)
        (leaf / "cgroup.procs").write_text(str(os.getpid()))   # only leaves may hold processes
    except OSError as error:
        return None, f"cannot move the grader into {leaf}: {error.strerror}"
    if not _enable(own):
        return None, f"{own}: the pids, memory and cpu controllers are not delegated"
    return own, ""


def detect(root: Path = ROOT) -> Host:
    """The kind of control groups this process can use."""
    if (root / "cgroup.controllers").exists():
        parent, reason = _v2_parent(root)
        return Host("v2", parent) if parent else Host("", reason=reason)
    if _writable(root / "pids") and (root / "pids" / "cgroup.procs").exists():
        return Host("v1")
    return Host("", reason="no writable cgroup hierarchy (cgroup v1 needs root)")


def create(host: Host, name: str, processes: int, memory_bytes: int,
           root: Path = ROOT) -> list[Path]:
    """The groups of one run (empty when the host has none)."""
    if host.kind == "v2":
        settings = {"pids.max": processes, "memory.max": memory_bytes,
                    "memory.swap.max": 0, "cpu.max": "100000 100000"}
        return _make([(host.parent / name, settings)])
    if host.kind == "v1":
        return _make([(root / "pids" / name, {"pids.max": processes}),
                      (root / "memory" / name, {"memory.limit_in_bytes": memory_bytes}),
                      (root / "cpu" / name, {"cpu.cfs_period_us": 100_000,
                                             "cpu.cfs_quota_us": 100_000})])
    return []


def _make(plan) -> list[Path]:
    made = []
    for group, settings in plan:
        if not group.parent.exists():
            continue
        try:
            group.mkdir()
        except OSError:
            continue
        made.append(group)
        for key, value in settings.items():
            try:
                (group / key).write_text(str(value))
            except OSError:          # e.g. no swap accounting: the other settings still hold
                pass
    return made


def members(groups) -> set[int]:
    pids = set()
    for group in groups:
        try:
            pids |= {int(p) for p in (Path(group) / "cgroup.procs").read_text().split()}
        except (OSError, ValueError):
            continue
    return pids


def kill_members(groups) -> None:
    """Kill every process in the groups, including any that cleared its environment."""
    for _ in range(20):
        pids = members(groups)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def remove(groups) -> None:
    for group in groups:
        try:
            Path(group).rmdir()
        except OSError:
            pass


def batch_groups(host: Host, batch: str, root: Path = ROOT) -> list[Path]:
    """Every group made for a batch (by any of its workers, alive or killed)."""
    parents = [host.parent] if host.kind == "v2" else \
        [root / c for c in ("pids", "memory", "cpu")] if host.kind == "v1" else []
    found = []
    for parent in parents:
        try:
            found += [p for p in parent.iterdir() if p.name.startswith(f"{PREFIX}{batch}-")]
        except OSError:
            continue
    return found


def describe(host: Host) -> str:
    """One line for the README-style "what is isolated" statement of a run."""
    if host.kind == "v1":
        return "cgroup v1: processes, memory and one CPU core per run"
    if host.kind == "v2":
        return f"cgroup v2 (under {host.parent}): processes, memory and one CPU core per run"
    return f"no cgroups ({host.reason}): the grader counts each run's processes itself"


@functools.lru_cache(maxsize=1)
def cgroup_host() -> Host:
    """This machine's control groups (looked at once per process)."""
    return detect()
