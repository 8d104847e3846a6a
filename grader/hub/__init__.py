"""The course's JupyterHub for a class on one Linux server (``python -m grader hub``, or
``python3 course.py hub``): system users from a roster, nbgrader's shared exchange, the Formgrader
as a hub-managed service, and JupyterHub itself, started and stopped as one command.

What it sets up, run as root (docs/hub.md has the why of each choice):

- a system user per roster line (``useradd``), home mode 0700, with a random password written to
  ``<state>/passwords.csv`` (root only; never printed): people log in with PAM, as on the server;
- the grader account ``grader-<course>``, owner of the course's ``course/`` folder, which runs
  the Formgrader as the service ``/services/<course>/``, open to the hub group
  ``formgrade-<course>`` (the roster's instructors) through a hub role, and nobody else;
- nbgrader's exchange ``<state>/exchange`` (mode 1777, as nbgrader asks, sticky), its course
  folder owned by the grader account, so students can submit but not list the submissions;
- each user's own server (LocalProcessSpawner, as that user) with ``jupyter-config/hub``: the
  Assignments tab on the shared exchange, no Formgrader and no Create Assignment;
- jupyterhub-idle-culler as a service;
- the Python the users' servers run: the kit's venv, or, where its Python is hidden from other
  users (a pyenv in root's home), ``.venv-users/`` made for them (``grader/hub/environment.py``).

Every check that can fail is made before anything is created; a hub that stops during start-up
takes back the users this start created.
"""
from __future__ import annotations

import csv
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from grader.hub.environment import UsersEnvironmentError, users_python

ROLES = ("student", "instructor")
USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
FIRST_PERSON_UID = 1000            # below: system accounts (Debian's and most distributions')
CONFIG_DIR = Path(__file__).resolve().parents[2] / "jupyter-config"
HUB_CONFIG = Path(__file__).resolve().with_name("jupyterhub_config.py")
READY_TIMEOUT = 300                # seconds for JupyterHub, its proxy and services to answer
PROXY = "configurable-http-proxy"
LOCAL_CONFIG = "jupyterhub_config.local.py"      # the instructor's own settings, in <state>


class HubError(Exception):
    """A problem a person can fix, said in one line that names the fix."""


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    name: str = ""


def read_roster(path: Path) -> list[Person]:
    """The people of a roster CSV with the header ``username,role[,name]``; role is student or
    instructor. Raises HubError naming the first bad line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise HubError(f"cannot read the roster {path}: {error.strerror}; "
                       "pass a CSV file with --roster") from None
    rows = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(rows, [])]
    if header[:2] != ["username", "role"]:
        raise HubError(f"{path} line 1: the header must be username,role[,name]; "
                       f"found {','.join(header) or 'nothing'}")
    people, seen = [], set()
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        where = f"{path} line {number}"
        cells = [cell.strip() for cell in row]
        if len(cells) < 2 or len(cells) > 3:
            raise HubError(f"{where}: expected username,role[,name], found {len(cells)} "
                           "fields; fix or remove that line")
        username, role = cells[0], cells[1].lower()
        if not USERNAME.match(username):
            raise HubError(f"{where}: {username!r} is not a valid user name (lower-case "
                           "letters, digits, - and _, starting with a letter); fix that line")
        if role not in ROLES:
            raise HubError(f"{where}: role {cells[1]!r} is neither student nor instructor; "
                           "fix that line")
        if username in seen:
            raise HubError(f"{where}: {username} is listed twice; remove one of the lines")
        seen.add(username)
        people.append(Person(username, role, cells[2] if len(cells) == 3 else ""))
    if not any(p.role == "instructor" for p in people):
        raise HubError(f"{path}: no instructor; add a line such as 'teacher,instructor'")
    return people


def _account(username: str):
    try:
        return pwd.getpwnam(username)
    except KeyError:
        return None


def check_root() -> None:
    if not sys.platform.startswith("linux"):
        raise HubError("the course's hub runs on Linux (system users, PAM); "
                       "see docs/hub.md for Kubernetes")
    if os.geteuid() != 0:
        raise HubError("the hub creates a system user per roster line and runs each "
                       "person's server as them: run it as root (sudo python3 course.py hub ...)")


def check_can_start(people: list[Person], ip: str, port: int, grader_account: str) -> str:
    """Every check but root's before anything is created; returns configurable-http-proxy's
    path."""
    for name in ("jupyterhub", "jupyterhub_idle_culler", "pamela"):
        if not _importable(name):
            raise HubError(f"{name} is not installed: pip install 'nn-course-kit[hub]' "
                           "(python3 course.py setup installs it)")
    if not (CONFIG_DIR / "hub").is_dir():
        raise HubError(f"{CONFIG_DIR / 'hub'} is missing: run the hub from a checkout of the "
                       "course kit (python3 course.py hub)")
    proxy = shutil.which(PROXY)
    if proxy is None:
        raise HubError("configurable-http-proxy is missing: "
                       "npm install -g configurable-http-proxy (Node.js's npm: apt-get install npm)")
    for tool in ("useradd", "userdel", "chpasswd"):
        if shutil.which(tool) is None:
            raise HubError(f"{tool} is missing: install the system's user tools (apt-get install passwd)")
    for person in [*people, Person(grader_account, "grader")]:
        account = _account(person.username)
        if account is not None and account.pw_uid < FIRST_PERSON_UID:
            raise HubError(f"{person.username} is a system account (uid {account.pw_uid}); "
                           "take it out of the roster (or --grader-account)")
    if grader_account in {p.username for p in people}:
        raise HubError(f"{grader_account} is the grader account: no one in the roster may have "
                       "that name; rename that roster line or pass another --grader-account")
    if not port_is_free(ip, port):
        raise HubError(f"port {port} on {ip or 'every address'} is in use: "
                       "stop what listens there or choose another with --port")
    return proxy


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def port_is_free(ip: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((ip, port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """``count`` different TCP ports on 127.0.0.1 that nothing listens on now."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def create_users(people: list[Person], grader_account: str) -> tuple[list[str], dict[str, str]]:
    """Create the system users missing (and the grader account); returns the names created, in
    order, and the passwords of the people created (the grader account has none: no one logs in
    as it). Existing users keep their passwords. Every home ends up mode 0700."""
    created, passwords = [], {}
    try:
        for person in [*people, Person(grader_account, "grader", "nbgrader's course account")]:
            if _account(person.username) is None:
                subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash",
                                "--comment", person.name or person.role, person.username],
                               check=True, capture_output=True, text=True)
                created.append(person.username)
                if person.role != "grader":
                    passwords[person.username] = secrets.token_urlsafe(12)
            os.chmod(_account(person.username).pw_dir, 0o700)
        if passwords:
            subprocess.run(["chpasswd"], input="".join(f"{u}:{p}\n" for u, p in passwords.items()),
                           check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as error:
        remove_users(created)
        detail = (error.stderr or "").strip().splitlines()
        raise HubError(f"{error.cmd[0]} failed ({detail[-1] if detail else error.returncode}); "
                       "nothing was kept: fix that and start again") from None
    return created, passwords


def remove_users(names: list[str]) -> None:
    """Remove the system users ``names`` with their homes (those a failed start created)."""
    for name in reversed(names):
        subprocess.run(["userdel", "--remove", name], capture_output=True)


def write_passwords(path: Path, passwords: dict[str, str]) -> None:
    """Append the new accounts' passwords to ``path`` (CSV username,password; mode 0600)."""
    new = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8", newline="") as handle:
        os.fchmod(handle.fileno(), 0o600)
        writer = csv.writer(handle)
        if new:
            writer.writerow(["username", "password"])
        writer.writerows(sorted(passwords.items()))


def prepare_folders(state: Path, exchange: Path, course_dir: Path, course_id: str,
                    grader_account: str) -> None:
    """The state folder (root's; others may only pass through to the exchange), the exchange
    with nbgrader's permissions, and the course's work folder owned by the grader account."""
    account = _account(grader_account)
    state.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o711)
    exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(exchange, 0o1777)          # nbgrader's release wants rwx for all; sticky: own files
    inside = exchange / course_id       # made here, so no student can create it first
    inside.mkdir(exist_ok=True)
    os.chown(inside, account.pw_uid, account.pw_gid)
    work = course_dir / "course"
    work.mkdir(exist_ok=True)
    for folder, _, files in os.walk(work):
        os.chown(folder, account.pw_uid, account.pw_gid)
        for name in files:
            os.chown(os.path.join(folder, name), account.pw_uid, account.pw_gid, follow_symlinks=False)
    os.chmod(work, 0o700)


def world_readable(course_dir: Path) -> list[str]:
    """The course's secret folders that every user of the machine can read."""
    secret = [course_dir / "solutions", course_dir / "grader" / "expected"]
    return [str(p.relative_to(course_dir)) for p in secret if p.exists() and p.stat().st_mode & 0o005]


def write_settings(state: Path, settings: dict) -> Path:
    """``<state>/hub-settings.json`` and ``<state>/jupyterhub_config.py``, which loads the
    course's configuration with them (so ``jupyterhub -f`` on it runs the same hub), then
    ``<state>/jupyterhub_config.local.py`` where it exists: your own settings, kept across
    starts (this file is written anew at each)."""
    settings_file = state / "hub-settings.json"
    settings_file.write_text(json.dumps(settings, indent=1) + "\n")
    config = state / "jupyterhub_config.py"
    config.write_text(
        f'"""The course\'s JupyterHub (written by `python -m grader hub`; see docs/hub.md)."""\n'
        "import os\n\n"
        "c = get_config()  # noqa: F821\n"
        f"os.environ['NN_HUB_SETTINGS'] = {str(settings_file)!r}\n"
        f"load_subconfig({str(HUB_CONFIG)!r})  # noqa: F821\n"
        "# your own settings, which override the course's (this file is written at each start)\n"
        f"if os.path.exists({str(state / LOCAL_CONFIG)!r}):\n"
        f"    load_subconfig({str(state / LOCAL_CONFIG)!r})  # noqa: F821\n")
    return config


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_lines(settings: dict) -> list[str]:
    """What the hub says at start-up, one line each."""
    s = settings
    host = s["ip"] if s["ip"] not in ("", "0.0.0.0") else socket.gethostname()
    return [
        f"hub: {len(s['students'])} students, {len(s['instructors'])} instructors; "
        f"log in at http://{host}:{s['port']}/ with the system password (PAM)",
        f"hub: the Formgrader of {s['course_id']} runs as {s['grader_account']} in "
        f"{s['course_dir']}, at /services/{s['course_id']}/ for the group "
        f"formgrade-{s['course_id']} (the instructors) only",
        f"hub: nbgrader's exchange is {s['exchange']} (students submit, only the grader "
        "account lists submissions)",
        "hub: memory and CPU limits are not enforced: LocalProcessSpawner cannot; use "
        "SystemdSpawner or Kubernetes for them (docs/hub.md)",
        f"hub: idle servers are stopped after {s['cull_idle']} s (jupyterhub-idle-culler)",
    ]


def run_hub(roster: Path, *, course_dir: Path, course_id: str, state: Path,
            exchange: Path | None = None, ip: str = "127.0.0.1", port: int = 8000,
            grader_account: str | None = None, cull_idle: int = 3600) -> int:
    """Set up and run the hub in the foreground until SIGINT or SIGTERM; returns its exit
    status. Raises HubError before anything is created when something is missing."""
    check_root()
    people = read_roster(roster)
    grader_account = grader_account or f"grader-{course_id}"[:32]
    proxy = check_can_start(people, ip, port, grader_account)
    state = Path(state).resolve()
    exchange = Path(exchange).resolve() if exchange else state / "exchange"
    state.mkdir(parents=True, exist_ok=True)
    try:
        users = users_python(say=lambda line: print(line, flush=True))
    except UsersEnvironmentError as error:
        raise HubError(str(error)) from None
    created, passwords = create_users(people, grader_account)
    started = False
    try:
        prepare_folders(state, exchange, course_dir, course_id, grader_account)
        bin_dir = str(Path(sys.executable).parent)
        hub_port, proxy_api_port, service_port = free_ports(3)
        settings = {
            "course_id": course_id, "course_dir": str(course_dir), "exchange": str(exchange),
            "state": str(state), "ip": ip, "port": port, "hub_port": hub_port,
            "proxy_api_port": proxy_api_port, "service_port": service_port, "proxy": proxy,
            "bin": bin_dir, "user_bin": str(users.bin), "cull_idle": cull_idle,
            "grader_account": grader_account,
            "students": [p.username for p in people if p.role == "student"],
            "instructors": [p.username for p in people if p.role == "instructor"],
            "user_config": str(CONFIG_DIR / "hub"),
            "instructor_config": str(CONFIG_DIR / "instructor"),
        }
        config = write_settings(state, settings)
        for line in start_lines(settings):
            print(line, flush=True)
        for folder in world_readable(course_dir):
            print(f"hub: warning: every user can read {course_dir / folder}, solutions "
                  f"included: chgrp -R {grader_account} {folder} && chmod -R o-rwx {folder}",
                  flush=True)
        log = state / "jupyterhub.log"
        signal.signal(signal.SIGTERM, _interrupt)     # Ctrl-C and SIGTERM alike stop the hub
        with open(log, "ab") as handle:
            hub = subprocess.Popen([str(Path(bin_dir) / "jupyterhub"), "-f", str(config)],
                                   cwd=state, stdout=handle, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, preexec_fn=_stop_with_parent)
        url = f"http://{ip if ip not in ('', '0.0.0.0') else '127.0.0.1'}:{port}/hub/api"
        deadline = time.monotonic() + READY_TIMEOUT
        try:
            while hub.poll() is None and not _answers(url):
                if time.monotonic() > deadline:
                    _stop(hub)
                    break
                time.sleep(0.5)
        except KeyboardInterrupt:
            _stop(hub)
            print("hub: stopped during start-up", flush=True)
            return 130
        if hub.poll() is not None:
            raise HubError(f"JupyterHub stopped during start-up (exit {hub.returncode}); "
                           f"its log says why: {log}")
        started = True            # the accounts stay: their passwords are handed out now
        if passwords:
            write_passwords(state / "passwords.csv", passwords)
            print(f"hub: {len(passwords)} new accounts; their passwords are in "
                  f"{state / 'passwords.csv'} (root only): hand them out", flush=True)
        print(f"hub: ready; its log is {log}; Ctrl-C stops it", flush=True)
        return _wait(hub)
    finally:
        if not started:
            remove_users(created)


def _stop_with_parent() -> None:
    """In the child: Linux sends it SIGTERM when this command dies, however it dies, so no hub
    is left running without the command that started it."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _wait(hub: subprocess.Popen) -> int:
    """Wait for JupyterHub; SIGINT or SIGTERM stop it (it stops the servers it started)."""
    try:
        return hub.wait()
    except KeyboardInterrupt:
        _stop(hub)
        print("hub: stopped", flush=True)
        return 0


def _stop(hub: subprocess.Popen, grace: float = 60) -> None:
    if hub.poll() is None:
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            hub.kill()
            hub.wait()

