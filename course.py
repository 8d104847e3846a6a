#!/usr/bin/env python3
"""One entry point for the course kit, needing nothing but Python 3.11+ (nbgrader 0.9.6 needs it).

    python3 course.py demo        set up, then run the main job (the demo)
    python3 course.py test        set up, then run the test suite (pytest's options follow;
                                  --quick leaves out the slow tests: the lane to run after
                                  each change)
    python3 course.py lab         set up, copy the exercises into work/ (once), open JupyterLab there
    python3 course.py instructor  set up, then open JupyterLab on the project (the Formgrader);
                                  with --demo, the Formgrader shows the demo's class instead
    python3 course.py hub --roster roster.csv
                                  set up, then run the course's JupyterHub for a class (Linux,
                                  as root; docs/hub.md)
    python3 course.py setup       only create or refresh the virtual environment
    python3 course.py lock        write requirements.lock anew from pyproject.toml (newest versions)

Students work in `work/`: `lab` copies each exercise there the first time and never again, so
nothing (a rebuild, the demo, an update of the course) overwrites their answers. Their JupyterLab
has none of nbgrader's instructor tools (no Formgrader, no Create Assignment) and, as there is
no exchange, no Assignment List either, only Validate (see jupyter-config/README.md);
`instructor` has them all.

The first call creates a virtual environment in `.venv/` and installs the project into it
(with its test, cluster, postgres and hub extras), at the versions pinned in `requirements.lock`; later calls reuse it and
reinstall only when `pyproject.toml` or the lock changed. The lock is written by uv
(`uv pip compile --universal`, one resolution for every supported Python and platform, with
every extra of pyproject.toml); `python3 course.py lock` refreshes it.
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
LOCK = ROOT / "requirements.lock"
LOCK_TOOL = "uv>=0.5"             # installed into the venv by `lock` only; not a dependency
LOWEST_PYTHON = "3.11"            # requires-python in pyproject.toml
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

WORK = ROOT / "work"
RELEASES = ROOT / "notebooks"
STUDENT_CONFIG = ROOT / "jupyter-config" / "student"
INSTRUCTOR_CONFIG = ROOT / "jupyter-config" / "instructor"
JUPYTER_LAB = [str(PYTHON), "-m", "jupyter", "lab", "--allow-root"]
# The grader's output folder the Formgrader shows (grader/nbgrader/nbgrader_config.py reads it):
# course/ by default; the demo grades its made-up class into course/demo/, kept apart from a
# real class, and `instructor --demo` shows that one.
FORMGRADER_OUTPUT = "NN_FORMGRADER_OUTPUT"
DEMO_OUTPUT = "course/demo"
COMMANDS = {
    "demo": [str(PYTHON), "-m", "grader", "demo"],
    # two processes (pytest-xdist), each module whole in one of them: its batch graded once
    "test": [str(PYTHON), "-m", "pytest", "-n", "2", "--dist", "loadfile"],
    "lab": JUPYTER_LAB,
    "instructor": JUPYTER_LAB,
    "hub": [str(PYTHON), "-m", "grader", "hub"],
    "setup": None,
    "lock": None,
}
PYTEST_NO_TESTS_COLLECTED = 5
EXTRAS = "test,cluster,postgres,hub"       # the venv has every optional feature, so all tests run


def _pyproject_digest() -> str:
    """What the installed environment depends on: pyproject.toml and the lock."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    if LOCK.exists():
        digest.update(LOCK.read_bytes())
    return digest.hexdigest()


# setuptools tells, as a warning, that it makes the editable install with an import hook
# ("Editable installation ... be careful with folders ... with the same name as your package");
# pip shows a local project's build warnings, and this one is only information. Ignored by its
# own message, so that a real warning of the build (a deprecation, say) still shows.
QUIET_BUILD = "ignore:Editable installation:UserWarning"


def _pip_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS"), QUIET_BUILD) if w)
    return env


def setup() -> None:
    """Create `.venv` and install the project into it, unless it is already up to date."""
    if sys.version_info < (3, 11):
        sys.exit(f"course.py: Python 3.11 or newer is needed, this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"course.py: creating the virtual environment {VENV.relative_to(ROOT)}/", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    digest = _pyproject_digest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    print("course.py: installing the project and its dependencies (a minute or two)", flush=True)
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "-q"]
    env = _pip_environment()
    subprocess.run(pip + ["install", "--upgrade", "pip"], check=True, env=env)
    constraints = ["-c", str(LOCK)] if LOCK.exists() else []
    subprocess.run(pip + ["install", *constraints, "-e", f"{ROOT}[{EXTRAS}]"], check=True, env=env)
    STAMP.write_text(digest + "\n")


def lock_command(output: Path = LOCK) -> list[str]:
    """uv's command that resolves pyproject.toml, every extra included, for every Python from
    requires-python on and every platform, into pinned versions in ``output``."""
    return [str(PYTHON), "-m", "uv", "pip", "compile", str(ROOT / "pyproject.toml"),
            "--all-extras", "--universal", "--python-version", LOWEST_PYTHON,
            "--no-python-downloads", "--quiet",
            "--custom-compile-command", "python3 course.py lock", "--output-file", str(output)]


def lock() -> int:
    """Write requirements.lock anew (the newest versions that pyproject.toml allows)."""
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["install", LOCK_TOOL], check=True, env=_pip_environment())
    code = subprocess.call(lock_command(), cwd=ROOT)
    if code == 0:
        print(f"course.py: wrote {LOCK.relative_to(ROOT)}; the next command installs from it",
              flush=True)
    return code


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
        for notebook in sorted(target.rglob("*.ipynb")):
            _kernel_python_version(notebook)
        copied.append(target)
    return copied


def _kernel_python_version(notebook: Path, version: str | None = None) -> None:
    """Put the version of the Python that runs the kernel (the venv's, made from this one) into
    a copied notebook's ``language_info``, which the build wrote as the kernel reports it: then
    JupyterLab, which copies the kernel's ``language_info`` into a notebook when it opens it,
    finds nothing to change, and the notebook does not show as modified on opening."""
    import json

    version = version or sys.version.split()[0]
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        info = nb["metadata"]["language_info"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    if not isinstance(info, dict) or "version" not in info or info["version"] == version:
        return
    info["version"] = version
    # as nbformat (and so Jupyter's contents manager) writes a notebook
    notebook.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")


def lab_options(role: str, work: Path = WORK, env: dict | None = None, output: str = ""
                ) -> tuple[list[str], dict[str, str]]:
    """The options of ``jupyter lab`` for ``role`` ("student" or "instructor") and the variables
    it sets in the environment ``env`` (default: this process's).

    The student's JupyterLab opens ``work`` and reads ``jupyter-config/student`` first, which
    disables nbgrader's Formgrader and Create Assignment, and the Assignment List, Course List
    and Nbgrader menu (a self-learner has no exchange: they only said "No courses found"); the
    instructor's opens the directory it starts in (the project root, where nbgrader_config.py
    is) with every nbgrader extension and reads ``jupyter-config/instructor`` first. Neither
    asks about Jupyter's news (see jupyter-config/README.md). ``output`` (the instructor's,
    relative to the course) is the grader's output folder that the Formgrader shows instead of
    course/, e.g. ``DEMO_OUTPUT``."""
    if role not in ("student", "instructor"):
        raise ValueError(f"role must be 'student' or 'instructor', got {role!r}")
    env = os.environ if env is None else env
    config = STUDENT_CONFIG if role == "student" else INSTRUCTOR_CONFIG
    path = os.pathsep.join(p for p in (str(config), env.get("JUPYTER_CONFIG_PATH")) if p)
    options = [f"--ServerApp.root_dir={work}"] if role == "student" else []
    variables = {"JUPYTER_CONFIG_PATH": path}
    if output and role == "instructor":
        variables[FORMGRADER_OUTPUT] = output
    return options, variables


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
    if name == "lock":                      # needs only the venv's pip, not the old lock
        if not PYTHON.exists():
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        try:
            return lock()
        except subprocess.CalledProcessError as error:
            print(f"course.py: could not install {LOCK_TOOL} ({error})", file=sys.stderr)
            return 1
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
    env = environment(interactive=name in ("lab", "instructor"))
    output = ""
    if name == "instructor" and "--demo" in extra:
        extra = [arg for arg in extra if arg != "--demo"]
        output = DEMO_OUTPUT
        if not (ROOT / output / "gradebook.db").exists():
            print(f"course.py: no demo class in {output}/ yet: run `python3 course.py demo` first",
                  file=sys.stderr)
            return 1
        print(f"course.py: the Formgrader shows the demo's class ({output}/); "
              "`python3 course.py instructor` shows your course's", flush=True)
    if name in ("lab", "instructor"):
        options, variables = lab_options("student" if name == "lab" else "instructor", env=env,
                                         output=output)
        command = command + options
        env.update(variables)
    if name == "hub":               # this course, and the roster's path as the person typed it
        command, cwd = command[:3] + ["--course", str(ROOT)] + command[3:], Path.cwd()
    else:
        cwd = ROOT
    code = subprocess.call(command + extra, cwd=cwd, env=env)
    if name == "test" and code == PYTEST_NO_TESTS_COLLECTED:
        print("course.py: pytest collected no test; that is a failure, not a pass", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
