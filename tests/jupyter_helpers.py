"""A real Jupyter server for tests: started on a free localhost port with a random token, talked
to over HTTP, and always stopped again (its whole process group)."""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from grader import course

STARTUP_TIMEOUT = 600         # seconds; a start on a busy machine is slow, never a test's result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jupyter_env(tmp: Path) -> dict:
    """The environment of a test's Jupyter or nbgrader command: the venv's bin first (nbgrader
    starts `alembic` as a program), and the user's ~/.jupyter settings and runtime files kept
    out (in ``tmp``)."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "jupyter-config")
    env["JUPYTER_RUNTIME_DIR"] = str(tmp / "jupyter-runtime")
    env["JUPYTER_DATA_DIR"] = str(tmp / "jupyter-data")
    return env


class Server:
    def __init__(self, url: str, token: str, process: subprocess.Popen, log: Path):
        self.url, self.token, self.process, self.log = url, token, process, log

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    # The timeouts only bound a hang: the Formgrader's first API call creates its gradebook
    # (alembic, in a process of its own), which took over 30 s on a loaded 2-core machine.
    def request(self, method: str, path: str, body=None, timeout: float = 120) -> tuple[int, str]:
        return token_request(self.url + path, self.token, method, body, timeout)

    def get(self, path: str, timeout: float = 120) -> tuple[int, str]:
        return self.request("GET", path, timeout=timeout)

    def get_json(self, path: str):
        status, body = self.get(path)
        assert status == 200, f"GET {path} -> {status}: {body[:500]}\n{self.log_tail()}"
        return json.loads(body)

    def put_json(self, path: str, body):
        status, text = self.request("PUT", path, body)
        assert status == 200, f"PUT {path} -> {status}: {text[:500]}\n{self.log_tail()}"
        return json.loads(text)


@contextlib.contextmanager
def jupyter_server(cwd: Path, tmp: Path, app: str = "lab", args=(), env: dict | None = None,
                   name: str | None = None):
    """Run ``jupyter <app> *args`` in ``cwd`` until the block ends, with the variables ``env``
    added to its environment; yields a ``Server``. ``name`` names its log file.

    A server in the project itself keeps its gradebook and exchange in ``tmp`` (unless ``env``
    names them): the Formgrader creates its gradebook when it starts, and the project's own
    course/ folder (an instructor's real class) is no test's to write."""
    port, token = free_port(), secrets.token_hex(16)
    if Path(cwd).resolve() == course.ROOT.resolve():
        (tmp / "course").mkdir(exist_ok=True)
        env = {"NN_FORMGRADER_OUTPUT": str(tmp / "course"),
               "NN_COURSE_EXCHANGE": str(tmp / "exchange"), **(env or {})}
    log = tmp / f"{name or app}-server.log"
    command = [sys.executable, "-m", "jupyter", app, "--allow-root", "--no-browser",
               "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", *args]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env={**jupyter_env(tmp), **(env or {})},
                                   stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    running = Server(f"http://127.0.0.1:{port}", token, process, log)
    running.exchange = Path((env or {}).get("NN_COURSE_EXCHANGE")
                            or Path(cwd) / "course" / "exchange")
    try:
        _wait_until_up(running)
        yield running
    finally:
        _stop(process)


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if server.process.poll() is not None:
            raise AssertionError(f"jupyter exited with {server.process.returncode}:\n"
                                 f"{server.log_tail()}")
        try:
            if server.get("/api/status", timeout=2)[0] == 200:
                return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"jupyter did not answer within {STARTUP_TIMEOUT} s:\n"
                                 f"{server.log_tail()}")
        time.sleep(0.25)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def token_request(url: str, token: str, method: str, body=None,
                  timeout: float = 120) -> tuple[int, str]:
    """(status, text) of ``method`` on ``url`` with a Jupyter API ``token`` and a JSON ``body``."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method,
        headers={"Authorization": f"token {token}",
                 **({"Content-Type": "application/json"} if data is not None else {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
