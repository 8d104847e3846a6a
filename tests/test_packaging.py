"""The project's frame: dependency lists agree, the data ship in the package, the CI script runs
the README's test command and cannot pass on an empty run."""
import re
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]

# PyPI name -> conda-forge name, where they differ
CONDA_NAMES = {}


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


def test_the_venv_gets_every_extra():
    """course.py installs every optional feature, so that no test is skipped for want of one."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    installed = re.search(r'^EXTRAS = "([\w,]+)"', (ROOT / "course.py").read_text(), re.M)
    assert installed and set(installed.group(1).split(",")) == set(extras)
