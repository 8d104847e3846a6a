"""Grading on a real Dask cluster: a scheduler and two workers started here as separate
processes (`dask scheduler`, `dask worker`) on free localhost ports. The class gets the same
scores as from the local pool; a worker killed while it grades loses nothing (the submission is
graded again elsewhere, then, if that worker dies too, fails with a reason), and neither does a
process of the local pool; a worker that cannot grade safely refuses; the executors' one-line
errors."""
import csv
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psutil
import pytest

from grader.dispatch import pools
from grader.run import sandbox
from grader import course
from grader.build import submissions
from grader.dispatch import worker
from grader.autograde import Options, autograde
from grader.run.limits import Limits
from grader.run.launch import BATCH_VARIABLE
from grader.build.mutants import mutants_of
from grader.plan.material import Material, Submitted
from grader.results import FAILED, GRADED, SubmissionResult
from corpora.points import auto_points

from servers import free_port, start, stop, wait_for

try:
    import distributed
except ImportError:                  # without the cluster extra only the local pool is tested
    distributed = None

NEEDS_DASK = pytest.mark.skipif(distributed is None, reason="needs the cluster extra (dask)")

ASSIGNMENT = "ex1_softmax"
FULL = auto_points(ASSIGNMENT)          # what its solution scores
NEEDS_SANDBOX = pytest.mark.skipif(sandbox.describe()[0] != "bubblewrap",
                                   reason="cluster workers refuse to grade without bubblewrap")
SLEEP = 20         # seconds an answer of a "slow" submission sleeps (wall clock, no CPU time):
#                    the window in which a test kills its process, wide even on a loaded machine


def _dask() -> list[str]:
    """The `dask` command of this Python environment."""
    found = shutil.which("dask", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "dask"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The scheduler's address and a client of it; two single-threaded workers with nannies
    (which restart a killed worker, as in a real deployment)."""
    folder = tmp_path_factory.mktemp("dask")
    port, log = free_port(), folder / "cluster.log"
    address = f"tcp://127.0.0.1:{port}"
    processes = [start(_dask() + ["scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], log)]
    client = None
    try:
        for name in ("w1", "w2"):
            processes.append(start(_dask() + ["worker", address, "--nthreads", "1", "--name",
                                              name, "--no-dashboard", "--local-directory",
                                              str(folder / name)], log, env=_environment()))
        wait_for(lambda: _connect(address), 600, "the scheduler did not start", log)
        client = distributed.Client(address, timeout=300)
        client.wait_for_workers(2, timeout=600)
        yield address, client
    finally:
        if client is not None:
            client.close()
        for process in reversed(processes):
            stop(process)


def _environment(**changes) -> dict:
    """This process's environment for a worker, without the batch tag that an earlier
    in-process autograde left in it (a batch's clean-up kills what carries its tag)."""
    environment = {k: v for k, v in os.environ.items() if k != BATCH_VARIABLE}
    return {**environment, **changes}


def _connect(address: str) -> bool:
    try:
        distributed.Client(address, timeout=2).close()
        return True
    except OSError:
        return False


def _write(folder: Path, students: dict) -> Path:
    for student, nb in students.items():
        submissions.write(nb, folder / f"{student}_{ASSIGNMENT}.ipynb")
    return folder


def _slow_solution():
    """The instructor's solution with an answer that first sleeps for SLEEP seconds."""
    answer = submissions.solutions(ASSIGNMENT)["sigmoid"]
    return submissions.filled_release(
        ASSIGNMENT, {"sigmoid": f"import time\ntime.sleep({SLEEP})\n{answer}"})


def _rows(output: Path) -> dict:
    with open(output / "grades.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def _summary(results) -> dict:
    return {r.student: (r.status, r.score, r.max_score, r.summary(),
                        [(c.grade_id, c.score) for c in r.cells]) for r in results}


@NEEDS_DASK
@NEEDS_SANDBOX
def test_the_cluster_grades_like_the_local_pool(cluster, tmp_path):
    address, _ = cluster
    made = {"solution": submissions.filled_release(ASSIGNMENT),
            "blank": submissions.release_notebook(ASSIGNMENT)}
    for i, mutant in enumerate(mutants_of(ASSIGNMENT)[:3]):
        made[f"mutant{i}"] = submissions.filled_release(ASSIGNMENT, mutant.overrides)
    folder = _write(tmp_path / "class", made)
    local = autograde(folder, Options(jobs=2, output=tmp_path / "local"), log=lambda _: None)
    lines = []
    remote = autograde(folder, Options(cluster=address, output=tmp_path / "remote"),
                       log=lines.append)
    assert _summary(remote) == _summary(local)
    assert {r.student: r.score for r in remote}["solution"] == FULL
    assert _rows(tmp_path / "remote").keys() == made.keys()
    printed = "\n".join(lines)
    assert f"the Dask cluster at {address}: 2 workers" in printed
    assert f"[{len(made)}/{len(made)}, " in printed and "workers busy]" in printed
    assert printed.count("isolation bubblewrap") == 2          # each worker says how it isolates


@NEEDS_DASK
@NEEDS_SANDBOX
def test_an_interrupted_cluster_batch_resumes(cluster, tmp_path):
    """Ctrl-C (SIGINT) keeps what is finished; the same command then grades only the rest."""
    address, client = cluster
    students = ["ann", "ben", "cid", "dee"]
    folder = _write(tmp_path / "class", {
        s: submissions.filled_release(ASSIGNMENT, mutants_of(ASSIGNMENT)[i].overrides)
        for i, s in enumerate(students)})
    output = tmp_path / "out"
    command = [sys.executable, "-m", "grader", "autograde", str(folder), "--cluster", address,
               "--output", str(output)]
    process = subprocess.Popen(command, cwd=course.ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    results = output / "results" / ASSIGNMENT
    wait_for(lambda: list(results.glob("*.json")), 1200, "no submission was graded")
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=600) == 130
    finished = {p.stem: p.stat().st_mtime for p in results.glob("*.json")}
    assert 1 <= len(finished) < len(students), "the run was not interrupted mid-way"
    wait_for(lambda: not any(client.processing().values()), 600, "the workers are still busy")
    again = subprocess.run(command, cwd=course.ROOT, capture_output=True, text=True,
                           timeout=1200)
    assert again.returncode == 0, again.stderr
    assert f"{len(finished)} submissions already graded and unchanged" in again.stdout
    for student, mtime in finished.items():
        assert (results / f"{student}.json").stat().st_mtime == mtime
    assert sorted(_rows(output)) == students


def _kill_worker_running(client, student: str, killed: list) -> bool:
    """Kill (SIGKILL) the worker that runs ``student``'s submission once its kernel has
    started there, unless that worker was killed before; True once it did."""
    for address, keys in client.processing().items():
        if address in killed or not any(f"-{student}-" in str(key) for key in keys):
            continue
        try:
            process = psutil.Process(client.run(os.getpid, workers=[address])[address])
            if not process.children(recursive=True):          # its kernel is not running yet
                return False
            os.kill(process.pid, signal.SIGKILL)
        except (OSError, KeyError, psutil.NoSuchProcess):     # it is going away already
            return False
        killed.append(address)
        return True
    return False


def _grade_killing(folder: Path, options: Options, kill, times: int, what: str,
                   timeout: float = 1200) -> dict:
    """Grade ``folder`` while a thread calls ``kill()`` until it returns True, ``times`` times
    (each within ``timeout`` seconds, else the test fails saying ``what``); {student: result}."""
    import threading

    errors = []

    def killer():
        try:
            for _ in range(times):
                wait_for(kill, timeout, what)
        except AssertionError as error:
            errors.append(error)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    results = autograde(folder, options, log=lambda _: None)
    thread.join(timeout=5)
    assert not errors, errors[0]
    return {r.student: r for r in results}


def _grade_while_killing(address, client, folder, output, student, kills):
    """Grade ``folder`` on the cluster while a thread kills the worker running ``student``'s
    submission ``kills`` times (each time once it runs on another worker)."""
    killed = []
    results = _grade_killing(folder, Options(cluster=address, output=output),
                             lambda: _kill_worker_running(client, student, killed), kills,
                             f"{student}'s submission did not run on a new worker")
    assert len(killed) == kills
    client.wait_for_workers(2, timeout=600)              # the nannies restart the killed ones
    return results


@NEEDS_DASK
@NEEDS_SANDBOX
def test_a_killed_worker_loses_no_submission(cluster, tmp_path):
    address, client = cluster
    made = {"slow": _slow_solution(), "solution": submissions.filled_release(ASSIGNMENT)}
    for i, mutant in enumerate(mutants_of(ASSIGNMENT)[:2]):
        made[f"mutant{i}"] = submissions.filled_release(ASSIGNMENT, mutant.overrides)
    folder = _write(tmp_path / "class", made)
    results = _grade_while_killing(address, client, folder, tmp_path / "out", "slow", kills=1)
    assert results.keys() == made.keys()
    slow = results["slow"]
    assert slow.status == GRADED and slow.score == slow.max_score == FULL, slow.summary()
    assert any("its worker died while grading it" in note for note in slow.notes), slow.notes
    assert results["solution"].score == FULL
    assert all(results[f"mutant{i}"].score < FULL for i in range(2))
    rows = _rows(tmp_path / "out")
    assert rows.keys() == made.keys() and float(rows["slow"]["score"]) == FULL


@NEEDS_DASK
@NEEDS_SANDBOX
def test_a_submission_whose_workers_die_twice_fails_with_the_reason(cluster, tmp_path):
    address, client = cluster
    folder = _write(tmp_path / "class", {"doomed": _slow_solution()})
    results = _grade_while_killing(address, client, folder, tmp_path / "out", "doomed", kills=2)
    doomed = results["doomed"]
    assert doomed.status == FAILED and doomed.score is None
    assert "died 2 times" in doomed.reason and "run the same command again" in doomed.reason
    assert _rows(tmp_path / "out")["doomed"]["status"] == "failed"


def _kill_pool_process_running(kills: dict, broken: set) -> bool:
    """Kill (SIGKILL) a process of this process's local pool whose kernel grades a student of
    ``kills`` ({student: kills left}) and count the kill; True once it did. Processes of a pool
    that a kill broke (``broken``, their pids) are left alone: the pool stops them itself."""
    children = psutil.Process().children()
    for process in children:
        if process.pid in broken:
            continue
        try:
            for kernel in process.children(recursive=True):
                where = " ".join(kernel.cmdline()) + " " + kernel.cwd()
                student = next((s for s, left in kills.items()
                                if left and f"{os.sep}{s}-{ASSIGNMENT}-" in where), None)
                if student is not None:
                    process.kill()
                    kills[student] -= 1
                    broken.update(child.pid for child in children)
                    return True
        except psutil.Error:                    # gone meanwhile
            continue
    return False


def test_a_killed_process_of_the_local_pool_loses_no_submission(tmp_path):
    """A pool process killed while it grades breaks the whole pool (every unfinished task fails
    with BrokenProcessPool): the pool is made again and the unfinished submissions are graded
    again; the one whose process died is graded again once, and fails with the reason when its
    process dies a second time. The other processes the pool stopped are not blamed."""
    made = {"doomed": _slow_solution(), "slow": _slow_solution(),
            "solution": submissions.filled_release(ASSIGNMENT)}
    chosen = mutants_of(ASSIGNMENT)[:1]
    for i, mutant in enumerate(chosen):
        made[f"mutant{i}"] = submissions.filled_release(ASSIGNMENT, mutant.overrides)
    folder = _write(tmp_path / "class", made)
    kills, set_of_broken = {"doomed": 2, "slow": 1}, set()
    results = _grade_killing(folder, Options(jobs=2, output=tmp_path / "out"),
                             lambda: _kill_pool_process_running(kills, set_of_broken),
                             sum(kills.values()),
                             "a submission to kill did not run in a live pool process", 300)
    assert kills == {"doomed": 0, "slow": 0}
    assert results.keys() == made.keys() == _rows(tmp_path / "out").keys()
    doomed, slow = results["doomed"], results["slow"]
    assert doomed.status == FAILED and doomed.score is None
    assert "died 2 times" in doomed.reason and "killed by SIGKILL" in doomed.reason
    assert "run the same command again" in doomed.reason
    assert slow.status == GRADED and slow.score == FULL and all(c.passed for c in slow.cells)
    assert any("its worker died while grading it" in note for note in slow.notes), slow.notes
    assert results["solution"].score == FULL
    for name in made.keys() - {"doomed", "slow"}:     # not blamed for the processes stopped
        assert not any("died" in note for note in results[name].notes), results[name].notes
    for i, mutant in enumerate(chosen):
        lost = {c.grade_id for c in results[f"mutant{i}"].cells if not c.passed}
        assert set(mutant.must_fail) <= lost and results[f"mutant{i}"].score < FULL
    assert _rows(tmp_path / "out")["doomed"]["status"] == "failed"


# --- what a worker refuses, and the executors' errors (no cluster needed) ---------------------

def _run_all(pool: pools.LocalPool, tasks: dict) -> dict:
    """{name: (what it returned or the row's reason, times retried)} of tasks run on pool."""
    futures = {pool.submit(name, function, *args): name for name, (function, args) in
               tasks.items()}
    done = {}
    try:
        for future in pool.completed():
            error = future.exception()
            done[futures[future]] = (pool.failure(error) if error else future.result(),
                                     pool.retried(future))
    finally:
        pool.close()
    return done


def test_the_local_pool_blames_only_the_task_whose_process_died():
    """A task that kills its own process (os.abort: SIGABRT) breaks the pool twice and fails
    with the reason; every other task, queued or running in the process the pool stopped,
    returns its result, not counted as retried."""
    tasks = {f"power{i}": (pow, (2, i)) for i in range(6)}
    tasks["aborts"] = (os.abort, ())
    done = _run_all(pools.LocalPool(2), tasks)
    assert done.keys() == tasks.keys()
    reason, _ = done.pop("aborts")
    assert "died 2 times" in reason and "killed by SIGABRT" in reason
    assert done == {f"power{i}": (2 ** i, 0) for i in range(6)}


def test_a_local_pool_whose_processes_die_at_start_fails_its_tasks(monkeypatch):
    """Processes that die before any task starts (here: at their start) do not make the pool
    start new ones for ever: after a few pools every task fails, saying so."""
    def dying_pool(self):
        return ProcessPoolExecutor(max_workers=self.jobs, initializer=os.abort,
                                   mp_context=multiprocessing.get_context("spawn"))

    monkeypatch.setattr(pools.LocalPool, "_new_pool", dying_pool)
    done = _run_all(pools.LocalPool(1), {"a": (pow, (2, 1)), "b": (pow, (2, 2))})
    assert done.keys() == {"a", "b"}
    for reason, retried in done.values():
        assert "die before they grade anything (killed by SIGABRT)" in reason and retried == 0



def _task(tmp_path, **overrides):
    path = submissions.write(submissions.filled_release(ASSIGNMENT), tmp_path / "a.ipynb")
    arguments = dict(material=Material.from_course(ASSIGNMENT), student="ann",
                     submitted=Submitted.read(path), limits=Limits(), batch="test",
                     version=worker.code_version(), isolated=True, workdir=str(tmp_path / "w"))
    arguments.update(overrides)
    outcome = worker.grade_task(**arguments)
    return SubmissionResult.from_json(outcome.result), outcome


def test_a_worker_without_bubblewrap_refuses_to_grade(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "bubblewrap_works", lambda: False)
    result, outcome = _task(tmp_path)
    assert outcome.refused and result.status == FAILED and result.max_score == FULL
    assert "bubblewrap" in result.reason and "never runs unprotected" in result.reason
    assert result.fingerprint == ""                   # so that a later run grades it again
    assert not (tmp_path / "w").exists()              # nothing ran


def test_a_worker_with_other_grader_code_refuses_to_grade(tmp_path):
    result, outcome = _task(tmp_path, version="0.0.1+000000000000")
    assert outcome.refused and result.status == FAILED
    assert "other grader code" in result.reason and "same version" in result.reason


def _lacking(what: str, folder: Path) -> dict:
    """The environment of a worker that lacks ``what``: no bwrap on its PATH, or a ``grader``
    package that cannot be imported first on its Python path."""
    if what == "bubblewrap":
        (folder / "no-programs").mkdir()
        return _environment(PATH=str(folder / "no-programs"))
    (folder / "shadow" / "grader").mkdir(parents=True)
    (folder / "shadow" / "grader" / "__init__.py").write_text(
        'raise ImportError("the grader is not installed here")\n')
    return _environment(PYTHONPATH=str(folder / "shadow"))


@NEEDS_DASK
@NEEDS_SANDBOX
@pytest.mark.parametrize("lacks, says", [("bubblewrap", "bubblewrap (bwrap) is missing"),
                                         ("the project", "cannot load the grader")],
                         ids=["no-bubblewrap", "no-project"])
def test_a_worker_that_cannot_grade_refuses_and_is_removed(tmp_path, lacks, says):
    """At first the only worker lacks bubblewrap or the project: it refuses the first
    submission, saying why in its row, and is removed from the cluster; a worker that has both
    joins and grades the rest, and the refused submission is graded by the next run."""
    import threading

    port, log = free_port(), tmp_path / "cluster.log"
    address = f"tcp://127.0.0.1:{port}"
    worker_command = _dask() + ["worker", address, "--nthreads", "1", "--no-dashboard"]
    processes = [start(_dask() + ["scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], log)]
    try:
        processes.append(start(worker_command + ["--name", "lacking"], log,
                               env=_lacking(lacks, tmp_path)))
        wait_for(lambda: _connect(address), 600, "the scheduler did not start", log)
        with distributed.Client(address, timeout=300) as client:
            client.wait_for_workers(1, timeout=600)
            lacking = next(iter(client.scheduler_info()["workers"]))
        made = {"ann": submissions.filled_release(ASSIGNMENT),
                "ben": submissions.filled_release(ASSIGNMENT, mutants_of(ASSIGNMENT)[0].overrides)}
        folder, output, lines = _write(tmp_path / "class", made), tmp_path / "out", []
        grading = threading.Thread(target=lambda: lines.append(
            autograde(folder, Options(cluster=address, output=output), log=lines.append)))
        grading.start()
        refused = wait_for(lambda: [p for p in (output / "results").rglob("*.json")
                                    if says in p.read_text()], 1200, "no refusal", log)
        processes.append(start(worker_command + ["--name", "able"], log, env=_environment()))
        grading.join(timeout=1800)
        results = {r.student: r for r in lines.pop()}
        assert len(refused) == 1 and results.keys() == made.keys()
        first = results[refused[0].stem]
        assert first.status == FAILED and f"worker {lacking} " in first.reason
        assert f"worker {lacking} refuses to grade (see its row); removed it" in "\n".join(lines)
        other = results[({"ann", "ben"} - {first.student}).pop()]
        assert other.status == GRADED and other.sandbox.startswith("bubblewrap")
        again = autograde(folder, Options(cluster=address, output=output), log=lambda _: None)
        assert {r.student: r.status for r in again} == {"ann": GRADED, "ben": GRADED}
        assert {r.student: r.score for r in again}["ann"] == FULL
    finally:
        for process in reversed(processes):
            stop(process)


@NEEDS_DASK
@pytest.mark.parametrize("address", ["local:0", "local:many"])
def test_a_bad_local_cluster_is_one_line(address):
    with pytest.raises(pools.ClusterError, match="is not local:N"):
        pools.DaskCluster(address)


@NEEDS_DASK
def test_an_unreachable_scheduler_is_one_line(monkeypatch):
    monkeypatch.setattr(pools, "CONNECT_SECONDS", 2)
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(pools.ClusterError) as error:
        pools.DaskCluster(address)
    message = str(error.value)
    assert "\n" not in message and f"cannot reach the Dask scheduler at {address}" in message
    assert "dask scheduler" in message
