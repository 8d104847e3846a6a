"""What runs where submissions are graded: one grading task, the checks that come before it,
and the batch's clean-up. The same code runs in a process of the local pool and on a Dask worker.

A task grades from what it carries (``grader.plan.material``) in the worker's own sandbox, and judges
there with the worker's own grader, which must be the coordinator's code exactly: a worker whose
code differs, or (on a cluster) one without a working bubblewrap, refuses and says why in the
submission's row, rather than grade differently or unprotected.
"""
from __future__ import annotations

import functools
import gc
import hashlib
import os
import re
import resource
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import course_lib

from grader.run import cgroups
from grader.run import sandbox
from grader.run.cgroups import cgroup_host
from grader.run.limits import Limits
from grader.run.processes import kill_tagged
from grader.grade import grade
from grader.run.launch import BATCH_VARIABLE
from grader.plan.material import Material, Submitted, blueprint_of
from grader.results import FAILED, SubmissionResult
from grader.run.scratch import abandoned, make_folder, remove_tree

SCRATCH_PREFIX = "grader-scratch-"      # + batch: a worker's scratch folder for one batch
BATCH_DIGITS = 12                       # hex digits of a batch's id: short, as its kernels'
                                        # sockets are in its folders (at most 107 bytes a path)
NO_SANDBOX = ("cannot isolate submissions: bubblewrap (bwrap) is missing or does not work "
              "there. Install it on every worker (Debian/Ubuntu: apt-get install bubblewrap); "
              "not graded, so that the submission never runs unprotected")


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The project's version and a digest of the grader's and course_lib's Python code: two
    processes that print the same judge alike."""
    digest = hashlib.sha256()
    for package in (Path(course_lib.__file__).parent, Path(__file__).parents[1]):
        for path in sorted(package.rglob("*.py")):
            digest.update(str(path.relative_to(package.parent)).encode() + b"\0")
            digest.update(path.read_bytes())
    return f"{course_lib.__version__}+{digest.hexdigest()[:12]}"


def worker_name() -> str:
    """The Dask worker's address, else this host and process. (A Dask worker has imported
    distributed; a local worker need not import it, a fifth of a second, to learn that.)"""
    if "distributed" in sys.modules:
        try:
            return sys.modules["distributed"].get_worker().address
        except ValueError:                      # distributed is here, but not a worker
            pass
    return f"{socket.gethostname()} (pid {os.getpid()})"


def refusal(version: str, isolated: bool) -> str:
    """Why this worker must not grade (empty if it may)."""
    if version != code_version():
        return (f"worker {worker_name()} runs other grader code ({code_version()}) than the "
                f"coordinator ({version}): install the same version of the project on every "
                "worker; not graded there")
    if isolated and not sandbox.bubblewrap_works():
        return f"worker {worker_name()} {NO_SANDBOX}"
    return ""


@functools.lru_cache(maxsize=None)
def batch_scratch(batch: str) -> Path:
    """This process's scratch folder for the batch (run folders and sealed copies), made after
    removing what killed graders left on this machine."""
    clean_up_abandoned()
    return make_folder(f"{SCRATCH_PREFIX}{batch}-")


def peak_memory() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024       # Linux: KiB


@dataclass(frozen=True)
class TaskReply:
    """What a task brings back: the result as JSON, the worker's peak memory (bytes), the
    worker's name, and whether the worker refused to grade (it must get no more work)."""
    result: str
    peak_bytes: int
    worker: str
    refused: bool = False


def grade_task(material: Material, student: str, submitted: Submitted, limits: Limits,
               batch: str, version: str, isolated: bool = False,
               workdir: str | None = None) -> TaskReply:
    """Grade one submission here. ``workdir`` is the coordinator's scratch folder where the
    worker shares its files, else the worker makes its own. Nothing of one submission stays in
    memory for the next (cycles are collected at once; what survives a collection, the modules
    and caches of a worker, is then left out of the next ones, which otherwise scanned every
    object of numpy, nbformat and jupyter_client again after every notebook)."""
    try:
        reason = refusal(version, isolated)
        if reason:        # no fingerprint: a later run grades it again rather than reuse this
            result = SubmissionResult(student, material.assignment, submitted.file,
                                      submitted.sha256, FAILED, reason=reason,
                                      max_score=blueprint_of(material).max_score)
        else:
            folder = Path(workdir) if workdir else batch_scratch(batch)
            folder.mkdir(parents=True, exist_ok=True)
            result = grade(material, student, submitted, folder, limits, batch)
        return TaskReply(result.to_json(), peak_memory(), worker_name(), bool(reason))
    finally:
        gc.collect()
        gc.freeze()


def kill_batch(batch: str) -> int:
    """Kill every process of the batch's runs on this machine; how many were killed."""
    return kill_tagged(batch, BATCH_VARIABLE)


def clean_up_batch(batch: str, workdir: str | None = None) -> None:
    """Remove everything the batch made on this machine, even what a killed worker left: its
    processes, its control groups, the scratch folders with every run's folder and the sealed
    copies."""
    _remove_batch(batch, [Path(workdir)] if workdir else [])
    batch_scratch.cache_clear()


def _remove_batch(batch: str, folders: list[Path]) -> None:
    kill_batch(batch)
    groups = cgroups.batch_groups(cgroup_host(), batch)
    cgroups.kill_members(groups)
    cgroups.remove(groups)
    for folder in _batch_folders(batch) + folders:
        remove_tree(folder)


def _batch_folders(batch: str) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}{batch}-*"))


def clean_up_abandoned() -> None:
    """Remove what graders that were killed left on this machine: their scratch folders and,
    for a batch none of whose folders is still in use, its processes and control groups."""
    by_batch: dict[str, list[Path]] = {}
    for folder in abandoned(SCRATCH_PREFIX):
        batch = folder.name[len(SCRATCH_PREFIX):].partition("-")[0]
        by_batch.setdefault(batch if re.fullmatch(f"[0-9a-f]{{{BATCH_DIGITS}}}", batch) else "",
                            []).append(folder)
    for batch, folders in by_batch.items():
        if batch and set(_batch_folders(batch)) <= set(folders):
            _remove_batch(batch, [])              # its folders are all of these
        else:
            for folder in folders:
                remove_tree(folder)


def report() -> dict:
    """What this worker offers, for the coordinator's log."""
    kind, _ = sandbox.describe()
    return {"isolation": kind, "cgroups": cgroups.describe(cgroup_host()),
            "version": code_version()}
