"""Time limits count CPU time, so grades do not depend on how busy the machine is.

Real kernels in the real sandbox. No outcome here depends on timing: code that must be stopped
uses CPU without end or sleeps far past its backstop, code that must not be stopped stays far
inside every limit, and the CPU counts of the cells are fixed by the code itself (each burns a
given amount of CPU time, measured by the kernel's own clock), so an idle and a heavily loaded
machine give the same results.
"""
import tempfile
import textwrap
from pathlib import Path

import nbformat
import pytest

from busy import spinning
from grader import course
from grader.build import submissions
from grader.autograde import Options, autograde
from grader.build.demo_class import DEMO_LIMITS
from grader.run.execute import execute
from grader.run.traffic import HARVEST_MIME
from grader.run.limits import Limits
from grader.grade import blueprint, grade_submission
from grader.run.idle import IdleWatch

# Far more wall-clock time than any cell here needs on any machine: only the CPU limits act.
NO_WALL = {"cell_wall_seconds": 600, "notebook_wall_seconds": 1200}
SPIN = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
SLEEP = ("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n"
         "    time.sleep(0.1)")
# A pipe nobody writes to: the cell holds the writing end itself, so it never even sees its end.
WAIT_ON_PIPE = "import os, select\nreading, writing = os.pipe()\nselect.select([reading], [], [])"
# The backstops of the default limits (300 s a cell): an idle cell is stopped far earlier.
IDLE = {"cell_cpu_seconds": 60, "notebook_cpu_seconds": 300}


def burn(seconds: float) -> str:
    """Code that uses ``seconds`` of CPU time, counted by the process's own clock."""
    return (f"import time\nt0 = time.process_time()\n"
            f"while time.process_time() - t0 < {seconds}:\n    pass")


def run(scratch_root, sources, limits):
    """Execute a notebook of code cells in the sandbox; (Execution, executed notebook)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    return execute(nb, scratch_root / "scratch", limits, "ex1_softmax"), nb


AFTER = "raise RuntimeError('after')"     # a cell that shows it ran: the grader keeps errors


def ran(execution, index: int) -> bool:
    return "RuntimeError: after" in execution.errors.get(index, "")


def test_limits_derive_the_wall_clock_backstops_and_refuse_nonsense():
    limits = Limits(cell_cpu_seconds=5, notebook_cpu_seconds=50)
    assert (limits.cell_wall_seconds, limits.notebook_wall_seconds) == (25, 250)
    assert limits.rlimit_cpu_seconds >= limits.notebook_cpu_seconds   # a last resort only
    assert Limits(cell_cpu_seconds=5, wall_factor=2, cell_wall_seconds=7).cell_wall_seconds == 7
    with pytest.raises(ValueError, match="cell_cpu_seconds"):
        Limits(cell_cpu_seconds=0)


def test_a_busy_loop_is_stopped_by_the_cpu_limit_and_earlier_tests_keep_their_points(
        tmp_path, scratch_root):
    path = submissions.write(submissions.filled_release("ex1_softmax", {"cross_entropy": SPIN}),
                             tmp_path / "spin.ipynb")
    result = grade_submission("ex1_softmax", "spin", path, scratch_root,
                              Limits(cell_cpu_seconds=3, notebook_cpu_seconds=60, **NO_WALL))
    assert result.reason.startswith("CPU time limit 3 s exceeded in cell "), result.reason
    assert "your answer 'cross_entropy'" in result.reason
    tests = list(blueprint("ex1_softmax").tests.values())
    earlier = tests[:[t.grade_id for t in tests].index("test_cross_entropy")]
    assert earlier and result.score == sum(t.points for t in earlier)


def test_a_cell_that_sleeps_past_its_backstop_is_stopped_by_the_wall_clock(scratch_root):
    execution, nb = run(scratch_root, ["import time\ntime.sleep(3600)", AFTER],
                        Limits(cell_cpu_seconds=3, notebook_cpu_seconds=60, cell_wall_seconds=5))
    assert execution.stopped_at == 0
    assert execution.stop_reason == "wall-clock time limit 5 s exceeded"
    assert "CPU" not in execution.stop_reason
    assert "sleeping or waiting" in execution.stop_detail
    assert not ran(execution, 1)


def test_a_sleep_under_its_backstop_is_not_stopped_although_it_outlasts_the_cpu_limit(scratch_root):
    execution, nb = run(scratch_root, ["import time\ntime.sleep(3)", AFTER],
                        Limits(cell_cpu_seconds=1, notebook_cpu_seconds=60, **NO_WALL))
    assert execution.stopped_at is None, execution.stop_reason
    assert ran(execution, 1)
    assert execution.seconds > 3 > 1                  # more wall time than CPU time allowed


def test_cells_within_the_cell_limit_are_stopped_by_the_notebook_limit(scratch_root):
    """Each cell burns 1.5 s of CPU, under the 4 s cell limit; together they pass the 6 s
    notebook limit. Were the cell count not reset at each cell, the cell limit would act."""
    sources = [burn(1.5)] * 8 + [AFTER]
    execution, nb = run(scratch_root, sources,
                        Limits(cell_cpu_seconds=4, notebook_cpu_seconds=6, **NO_WALL))
    assert execution.stop_reason == "CPU time limit 6 s for the whole notebook exceeded"
    assert 1 <= execution.stopped_at <= 7
    assert not ran(execution, len(sources) - 1)
    assert execution.cpu_seconds > 6


def test_cpu_time_of_child_processes_counts_including_exited_ones(scratch_root):
    """Children of 1 s of CPU each, one after the other, without end: none passes the 2.5 s
    cell limit and only one is alive at a time, so only counting the exited ones stops the
    cell (else the wall-clock backstop would, with another reason)."""
    child = f"[sys.executable, '-c', {burn(1)!r}]"
    sources = ["import subprocess, sys", f"while True:\n    subprocess.run({child}, check=True)",
               AFTER]
    execution, nb = run(scratch_root, sources, Limits(cell_cpu_seconds=2.5, notebook_cpu_seconds=60,
                                                  cell_wall_seconds=120))
    assert (execution.stopped_at, execution.stop_reason) == (1, "CPU time limit 2.5 s exceeded")
    assert not ran(execution, 2)


def test_a_spinning_child_process_counts(scratch_root):
    child = f"[sys.executable, '-c', {'while True: pass'!r}]"
    execution, _ = run(scratch_root, [f"import subprocess, sys\nsubprocess.run({child})"],
                       Limits(cell_cpu_seconds=2, notebook_cpu_seconds=60, **NO_WALL))
    assert (execution.stopped_at, execution.stop_reason) == (0, "CPU time limit 2 s exceeded")


@pytest.fixture
def busy_machine():
    """Two CPU-bound processes on the side, as many as this machine's cores or more."""
    with spinning(2):
        yield


def test_the_solutions_get_full_marks_on_a_busy_machine(tmp_path, busy_machine):
    """Each assignment's solution, the four graded at once next to the two spinning processes,
    with the demo's limits: three times as many busy processes as cores."""
    folder = tmp_path / "submissions"
    for assignment in course.ASSIGNMENTS:
        submissions.write(submissions.filled_release(assignment),
                          folder / "ann" / assignment / f"{assignment}.ipynb")
    jobs = len(course.ASSIGNMENTS)
    assert jobs >= 4                      # with the two spinning: three busy per core, or more
    results = autograde(folder, Options(jobs=jobs, force=True, output=tmp_path / "out",
                                        limits=DEMO_LIMITS), log=lambda line: None)
    assert len(results) == len(course.ASSIGNMENTS)
    for result in results:
        assert (result.score, result.reason) == (result.max_score, ""), result.summary()


def test_the_idle_rule_needs_a_whole_quiet_window_and_only_counts_cells():
    """The rule itself, on made-up readings: (time, CPU seconds, a thread active)."""
    def feed(watch, readings):
        return [watch.observe(*reading) for reading in readings]

    watch = IdleWatch(10)
    assert not any(feed(watch, [(t / 5, 0.0, False) for t in range(200)]))   # no cell running
    watch.restart()
    quiet = feed(watch, [(t / 5, 0.0, t % 20 == 0) for t in range(51, 200)])  # 5 % active
    assert not any(quiet[:50]) and all(quiet[50:])       # idle once 10 s passed, from then on
    watch.restart()                                      # runnable throughout, little CPU: a
    assert not any(feed(watch, [(t / 5, t / 5000, True) for t in range(200)]))  # starved cell
    watch.restart()                                      # asleep at each reading, yet computing
    assert not any(feed(watch, [(t / 5, t / 50, False) for t in range(200)]))
    watch.restart()                                      # asleep 8 s, computes 2 s, again
    computing = [t % 50 >= 40 for t in range(200)]
    assert not any(feed(watch, [(t / 5, 0.2 * sum(computing[:t + 1]), computing[t])
                                for t in range(200)]))
    watch.restart()
    feed(watch, [(t / 5, 0.0, False) for t in range(45)])
    watch.pause()                                        # the cell ended: the next one starts
    watch.restart()                                      # its own window
    assert not any(feed(watch, [(t / 5, 0.0, False) for t in range(45, 90)]))
    with pytest.raises(ValueError, match="idle_seconds"):
        Limits(idle_seconds=0)


def test_a_sleeping_cell_that_ignores_ctrl_c_is_stopped_by_the_idle_rule(tmp_path, scratch_root):
    """Long before its backstops (300 s for the cell, 1500 s for the notebook); the tests before
    it keep their points."""
    path = submissions.write(submissions.filled_release("ex1_softmax", {"cross_entropy": SLEEP}),
                             tmp_path / "sleep.ipynb")
    result = grade_submission("ex1_softmax", "sleep", path, scratch_root, Limits(**IDLE))
    assert result.reason.startswith("idle time limit 30 s exceeded in cell "), result.reason
    assert "your answer 'cross_entropy'" in result.reason
    assert "sleeping or waiting for input that never comes" in result.reason
    tests = list(blueprint("ex1_softmax").tests.values())
    earlier = tests[:[t.grade_id for t in tests].index("test_cross_entropy")]
    assert earlier and result.score == sum(t.points for t in earlier)
    assert result.seconds < 150


def test_a_cell_waiting_on_a_pipe_nobody_writes_to_is_stopped_by_the_idle_rule(scratch_root):
    execution, _ = run(scratch_root, ["x = 1", WAIT_ON_PIPE, AFTER],
                       Limits(idle_seconds=10, **IDLE))
    assert (execution.stopped_at, execution.stop_reason) == (1, "idle time limit 10 s exceeded")
    assert "never comes" in execution.stop_detail
    assert not ran(execution, 2)
    assert execution.seconds < 150


def spin(seconds: float) -> str:
    """Code that computes without a pause for ``seconds`` of wall-clock time: however little CPU
    a busy machine gives it, it is always runnable, and it ends on time."""
    return (f"import time\nt0 = time.monotonic()\n"
            f"while time.monotonic() - t0 < {seconds}:\n    pass")


def test_a_cell_that_computes_longer_than_the_idle_window_is_not_stopped(
        busy_machine, scratch_root):
    """Next to two CPU hogs the cell gets little CPU per second, but it is always runnable."""
    execution, _ = run(scratch_root, [spin(10), AFTER], Limits(idle_seconds=4, **IDLE))
    assert execution.stopped_at is None, execution.stop_reason
    assert ran(execution, 1)
    assert execution.seconds > 8 > 4


def test_a_cell_that_sleeps_less_than_the_idle_window_then_computes_is_not_stopped(scratch_root):
    execution, _ = run(scratch_root, [f"import time\ntime.sleep(5)\n{burn(4)}", AFTER],
                       Limits(idle_seconds=15, **IDLE))
    assert execution.stopped_at is None, execution.stop_reason
    assert ran(execution, 1)


def _kernels_that_never_answer(monkeypatch, how_many: int) -> list:
    """The first ``how_many`` kernels' clients give up waiting for their answer, as on a very
    busy machine (jupyter_client's own error); the tries are counted in the list returned."""
    from grader.run.traffic import BoundedKernelClient

    tries, real = [], BoundedKernelClient.wait_for_ready

    async def wait_for_ready(self, timeout=None):
        tries.append(timeout)
        if len(tries) <= how_many:
            raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        return await real(self, timeout=timeout)

    monkeypatch.setattr(BoundedKernelClient, "wait_for_ready", wait_for_ready)
    return tries


def test_a_kernel_that_does_not_answer_in_time_is_started_again(scratch_root, monkeypatch):
    """No answer from the kernel before the first cell is the grader's trouble, not the
    student's: it starts a new kernel, and the notebook runs in full."""
    from grader.run import execute as executing

    tries = _kernels_that_never_answer(monkeypatch, 1)
    execution, _ = run(scratch_root, ["x = 1", AFTER], Limits(**IDLE))
    assert tries == [executing.STARTUP_SECONDS] * 2
    assert execution.stopped_at is None, execution.stop_reason
    assert ran(execution, 1)


def test_a_kernel_that_never_answers_is_reported_after_its_tries(scratch_root, monkeypatch):
    from grader.run import execute as executing

    tries = _kernels_that_never_answer(monkeypatch, 99)
    execution, _ = run(scratch_root, ["x = 1", AFTER], Limits(**IDLE))
    assert len(tries) == executing.KERNEL_STARTS
    assert "the kernel failed" in execution.stop_reason and "respond" in execution.stop_reason
    assert not ran(execution, 1)


def _kernel_info_unanswered(monkeypatch, rounds: int) -> None:
    """Each client's first ``rounds`` kernel_info requests are not sent, so the kernel stays
    silent for that many rounds of the start-up handshake (as a kernel with no CPU would)."""
    from grader.run.traffic import BoundedKernelClient

    real = BoundedKernelClient.kernel_info

    def kernel_info(self, *args, **kwargs):
        self._withheld = getattr(self, "_withheld", 0) + 1
        return None if self._withheld <= rounds else real(self, *args, **kwargs)

    monkeypatch.setattr(BoundedKernelClient, "kernel_info", kernel_info)


@pytest.mark.parametrize("active", [True, False])
def test_the_start_up_timeout_counts_only_the_time_the_kernel_waits(
        scratch_root, monkeypatch, active):
    """A starting kernel that stays runnable (on a busy machine it can get almost no CPU for
    minutes) is waited for, however short the timeout; one whose processes wait is given up on
    (and started again, up to its tries)."""
    from grader.run import execute as executing
    from grader.run.traffic import BoundedKernelClient

    monkeypatch.setattr(executing, "STARTUP_SECONDS", 0)
    monkeypatch.setattr(BoundedKernelClient, "_kernel_active", lambda self: active)
    _kernel_info_unanswered(monkeypatch, 2)
    execution, _ = run(scratch_root, ["x = 1", AFTER], Limits(**IDLE))
    if active:
        assert execution.stopped_at is None, execution.stop_reason
        assert ran(execution, 1)
    else:
        assert "respond" in execution.stop_reason and not ran(execution, 1)


def test_time_runnable_never_counts_towards_the_wall_clock_backstop(scratch_root):
    """The backstop counts waiting only: a cell that computes for 3 s, always runnable, passes a
    1 s backstop (on a very busy machine such a cell gets little CPU per second, and only its
    CPU limit may stop it); a sleeping cell still meets it (the sleeping test above)."""
    execution, _ = run(scratch_root, [spin(3), AFTER],
                       Limits(cell_cpu_seconds=30, notebook_cpu_seconds=60, cell_wall_seconds=1))
    assert execution.stopped_at is None, execution.stop_reason
    assert ran(execution, 1)


def test_a_cell_runnable_without_end_meets_its_ceiling(scratch_root):
    """However busy the machine, a cell ends: ``ceiling_factor`` times its backstop."""
    execution, _ = run(scratch_root, ["while True:\n    pass", AFTER],
                       Limits(cell_cpu_seconds=600, notebook_cpu_seconds=600, cell_wall_seconds=1,
                              ceiling_factor=4))
    assert (execution.stopped_at, execution.stop_reason) == (0, "wall-clock time limit 4 s exceeded")
    assert "too busy" in execution.stop_detail
    assert not ran(execution, 1)


def _output_sent_late(seconds: float) -> str:
    """Code that makes the kernel's output thread compute for ``seconds`` of CPU time before it
    sends a display, as on a machine so busy that the thread waits that long for a CPU. The
    kernel holds the cell's reply until its output is sent, but for at most 10 s (ipykernel's
    flush timeout): after that, the reply comes first and the output later."""
    return textwrap.dedent(f"""
        import time
        thread = get_ipython().kernel.iopub_thread
        send = thread._really_send
        def late(msg, *args, **kwargs):
            if any(b'"display_data"' in bytes(part) for part in msg[:6]):
                t0 = time.process_time()
                while time.process_time() - t0 < {seconds}:
                    pass
            return send(msg, *args, **kwargs)
        thread._really_send = late
    """)


HARVESTED = ("from IPython.display import display\n"
             f"display({{{HARVEST_MIME!r}: {{'kept': True}}}}, raw=True)")


def test_output_that_comes_after_its_cells_reply_is_kept(scratch_root):
    """The harvested results come on the kernel's output channel, which may lag behind the
    cell's reply (here by 3 s of CPU time, or more than 10 s on a busy machine, when the reply
    comes first): the grader waits for them as long as for the cell itself."""
    execution, _ = run(scratch_root, [_output_sent_late(3), HARVESTED, AFTER],
                       Limits(cell_cpu_seconds=60, notebook_cpu_seconds=120, cell_wall_seconds=1,
                              ceiling_factor=600))
    assert execution.stopped_at is None, execution.stop_reason
    assert execution.harvests[1] == [{"kept": True}]
    assert ran(execution, 2)


def test_output_later_than_its_cells_ceiling_stops_the_run_with_a_reason(scratch_root):
    """Not graded without its results: when the output has not come by the cell's ceiling, the
    run stops there, saying the machine was too busy. Here the reply comes after ipykernel's two
    10 s flush timeouts and the output only after 100 s of CPU time: the run stops 35 s after the
    reply at the latest (or at the reply's own 35 s ceiling), long before. (nbclient's default
    waited a fixed 60 s after the reply, then dropped the output with a warning and went on.)"""
    execution, _ = run(scratch_root, [_output_sent_late(100), HARVESTED, AFTER],
                       Limits(cell_cpu_seconds=600, notebook_cpu_seconds=600, cell_wall_seconds=1,
                              ceiling_factor=35))
    assert (execution.stopped_at, execution.stop_reason) == (1, "wall-clock time limit 35 s exceeded")
    assert "too busy" in execution.stop_detail
    assert 1 not in execution.harvests and not ran(execution, 2)
