"""The course's JupyterHub (``python -m grader hub``) for a class, for real: JupyterHub with
configurable-http-proxy on a free localhost port, PAM login, system users created from a roster
of throw-away names (two students, one instructor) and removed afterwards, a temporary copy of the
course, Chromium through Playwright.

Each person logs in through the hub's login page with the password the hub wrote for them; the
students' JupyterLab has no Formgrader, and the Formgrader service refuses them. Then the term is
clicked through as a class would: the instructor releases ex1 with the Formgrader's release
button; each student fetches it and submits it from the Assignment List (the notebook is filled
through their contents API); neither reads the other's home, and the exchange lets a student
submit but not list the submissions; the instructor collects with the Formgrader's button, grades
with ``python -m grader autograde`` as the grader account (with the Python the hub gives its
users), finds both submissions in the Formgrader, grades the written answers by typing on the
Manual Grading page, writes feedback (``python -m grader feedback``) and releases it with the
button, and the student fetches it from the Assignment List and finds the points given by hand.
Also each start-up error of the command: one line, nothing left behind.

Skipped, with the reason, only where this is not root or ``useradd`` is missing (no system
users can be made); the term, the check run as ``nobody`` and the hub that stops during
start-up, also where the checkout sits in a folder other users cannot pass through (``mktemp -d``
makes one): the hub then refuses to start, saying so (tests/test_hub_environment.py), as its
users could not import the kit. No step depends on timing: every wait is for an answer or a line.
"""
from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from grader import course
from grader.build import submissions
from grader.build.mutants import mutants_of
from grader.hub import port_is_free
from grader.hub.environment import kit_out_of_reach
from jupyter_helpers import Server
from corpora.points import auto_points, hand_points
from jupyter_helpers import token_request
from servers import free_port, start, stop, wait_for

if os.geteuid() != 0 or shutil.which("useradd") is None:
    pytest.skip("the hub's test creates system users: it needs root and useradd",
                allow_module_level=True)

from test_browser import MATHJAX_DONE, _choose, _menu, browser, shots  # noqa: E402,F401
from test_formgrader import COMMENT, WRITTEN  # noqa: E402 - bob's written answer, graded by hand
from grader.record.formgrader_tree import INSTRUCTOR_ONLY  # noqa: E402
from test_jupyterlab import _disabled, _page_config  # noqa: E402 - a page's JupyterLab settings

ROOT = course.ROOT
# The hub's users (and `nobody`, below) run the kit from this checkout.
OTHER_USERS_REACH_KIT = pytest.mark.skipif(bool(kit_out_of_reach()),
                                           reason=kit_out_of_reach() or "-")
ASSIGNMENT = "ex1_softmax"
COURSE_ID = "nn-course"
START_TIMEOUT = 600                  # seconds: JupyterHub, its proxy and services on a busy machine
COMMAND_TIMEOUT = 600
MS = 1000


def _names() -> dict[str, str]:
    """Throw-away user names no machine has: two students, one instructor, the grader account."""
    tag = secrets.token_hex(3)
    return {"alice": f"nnha{tag}", "bob": f"nnhb{tag}", "teacher": f"nnht{tag}",
            "grader": f"nnhg{tag}"}


def _remove_users(names) -> None:
    """Stop what the throw-away users still run (by process id) and remove them and their homes."""
    uids = {pwd.getpwnam(n).pw_uid for n in names if _exists(n)}
    for process in psutil.process_iter(["uids"]):
        if process.info["uids"] and process.info["uids"].real in uids:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
    for name in names:
        if _exists(name):
            subprocess.run(["userdel", "--remove", name], capture_output=True)


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _course_copy(folder: Path) -> Path:
    """A copy of the course as on a server: the checkout without its venv, work and history."""
    copy = folder / "course-copy"
    for part in ("solutions", "notebooks", "grader"):
        shutil.copytree(ROOT / part, copy / part,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    shutil.copy(ROOT / "nbgrader_config.py", copy)
    return copy


def _environment() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _hub_command(copy: Path, roster: Path, state: Path, port: int, grader: str) -> list[str]:
    return [sys.executable, "-m", "grader", "--course", str(copy), "hub", "--roster", str(roster),
            "--port", str(port), "--state", str(state), "--grader-account", grader]


class Hub:
    """The running hub: its address, its state folder and who is who."""

    def __init__(self, url: str, state: Path, copy: Path, names: dict, passwords: dict):
        self.url, self.state, self.copy = url, state, copy
        self.names, self.passwords = names, passwords
        self.tokens: dict[str, str] = {}

    def request(self, who: str, method: str, path: str, body=None) -> tuple[int, str]:
        """``path`` through the hub's proxy with ``who``'s API token."""
        return token_request(self.url + path, self.tokens[who], method, body, COMMAND_TIMEOUT)

    def ok(self, who: str, method: str, path: str, body=None):
        status, text = self.request(who, method, path, body)
        assert status == 200, f"{method} {path} as {who}: {status} {text[:1000]}"
        return json.loads(text) if text else None

    def as_grader(self, *command: str) -> str:
        """A command in the course folder as the grader account with the users' Python (the one
        the hub gives their servers), as typed in the Formgrader's terminal."""
        account = pwd.getpwnam(self.names["grader"])
        users_bin = json.loads((self.state / "hub-settings.json").read_text())["user_bin"]
        env = {"PATH": os.pathsep.join([users_bin, "/usr/bin", "/bin"]), "HOME": account.pw_dir,
               "NN_COURSE_EXCHANGE": str(self.state / "exchange"), "OPENBLAS_NUM_THREADS": "1"}
        done = subprocess.run(["runuser", "-u", account.pw_name, "--", "env", "-i",
                               *[f"{k}={v}" for k, v in env.items()], *command],
                              cwd=self.copy, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=COMMAND_TIMEOUT)
        assert done.returncode == 0, f"{command} exited {done.returncode}:\n" \
                                     f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout + done.stderr


def _as_user(name: str, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", name, "--", *command], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=COMMAND_TIMEOUT)


@pytest.fixture(scope="module")
def hub():
    folder = Path(tempfile.mkdtemp(prefix="nn-hub-"))
    os.chmod(folder, 0o755)              # the users' servers pass through it to the course copy
    names = _names()
    roster = folder / "roster.csv"
    roster.write_text("username,role,name\n"
                      f"{names['alice']},student,Alice\n{names['bob']},student,Bob\n"
                      f"{names['teacher']},instructor,The Teacher\n")
    copy, state, port = _course_copy(folder), folder / "state", free_port()
    log = folder / "hub-command.log"
    process = start(_hub_command(copy, roster, state, port, names["grader"]), log,
                    env=_environment(), cwd=folder)
    try:
        wait_for(lambda: process.poll() is not None or "hub: ready" in log.read_text(),
                 START_TIMEOUT, "the hub did not say it is ready", log)
        if process.poll() is not None:
            hub_log = state / "jupyterhub.log"
            tail = hub_log.read_text()[-4000:] if hub_log.exists() else ""
            pytest.fail(f"the hub stopped:\n{log.read_text()[-3000:]}\n{tail}")
        lines = (state / "passwords.csv").read_text().splitlines()[1:]
        passwords = dict(line.split(",", 1) for line in lines)
        yield Hub(f"http://127.0.0.1:{port}", state, copy, names, passwords)
    finally:
        stop(process, grace=60)
        _remove_users(names.values())
        shutil.rmtree(folder, ignore_errors=True)


def _log_in(browser, hub: Hub, who: str):
    """Log ``who`` in on the hub's login page; their JupyterLab opens. Returns the page."""
    browser.clear_cookies()
    page = browser.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", hub.names[who])
    page.fill("#password_input", hub.passwords[hub.names[who]])
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{hub.names[who]}/lab**", timeout=START_TIMEOUT * MS)
    page.wait_for_selector("#jp-main-dock-panel", timeout=START_TIMEOUT * MS)
    return page


def _make_token(page, hub: Hub, who: str) -> None:
    """An API token of ``who``, made in their browser session on the hub's token page."""
    page.goto(f"{hub.url}/hub/token")
    status, text = page.evaluate("""async (user) => {
      const r = await fetch(`/hub/api/users/${user}/tokens`, {method: 'POST',
        headers: {'X-XSRFToken': window.jhdata.xsrf_token, 'Content-Type': 'application/json'},
        body: JSON.stringify({note: 'test_hub', expires_in: 3600})});
      return [r.status, await r.text()];
    }""", hub.names[who])
    assert status == 201, f"no token for {who}: {status} {text[:500]}"
    hub.tokens[who] = json.loads(text)["token"]


def _menus(page) -> list[str]:
    return [label.strip() for label in page.locator(".lm-MenuBar-itemLabel").all_inner_texts()]


def _formgrader_button(page, hub: Hub, column: str, done: str) -> None:
    """Click the assignment's button in ``column`` (release, collect, release-feedback) of the
    Formgrader's Manage Assignments page, through the service, and wait for nbgrader's answer:
    its success dialog saying ``done``, or the failure with nbgrader's log."""
    page.goto(f"{hub.url}/services/{COURSE_ID}/formgrader/manage_assignments")
    button = page.locator("tr", has_text=ASSIGNMENT).locator(f"td.{column} a")
    button.click()
    answer = page.locator("#success-modal, #error-modal")
    answer.wait_for(timeout=COMMAND_TIMEOUT * MS)
    text = answer.inner_text()
    assert answer.get_attribute("id") == "success-modal" and done in text, f"{column}: {text}"
    page.keyboard.press("Escape")


def _assignment_list(page) -> None:
    """Open the Assignment List (Nbgrader menu) in ``who``'s JupyterLab."""
    _choose(page, "Nbgrader", "Assignment List")
    page.locator("#released_assignments_list").wait_for()


def _press(page, section: str, label: str, then: str) -> None:
    """Press ``label`` on the assignment's row of the Assignment List's ``section`` list
    (released, fetched, submitted); wait until the row shows in the ``then`` list."""
    row = page.locator(f"#{section}_assignments_list .list_item", has_text=ASSIGNMENT).first
    row.get_by_role("button", name=label, exact=True).click()
    page.locator(f"#{then}_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for(
        timeout=COMMAND_TIMEOUT * MS)


def _grade_written_answers(page, hub: Hub, service: Server, submission_id: str, shots) -> None:
    """Grade bob's written answers on the Formgrader's Manual Grading page, by typing as an
    instructor does: 3 points and a comment for WRITTEN, 0 for the others (so none is left
    pending); then the gradebook holds them."""
    grades = service.get_json(f"/formgrader/api/grades?submission_id={submission_id}")
    written = [g for g in grades if g["auto_score"] is None and g["needs_manual_grade"]]
    assert WRITTEN in {g["name"] for g in written}, grades
    opened = page.goto(f"{hub.url}/services/{COURSE_ID}/formgrader/submissions/{submission_id}/")
    assert opened.status == 200, f"the Manual Grading page answered {opened.status}"
    page.wait_for_function(MATHJAX_DONE)
    for grade in written:
        score = page.locator(f'input.score[id="{grade["name"]}"]')
        score.fill("3" if grade["name"] == WRITTEN else "0")
        score.press("Tab")                      # the page saves a score when it changes
    comment = page.locator(f'textarea.comment[id="{WRITTEN}-comment"]')
    comment.fill(COMMENT)
    comment.press("Tab")
    shots.take(page, "hub-instructor-manual-grading")

    def saved() -> bool:
        now = {g["name"]: g for g in service.get_json(
            f"/formgrader/api/grades?submission_id={submission_id}")}
        said = [c for c in service.get_json(f"/formgrader/api/comments?submission_id="
                                            f"{submission_id}") if c["name"] == WRITTEN]
        return (now[WRITTEN]["manual_score"] == 3 and said and said[0]["manual_comment"] == COMMENT
                and not any(now[g["name"]]["needs_manual_grade"] for g in written))

    wait_for(saved, COMMAND_TIMEOUT, "the Manual Grading page did not save the grades")


@OTHER_USERS_REACH_KIT
def test_a_term_on_the_hub(hub, browser, shots):
    """The term, clicked through in Chromium as each person would (only filling the notebook
    goes through the student's contents API, and the grader's commands are typed as the grader
    account, as in the Formgrader's terminal)."""
    names = hub.names
    formgrader = f"/services/{COURSE_ID}/formgrader"
    # --- each person logs in through the browser
    for who in ("alice", "bob"):
        page = _log_in(browser, hub, who)
        shots.take(page, f"hub-{who}-lab")
        assert "File" in _menus(page)
        nbgrader = _menu(page, "Nbgrader")            # the Assignments tab, no Formgrader
        assert "Assignment List" in nbgrader and "Formgrader" not in nbgrader, nbgrader
        page.keyboard.press("Escape")
        disabled = _disabled(_page_config(page.content()))
        assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"} \
            <= disabled and "@jupyter/nbgrader:assignment-list" not in disabled, disabled
        assert page.locator(".lm-TabBar-tab", has_text="Create Assignment").count() == 0
        assert page.locator("#formgrader").count() == 0
        refused = page.goto(f"{hub.url}{formgrader}/")
        assert refused.status == 403, f"a student reached the Formgrader: {refused.status}"
        _make_token(page, hub, who)
        page.close()

    # --- only their own files, and no Formgrader in their own servers
    for who, other in (("alice", "bob"), ("bob", "alice")):
        assert hub.request(who, "GET", f"/user/{names[other]}/api/contents")[0] == 403
        assert hub.request(who, "GET", f"{formgrader}/api/assignments")[0] == 403
        assert hub.request(who, "GET", f"/user/{names[who]}/formgrader/api/assignments")[0] == 404
        denied = _as_user(names[who], "ls", pwd.getpwnam(names[other]).pw_dir)
        assert denied.returncode != 0 and "Permission denied" in denied.stderr
        assert oct(os.stat(pwd.getpwnam(names[who]).pw_dir).st_mode & 0o777) == "0o700"

    # --- the instructor releases ex1 with the Formgrader's release button
    page = _log_in(browser, hub, "teacher")
    page.goto(f"{hub.url}{formgrader}/manage_assignments")
    page.get_by_text(ASSIGNMENT).first.wait_for()
    shots.take(page, "hub-instructor-formgrader")
    _formgrader_button(page, hub, "release", f"Successfully released '{ASSIGNMENT}'")
    _make_token(page, hub, "teacher")
    page.close()

    # --- each student fetches, fills and submits from the Assignment List
    fills = {"alice": submissions.filled_release(ASSIGNMENT),
             "bob": submissions.filled_release(ASSIGNMENT, mutants_of(ASSIGNMENT)[0].overrides)}
    for who in ("alice", "bob"):
        page = _log_in(browser, hub, who)
        _assignment_list(page)
        _press(page, "released", "Fetch", then="fetched")
        path = f"/user/{names[who]}/api/contents/{COURSE_ID}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
        assert hub.ok(who, "GET", path)["type"] == "notebook"
        hub.ok(who, "PUT", path, {"type": "notebook", "format": "json", "content": fills[who]})
        _press(page, "fetched", "Submit", then="submitted")
        shots.take(page, f"hub-{who}-submitted")
        page.close()

    # --- a student cannot list the submissions, nor find the other's
    inbound = hub.state / "exchange" / COURSE_ID / "inbound"
    theirs = [p.name for p in inbound.iterdir()]
    assert sorted(n.split("+")[0] for n in theirs) == sorted([names["alice"], names["bob"]])
    listing = _as_user(names["bob"], "ls", str(inbound))
    assert listing.returncode != 0 and "Permission denied" in listing.stderr
    found = _as_user(names["bob"], "sh", "-c", f"ls -d {inbound}/{names['alice']}+*")
    assert found.returncode != 0

    # --- collect (button), autograde (the grader's command), the Formgrader lists both
    page = _log_in(browser, hub, "teacher")
    _formgrader_button(page, hub, "collect", f"Successfully collected submissions of '{ASSIGNMENT}'")
    submitted = hub.copy / "course" / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == sorted([names["alice"], names["bob"]])
    hub.as_grader("python", "-m", "grader", "autograde", "course/submitted", "--jobs", "2")
    rows = {r["student"]: r for r in hub.ok("teacher", "GET",
                                            f"{formgrader}/api/submissions/{ASSIGNMENT}")}
    assert sorted(rows) == sorted([names["alice"], names["bob"]])
    assert all(r["autograded"] and r["submitted"] for r in rows.values())
    assert rows[names["alice"]]["score"] > rows[names["bob"]]["score"]
    page.goto(f"{hub.url}{formgrader}/manage_submissions/{ASSIGNMENT}")
    page.get_by_text(names["bob"]).first.wait_for()
    shots.take(page, "hub-instructor-submissions")

    # --- bob's written answers graded by hand on the Manual Grading page, with its rubric
    service = Server(f"{hub.url}/services/{COURSE_ID}", hub.tokens["teacher"], None,
                     hub.state / "jupyterhub.log")
    notebooks = {n["student"]: n for n in service.get_json(
        f"/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")}
    _grade_written_answers(page, hub, service, notebooks[names["bob"]]["id"], shots)
    assert page.locator("#notebook-container .cell", has_text=INSTRUCTOR_ONLY).count() >= 1

    # --- feedback written (the grader's command), released (button), fetched by bob (button)
    hub.as_grader("python", "-m", "grader", "feedback")
    _formgrader_button(page, hub, "release-feedback", "Successfully released feedback")
    page.close()
    page = _log_in(browser, hub, "bob")
    _assignment_list(page)
    row = page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first
    row.get_by_role("button", name="Fetch Feedback", exact=True).click()
    page.locator("#submitted_assignments_list", has_text="view feedback").wait_for(
        timeout=COMMAND_TIMEOUT * MS)
    shots.take(page, "hub-bob-feedback")
    page.close()
    home = Path(pwd.getpwnam(names["bob"]).pw_dir)
    [page_file] = (home / COURSE_ID / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html")
    text = page_file.read_text()
    full = auto_points(ASSIGNMENT) + hand_points(ASSIGNMENT)
    assert "Total: <strong>" in text and f"/ {full:g} points</strong>" in text
    assert "<strong>3 / 4 points</strong>, graded by your instructor" in text
    assert page_file.parent.name == \
        (submitted / names["bob"] / ASSIGNMENT / "timestamp.txt").read_text()


# --- start-up errors: one line naming the fix, nothing left behind -------------------------------

def _run_hub(tmp_path, roster_text: str, env=None, port=None, user=None, course_dir=ROOT,
             started=False):
    """The command's one-line error; nothing is left: no user, no server on the port (and,
    unless JupyterHub was ``started``, nothing on stdout: every check comes first)."""
    names = _names()
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_text.format(**names))
    os.chmod(tmp_path, 0o755)
    os.chmod(roster, 0o644)
    port = port or free_port()
    command = _hub_command(course_dir, roster, tmp_path / "state", port, names["grader"])
    if user:
        command = ["runuser", "-u", user, "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, env=env or _environment(),
                          stdin=subprocess.DEVNULL, timeout=COMMAND_TIMEOUT)
    try:
        assert done.returncode == 1, done.stdout + done.stderr
        assert not [n for n in names.values() if _exists(n)], "users were left behind"
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert started or done.stdout == "", done.stdout
        if started:
            assert port_is_free("127.0.0.1", port), "something still listens on the hub's port"
    finally:
        _remove_users(names.values())
    return done.stderr


GOOD = "username,role\n{alice},student\n{teacher},instructor\n"


def test_a_bad_roster_line_is_named(tmp_path):
    error = _run_hub(tmp_path, "username,role\n{alice},student\n{bob},teacher\n")
    assert "roster.csv line 3: role 'teacher' is neither student nor instructor" in error


def test_a_port_in_use_is_named(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        error = _run_hub(tmp_path, GOOD, port=port)
    assert f"port {port} on 127.0.0.1 is in use" in error and "--port" in error


def test_a_missing_proxy_is_named(tmp_path):
    env = _environment()
    proxy = shutil.which("configurable-http-proxy", path=env["PATH"])
    if proxy:       # the PATH without the proxy's folder, the venv's kept
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                      if Path(p).resolve() != Path(proxy).parent.resolve())
    error = _run_hub(tmp_path, GOOD, env=env)
    assert "configurable-http-proxy is missing: npm install -g configurable-http-proxy" in error


@OTHER_USERS_REACH_KIT
def test_not_root_is_named(tmp_path):
    error = _run_hub(tmp_path, GOOD, user="nobody")
    assert "run it as root" in error


@OTHER_USERS_REACH_KIT
def test_a_hub_that_stops_during_start_up_takes_back_its_users(tmp_path):
    copy = _course_copy(tmp_path)
    (tmp_path / "state" / "jupyterhub.sqlite").mkdir(parents=True)   # no database can open
    error = _run_hub(tmp_path, GOOD, course_dir=copy, started=True)
    assert "JupyterHub stopped during start-up" in error and "jupyterhub.log" in error
    assert not (tmp_path / "state" / "passwords.csv").exists()
