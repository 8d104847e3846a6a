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
"""
from __future__ import annotations

import logging
import multiprocessing
import pickle
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Iterator

from .execute import kill_tagged
from .launch import BATCH_VARIABLE

LOCAL_PREFIX = "local:"
CONNECT_SECONDS = 20
STOP_SECONDS = 15
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
            return (CANNOT_RUN, where, f"{type(error).__name__}: {error}")
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
        return f"the grader failed on this submission: {type(error).__name__}: {error}"

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


class LocalPool(Executor):
    """``jobs`` worker processes on this machine (spawned, so that each starts clean)."""

    def __init__(self, jobs: int):
        self.jobs = max(1, jobs)
        self._pool = ProcessPoolExecutor(max_workers=self.jobs,
                                         mp_context=multiprocessing.get_context("spawn"))
        self._pending: set = set()
        self._stopped = False

    def describe(self) -> str:
        return f"{self.jobs} worker process{'es' if self.jobs != 1 else ''} on this machine"

    def submit(self, key: str, function, *args):
        future = self._pool.submit(function, *args)
        self._pending.add(future)
        return future

    def completed(self) -> Iterator:
        while self._pending:
            done, _ = wait(self._pending, return_when=FIRST_COMPLETED)
            for future in done:
                self._pending.discard(future)
                yield future

    def window(self) -> int:
        return 2 * self.jobs + 2

    def workers(self) -> tuple[int, int]:
        return min(self.jobs, len(self._pending)), self.jobs

    def stop(self, batch: str) -> None:
        self._stopped = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in list(getattr(self._pool, "_processes", {}).values()):
            process.terminate()
        kill_tagged(batch, BATCH_VARIABLE)

    def close(self, clean_up=None) -> None:
        if not self._stopped:
            self._pool.shutdown()
        if clean_up is not None:
            clean_up()


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
            last = getattr(error.last_worker, "address", "?")
            return (f"the workers grading this submission died {error.allowed_failures + 1} "
                    f"times (killed, or out of memory; the last was {last}), so it was not "
                    "graded: see that worker's log, then run the same command again")
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
        from .worker import kill_batch

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
