"""Where grading tasks run: a pool of processes on this machine, or a Dask cluster.

Both offer one small interface, so ``grader.autograde`` does not know which one runs:
``submit`` starts a task and returns a future, ``completed`` yields the futures as they finish
(including those submitted while it iterates), ``share`` makes a large value that many tasks need
(an assignment's material) available to them once, ``everywhere`` runs a function on every
machine that grades (the batch's clean-up), and ``failure`` turns a task's exception into a
reason for its row.

On a Dask cluster the scheduler does the distribution: it places each task on a free worker,
moves the shared material to the workers that need it, and when a worker dies (killed, out of
memory) it runs that worker's task again elsewhere; the grader asks it to do so once
(``allowed-failures`` = 1), after which the task fails with ``KilledWorker`` and its row says so.
The local pool does the same itself when one of its processes dies (``LocalPool``).
"""
from __future__ import annotations

import functools
import importlib
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.connection import wait as connection_wait
from typing import Iterator

from grader.run.processes import kill_tagged
from grader.run.scratch import IN_USE, abandoned, make_folder, remove_tree
from grader.run.launch import BATCH_VARIABLE
from grader.text import error_text

LOCAL_PREFIX = "local:"
POOL_PREFIX = "grader-pool-"        # the local pool's folder of start files, in the temporary folder
CONNECT_SECONDS = 20
STOP_SECONDS = 15
FRUITLESS_BREAKS = 2        # local pools that may break in a row before any task started
# Dask's scheduler settings for grading: run the task of a worker that died once more, then
# give up; hand each worker only as many tasks as it has threads.
SCHEDULER_SETTINGS = {"allowed_failures": 1, "worker_saturation": 1.0}
INSTALL_CLUSTER = "pip install 'nn-course-kit[cluster]'"
WORKER_NEEDS = ("every worker needs this project installed (the same version, "
                f"{INSTALL_CLUSTER}) and bubblewrap")


class ClusterError(Exception):
    """The cluster cannot be used; the message is one line that says what to do."""


class WorkerCannotRun(Exception):
    """A worker could not load the grader (the project is not installed there)."""

    def __init__(self, worker: str, detail: str):
        super().__init__(f"worker {worker} cannot load the grader ({detail}): {WORKER_NEEDS}; "
                         "not graded")
        self.worker = worker


CANNOT_RUN = "nn-grader: cannot run here"


def _portable():
    """Functions that travel by value (cloudpickle sends nested functions whole), so that a
    worker without the grader reads its tasks and says what it lacks, where a task naming the
    grader's own functions would make it fail to read the task and leave the cluster.

    ``run(module, name, *pickled)`` calls ``module.name`` on the unpickled arguments;
    ``keep(pickled)`` returns its argument (a value shared by many tasks, kept pickled)."""
    def run(module, name, *pickled):
        import importlib
        import pickle
        try:
            function = getattr(importlib.import_module(module), name)
            arguments = [pickle.loads(value) for value in pickled]
        except ImportError as error:
            try:
                from distributed import get_worker
                where = get_worker().address
            except (ImportError, ValueError):
                where = "?"
            # written out here, not grader.text.error_text: this function travels by value, and
            # a reference to the grader would make a worker without it fail to read the task
            return (CANNOT_RUN, where,
                    f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)
        return function(*arguments)

    def keep(pickled):
        return pickled

    return run, keep


_RUN, _KEEP = _portable()


class Executor:
    """The interface; see the module's docstring."""

    #: tasks must refuse to grade where the sandbox is missing (workers of a cluster)
    isolated = False
    #: tasks see this machine's files (so they may use the coordinator's scratch folder)
    shares_files = True

    def describe(self) -> str:
        raise NotImplementedError

    def share(self, value, key: str):
        """``value`` in a form to pass to ``submit`` for many tasks."""
        return value

    def submit(self, key: str, function, *args):
        raise NotImplementedError

    def warm_up(self, tasks: int, module: str) -> None:
        """Start the workers that ``tasks`` tasks will need, each importing ``module``, while
        the caller prepares the batch. Nothing, where workers are already running."""

    def completed(self) -> Iterator:
        raise NotImplementedError

    def result(self, future):
        """What the task returned; raises what it raised, or ``WorkerCannotRun``."""
        return future.result()

    def window(self) -> int:
        """How many tasks to keep submitted: enough to keep every worker busy, few enough that
        the submissions' bytes are not all in memory at once."""
        raise NotImplementedError

    def workers(self) -> tuple[int, int]:
        """(workers busy with this batch, workers)."""
        raise NotImplementedError

    def retried(self, future) -> int:
        """How many times the task was started again because its worker died."""
        return 0

    def exclude(self, worker: str) -> str:
        """Give ``worker`` no more tasks (it refused one); what was done, for the log."""
        return ""

    def failure(self, error: BaseException) -> str:
        """The row's reason when a task raised ``error`` instead of returning a result."""
        return f"the grader failed on this submission: {error_text(error)}"

    def everywhere(self, function, *args) -> dict:
        """Run ``function(*args)`` once on every machine that grades; {where: what it returned}."""
        return {"this machine": function(*args)}

    def stop(self, batch: str) -> None:
        """Cancel what has not finished and kill the batch's kernels (after Ctrl-C)."""
        raise NotImplementedError

    def close(self, clean_up=None) -> None:
        """Release the workers; ``clean_up()`` runs once on every machine that graded, when no
        task of ours runs there any more."""
        raise NotImplementedError


def _died(times: int, last: str) -> str:
    """The row's reason for a submission whose workers died ``times`` times."""
    return (f"the workers grading this submission died {times} times (killed, or out of "
            f"memory; the last was {last}), so it was not graded: see that worker's log, then "
            "run the same command again")


class WorkerDied(Exception):
    """A local worker process died while grading the task, once more than it may."""

    def __init__(self, times: int, last: str):
        super().__init__(_died(times, last))


def _import(module: str) -> None:
    importlib.import_module(module)


def _run_started(starts: str, name: str, function, *args):
    """Run ``function(*args)`` in a pool process, first leaving a file named ``name.PID`` in the
    folder ``starts``: the coordinator learns which tasks a process had started when it died."""
    open(os.path.join(starts, f"{name}.{os.getpid()}"), "x").close()
    return function(*args)


@dataclass(eq=False)
class _Task:
    key: str
    function: object
    args: tuple
    future: Future = field(default_factory=Future)     # what the caller holds
    running: Future | None = None                       # the current attempt's, in the pool
    name: str = ""                                      # the current attempt's start file
    deaths: int = 0                                     # pool processes it was running in died


class LocalPool(Executor):
    """``jobs`` worker processes on this machine (spawned, so that each starts clean).

    A worker process that dies (killed, out of memory) breaks a ``ProcessPoolExecutor``: every
    task not finished fails with ``BrokenProcessPool``. This pool then does what a Dask
    scheduler does: it kills the dead pool's kernels, starts a new pool and submits the
    unfinished tasks again; the task a dead process was running (as its start file tells) counts
    a death, and after more than ``allowed_failures`` deaths it fails with ``WorkerDied``. The
    processes still alive when the pool broke are not to blame for their tasks."""

    def __init__(self, jobs: int, allowed_failures: int = SCHEDULER_SETTINGS["allowed_failures"]):
        self.jobs = max(1, jobs)
        self.allowed_failures = allowed_failures
        for folder in abandoned(POOL_PREFIX):         # left by a pool that was killed
            remove_tree(folder)
        self._starts = str(make_folder(POOL_PREFIX))
        self._generation = 0
        self._pool = self._new_pool()
        self._processes: dict = {}           # pid -> multiprocessing.Process of this pool
        self._tasks: dict = {}               # the caller's future -> _Task, until it is done
        self._deaths: dict = {}              # the caller's future -> deaths, once it is done
        self._count = 0
        self._fruitless = 0                  # pools in a row that broke before any task ran
        self._dead: dict = {}                # generation -> {pid: exit code} of the processes
        self._lock = threading.Lock()        # dead when that pool broke
        self._stopped = False

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.jobs,
                                   mp_context=multiprocessing.get_context("spawn"))

    def describe(self) -> str:
        return f"{self.jobs} worker process{'es' if self.jobs != 1 else ''} on this machine"

    def submit(self, key: str, function, *args):
        task = _Task(key, function, args)
        self._tasks[task.future] = task
        self._start(task)
        return task.future

    def warm_up(self, tasks: int, module: str) -> None:
        """One process per task up to ``jobs``, started now: a spawned process's start and
        imports (half a second) then overlap the coordinator's work on the gradebook."""
        for _ in range(min(tasks, self.jobs)):
            self._pool.submit(_import, module)
        self._track_processes()

    def _track_processes(self) -> None:
        """Note the pool's processes as it starts them (it forgets them when it shuts down)."""
        self._processes.update(getattr(self._pool, "_processes", None) or {})

    def _start(self, task: _Task) -> None:
        self._count += 1
        task.name = f"{self._generation}-{self._count}"
        try:
            task.running = self._pool.submit(_run_started, self._starts, task.name,
                                             task.function, *task.args)
        except BrokenProcessPool:            # it broke since the last look: a new one takes it
            task.running = Future()
            task.running.set_exception(BrokenProcessPool("the pool broke before the task"))
        self._track_processes()
        task.running.add_done_callback(functools.partial(self._on_end, self._generation,
                                                         self._processes))

    def _on_end(self, generation: int, processes: dict, attempt: Future) -> None:
        """When the pool breaks, at once (in the pool's own thread, as it fails the tasks and
        before it stops its processes): note which processes are dead (exit codes), and kill the
        live ones, which would otherwise go on to take tasks of the broken pool."""
        if attempt.cancelled() or not isinstance(attempt.exception(), BrokenProcessPool):
            return
        with self._lock:
            if generation in self._dead:
                return
            ended = set(connection_wait([p.sentinel for p in processes.values()], timeout=0))
            dead = {}
            for pid, process in processes.items():
                if process.sentinel in ended:        # the pool broke because this one ended
                    process.join(STOP_SECONDS)
                    dead[pid] = process.exitcode if process.exitcode is not None else -9
                else:
                    process.kill()
            self._dead[generation] = dead

    def completed(self) -> Iterator:
        while self._tasks:
            running = {task.running: task for task in self._tasks.values()}
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            broken = False
            for attempt in done:
                task = running[attempt]
                if isinstance(attempt.exception(), BrokenProcessPool):
                    broken = True
                    continue
                yield self._finish(task, attempt)
            if broken:
                yield from self._recover()

    def _finish(self, task: _Task, attempt: Future | None = None, error=None) -> Future:
        del self._tasks[task.future]
        self._deaths[task.future] = task.deaths
        if error is not None:
            task.future.set_exception(error)
        elif attempt.exception() is not None:
            task.future.set_exception(attempt.exception())
        else:
            task.future.set_result(attempt.result())
        return task.future

    def _recover(self) -> Iterator:
        """After the pool broke: blame the tasks of the processes that died, replace the pool,
        and submit every unfinished task again (those blamed too often fail); yields the tasks
        that failed."""
        lost = list(self._tasks.values())
        wait([task.running for task in lost], timeout=STOP_SECONDS)    # all fail at once
        self._pool.shutdown(wait=True, cancel_futures=True)
        started = {}
        for entry in os.listdir(self._starts):
            if entry == IN_USE:                     # the folder's own mark, not a start file
                continue
            name, _, pid = entry.rpartition(".")
            started[name] = int(pid)
        with self._lock:
            dead = self._dead.pop(self._generation, {})
        ran = [task for task in lost if task.name in started]
        self._fruitless = 0 if ran else self._fruitless + 1
        batch = os.environ.get(BATCH_VARIABLE)
        if batch:
            kill_tagged(batch, BATCH_VARIABLE)      # the kernels the dead pool left running
        self._generation += 1
        self._pool, self._processes = self._new_pool(), {}
        for task in lost:
            attempt = task.running
            if attempt.done() and not isinstance(attempt.exception(), BrokenProcessPool):
                yield self._finish(task, attempt)          # it finished as the pool broke
                continue
            pid = started.get(task.name)
            if pid is not None and (pid in dead or not dead):   # unknown cause: all it ran
                task.deaths += 1
            if task.deaths > self.allowed_failures:
                last = f"process {pid}" + (f", {_exit(dead[pid])}" if pid in dead else "")
                yield self._finish(task, error=WorkerDied(task.deaths, last))
            elif self._fruitless > FRUITLESS_BREAKS:
                yield self._finish(task, error=RuntimeError(
                    "the pool's worker processes die before they grade anything ("
                    + ", ".join(sorted({_exit(code) for code in dead.values()}) or ["?"])
                    + "): run `python -m grader autograde --jobs 1` to see why"))
            else:
                self._start(task)

    def retried(self, future) -> int:
        return self._deaths.get(future, 0)

    def failure(self, error: BaseException) -> str:
        if isinstance(error, WorkerDied):
            return str(error)
        return super().failure(error)

    def window(self) -> int:
        return 2 * self.jobs + 2

    def workers(self) -> tuple[int, int]:
        return min(self.jobs, len(self._tasks)), self.jobs

    def stop(self, batch: str) -> None:
        self._stopped = True
        # taken before the shutdown, which forgets them (``_processes`` becomes None)
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        kill_tagged(batch, BATCH_VARIABLE)

    def close(self, clean_up=None) -> None:
        if not self._stopped:
            self._pool.shutdown()
        remove_tree(self._starts)
        if clean_up is not None:
            clean_up()


def _exit(code: int) -> str:
    """A process's exit code as words."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _local_workers(address: str) -> int:
    count = address[len(LOCAL_PREFIX):]
    if not count.isdigit() or int(count) < 1:
        raise ClusterError(f"cluster: {address!r} is not local:N with N workers (e.g. local:4)")
    return int(count)


class DaskCluster(Executor):
    """A Dask cluster: a scheduler's address (``tcp://host:8786``), or ``local:N`` for a
    LocalCluster of N single-threaded worker processes on this machine."""

    isolated = True
    shares_files = False

    def __init__(self, address: str):
        try:
            import dask
            from distributed import Client, LocalCluster, as_completed
        except ImportError:
            raise ClusterError(f"--cluster needs Dask: {INSTALL_CLUSTER}") from None
        self._cluster = None
        if address.startswith(LOCAL_PREFIX):
            workers = _local_workers(address)
            settings = {f"distributed.scheduler.{key.replace('_', '-')}": value
                        for key, value in SCHEDULER_SETTINGS.items()}
            with dask.config.set(settings):
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                             processes=True, dashboard_address=":0",
                                             silence_logs=logging.ERROR)
            address = self._cluster.scheduler_address
        self.address = address
        try:
            self._client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            self._close_cluster()
            reason = " ".join(str(error).split()) or type(error).__name__
            raise ClusterError(f"cluster: cannot reach the Dask scheduler at {address}: {reason}; "
                               "start one (`dask scheduler`) or check --cluster") from None
        self.configured = self._configure_scheduler()
        self._completed = as_completed(loop=self._client.loop)
        self._pending: dict = {}            # future -> key

    def _configure_scheduler(self) -> bool:
        """Apply ``SCHEDULER_SETTINGS`` to a running scheduler (this function travels by value:
        the scheduler need not have the grader installed). False if the scheduler refused."""
        def configure(dask_scheduler=None, allowed_failures=1, worker_saturation=1.0):
            dask_scheduler.allowed_failures = allowed_failures
            dask_scheduler.WORKER_SATURATION = worker_saturation

        try:
            self._client.run_on_scheduler(configure, **SCHEDULER_SETTINGS)
            return True
        except Exception:  # noqa: BLE001 - e.g. a scheduler that accepts no pickled functions
            return False

    def describe(self) -> str:
        threads = self._client.nthreads()
        where = "a LocalCluster on this machine" if self._cluster else "the Dask cluster"
        text = (f"{where} at {self.address}: {len(threads)} worker"
                f"{'s' if len(threads) != 1 else ''}, {sum(threads.values())} threads")
        if not threads:
            text += " (no workers yet: submissions wait until one joins)"
        if not self.configured:
            text += ("; WARNING: the scheduler refused its settings, so a submission whose "
                     "worker dies may be retried more than once (start it with "
                     "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1)")
        return text

    def share(self, value, key: str):
        """A task that returns ``value``: the scheduler keeps it once (not once per submission)
        and, should the worker holding the value die, runs it again."""
        return self._client.submit(_KEEP, pickle.dumps(value), key=key)

    def submit(self, key: str, function, *args):
        from distributed import Future

        pickled = [arg if isinstance(arg, Future) else pickle.dumps(arg) for arg in args]
        with warnings.catch_warnings():        # a large notebook travels with its task
            warnings.filterwarnings("ignore", message=".*[Ll]arge object.*")
            future = self._client.submit(_RUN, function.__module__, function.__qualname__,
                                         *pickled, key=key)
        self._pending[future] = key
        self._completed.add(future)
        return future

    def result(self, future):
        value = future.result()
        if isinstance(value, tuple) and value[:1] == (CANNOT_RUN,):
            raise WorkerCannotRun(*value[1:])
        return value

    def completed(self) -> Iterator:
        for future in self._completed:
            self._pending.pop(future, None)
            yield future

    def window(self) -> int:
        """One task per worker thread: Dask counts a task handed to a worker that dies as
        attempted there, so a queue on the workers would spend the retries of submissions
        that never ran. (An adaptive deployment therefore needs a minimum of workers.)"""
        return max(1, sum(self._client.nthreads().values()))

    def workers(self) -> tuple[int, int]:
        keys = set(self._pending.values())
        processing = self._client.processing()
        return sum(1 for tasks in processing.values() if keys.intersection(tasks)), len(processing)

    def retried(self, future) -> int:
        def suspicious(key, dask_scheduler=None):
            task = dask_scheduler.tasks.get(key)
            return task.suspicious if task is not None else 0

        try:
            return self._client.run_on_scheduler(suspicious, future.key)
        except Exception:  # noqa: BLE001 - only a note depends on it
            return 0

    def exclude(self, worker: str) -> str:
        """Remove the worker from the cluster and stop it (and its nanny): it would refuse every
        submission in a moment each while the others grade. What it held is computed again
        elsewhere, and a submission handed to it is not counted as having killed a worker."""
        async def remove(address, dask_scheduler=None):
            return await dask_scheduler.remove_worker(
                address, stimulus_id=f"grader-refused-{address}", expected=True, close=True)

        try:
            self._client.run_on_scheduler(remove, worker)
        except Exception as error:  # noqa: BLE001 - it may have gone already
            return f"worker {worker} refuses to grade; it could not be removed ({error})"
        return (f"worker {worker} refuses to grade (see its row); removed it from the cluster: "
                "fix it, start it again and run the same command to grade what it refused")

    def failure(self, error: BaseException) -> str:
        from distributed.scheduler import KilledWorker

        if isinstance(error, KilledWorker):
            return _died(error.allowed_failures + 1, getattr(error.last_worker, "address", "?"))
        return super().failure(error)

    def everywhere(self, function, *args) -> dict:
        try:
            return self._client.run(function, *args, on_error="return")
        except Exception as error:  # noqa: BLE001 - the cluster went away: nothing to reach
            return {self.address: error}

    def stop(self, batch: str) -> None:
        """Cancel the batch's tasks and kill its kernels; a task that had started cannot be
        cancelled, but ends soon without its kernel: wait for that (up to STOP_SECONDS), so
        that no worker is shut down in the middle of one."""
        from grader.dispatch.worker import kill_batch

        keys = set(self._pending.values())
        self._client.cancel(list(self._pending))
        deadline = time.monotonic() + STOP_SECONDS
        while True:
            self.everywhere(kill_batch, batch)
            running = any(keys.intersection(tasks) for tasks in self._client.processing().values())
            if not running or time.monotonic() > deadline:
                return
            time.sleep(0.5)

    def close(self, clean_up=None) -> None:
        if clean_up is not None:
            self.everywhere(clean_up)
        self._client.close()
        self._close_cluster()

    def _close_cluster(self) -> None:
        if self._cluster is not None:
            self._cluster.close()


def open_executor(cluster: str = "", jobs: int = 1) -> Executor:
    """The Dask cluster at ``cluster`` if one is given, else ``jobs`` processes here."""
    return DaskCluster(cluster) if cluster else LocalPool(jobs)
