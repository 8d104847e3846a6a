"""`jupyter lab` from the project root serves the course: the student notebooks through the
contents API and, with this project's nbgrader configuration, the formgrader with the three
assignments and a working exchange. Starts a real server (as `python3 course.py lab` does) on a
free port with a random token, and always stops it again."""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ["ex1_softmax", "ex2_backprop", "ex3_mnist"]
STARTUP_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _git_status(*paths: str) -> str | None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    result = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--", *paths],
        cwd=ROOT, capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


class Server:
    def __init__(self, url: str, token: str, process: subprocess.Popen, log: Path):
        self.url, self.token, self.process, self.log = url, token, process, log

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def get(self, path: str, timeout: float = 20) -> tuple[int, str]:
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def get_json(self, path: str):
        status, body = self.get(path)
        assert status == 200, f"GET {path} -> {status}: {body[:500]}\n{self.log_tail()}"
        return json.loads(body)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("jupyter")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    # As course.py does: the venv's bin first (nbgrader starts `alembic` as a program).
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    # Keep the user's ~/.jupyter settings out, and this server's runtime files in tmp.
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "config")
    env["JUPYTER_RUNTIME_DIR"] = str(tmp / "runtime")
    log = tmp / "server.log"
    git_before = _git_status("notebooks", "solutions")
    command = [
        sys.executable, "-m", "jupyter", "lab", "--allow-root", "--no-browser",
        "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    running = Server(f"http://127.0.0.1:{port}", token, process, log)
    running.git_before = git_before
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter lab exited with {process.returncode}:\n{running.log_tail()}")
            try:
                if running.get("/api/status", timeout=2)[0] == 200:
                    break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer within {STARTUP_TIMEOUT} s:\n"
                            f"{running.log_tail()}")
            time.sleep(0.25)
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


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
    exchange = ROOT / "course" / "exchange"
    assert exchange.is_dir() and os.access(exchange, os.W_OK | os.X_OK)
    # The formgrader writes its gradebook under course/ (not committed), never into the
    # committed student or instructor folders.
    assert _git_status("notebooks", "solutions") == server.git_before
