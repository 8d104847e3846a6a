"""A PostgreSQL gradebook, for real: a throw-away server (initdb + pg_ctl, as an unprivileged
user, in a temporary folder, on a free localhost port) that the tests start and remove. The
command line grades into it as `postgresql://user:password@host:port/db` is written, resumes, and
two graders on different assignments at once lose nothing; a wrong password, a refused connection
and a missing driver are one line each, and no password is printed or stored.

Skipped, saying so, where no PostgreSQL server is installed (.ci/run installs Debian's)."""
import csv
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.record import database
from grader import course
from grader.build import submissions
from grader.autograde import Options
from grader.build.mutants import mutants_of

from corpora.points import auto_points
from servers import free_port

psycopg = pytest.importorskip("psycopg", reason="needs the postgres extra (psycopg)")

ROOT = course.ROOT
PASSWORD = "Gr4der-s3cret"          # the graders' password: must never be printed or stored
ADMIN_PASSWORD = "adm1n-s3cret"


def _server_programs() -> Path | None:
    """The folder with initdb and pg_ctl (Debian keeps them out of PATH)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    return next((Path(f) for f in folders if (Path(f) / "initdb").exists()), None)


def _server_user() -> pwd.struct_passwd:
    """Who runs the server: PostgreSQL refuses root, so root hands it to an unprivileged user."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.skip("no unprivileged user (postgres or nobody) to run PostgreSQL as")


@dataclass
class Server:
    port: int
    folder: Path

    def url(self, database_name: str, password: str = PASSWORD, scheme="postgresql") -> str:
        return f"{scheme}://grader:{password}@127.0.0.1:{self.port}/{database_name}"

    def admin(self, sql: str) -> None:
        with psycopg.connect(host="127.0.0.1", port=self.port, user="admin", dbname="postgres",
                             password=ADMIN_PASSWORD, autocommit=True) as connection:
            connection.execute(sql)

    def new_database(self, name: str) -> str:
        self.admin(f"CREATE DATABASE {name} OWNER grader")
        return self.url(name)


@pytest.fixture(scope="module")
def server():
    programs = _server_programs()
    if programs is None:
        pytest.skip("no PostgreSQL server is installed (Debian/Ubuntu: apt-get install "
                    "postgresql; .ci/run installs it)")
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="grader-postgres-"))
    as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} \
        if os.geteuid() == 0 else {}
    (folder / "password").write_text(ADMIN_PASSWORD + "\n")
    for path in (folder, folder / "password"):
        os.chown(path, user.pw_uid, user.pw_gid)
    port, data, log = free_port(), folder / "data", folder / "server.log"

    def run(*command):
        done = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                              cwd=folder, timeout=600, **as_user)
        assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout}{done.stderr}"

    try:
        run(programs / "initdb", "-D", data, "-U", "admin", "--auth=scram-sha-256",
            f"--pwfile={folder / 'password'}", "-E", "UTF8", "--no-instructions")
        run(programs / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "600", "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        running = Server(port, folder)
        running.admin(f"CREATE ROLE grader LOGIN PASSWORD '{PASSWORD}'")
        yield running
    finally:
        subprocess.run([str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, cwd=folder, timeout=600, **as_user)
        shutil.rmtree(folder, ignore_errors=True)


def _class(folder: Path, assignment: str, students: dict) -> Path:
    for student, nb in students.items():
        submissions.write(nb, folder / student / assignment / f"{assignment}.ipynb")
    return folder


def _grade(folder: Path, output: Path, db_url: str, *extra, wait=True, env=None,
           command="autograde"):
    command = [sys.executable, "-m", "grader", command, *([str(folder), "--jobs", "1"]
                                                          if command == "autograde" else []),
               "--output", str(output), "--db-url", db_url, *extra]
    env = {**os.environ, **(env or {})}
    if not wait:
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=env)


def _scores_in_gradebook(db_url: str) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(database.normalise(db_url)) as gradebook:
        return {(s.student.id, s.assignment.name): s.score
                for assignment in gradebook.assignments for s in assignment.submissions}


def _csv(output: Path) -> dict:
    with open(output / "grades.csv", newline="") as handle:
        return {(r["student"], r["assignment"]): r for r in csv.DictReader(handle)}


def _no_password_anywhere(output: Path, *texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text
    for path in output.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_grading_into_postgresql_and_resuming(server, tmp_path):
    db_url = server.new_database("gradebook_one")
    assignment = "ex1_softmax"
    folder = _class(tmp_path / "class", assignment, {
        "ann": submissions.filled_release(assignment),
        "ben": submissions.filled_release(assignment, mutants_of(assignment)[0].overrides),
        "cid": submissions.release_notebook(assignment)})
    first = _grade(folder, tmp_path / "out", db_url)
    assert first.returncode == 0, first.stderr
    shown = f"postgresql+psycopg://grader:***@127.0.0.1:{server.port}/gradebook_one"
    assert any(line.startswith("gradebook:") and line.split()[-1] == shown
               for line in first.stdout.splitlines()), first.stdout
    rows = _csv(tmp_path / "out")
    scores = _scores_in_gradebook(db_url)
    assert scores == {key: float(row["score"]) for key, row in rows.items()}
    assert scores[("ann", assignment)] == auto_points(assignment) and scores[("cid", assignment)] == 0
    # as the README advises: the URL without the password, which PGPASSWORD gives
    without = f"postgresql://grader@127.0.0.1:{server.port}/gradebook_one"
    again = _grade(folder, tmp_path / "out", without, env={"PGPASSWORD": PASSWORD})
    assert again.returncode == 0, again.stderr
    assert "3 submissions already graded and unchanged" in again.stdout
    assert _scores_in_gradebook(db_url) == scores
    pages = _grade(folder, tmp_path / "out", db_url, command="feedback")
    assert pages.returncode == 0 and "could not be read" not in pages.stderr, pages.stderr
    _no_password_anywhere(tmp_path / "out", first.stdout, first.stderr, again.stdout,
                          again.stderr, pages.stdout, pages.stderr)


def test_two_graders_at_once_lose_nothing(server, tmp_path):
    """Two autograde commands on different assignments, the same students, one new gradebook:
    both create the tables, register an assignment and create the same students at once."""
    db_url = server.new_database("gradebook_shared")
    classes = {}
    for assignment in ("ex1_softmax", "ex2_backprop"):
        classes[assignment] = _class(tmp_path / assignment, assignment, {
            "amy": submissions.filled_release(assignment),
            "bob": submissions.release_notebook(assignment)})
    running = [_grade(folder, tmp_path / f"out-{assignment}", db_url, wait=False)
               for assignment, folder in classes.items()]
    outputs = [process.communicate(timeout=600) for process in running]
    for process, (stdout, stderr) in zip(running, outputs):
        assert process.returncode == 0, stderr
    scores = _scores_in_gradebook(db_url)
    expected = {}
    for assignment in classes:
        for key, row in _csv(tmp_path / f"out-{assignment}").items():
            expected[key] = float(row["score"])
    assert len(expected) == 4 and scores == expected
    assert scores[("amy", "ex2_backprop")] == 16 and scores[("bob", "ex1_softmax")] == 0
    for assignment in classes:
        _no_password_anywhere(tmp_path / f"out-{assignment}",
                              *(text for pair in outputs for text in pair))


def test_a_wrong_password_is_one_line(server, tmp_path):
    folder = _class(tmp_path / "class", "ex1_softmax",
                    {"ann": submissions.release_notebook("ex1_softmax")})
    wrong = "not-the-password"
    done = _grade(folder, tmp_path / "out", server.url("postgres", password=wrong))
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert (f"cannot connect to PostgreSQL at 127.0.0.1:{server.port} as grader: password "
            "authentication failed") in lines[0]
    assert "check" in lines[0] and "--db-url" in lines[0]
    assert wrong not in done.stderr and "Traceback" not in done.stderr
    assert "nbgrader db upgrade" not in done.stderr


# --- without a server ---------------------------------------------------------------------------

def test_a_refused_connection_is_one_line():
    port = free_port()
    with pytest.raises(database.GradebookUnavailable) as error:
        database.check(database.normalise(f"postgresql://grader:{PASSWORD}@127.0.0.1:{port}/db"))
    message = str(error.value)
    assert "\n" not in message and PASSWORD not in message
    assert message.startswith(f"gradebook: cannot connect to PostgreSQL at 127.0.0.1:{port} as "
                              "grader: ")
    assert "is PostgreSQL running there?" in message


def test_a_missing_driver_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)        # as if it were not installed
    with pytest.raises(database.GradebookUnavailable) as error:
        database.check(database.normalise(f"postgresql://grader:{PASSWORD}@db.example/grades"))
    message = str(error.value)
    assert "nn-course-kit[postgres]" in message and "psycopg" in message
    assert PASSWORD not in message and "\n" not in message


def test_urls_are_read_as_written_and_printed_without_passwords():
    assert database.normalise("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database.normalise("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database.normalise("postgresql+psycopg2://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert database.normalise("sqlite:///x.db") == "sqlite:///x.db"
    options = Options(db_url=f"postgresql://grader:{PASSWORD}@h:5433/db", output=Path("/tmp/x"))
    assert options.shown_db_url == "postgresql+psycopg://grader:***@h:5433/db"
    said = f"could not reach postgresql://grader:{PASSWORD}@h/db and mysql://u:other@h/db"
    assert database.mask(said, options.db_url) == \
        "could not reach postgresql://grader:***@h/db and mysql://u:***@h/db"
