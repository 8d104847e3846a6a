"""The project's frame: dependency lists agree, the data ship in the package, the CI script runs
the README's test command and cannot pass on an empty run."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]

# PyPI name -> conda-forge name, where they differ
CONDA_NAMES = {"jupyter-client": "jupyter_client"}


def _requirement(spec: str) -> tuple[str, str]:
    """(name, lower bound) of a requirement; extras such as ``psycopg[binary]`` are left out."""
    name, bound = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(?:\[[\w,\s]*\])?\s*(>=\s*[\w.]+)?",
                           spec).groups()
    return name.lower(), (bound or "").replace(" ", "")


def _pyproject_requirements() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = data["project"]
    specs = project["dependencies"] + [         # every extra: the conda environment has them all
        s for extra in project["optional-dependencies"].values() for s in extra
        if "python_version" not in s]
    specs.append(f"python{project['requires-python']}")
    return dict(_requirement(s) for s in specs)


def _conda_requirements() -> dict[str, str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("dependencies:") + 1
    specs = []
    for line in lines[start:]:
        item = re.match(r"^  - (?!pip:?$)(\S.*)$", line)
        if item:
            specs.append(item.group(1))
    return dict(_requirement(s) for s in specs)


def test_environment_yml_matches_pyproject():
    pypi = {CONDA_NAMES.get(name, name): bound for name, bound in _pyproject_requirements().items()}
    assert _conda_requirements() == pypi


def test_mnist_files_are_package_data():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["course_lib"]
    assert "data/mnist/*.gz" in patterns
    shipped = sorted(p.name for p in (ROOT / "course_lib" / "data" / "mnist").glob("*.gz"))
    assert len(shipped) == 4


def test_feedback_templates_are_package_data():
    """The feedback page's template and stylesheet ship in the wheel, next to the module that
    loads them."""
    from fnmatch import fnmatch

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["grader"]
    templates = sorted((ROOT / "grader" / "report" / "templates").iterdir())
    assert {"feedback.html.j2", "feedback.css"} <= {p.name for p in templates}
    for path in templates:
        name = path.relative_to(ROOT / "grader").as_posix()
        assert any(fnmatch(name, pattern) for pattern in patterns), f"{name} is not shipped"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 course.py test" in readme
    assert "python3 course.py test" in ci


def test_an_empty_pytest_run_is_a_failure(tmp_path):
    """course.py maps pytest's exit 5 (no tests collected) to a failure."""
    (tmp_path / "empty").mkdir()
    code = subprocess.call([sys.executable, str(ROOT / "course.py"), "test", str(tmp_path / "empty")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert code == 1


def test_a_failing_test_fails_the_run(tmp_path):
    failing = tmp_path / "test_fails.py"
    failing.write_text("def test_fails():\n    assert False\n")
    code = subprocess.call([sys.executable, str(ROOT / "course.py"), "test", str(failing),
                            "-p", "no:cacheprovider"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert code == 1


# --- the lock ------------------------------------------------------------------------------------

def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _declared() -> list:
    """Every requirement of pyproject.toml: the dependencies and every extra's."""
    from packaging.requirements import Requirement

    project = _project()
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    return [Requirement(s) for s in specs]


def _locked() -> dict:
    """requirements.lock as {canonical name: [(version, marker or None)]}."""
    from packaging.markers import Marker
    from packaging.utils import canonicalize_name

    pins: dict = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, _, marker = (part.strip() for part in line.partition(";"))
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s]+)", requirement)
        assert match, f"requirements.lock: not a pin: {line!r}"
        pins.setdefault(canonicalize_name(match.group(1)), []).append(
            (match.group(3), Marker(marker) if marker else None))
    return pins


def test_the_lock_pins_every_declared_dependency_within_its_bounds():
    """Each requirement of pyproject.toml (extras included) has a pinned version in
    requirements.lock, for every Python that pyproject allows, inside its bounds."""
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    locked = _locked()
    lowest = Version(re.search(r"[\d.]+", _project()["requires-python"]).group())
    assert SpecifierSet(_project()["requires-python"]).contains(lowest)
    pythons = [f"{lowest.major}.{minor}" for minor in range(lowest.minor, 15)]
    problems = []
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        if name not in locked:
            problems.append(f"{requirement}: not in requirements.lock")
            continue
        for python in pythons:
            environment = {"python_version": python, "python_full_version": f"{python}.0",
                           "sys_platform": "linux", "os_name": "posix",
                           "platform_system": "Linux", "implementation_name": "cpython"}
            if requirement.marker is not None and not requirement.marker.evaluate(environment):
                continue
            versions = [v for v, marker in locked[name]
                        if marker is None or marker.evaluate(environment)]
            if len(versions) != 1:
                problems.append(f"{requirement}: {len(versions)} pins for Python {python}")
            elif not requirement.specifier.contains(versions[0], prereleases=True):
                problems.append(f"{requirement}: the lock pins {versions[0]} for Python {python}")
    assert not problems, "requirements.lock is out of date (python3 course.py lock):\n" + \
        "\n".join(problems)


def test_setup_installs_from_the_lock():
    import course

    assert course.LOCK == ROOT / "requirements.lock" and course.LOCK.exists()
    source = (ROOT / "course.py").read_text()
    assert '["-c", str(LOCK)]' in source
    command = course.lock_command()
    assert command[2:5] == ["uv", "pip", "compile"] and "--all-extras" in command
    assert "--universal" in command
    assert course.LOWEST_PYTHON == re.search(r"[\d.]+", _project()["requires-python"]).group()
    assert "python3 course.py lock" in (ROOT / "README.md").read_text()


def test_course_py_s_environment_is_the_lock():
    """In the venv that course.py made and keeps up to date, every package of the lock (for this
    Python and platform) is installed at its pinned version."""
    import course
    from importlib.metadata import PackageNotFoundError, version

    if Path(sys.prefix).resolve() != course.VENV.resolve():
        pytest.skip(f"not course.py's environment ({course.VENV}) but {sys.prefix}")
    assert course.STAMP.read_text().strip() == course._pyproject_digest(), \
        "the venv is older than pyproject.toml or the lock: run python3 course.py setup"
    wrong = []
    for name, pins in _locked().items():
        for pinned, marker in pins:
            if marker is None or marker.evaluate():
                try:
                    installed = version(name)
                except PackageNotFoundError:
                    installed = "not installed"
                if installed != pinned:
                    wrong.append(f"{name}: {installed}, the lock pins {pinned}")
    assert not wrong, "not installed from requirements.lock:\n" + "\n".join(wrong)


# --- every import is declared ------------------------------------------------------------------

# import name -> distribution, where they differ (and packages_distributions cannot tell, because
# the package is not installed here)
IMPORT_NAMES = {"PIL": "pillow", "zmq": "pyzmq", "IPython": "ipython", "sqlalchemy": "sqlalchemy",
                "yaml": "pyyaml", "psycopg": "psycopg", "dask": "dask",
                "distributed": "distributed"}


def _imports(folder: Path) -> dict:
    """{top-level module: first file importing it} of absolute imports in ``folder``."""
    import ast

    found: dict = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], path.relative_to(ROOT))
    return found


def _distribution(module: str) -> str:
    from importlib.metadata import packages_distributions
    from packaging.utils import canonicalize_name

    installed = packages_distributions().get(module)
    return canonicalize_name(installed[0] if installed else IMPORT_NAMES.get(module, module))


def test_every_imported_package_is_declared():
    """course_lib/ imports only the standard library, itself and the dependencies of
    pyproject.toml; grader/ also its optional features' extras (cluster, postgres); tests/ also
    the test extra's (and their own helpers)."""
    from packaging.utils import canonicalize_name

    project = _project()
    from packaging.requirements import Requirement

    runtime = {canonicalize_name(Requirement(s).name) for s in project["dependencies"]}
    extras = {canonicalize_name(r.name) for r in _declared()}
    features = runtime | {canonicalize_name(Requirement(s).name)
                          for extra, specs in project["optional-dependencies"].items()
                          if extra != "test" for s in specs}
    ours = {"course_lib", "grader"}
    undeclared = []
    for folder, allowed in (("course_lib", runtime), ("grader", features), ("tests", extras)):
        local = ({p.stem for p in (ROOT / folder).glob("*.py")} | {"course"}
                 | {p.parent.name for p in (ROOT / folder).glob("*/__init__.py")})
        for module, where in _imports(ROOT / folder).items():
            if module in sys.stdlib_module_names or module in ours or module == "__future__":
                continue
            if folder == "tests" and module in local:
                continue
            if _distribution(module) not in allowed:
                undeclared.append(f"{module} (imported by {where})")
    assert not undeclared, "imported but not declared in pyproject.toml: " + ", ".join(undeclared)


def test_the_venv_gets_every_extra():
    """course.py installs every optional feature, so that no test is skipped for want of one."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    installed = re.search(r'^EXTRAS = "([\w,]+)"', (ROOT / "course.py").read_text(), re.M)
    assert installed and set(installed.group(1).split(",")) == set(extras)
