"""Installs that work: how the grader finds its course, and a real non-editable install.

The install tests build a wheel of the project, install it without its dependencies into a fresh
venv and give that venv the dependencies of this test environment through a .pth file (a path
line only: the editable install's hook in this environment's site-packages is not run, so the
venv imports the installed wheel). Then, from folders that are not the checkout: the console
script prints its version, stops with one line outside a course, works inside a copy of the
checkout and with --course or $NN_COURSE_DIR; course_lib loads MNIST with no course at all; the
sandbox hides the installed packages; nothing is written into the venv.
"""
import functools
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

import course_lib
from course_lib.exercises import (COURSE_VARIABLE, NoCourseError, expected_path, find_course,
                                  is_course)

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_FILES = ("pyproject.toml", "README.md", "course_lib", "grader")
COURSE_FILES = ("solutions", "notebooks", "nbgrader_config.py", "grader/expected",
                "grader/nbgrader/nbgrader_config.py")
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


def _copy(names, source: Path, target: Path) -> Path:
    for name in names:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, ignore=JUNK)
        else:
            shutil.copy2(source / name, target / name)
    return target


def _fake_course(folder: Path) -> Path:
    (folder / "solutions").mkdir(parents=True)
    (folder / "grader" / "expected").mkdir(parents=True)
    return folder.resolve()


# --- finding the course (in this process) -------------------------------------------------------

def test_the_checkout_is_a_course():
    assert is_course(ROOT)
    assert not is_course(ROOT / "solutions")


def test_an_explicit_folder_comes_first_then_the_variable_then_the_current_folder(
        tmp_path, monkeypatch):
    named, here, other = (_fake_course(tmp_path / n) for n in ("named", "here", "other"))
    (here / "solutions" / "ex1_softmax").mkdir()
    monkeypatch.chdir(here / "solutions" / "ex1_softmax")          # found by going up
    monkeypatch.delenv(COURSE_VARIABLE, raising=False)
    assert find_course() == here
    monkeypatch.setenv(COURSE_VARIABLE, str(named))
    assert find_course() == named
    assert find_course(other) == other
    assert expected_path("ex1_softmax") == named / "grader" / "expected" / "ex1_softmax.json"


def test_outside_a_course_the_checkout_of_the_grader_package_is_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(COURSE_VARIABLE, raising=False)
    assert find_course() == ROOT                 # the editable install of this test environment


def test_a_folder_or_variable_that_is_no_course_is_an_error(tmp_path, monkeypatch):
    with pytest.raises(NoCourseError, match="is not a course"):
        find_course(tmp_path)
    monkeypatch.setenv(COURSE_VARIABLE, str(tmp_path))
    with pytest.raises(NoCourseError, match=f"{COURSE_VARIABLE}=.* is not a course"):
        find_course()


def _load_nbgrader_config(folder: Path):
    return PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config()


def test_the_installed_nbgrader_config_writes_nothing_outside_a_course(tmp_path, monkeypatch):
    """grader/nbgrader/nbgrader_config.py as installed (in site-packages, no course around it) configures
    no course and creates no exchange; with $NN_COURSE_DIR it configures that course."""
    site = tmp_path / "site-packages"
    installed = site / "grader" / "nbgrader"
    installed.mkdir(parents=True)
    shutil.copy2(ROOT / "grader" / "nbgrader" / "nbgrader_config.py", installed)
    monkeypatch.delenv(COURSE_VARIABLE, raising=False)
    config = _load_nbgrader_config(installed)
    assert "root" not in config.CourseDirectory and "root" not in config.Exchange
    assert sorted(p.name for p in site.iterdir()) == ["grader"]
    course = _fake_course(tmp_path / "course")
    monkeypatch.setenv(COURSE_VARIABLE, str(course))
    config = _load_nbgrader_config(installed)
    assert config.CourseDirectory.root == str(course)
    assert config.Exchange.root == str(course / "course" / "exchange")
    assert (course / "course" / "exchange").is_dir()
    assert sorted(p.name for p in site.iterdir()) == ["grader"]


def test_the_checkouts_nbgrader_config_is_its_own_course(monkeypatch):
    monkeypatch.setenv(COURSE_VARIABLE, "/nonexistent")       # the file's own folder wins
    config = _load_nbgrader_config(ROOT / "grader" / "nbgrader")
    assert config.CourseDirectory.root == str(ROOT)


def test_python_m_grader_version_and_a_run_outside_the_checkout(tmp_path):
    """`python -m grader` (the editable install) works from any folder, on the checkout."""
    env = {k: v for k, v in os.environ.items() if k != COURSE_VARIABLE}
    version = subprocess.run([sys.executable, "-m", "grader", "--version"], cwd=tmp_path,
                             env=env, capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == f"python -m grader {course_lib.__version__}"
    check = subprocess.run([sys.executable, "-m", "grader", "build", "--check", "ex1_softmax"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stderr
    assert "up to date" in check.stdout
    assert list(tmp_path.iterdir()) == []


# --- a real non-editable install ---------------------------------------------------------------

class Installed:
    def __init__(self, folder: Path):
        self.folder = folder
        self.venv = folder / "venv"
        self.bin = self.venv / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / ("python.exe" if os.name == "nt" else "python")
        self.outside = folder / "outside"            # a folder that is no course
        self.outside.mkdir()
        self.course = _copy(COURSE_FILES, ROOT, folder / "course")
        # nbgrader starts `alembic`, a program of this environment (the venv has no copy)
        path = os.pathsep.join([str(self.bin), str(Path(sys.executable).parent),
                                os.environ.get("PATH", "")])
        self.env = {k: v for k, v in os.environ.items()
                    if k not in (COURSE_VARIABLE, "PYTHONPATH", "VIRTUAL_ENV")}
        self.env.update(PATH=path, MPLBACKEND="Agg")

    def run(self, *args, cwd=None, env=None, timeout=300):
        return subprocess.run([str(a) for a in args], cwd=cwd or self.outside,
                              env={**self.env, **(env or {})}, capture_output=True, text=True,
                              timeout=timeout)

    def grader(self, *args, **kwargs):
        return self.run(self.bin / "nn-grader", *args, **kwargs)

    @functools.cached_property
    def site(self) -> Path:
        out = self.run(self.python, "-I", "-c",
                       "import sysconfig; print(sysconfig.get_paths()['purelib'])")
        return Path(out.stdout.strip())

    def written(self) -> list[str]:
        """Folders named course or exchange anywhere in the venv (there must be none)."""
        return [str(p) for p in self.venv.rglob("*")
                if p.name in ("course", "exchange") and p.is_dir()]


def _build_isolation_needed() -> bool:
    """pip can build offline with this environment's setuptools if it is recent enough."""
    try:
        import setuptools
    except ImportError:
        return True
    return int(setuptools.__version__.split(".")[0]) < 77


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    folder = tmp_path_factory.mktemp("install")
    source = _copy(PACKAGE_FILES, ROOT, folder / "source")   # builds write nothing in the checkout
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    build = pip + ["wheel", "--no-deps", str(source), "-w", str(folder / "dist")]
    if not _build_isolation_needed():
        build.insert(len(pip) + 1, "--no-build-isolation")
    subprocess.run(build, check=True, timeout=300)
    (wheel,) = (folder / "dist").glob("nn_course_kit-*.whl")
    install = Installed(folder)
    venv.EnvBuilder(with_pip=False).create(install.venv)
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (install.site / "test-environment.pth").write_text("\n".join(sorted(deps)) + "\n")
    subprocess.run(pip + ["--python", str(install.python), "install", "--no-deps", str(wheel)],
                   check=True, timeout=300)
    return install


def test_the_wheel_holds_product_code_only(installed):
    """The test corpora and their helpers stay in tests/: none of it is installed."""
    files = {p.relative_to(installed.site).as_posix() for p in (installed.site / "grader").rglob("*")}
    assert "grader/run/sandbox.py" in files and "grader/nbgrader/nbgrader_config.py" in files
    assert "grader/nbgrader/templates/formgrade/mathjax.html.j2" in files   # the local MathJax
    test_data = [f for f in files if any(word in f for word in ("fairness", "corpus", "corpora",
                                                                "adversarial", "plain_nbgrader"))]
    assert test_data == []


def test_the_console_script_prints_the_version(installed):
    out = installed.grader("--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"nn-grader {course_lib.__version__}"


def test_the_venv_runs_the_installed_packages(installed):
    out = installed.run(installed.python, "-I", "-c",
                        "import course_lib, grader; print(course_lib.__file__); "
                        "print(grader.__file__)")
    assert out.returncode == 0, out.stderr
    for line in out.stdout.split():
        assert Path(line).is_relative_to(installed.site)


def test_the_installed_grader_makes_feedback_pages(installed):
    """The wheel holds the feedback page's template and stylesheet (package data)."""
    code = ("from grader.report.page import TEMPLATES, render_page; "
            "from grader.results import SubmissionResult; print(TEMPLATES); "
            "print(render_page(SubmissionResult('ann', '', 'ann.ipynb', '', 'failed', "
            "reason='cut off <b>')))")
    out = installed.run(installed.python, "-I", "-c", code)
    assert out.returncode == 0, out.stderr
    templates, page = out.stdout.split("\n", 1)
    assert Path(templates).is_relative_to(installed.site)
    assert "could not be graded" in page and "cut off &lt;b&gt;" in page and ".badge" in page


@pytest.mark.parametrize("command", [["build", "--check"], ["autograde", "submissions"],
                                     ["demo"], ["feedback"], ["check"]])
def test_outside_a_course_a_command_stops_in_one_line(installed, command):
    out = installed.grader(*command)
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr.startswith(f"nn-grader: no course found in {installed.outside.resolve()}")
    assert "--course DIR" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert installed.written() == []


def test_a_course_option_that_is_no_course_stops_in_one_line(installed):
    out = installed.grader("build", "--check", "--course", installed.outside)
    assert out.returncode == 1
    assert out.stderr.strip() == (f"nn-grader: {installed.outside.resolve()} is not a course: it "
                                  "has no solutions/ and grader/expected/ folders (name the "
                                  "project checkout, or a copy of it)")


def test_build_check_works_inside_a_copy_of_the_checkout(installed):
    out = installed.grader("build", "--check", cwd=installed.course)
    assert out.returncode == 0, out.stderr
    assert "up to date" in out.stdout
    assert (installed.course / "course" / "exchange").is_dir()   # made under the course
    assert installed.written() == []


@pytest.mark.parametrize("how", ["--course", COURSE_VARIABLE])
def test_the_course_can_be_named(installed, how):
    if how == "--course":
        out = installed.grader("--course", installed.course, "feedback")
    else:
        out = installed.grader("feedback", env={COURSE_VARIABLE: str(installed.course)})
    # nothing graded yet: the command looked for results in the named course's course/ folder
    assert out.returncode == 1
    assert f"no results in {installed.course / 'course' / 'results'}" in out.stderr, out.stderr
    assert installed.written() == []


def test_course_lib_works_without_a_course(installed):
    out = installed.run(installed.python, "-I", "-c",
                        "import course_lib; X, y = course_lib.load_mnist('test'); "
                        "print(X.shape, y.shape); print(course_lib.__file__)")
    assert out.returncode == 0, out.stderr
    shapes, location = out.stdout.splitlines()
    assert shapes == "(784, 10000) (10000,)"
    assert Path(location).is_relative_to(installed.site)


SANDBOX_PROBE = r"""
import os, subprocess, sys, sysconfig, tempfile
from pathlib import Path
from grader.run import sandbox
if not sandbox.bubblewrap_works():
    print("no bubblewrap")
    raise SystemExit(0)
prefix = sandbox.choose(Path(tempfile.mkdtemp()) / "run", "ex1_softmax").prefix
inside = '''
import os, sysconfig
site = sysconfig.get_paths()["purelib"]
print(os.listdir(os.path.join(site, "grader")))
print(os.path.exists(os.path.join(site, "course_lib", "answers", "ex1_softmax.py")))
print(sorted(os.listdir(os.path.join(site, "course_lib", "data", "mnist"))))
try:
    import course_lib.answers
except ImportError as error:
    print("ImportError", "not available while grading" in str(error))
'''
run = subprocess.run(prefix + [sys.executable, "-I", "-c", inside], capture_output=True, text=True)
print(run.stdout + run.stderr, end="")
"""


def test_the_sandbox_hides_the_installed_packages(installed):
    """A kernel reads the Python environment, where a non-editable install puts course_lib (with
    its reference answers) and the grader: the sandbox shows the sealed copy and no grader."""
    out = installed.run(installed.python, "-I", "-c", SANDBOX_PROBE,
                        env={COURSE_VARIABLE: str(installed.course)})
    assert out.returncode == 0, out.stderr
    if out.stdout.strip() == "no bubblewrap":
        pytest.skip("bubblewrap is not available")
    # the grader's copy of the course's data, uncompressed (course_lib reads either kind)
    shipped = sorted(p.name.removesuffix(".gz")
                     for p in (ROOT / "course_lib" / "data" / "mnist").iterdir())
    assert out.stdout.splitlines() == ["[]", "False", str(shipped), "ImportError True"], \
        out.stdout
