"""`jupyter lab` from the project root serves the course: the student notebooks through the
contents API and, with this project's nbgrader configuration, the formgrader with the four
assignments and a working exchange. Starts a real server (as `python3 course.py lab` does) on a
free port with a random token, and always stops it again."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from jupyter_helpers import jupyter_server

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ["ex1_softmax", "ex2_backprop", "ex3_mnist", "ex4_deep"]


def _git_status(*paths: str) -> str | None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    result = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--", *paths],
        cwd=ROOT, capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("jupyter")
    git_before = _git_status("notebooks", "solutions")
    with jupyter_server(ROOT, tmp) as running:       # as `python3 course.py lab` starts it
        running.git_before = git_before
        yield running


def test_lab_serves_the_student_notebooks(server):
    status, body = server.get("/lab")
    assert status == 200 and "JupyterLab" in body
    folders = server.get_json("/api/contents/notebooks")
    assert set(ASSIGNMENTS) <= {item["name"] for item in folders["content"]
                                        if item["type"] == "directory"}
    for assignment in ASSIGNMENTS:
        listing = server.get_json(f"/api/contents/notebooks/{assignment}")
        notebooks = {item["path"] for item in listing["content"] if item["type"] == "notebook"}
        assert f"notebooks/{assignment}/{assignment}.ipynb" in notebooks


def test_formgrader_lists_the_course_assignments(server):
    status, body = server.get("/formgrader")
    assert status == 200 and "Manage Assignments" in body, body[:500]
    assignments = server.get_json("/formgrader/api/assignments")
    by_name = {a["name"]: a for a in assignments}
    assert sorted(by_name) == ASSIGNMENTS
    for name in ASSIGNMENTS:
        assert by_name[name]["source_path"] == f"solutions/{name}"
        assert by_name[name]["release_path"] == f"notebooks/{name}"
        # nbgrader says "releaseable" only when the exchange directory exists and is writable.
        assert by_name[name]["releaseable"], f"the exchange is not usable:\n{server.log_tail()}"
    exchange = server.exchange                   # the test's own (see jupyter_helpers)
    assert exchange.is_dir() and os.access(exchange, os.W_OK | os.X_OK)
    # The formgrader writes its gradebook in its output folder, never into the committed
    # student or instructor folders.
    assert _git_status("notebooks", "solutions") == server.git_before


# --- each role's JupyterLab configuration (jupyter-config/) ----------------------------------------

def _page_config(body: str) -> dict:
    """The page configuration a JupyterLab page is given (its jupyter-config-data script)."""
    import json
    import re

    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                      body, re.S)
    assert match, body[:500]
    return json.loads(match.group(1))


def _disabled(config: dict) -> set:
    disabled = config.get("disabledExtensions", [])
    return set(disabled if isinstance(disabled, list) else
               [name for name, off in disabled.items() if off])


NEWS = "@jupyterlab/apputils-extension:announcements"
STUDENT_HIDDEN = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                  "@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:course-list",
                  "@jupyter/nbgrader:menu"}


@pytest.mark.parametrize("role", ["student", "instructor"])
def test_each_roles_lab_configuration(role, tmp_path):
    """Started as course.py starts it, neither role's JupyterLab asks about Jupyter's news (the
    announcements plugin is disabled); the self-learner's has no Assignment List, Course List or
    Nbgrader menu (no exchange: they only said "No courses found"), but Validate; the
    instructor's keeps every nbgrader plugin."""
    import sys

    sys.path.insert(0, str(ROOT))
    try:
        import course as course_py
    finally:
        sys.path.pop(0)
    work = tmp_path / "work"
    work.mkdir()
    options, variables = course_py.lab_options(role, work, env={})
    with jupyter_server(ROOT, tmp_path, args=options, env=variables, name=role) as running:
        status, body = running.get("/lab")
        assert status == 200, body[:300]
        disabled = _disabled(_page_config(body))
    assert NEWS in disabled
    nbgrader = {name for name in disabled if name.startswith("@jupyter/nbgrader:")}
    if role == "student":
        assert nbgrader == STUDENT_HIDDEN
    else:
        assert nbgrader == set()
    assert "@jupyter/nbgrader:validate-assignment" not in disabled
