"""Where a submission's kernel runs, and what it can see.

With bubblewrap (Debian's ``bubblewrap`` package), each kernel runs in its own namespaces:

* no network (a private network namespace with nothing in it);
* a file system made only of read-only system and Python folders, a *sealed* copy of
  course_lib, the run's working folder, /tmp and /dev/shm (each a private tmpfs of
  ``DISK_BYTES``, gone with the run) and the run's host folder with the kernel's sockets: the
  project, the solutions, the expected results, the gradebook and other students' files do not
  exist inside;
* its own process namespace, so killing the sandbox kills every process it started.

The sealed copy of course_lib leaves out ``course_lib.answers`` (every reference answer, hint
and judge) and the top-level modules that implement the assignment's answers
(``Exercise.sealed``): importing one raises an ImportError that says why.
When the project is installed into the Python environment (a non-editable ``pip install``),
the installed course_lib is replaced by the sealed copy and the installed grader by an empty
folder, since the kernel reads that environment.

Limits: rlimits for CPU time, address space, file size and open files (``grader.run.launch``), a
cgroup per run for processes, memory and CPU where the machine has one (``grader.run.cgroups``), and
the time, output and disk limits that ``grader.run.execute`` watches. Without bubblewrap the kernel
gets the same limits, the sealed course_lib first on its path and a private working folder, but
it can read the grader's files; the grader then prints a warning.
"""
from __future__ import annotations

import compileall
import functools
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import course_lib
from course_lib.exercises import CASES_VARIABLE, load

from grader import course

# Variables passed to the kernel; everything else (tokens, credentials) is dropped.
KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "VIRTUAL_ENV", "PYTHONHASHSEED")
# One thread per BLAS library: kernels run side by side, and a kernel's CPU time (which its limits
# count) then does not include BLAS threads spinning while they wait for each other.
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
SEALED_MOUNT = "/opt/nn-course"
ANSWERS = "answers"             # course_lib's package of reference answers: never in the sandbox
COURSE_LIB = Path(course_lib.__file__).resolve().parent    # as installed (or the checkout's)
GRADER = Path(__file__).resolve().parents[1]
# the extension every kernel loads (grader.run.kernel_extension), under this name on its path
KERNEL_EXTENSION = "_grader_kernel_extension"
FALLBACK_WARNING = ("WARNING: bubblewrap (bwrap) is not available, so submissions are not "
                    "isolated: they run with resource limits in a private folder, but they can "
                    "read the grader's files, including the expected results. Install it "
                    "(Debian/Ubuntu: apt-get install bubblewrap) before grading a real class.")

STUB = '''"""Left out while grading."""
raise ImportError("course_lib.{name} is not available while grading {assignment}: it holds the "
                  "reference answers of this exercise, and your answers must be your own code")
'''


def kept_variables(parent) -> dict:
    """What a kernel (or the grader's helper for kernels) keeps of an environment."""
    return {key: parent[key] for key in KEPT_VARIABLES if key in parent}


@dataclass
class Sandbox:
    description: str
    home: str                                    # the kernel's working folder and HOME
    sealed: Path
    matplotlib: str                              # matplotlib's config and cache folder
    cases: str                                   # the harvest cells' cases (read-only)
    prefix: list = field(default_factory=list)   # command put in front of the kernel command
    transport: str = "tcp"

    @property
    def workdir(self) -> Path:
        return Path(self.home)

    def environment(self, parent: dict) -> dict:
        env = kept_variables(parent)
        python_path = SEALED_MOUNT if self.prefix else str(self.sealed)
        env.update(ONE_BLAS_THREAD)
        env.update(HOME=self.home, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
                   PYTHONPATH=python_path, MPLCONFIGDIR=self.matplotlib,
                   IPYTHONDIR=f"{self.home}/.ipython", **{CASES_VARIABLE: self.cases})
        return env


NO_DEBUGGER = '''"""Left out while grading."""
raise ImportError("the debugger (debugpy) is not available while grading")
'''


@functools.lru_cache(maxsize=None)
def sealed_course_lib(assignment: str, base: Path) -> Path:
    """A copy of course_lib without the assignment's sealed modules (one per process), compiled,
    beside a stand-in for the debugger (``debugpy``) that cannot be imported, in
    ``base`` (the batch's scratch folder, which the coordinating process removes), with the
    kernels' IPython extension (``grader.run.kernel_extension``). Its ``data``
    folder is where bubblewrap binds the course's data (``course_data``) read-only; without
    bubblewrap it is a link to that folder, so that every assignment grades the same on either
    kind of machine."""
    package = COURSE_LIB
    root = Path(tempfile.mkdtemp(prefix=f"sealed-{assignment}-", dir=base))
    sealed = set(load(assignment).sealed)

    def ignore(folder, names):
        skipped = {n for n in names if n == "__pycache__" or n.endswith(".pyc")}
        if Path(folder) == package:
            skipped |= {n for n in names if n.endswith(".py") and n[:-3] in sealed}
            skipped |= {"data", ANSWERS}           # data is bound read-only instead of copied
        return skipped

    shutil.copytree(package, root / "course_lib", ignore=ignore)
    for name in sealed:
        (root / "course_lib" / f"{name}.py").write_text(STUB.format(name=name, assignment=assignment))
    (root / "course_lib" / ANSWERS).mkdir()
    (root / "course_lib" / ANSWERS / "__init__.py").write_text(
        STUB.format(name=ANSWERS, assignment=assignment))
    if bubblewrap_works():
        (root / "course_lib" / "data").mkdir()       # where bubblewrap binds the data read-only
    else:                                            # no mounts: the kernel reads the data in place
        (root / "course_lib" / "data").symlink_to(course_data(), target_is_directory=True)
    # the kernel's debugger is of no use while grading; ipykernel goes without it when it
    # cannot be imported, and importing it was a fifth of a kernel's start-up
    (root / "debugpy").mkdir()
    (root / "debugpy" / "__init__.py").write_text(NO_DEBUGGER)
    extension = Path(__file__).with_name("kernel_extension.py")
    shutil.copyfile(extension, root / f"{KERNEL_EXTENSION}.py")
    # compiled here, by the grader, once: kernels may not write bytecode, and compiling the
    # copy's sources in every kernel cost each notebook a tenth of a second of its CPU time
    compileall.compile_dir(root, quiet=2)
    return root


MATPLOTLIB = "matplotlib"          # a run's matplotlib folder, inside its scratch folder
FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", "/etc/fonts")


def _fonts_key() -> str:
    """What matplotlib's list of fonts depends on: the Python, matplotlib's version and the
    system's font folders (their latest change)."""
    from importlib import metadata

    try:
        version = metadata.version("matplotlib")
    except metadata.PackageNotFoundError:
        version = ""
    latest = 0.0
    for root in FONT_FOLDERS:
        for folder, _, _ in os.walk(root):
            try:
                latest = max(latest, os.stat(folder).st_mtime)
            except OSError:
                continue
    text = repr((os.path.realpath(sys.executable), version, latest))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _cached(name: str, make) -> Path | None:
    """The folder ``name`` in the grader's cache (``~/.cache/nn-course-grader``), made once:
    ``make(folder)`` fills a new folder that then becomes it, whole or not at all (when two
    workers make it at once, one of theirs is kept). None where it cannot be made."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nn-course-grader"
    kept = cache / name
    if kept.is_dir():
        return kept
    try:
        cache.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=".making-", dir=cache))
    except OSError:
        return None
    try:
        make(folder)
        folder.rename(kept)
    except (OSError, EOFError, zlib.error, subprocess.SubprocessError):
        shutil.rmtree(folder, ignore_errors=True)
    return kept if kept.is_dir() else None


@functools.lru_cache(maxsize=None)
def font_list() -> Path | None:
    """matplotlib's list of the system's fonts, made by the grader with a Python of the kernels'
    environment that sees no user's fonts (neither does a kernel), and kept in the grader's
    cache folder until the Python, matplotlib or the fonts change; None where it cannot be made
    (no matplotlib, no writable cache). Each run gets its own copy (``choose``): without one,
    every kernel that imports matplotlib scanned the fonts again (a quarter of a second)."""
    kept = _cached(f"fonts-{_fonts_key()}", _make_font_list)
    made = list(kept.glob("fontlist-*.json")) if kept else []
    return made[0] if len(made) == 1 else None


def _make_font_list(folder: Path) -> None:
    """matplotlib's font list, made in ``folder``."""
    env = kept_variables(os.environ)
    env.update(HOME=str(folder), MPLCONFIGDIR=str(folder), MPLBACKEND="Agg")
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                   cwd=folder, capture_output=True, timeout=120, check=True)


@functools.lru_cache(maxsize=None)
def course_data() -> Path:
    """The course's data folder as kernels see it (read-only): a copy in the grader's cache with
    the gzip'd files stored uncompressed, made once until the course's files change (course_lib
    reads either kind, and decompressing MNIST's training images cost every ex3 and ex4 kernel
    a seventh of a second or more); the course's own folder where the copy cannot be made."""
    source = COURSE_LIB / "data"
    files = sorted(path for path in source.rglob("*") if path.is_file())
    key = repr([(str(path.relative_to(source)), path.stat().st_size, path.stat().st_mtime_ns)
                for path in files])
    made = _cached(f"data-{hashlib.sha256(key.encode()).hexdigest()[:16]}",
                   functools.partial(_uncompressed_copy, source, files))
    return made or source


def _uncompressed_copy(source: Path, files: list[Path], folder: Path) -> None:
    """``files`` of ``source`` copied into ``folder``, each gzip'd one uncompressed (and
    without its ``.gz``)."""
    for path in files:
        target = folder / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".gz":
            with gzip.open(path) as compressed, open(target.with_suffix(""), "wb") as plain:
                shutil.copyfileobj(compressed, plain, 2**20)
        else:
            shutil.copyfile(path, target)


@functools.lru_cache(maxsize=None)
def bubblewrap_works() -> bool:
    path = shutil.which("bwrap")
    if not path:
        return False
    try:
        probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-all", "--dev", "/dev",
                                "--proc", "/proc", "true"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _readable_roots() -> list[str]:
    """Folders the kernel needs to read: the interpreter, its standard library and the venv."""
    roots = {sys.prefix, sys.base_prefix, sysconfig.get_paths()["stdlib"],
             sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    roots.add(str(Path(sys.executable).resolve().parent.parent))
    roots = sorted(os.path.realpath(r) for r in roots if r and os.path.exists(r))
    kept = []
    for root in roots:                      # drop folders already inside another one
        if not any(root == k or root.startswith(k + os.sep) for k in kept):
            kept.append(root)
    try:
        project = str(course.ROOT.resolve())
    except course.NoCourseError:       # a cluster worker without a course: nothing to hide
        return kept
    for root in kept:
        if project.startswith(root + os.sep) or project == root:
            raise RuntimeError(f"the Python environment {root} contains the project {project}; "
                               "the sandbox cannot show one without the other")
    return kept


def _hide_installed_packages(roots: list[str], sealed: Path) -> list[str]:
    """bubblewrap arguments that, where the packages are installed inside a folder the kernel
    reads (a non-editable install into site-packages), show the sealed course_lib in place of
    the installed one and an empty folder in place of the grader."""
    def inside(path: Path) -> bool:
        return any(str(path).startswith(root + os.sep) for root in roots)

    args = []
    if inside(COURSE_LIB):
        args += ["--ro-bind", str(sealed / "course_lib"), str(COURSE_LIB),
                 "--ro-bind", str(course_data()), str(COURSE_LIB / "data")]
    if inside(GRADER):
        args += ["--tmpfs", str(GRADER), "--remount-ro", str(GRADER)]
    return args


WORK = "work"                      # the kernel's working folder, inside the run's scratch
CASES = "cases"                    # the harvest cells' cases, inside the run's scratch


def write_cases(scratch: Path, cases: list) -> None:
    """Leave each harvest cell's cases for the kernel, as ``<index>.json`` in the run's cases
    folder (read-only inside bubblewrap; without it, in the run's private scratch folder)."""
    import json

    folder = scratch / CASES
    folder.mkdir(parents=True, exist_ok=True)
    for index, data in enumerate(cases):
        (folder / f"{index}.json").write_text(json.dumps(data), encoding="utf-8")
DISK_BYTES = 512 * 2**20           # size of each of the run's file systems: work, /tmp, /dev/shm


def bubblewrap_prefix(scratch: Path, sealed: Path, disk_bytes: int = DISK_BYTES) -> list[str]:
    """The bwrap command in front of the kernel. The kernel's working folder, /tmp and /dev/shm
    are tmpfs of ``disk_bytes`` each, private to the run and gone with it; ``scratch`` itself
    (the kernel's sockets and connection file) is the only folder shared with the grader."""
    size = ["--size", str(int(disk_bytes))]
    # JPY_PARENT_PID would make ipykernel watch for its parent, which in the new process
    # namespace looks like PID 1, and shut down at once.
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--unsetenv", "JPY_PARENT_PID",
            "--unshare-user", "--uid", "65534", "--gid", "65534",
            "--dev", "/dev", *size, "--tmpfs", "/dev/shm", "--proc", "/proc",
            *size, "--tmpfs", "/tmp"]
    for folder in ("/usr", "/lib", "/lib64", "/bin", "/sbin"):
        if os.path.exists(folder):
            args += ["--ro-bind", folder, folder] if not os.path.islink(folder) else \
                ["--symlink", os.readlink(folder), folder]
    for file in ("/etc/ld.so.cache", "/etc/localtime", "/etc/passwd", "/etc/group",
                 "/etc/nsswitch.conf", "/etc/fonts"):
        if os.path.exists(file):
            args += ["--ro-bind", file, file]
    roots = _readable_roots()
    for root in roots:
        args += ["--ro-bind", root, root]
    args += _hide_installed_packages(roots, sealed)
    work = scratch / WORK
    args += ["--ro-bind", str(sealed), SEALED_MOUNT,
             "--ro-bind", str(course_data()), f"{SEALED_MOUNT}/course_lib/data",
             "--bind", str(scratch), str(scratch), "--ro-bind", *[str(scratch / CASES)] * 2,
             *size, "--tmpfs", str(work),
             "--chdir", str(work), "--"]
    return args


def choose(scratch: Path, assignment: str, disk_bytes: int = DISK_BYTES) -> Sandbox:
    """The best isolation available for one run."""
    sealed = sealed_course_lib(assignment, scratch.parent)
    work = scratch / WORK
    work.mkdir(parents=True, exist_ok=True)      # a mount point, or the folder itself
    (scratch / CASES).mkdir(exist_ok=True)       # see write_cases
    matplotlib = scratch / MATPLOTLIB
    matplotlib.mkdir(exist_ok=True)
    fonts = font_list()
    if fonts:
        shutil.copyfile(fonts, matplotlib / fonts.name)
    if bubblewrap_works():
        return Sandbox("bubblewrap: no network, only the run's folder is visible and writable",
                       home=str(work), sealed=sealed, matplotlib=str(matplotlib),
                       cases=str(scratch / CASES), prefix=bubblewrap_prefix(scratch, sealed, disk_bytes), transport="ipc")
    return Sandbox("rlimits only (no isolation from the grader's files)", home=str(work),
                   sealed=sealed, matplotlib=str(matplotlib), cases=str(scratch / CASES))


def describe() -> tuple[str, str]:
    """(kind, warning or "") of the isolation ``choose`` will give, for the grader to announce."""
    if bubblewrap_works():
        return "bubblewrap", ""
    return "rlimits", FALLBACK_WARNING
