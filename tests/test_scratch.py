"""The grader's scratch folders: each is marked in use by the process that made it for as long as
that process lives, so what a killed grader left behind is told apart from a running grader's
folders and removed, with the killed batch's leftover processes, by the next grader; and a run
folder too deep for the kernel's sockets is refused with what to do, without leaving a socket
open."""
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from grader import course
from grader.dispatch import worker
from grader.run import sandbox, scratch
from grader.run.launch import BATCH_VARIABLE
from grader.run.limits import Limits

HOLD = """
import sys, time
from grader.run.scratch import make_folder
print(make_folder(sys.argv[1]), flush=True)
time.sleep(600)
"""
DEAD, ALIVE = "a" * worker.BATCH_DIGITS, "b" * worker.BATCH_DIGITS      # two batches' ids


@pytest.fixture
def tmp(tmp_path, monkeypatch):
    """A temporary folder of this test's own, for this process and the ones it starts."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    yield tmp_path


@pytest.fixture
def processes():
    started = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


def _holder(processes, prefix: str, batch: str = "") -> tuple[subprocess.Popen, Path]:
    """A process that makes a scratch folder ``prefix...`` and lives on; and the folder."""
    env = dict(os.environ, **({BATCH_VARIABLE: batch} if batch else {}))
    process = subprocess.Popen([sys.executable, "-c", HOLD, prefix], stdout=subprocess.PIPE,
                               text=True, env=env, cwd=course.ROOT)
    processes.append(process)
    folder = Path(process.stdout.readline().strip())
    assert folder.is_dir() and folder.name.startswith(prefix)
    return process, folder


def _killed(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def _tagged(processes, batch: str) -> subprocess.Popen:
    """A process of the batch that outlived its grader (as an orphaned kernel would)."""
    process = subprocess.Popen(["sleep", "600"], env=dict(os.environ, **{BATCH_VARIABLE: batch}))
    processes.append(process)
    return process


def test_a_killed_graders_folder_is_abandoned_and_a_living_ones_is_not(tmp, processes):
    living, kept = _holder(processes, "grader-scratch-")
    dead, left = _holder(processes, "grader-scratch-")
    _killed(dead)
    assert left.is_dir()                             # SIGKILL leaves it behind
    assert scratch.abandoned("grader-scratch-") == [left]
    assert scratch.abandoned("grader-pool-") == []
    assert living.poll() is None and kept.is_dir()


def test_this_processs_folder_is_in_use_until_it_is_removed(tmp):
    own = scratch.make_folder("grader-pool-")
    assert scratch.abandoned("grader-pool-") == []
    scratch.remove_tree(own)
    assert not own.exists() and str(own) not in scratch._held


def test_a_folder_without_a_lock_is_abandoned_only_once_old_and_links_are_left_alone(tmp):
    unlocked = tmp / "grader-scratch-older-grader"
    unlocked.mkdir()
    (unlocked / "file").write_text("x")
    assert scratch.abandoned("grader-scratch-") == []          # it may be being made
    day_ago = time.time() - scratch.UNLOCKED_AGE - 60
    os.utime(unlocked, (day_ago, day_ago))
    elsewhere = tmp / "someone-elses"
    elsewhere.mkdir()
    (tmp / "grader-scratch-link").symlink_to(elsewhere)
    assert scratch.abandoned("grader-scratch-") == [unlocked]
    worker.clean_up_abandoned()
    assert not unlocked.exists() and elsewhere.is_dir()


def test_the_next_grader_removes_a_killed_batch_with_its_processes(tmp, processes):
    """Batch DEAD: its only folder's maker was killed; a process of it lives on. Batch ALIVE:
    one of its processes was killed, another still grades. Only what is dead goes."""
    prefix = worker.SCRATCH_PREFIX
    dead, dead_folder = _holder(processes, f"{prefix}{DEAD}-", DEAD)
    orphan = _tagged(processes, DEAD)
    alive, alive_folder = _holder(processes, f"{prefix}{ALIVE}-", ALIVE)
    crashed, crashed_folder = _holder(processes, f"{prefix}{ALIVE}-", ALIVE)
    running = _tagged(processes, ALIVE)
    _killed(dead)
    _killed(crashed)

    worker.clean_up_abandoned()

    assert not dead_folder.exists() and not crashed_folder.exists()
    assert orphan.wait(timeout=60) == -signal.SIGKILL           # killed with its batch
    assert alive_folder.is_dir()                                 # still in use
    assert alive.poll() is None and running.poll() is None       # a living batch is left alone


UNREACHABLE = """
import gc, sys
from pathlib import Path
import nbformat
from grader.run import execute
from grader.run.limits import Limits
execute.SOCKET_PATH_BYTES = 10**6            # past the refusal: the kernel is started anyway
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
result = execute.execute(nb, Path(sys.argv[1]), Limits(), "ex1_softmax")
print(result.stop_reason, flush=True)
gc.collect()
print("collected", flush=True)
"""


def _too_deep(tmp: Path) -> Path:
    return tmp / ("d" * 100) / "run"


@pytest.mark.skipif(not sandbox.bubblewrap_works(), reason="only kernels in bubblewrap use sockets")
def test_a_run_folder_too_deep_for_the_kernels_sockets_stops_with_what_to_do(tmp):
    from grader.run.execute import execute

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    result = execute(nb, _too_deep(tmp), Limits(), "ex1_softmax")
    assert result.stopped_at == 0 and "set TMPDIR to a shorter folder" in result.stop_reason


@pytest.mark.skipif(not sandbox.bubblewrap_works(), reason="only kernels in bubblewrap use sockets")
def test_a_kernel_that_cannot_be_reached_leaves_no_socket_open(tmp):
    """Its client fails to connect (the socket's path is too long): everything is closed at
    once, so that collecting it later does not wait for ever (it did, and the worker hung)."""
    run = subprocess.run([sys.executable, "-c", UNREACHABLE, str(_too_deep(tmp))],
                         capture_output=True, text=True, cwd=course.ROOT, timeout=300)
    assert run.stdout.startswith("the kernel failed: ZMQError"), run.stdout + run.stderr
    assert "collected" in run.stdout


def test_a_finished_run_leaves_no_kernel_process_unaccounted_for(monkeypatch, scratch_root):
    """The kernel's Popen learns that its process ended. Otherwise, collected later, it warns
    "subprocess ... is still running" in whatever test is then running (it failed one)."""
    from grader.run.execute import execute

    started = []
    original = subprocess.Popen.__init__

    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        started.append(self)

    monkeypatch.setattr(subprocess.Popen, "__init__", recording)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    result = execute(nb, scratch_root / "run", Limits(), "ex1_softmax")
    assert result.stopped_at is None, result.stop_reason
    kernels = [p for p in started if "grader.run.launch" in p.args]
    assert kernels and all(p.returncode is not None for p in kernels)
