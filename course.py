#!/usr/bin/env python3
"""One entry point for the course kit, needing nothing but Python 3.10+.

    python3 course.py demo        set up, then run the main job (the demo)
    python3 course.py test        set up, then run the test suite
    python3 course.py lab         set up, copy the exercises into work/ (once), open JupyterLab there
    python3 course.py instructor  set up, then open JupyterLab on the project (the Formgrader)
    python3 course.py setup       only create or refresh the virtual environment

Students work in `work/`: `lab` copies each exercise there the first time and never again, so
nothing (a rebuild, the demo, an update of the course) overwrites their answers.

The first call creates a virtual environment in `.venv/` and installs the project into it
(with its test, cluster and postgres extras); later calls reuse it and reinstall only when
`pyproject.toml` changed.
Every command runs with `.venv/bin` first on PATH, because nbgrader starts `alembic` as a
program, and with one BLAS thread so that timings are steady.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed-pyproject-sha256"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

WORK = ROOT / "work"
RELEASES = ROOT / "notebooks"
JUPYTER_LAB = [str(PYTHON), "-m", "jupyter", "lab", "--allow-root"]
COMMANDS = {
    "demo": [str(PYTHON), "-m", "grader", "demo"],
    "test": [str(PYTHON), "-m", "pytest"],
    "lab": JUPYTER_LAB + [f"--ServerApp.root_dir={WORK}"],
    "instructor": JUPYTER_LAB,
    "setup": None,
}
PYTEST_NO_TESTS_COLLECTED = 5
EXTRAS = "test,cluster,postgres"       # the venv has every optional feature, so all tests run


def _pyproject_digest() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def setup() -> None:
    """Create `.venv` and install the project into it, unless it is already up to date."""
    if sys.version_info < (3, 10):
        sys.exit(f"course.py: Python 3.10 or newer is needed, this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"course.py: creating the virtual environment {VENV.relative_to(ROOT)}/", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    digest = _pyproject_digest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    print("course.py: installing the project and its dependencies (about a minute)", flush=True)
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["install", "--upgrade", "pip"], check=True)
    subprocess.run(pip + ["install", "-e", f"{ROOT}[{EXTRAS}]"], check=True)
    STAMP.write_text(digest + "\n")


def working_copy(releases: Path = RELEASES, work: Path = WORK) -> list[Path]:
    """Copy every exercise folder of ``releases`` into ``work`` unless it is already there;
    returns the folders copied now. Existing files are never touched."""
    import shutil

    copied = []
    for folder in sorted(p for p in releases.iterdir() if p.is_dir()):
        target = work / folder.name
        if target.exists():
            continue
        shutil.copytree(folder, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        copied.append(target)
    return copied


def environment(interactive: bool = False) -> dict[str, str]:
    """The process environment for a command: the venv first on PATH, one BLAS thread, and
    (except for interactive sessions) matplotlib's file-only backend."""
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(VENV)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    if not interactive:
        env.setdefault("MPLBACKEND", "Agg")
    return env


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip())
        return 2 if argv else 0
    name, extra = argv[0], argv[1:]
    try:
        setup()
    except subprocess.CalledProcessError as error:
        print(f"course.py: installation failed ({error}); see the pip output above", file=sys.stderr)
        return 1
    command = COMMANDS[name]
    if command is None:
        return 0
    if name == "lab":
        for folder in working_copy():
            print(f"course.py: copied {folder.relative_to(ROOT)}/ for you to work in", flush=True)
        print(f"course.py: your work is in {WORK.relative_to(ROOT)}/ (nothing overwrites it)",
              flush=True)
    code = subprocess.call(command + extra, cwd=ROOT,
                           env=environment(interactive=name in ("lab", "instructor")))
    if name == "test" and code == PYTEST_NO_TESTS_COLLECTED:
        print("course.py: pytest collected no test; that is a failure, not a pass", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
