"""The grader's scratch space: one folder per batch, holding each run's folder and the sealed
course_lib copies, measured while a run writes into it and always removed afterwards.

With bubblewrap a kernel writes to sized tmpfs file systems that vanish with it (see
``grader.run.sandbox``); the only host folder it can write is its run folder (its sockets and
connection file live there), which ``usage`` measures against the run's quota. Without bubblewrap
the kernel's working folder is a host folder too and the same quota applies to it.

Removal never fails and never recurses in Python (a student can make a folder 3000 levels deep):
it uses ``rm -rf`` and, where that is missing, a loop over ``os.walk`` from the bottom up.

A grader that is killed (SIGKILL, out of memory, a restart) cannot remove its folders. Each one
made with ``make_folder`` holds a lock for as long as its process lives, so the next grader
finds the ones nobody holds (``abandoned``) and removes them.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import stat
import subprocess
import tempfile
import time
from pathlib import Path

SCRATCH_BYTES = 64 * 2**20          # what a run may leave in its host folder (with bubblewrap)
SCRATCH_FILES = 2_000


def usage(folder: Path, max_entries: int) -> tuple[int, int]:
    """(bytes, entries) under ``folder``, without following links, and without looking at more
    than ``max_entries + 1`` entries (enough to know the quota is exceeded)."""
    total, entries, stack = 0, 0, [str(folder)]
    while stack and entries <= max_entries:
        try:
            with os.scandir(stack.pop()) as listing:
                for entry in listing:
                    entries += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(info.st_mode):
                        stack.append(entry.path)
                    else:
                        total += info.st_blocks * 512
                    if entries > max_entries:
                        break
        except OSError:
            continue
    return total, entries


def exceeded(folder: Path, max_bytes: int, max_files: int) -> str:
    """Why ``folder`` is over its quota, or ""."""
    used, entries = usage(folder, max_files)
    if entries > max_files:
        return f"disk limit of {max_files:,} files exceeded"
    if used > max_bytes:
        return f"disk limit {max_bytes / 2**20:g} MB exceeded"
    return ""


IN_USE = ".in-use"                  # a scratch folder's lock file, locked by the folder's maker
UNLOCKED_AGE = 24 * 3600            # a folder without one (an older grader's) is abandoned when
_held: dict[str, int] = {}          # this old, in seconds; this process's locks, by folder


def make_folder(prefix: str) -> Path:
    """A new folder ``prefix...`` in the temporary folder, marked in use by this process until
    ``remove_tree`` removes it or the process ends, however it ends."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    lock = os.open(folder / IN_USE, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    _held[str(folder)] = lock
    return folder


def abandoned(prefix: str) -> list[Path]:
    """This user's folders ``prefix...`` in the temporary folder that no living process holds:
    left by a grader that was killed. One without a lock file counts only once it is
    ``UNLOCKED_AGE`` old (an older grader's, or one being made at this moment)."""
    found = []
    for folder in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        try:
            info = folder.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or str(folder) in _held:
            continue
        try:
            lock = os.open(folder / IN_USE, os.O_RDWR | os.O_NOFOLLOW)
        except FileNotFoundError:
            if time.time() - info.st_mtime > UNLOCKED_AGE:
                found.append(folder)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            found.append(folder)
        except OSError:
            pass                        # its maker is alive
        finally:
            os.close(lock)
    return found


def remove_tree(path: Path) -> None:
    """Remove a folder and everything in it, whatever it holds; never raises."""
    path = Path(path)
    lock = _held.pop(str(path), None)
    if lock is not None:
        os.close(lock)
    if not os.path.lexists(path):
        return
    rm = shutil.which("rm")
    if rm:
        try:
            subprocess.run([rm, "-rf", "--one-file-system", "--", str(path)], timeout=600,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        except (OSError, subprocess.SubprocessError):
            pass
    if not os.path.lexists(path):
        return
    try:
        for folder, folders, files in os.walk(path, topdown=False):
            for name in files + folders:
                target = os.path.join(folder, name)
                try:
                    if os.path.isdir(target) and not os.path.islink(target):
                        os.rmdir(target)
                    else:
                        os.unlink(target)
                except OSError:
                    pass
        os.rmdir(path)
    except (OSError, RecursionError):
        pass
