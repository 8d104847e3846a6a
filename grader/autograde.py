"""``python -m grader autograde SUBMISSIONS [--jobs N]``: grade a folder of submissions in parallel.

Each finished submission is saved at once (its JSON result, its folder in the autograded tree
that nbgrader's Formgrader reads, then the gradebook), so an interrupted run loses nothing
finished, and running again skips what is already graded unless
the file, the assignment or the expected results changed (or ``--force``). Every submission,
graded or not, gets one row in grades.csv.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import resource
import tempfile
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import cgroups, sandbox, settings
from .autograded import AUTOGRADED_DIR, submission_timestamp, write_autograded
from .discover import Submission, discover
from .execute import Limits, cgroup_host, kill_tagged
from .grade import assignment_fingerprint, file_sha256, grade_submission
from .launch import BATCH_VARIABLE
from .names import readable
from .nbgrader_api import prepare_environment
from .records import Gradebook, load_result, result_path, save_result, write_csv
from .report import Progress
from .results import FAILED, SubmissionResult
from .scratch import remove_tree


@dataclass
class Options:
    jobs: int = 2
    force: bool = False
    limits: Limits = None
    output: Path = None                 # default: the course's course/ folder
    db_url: str = ""
    stats: dict = field(default_factory=dict)      # the batch's scratch, the workers' peak memory

    def __post_init__(self):
        self.limits = self.limits or Limits()
        self.output = Path(self.output) if self.output else settings.WORK_DIR
        self.db_url = self.db_url or f"sqlite:///{self.output / 'gradebook.db'}"

    @property
    def shown_db_url(self) -> str:
        """The gradebook's URL as it may be printed: with its password masked."""
        try:
            from sqlalchemy.engine import make_url
            return make_url(self.db_url).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: print it without a password
            return self.db_url.split("@")[-1]

    @property
    def results_dir(self) -> Path:
        return self.output / "results"

    @property
    def csv_path(self) -> Path:
        return self.output / "grades.csv"

    @property
    def autograded_dir(self) -> Path:
        return self.output / AUTOGRADED_DIR


def _failed(sub: Submission) -> SubmissionResult:
    return SubmissionResult(sub.student, sub.assignment, readable(str(sub.path)), "", FAILED,
                            reason=sub.problem)


def _previous(sub: Submission, options: Options) -> SubmissionResult | None:
    """A saved result that still applies to this exact file and assignment version."""
    if options.force or sub.problem:
        return None
    previous = load_result(result_path(options.results_dir, sub.student, sub.assignment))
    if previous is None or previous.file != readable(str(sub.path)):
        return None
    if previous.status != FAILED and previous.answers is None:
        return None                  # graded before answers were kept: the Formgrader needs them
    try:
        same = (previous.sha256 == file_sha256(sub.path) and
                previous.fingerprint == assignment_fingerprint(sub.assignment))
    except OSError:
        return None
    return previous if same else None


def _grade_in_worker(assignment, student, path, workdir, limits) -> tuple[str, int]:
    """Grade in a worker process; the result as JSON and the worker's peak memory (bytes).
    Nothing of one submission stays in memory for the next (cycles are collected at once)."""
    try:
        return grade_submission(assignment, student, Path(path), Path(workdir),
                                limits).to_json(), _peak_memory()
    finally:
        gc.collect()


def _peak_memory() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024       # Linux: KiB


def _stop(pool: ProcessPoolExecutor, batch: str) -> None:
    """Cancel what has not started, stop the workers and every kernel of the batch."""
    pool.shutdown(wait=False, cancel_futures=True)
    for process in list(getattr(pool, "_processes", {}).values()):
        process.terminate()
    kill_tagged(batch, BATCH_VARIABLE)


def _clean_up(batch: str, workdir: Path) -> None:
    """Remove everything the batch made, even what a killed worker left: its processes, its
    control groups, the scratch folder with every run's folder and the sealed copies."""
    kill_tagged(batch, BATCH_VARIABLE)
    groups = cgroups.batch_groups(cgroup_host(), batch)
    cgroups.kill_members(groups)
    cgroups.remove(groups)
    remove_tree(workdir)


def _record(result: SubmissionResult, sub: Submission, options: Options, gradebook,
            save: bool = True) -> None:
    """Save one result: its JSON (unless it is a saved one reused), its folder in the
    autograded tree that the Formgrader reads, then the gradebook. A write that fails costs
    only this row, and the row says so."""
    result.notes[:0] = [n for n in sub.notes if n not in result.notes]
    try:
        if save:
            save_result(options.results_dir, result)
    except OSError as error:
        result.notes.insert(0, f"the result could not be saved ({error.strerror or error}); "
                               "run the same command again")
    timestamp = ""
    try:
        if result.assignment in settings.ASSIGNMENTS:
            timestamp = submission_timestamp(sub)
            write_autograded(options.output, result, sub, timestamp)
    except OSError as error:
        result.notes.insert(0, f"the autograded notebook for the Formgrader could not be "
                               f"written ({error.strerror or error}); run the same command again")
    try:
        gradebook.record(result, timestamp)
    except Exception as error:  # noqa: BLE001 - one row's database error must not end the batch
        result.notes.insert(0, f"not recorded in the gradebook: {gradebook.describe(error)}")


def _marks(gradebook, results: list[SubmissionResult], log) -> dict:
    """The gradebook's marks of every result for the CSV (the instructor's points included);
    if the gradebook cannot be read, the results' own, and a line that says so."""
    try:
        return gradebook.marks(results)
    except Exception as error:  # noqa: BLE001 - the CSV is still written, from the results
        log(f"grades.csv has no points for written answers: the gradebook could not be read "
            f"({gradebook.describe(error)})")
        return {}


def autograde(folder: Path, options: Options, log=print) -> list[SubmissionResult]:
    prepare_environment()
    kind, warning = sandbox.describe()
    if warning:
        log(warning)
    log(f"isolation: {kind}; {cgroups.describe(cgroup_host())}")
    submissions, skipped = discover(folder)
    for entry in skipped:
        log(f"  skipped: {entry.reason}")
    options.output.mkdir(parents=True, exist_ok=True)
    gradebook = Gradebook(options.db_url)
    for assignment in sorted({sub.assignment for sub in submissions} & set(settings.ASSIGNMENTS)):
        gradebook.register(assignment, options.output / "release")
    results: list[SubmissionResult] = []
    todo: list[Submission] = []
    reused = 0
    for sub in submissions:
        if sub.problem:
            result = _failed(sub)
            _record(result, sub, options, gradebook)
            results.append(result)
            log(f"  {sub.student:<20} {sub.assignment or '?':<14} failed: {sub.problem}")
            continue
        previous = _previous(sub, options)
        if previous is not None:
            _record(previous, sub, options, gradebook, save=False)
            results.append(previous)
            reused += 1
        else:
            todo.append(sub)
    if reused:
        log(f"{reused} submissions already graded and unchanged (use --force to grade them "
            "again)")
    total = len(todo)
    workdir = Path(tempfile.mkdtemp(prefix="grader-scratch-"))
    options.stats["scratch"] = str(workdir)
    batch = uuid.uuid4().hex
    os.environ[BATCH_VARIABLE] = batch            # inherited by workers, passed to every kernel
    pool = ProcessPoolExecutor(max_workers=max(1, options.jobs),
                               mp_context=multiprocessing.get_context("spawn"))
    progress = Progress(total, log)
    try:
        futures = {pool.submit(_grade_in_worker, sub.assignment, sub.student, str(sub.path),
                               str(workdir), options.limits): sub for sub in todo}
        for done, future in enumerate(as_completed(futures), start=1):
            sub = futures[future]
            try:
                text, peak = future.result()
                result = SubmissionResult.from_json(text)
                options.stats["worker_peak_bytes"] = max(
                    options.stats.get("worker_peak_bytes", 0), peak)
            except Exception as error:  # noqa: BLE001 - a crashed worker must not lose the row
                result = _failed(sub)
                result.reason = f"the grader failed on this submission: {type(error).__name__}: {error}"
            _record(result, sub, options, gradebook)
            results.append(result)
            progress.update(done, result)
    except KeyboardInterrupt:
        progress.close()
        log(f"interrupted: {len(results)} of {len(submissions)} submissions are saved; run the "
            "same command again to grade the rest")
        _stop(pool, batch)
        _clean_up(batch, workdir)
        raise
    pool.shutdown()
    _clean_up(batch, workdir)
    write_csv(options.csv_path, results, skipped, _marks(gradebook, results, log))
    return results
