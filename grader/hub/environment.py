"""The Python environment the hub's users run in: the kit's own venv when every user can run it,
otherwise one the hub builds for them, once, from a Python every user can run.

A venv is only a folder of packages on top of the Python it was made from. When that Python sits
where other users cannot go (a pyenv in root's home, say), their servers cannot load its standard
library: the system's dynamic loader then pairs the venv's packages with another Python's, and
things break in odd places (the Formgrader's Manual Grading page fails in soupsieve). So the hub
makes ``.venv-users/`` beside the kit's ``.venv/`` from a Python that every user can run
(``/usr/bin/python3`` on Debian) and installs the kit into it at the versions of
``requirements.lock``, whose markers pick the versions that Python needs. It is kept, and made
again only when the lock, ``pyproject.toml`` or that Python change; two hubs starting at once
take turns (a lock file).
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]        # the checkout the hub runs from
LOCK = KIT / "requirements.lock"
TARGET = KIT / ".venv-users"
EXTRAS = "hub"                                   # jupyterhub-singleuser; the rest is the base
STAMP = ".installed-for-hub-sha256"
LOWEST = (3, 11)
# Where a Python every user can run usually is; then whatever python3 is on PATH.
CANDIDATES = ("/usr/bin/python3", "/usr/local/bin/python3", "/usr/bin/python3.13",
              "/usr/bin/python3.12", "/usr/bin/python3.11")
PROBE = ("import sys, ensurepip, venv; "
         "print(sys.version.split()[0]); print(sys.base_prefix); print(sys.executable)")


class UsersEnvironmentError(Exception):
    """Why no environment for the users could be made, in one line naming the fix."""


@dataclass(frozen=True)
class UsersPython:
    """Where the users' servers find Python: ``bin`` holds python and jupyterhub-singleuser;
    ``built_from`` is the interpreter the hub made it from (None: the kit's own venv)."""
    bin: Path
    built_from: str | None = None


def hidden_folder(path: Path) -> Path | None:
    """The first folder on the way to ``path`` that other users cannot pass through, if any."""
    path = Path(path).resolve()
    for folder in [*reversed(path.parents), path]:
        if folder.is_dir() and not folder.stat().st_mode & 0o001:
            return folder
    return None


def kit_out_of_reach() -> str:
    """Why the hub's users cannot run the kit's code (they import it from this checkout, through
    their environment), in one line naming the fix; empty when they can."""
    hidden = hidden_folder(KIT)
    if hidden is None:
        return ""
    return (f"the kit is in {hidden}, which other users cannot pass through, and the hub's users "
            f"run its code: clone it where they can (e.g. under /srv), or chmod o+x {hidden}")


def folder_hiding_own_venv() -> Path | None:
    """None when every user can run the kit's venv; else the folder that hides its Python."""
    return hidden_folder(Path(sys.base_prefix)) or hidden_folder(Path(sys.executable).parent)


def _probe(python: str) -> tuple[str, Path, Path] | None:
    """(version, base prefix, executable) of ``python`` when it is 3.11+ and has venv and
    ensurepip; else None."""
    try:
        done = subprocess.run([python, "-I", "-c", PROBE], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.split()
    if done.returncode != 0 or len(lines) != 3:
        return None
    version = tuple(int(part) for part in lines[0].split(".")[:2] if part.isdigit())
    return (lines[0], Path(lines[1]), Path(lines[2])) if version >= LOWEST else None


def python_for_everyone() -> tuple[str, str]:
    """A Python 3.11+ with venv that every user can run: (its path, its version). Raises
    UsersEnvironmentError naming the fix when there is none."""
    seen, found_without_venv = set(), []
    for candidate in [*CANDIDATES, shutil.which("python3") or ""]:
        if not candidate or not os.path.exists(candidate):
            continue
        real = os.path.realpath(candidate)
        if real in seen:
            continue
        seen.add(real)
        if hidden_folder(Path(real).parent) is not None:
            continue
        probed = _probe(candidate)
        if probed is None:          # too old, or without venv/ensurepip (Debian's python3-venv)
            found_without_venv.append(candidate)
            continue
        version, base, _ = probed
        if hidden_folder(base) is None:
            return candidate, version
    hint = (f" ({', '.join(found_without_venv)} has no venv module or is older than 3.11: "
            "apt-get install python3-venv)") if found_without_venv else ""
    raise UsersEnvironmentError(
        "the venv's Python is in a folder other users cannot read, and no Python 3.11+ that "
        f"every user can run was found{hint}: install one (apt-get install python3 python3-venv) "
        "and start again")


def _digest(python_version: str) -> str:
    digest = hashlib.sha256(python_version.encode())
    for part in (KIT / "pyproject.toml", LOCK):
        if part.exists():
            digest.update(part.read_bytes())
    return digest.hexdigest()


def users_python(say=print, target: Path = TARGET) -> UsersPython:
    """The environment the users' servers run in: the kit's venv when everyone can run it, else
    ``target``, made (or remade after a change) from a Python everyone can run. ``say`` gets one
    line before a build. Raises UsersEnvironmentError naming the fix."""
    unreachable = kit_out_of_reach()
    if unreachable:
        raise UsersEnvironmentError(unreachable)
    hidden = folder_hiding_own_venv()
    if hidden is None:
        return UsersPython(Path(sys.executable).parent)
    python, version = python_for_everyone()
    with open(target.with_name(target.name + ".lock"), "w") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)             # another hub may be making it right now
        return _made(target, python, version, hidden, say)


def _made(target: Path, python: str, version: str, hidden: Path, say) -> UsersPython:
    digest = _digest(version)
    stamp = target / STAMP
    if stamp.exists() and stamp.read_text().strip() == digest:
        return UsersPython(target / "bin", python)
    say(f"hub: the venv's Python is in {hidden}, which other users cannot read: making their "
        f"environment {target} from {python} ({version}; a few minutes, once)")
    log = target.with_name(target.name + ".log")
    with open(log, "w", encoding="utf-8") as handle:
        steps = [[python, "-m", "venv", "--clear", str(target)],
                 [str(target / "bin" / "python"), "-m", "pip", "install",
                  "--disable-pip-version-check", "--no-input",
                  *(["-c", str(LOCK)] if LOCK.exists() else []), "-e", f"{KIT}[{EXTRAS}]"]]
        for step in steps:
            handle.write("$ " + " ".join(step) + "\n")
            handle.flush()
            done = subprocess.run(step, stdout=handle, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, env=_pip_environment())
            if done.returncode != 0:
                raise UsersEnvironmentError(
                    f"could not make the users' environment {target} (exit {done.returncode}); "
                    f"the log says why: {log}")
    stamp.write_text(digest + "\n")
    os.chmod(target, 0o755)
    return UsersPython(target / "bin", python)


def _pip_environment() -> dict[str, str]:
    """This process's environment without the kit's venv, so pip installs into the new one."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH",
                                                              "PYTHONHOME")}
    env["PIP_NO_WARN_SCRIPT_LOCATION"] = "1"
    return env
