"""The grader's rooms stay layered: import-linter checks the contracts of pyproject.toml (see
docs/architecture.md), and the check is shown to fail on an import that runs the wrong way."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())"]


def _lint(folder: Path) -> subprocess.CompletedProcess:
    """import-linter on the packages in ``folder`` (first on the path), with pyproject's contracts."""
    env = {**os.environ, "PYTHONPATH": str(folder)}
    return subprocess.run([*LINT, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)


def _copy_packages(target: Path) -> Path:
    for package in ("grader", "course_lib"):
        shutil.copytree(ROOT / package, target / package,
                        ignore=shutil.ignore_patterns("__pycache__", "expected", "data"))
    return target


def test_the_layering_contracts_hold():
    out = _lint(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 kept, 0 broken" in out.stdout


def test_an_import_that_runs_the_wrong_way_breaks_a_contract(tmp_path):
    """Results are recorded, never run: a record module that imports the sandbox fails the check,
    and so does a run module that imports the coordinator above it."""
    copy = _copy_packages(tmp_path)
    store = copy / "grader" / "record" / "store.py"
    store.write_text(store.read_text() + "\nfrom grader.run import sandbox  # noqa: E402\n")
    out = _lint(copy)
    assert out.returncode != 0
    assert "grader.record.store -> grader.run.sandbox" in out.stdout, out.stdout
    assert "BROKEN" in out.stdout
