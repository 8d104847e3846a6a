"""``python -m grader autograde SUBMISSIONS [--jobs N | --cluster ADDRESS]``: grade a folder of
submissions in parallel, in processes on this machine or on a Dask cluster (``grader.dispatch.pools``).

Each task carries what it grades from (``grader.plan.material``) and comes back as a result; only this
process, the coordinator, writes results, the autograded tree, the gradebook and the CSV. Each
finished submission is saved at once (its JSON result, its folder in the autograded tree that
nbgrader's Formgrader reads, then the gradebook), so an interrupted run loses nothing
finished, and running again skips what is already graded unless the file, the assignment or the
expected results changed (or ``--force``). Every submission, graded or not, gets one row in
grades.csv.
"""
from __future__ import annotations

import functools
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from grader.run import cgroups
from grader.record import database
from grader.run import sandbox
from grader import course
from grader.course import OutputTree
from grader.record.formgrader_tree import write_autograded
from grader.record.submitted import write_submitted
from grader.intake.discover import Submission, discover
from grader.run.cgroups import cgroup_host
from grader.run.limits import Limits
from grader.dispatch.pools import Executor, WorkerCannotRun, open_executor
from grader.run.launch import BATCH_VARIABLE
from grader.text import error_text, readable
from grader.nbgrader.api import prepare_environment
from grader.plan.material import Material, Submitted, file_sha256
from grader.record.gradebook import Gradebook
from grader.record.grades_csv import write_csv
from grader.record.store import load_result, save_result
from grader.run.scratch import make_folder
from grader.report.table import Progress
from grader.results import FAILED, SubmissionResult
from grader.dispatch.worker import (BATCH_DIGITS, SCRATCH_PREFIX, clean_up_abandoned,
                                    clean_up_batch, code_version, grade_task, report)


@dataclass
class Options:
    jobs: int = 2
    force: bool = False
    limits: Limits = None
    output: Path = None                 # default: the course's course/ folder
    db_url: str = field(default="", repr=False)     # may hold a password: never shown
    cluster: str = ""                   # a Dask scheduler's address or local:N; "": local pool
    stats: dict = field(default_factory=dict)      # the batch's scratch, the workers' peak memory

    def __post_init__(self):
        self.limits = self.limits or Limits()
        self.output = OutputTree.of(self.output).root
        self.db_url = database.normalise(self.db_url or self.tree.gradebook_url)

    @property
    def tree(self) -> OutputTree:
        """Every path of the output: results, grades.csv, the autograded and feedback trees."""
        return OutputTree(self.output)

    @property
    def shown_db_url(self) -> str:
        """The gradebook's URL as it may be printed: with its password masked."""
        return database.masked(self.db_url)


def _failed(sub: Submission) -> SubmissionResult:
    return SubmissionResult(sub.student, sub.assignment, readable(str(sub.path)), "", FAILED,
                            reason=sub.problem)


class Materials(dict):
    """Each assignment's material, read from the course once per batch (on first use)."""

    def __missing__(self, assignment: str) -> Material:
        self[assignment] = material = Material.from_course(assignment)
        return material


def _previous(sub: Submission, options: Options, materials: Materials | None = None
              ) -> SubmissionResult | None:
    """A saved result that still applies to this exact file and assignment version."""
    if options.force or sub.problem:
        return None
    materials = Materials() if materials is None else materials
    previous = load_result(options.tree.result(sub.student, sub.assignment))
    if previous is None or previous.file != readable(str(sub.path)):
        return None
    if previous.status != FAILED and previous.answers is None:
        return None                  # graded before answers were kept: the Formgrader needs them
    try:
        same = (previous.sha256 == file_sha256(sub.path) and
                previous.fingerprint == materials[sub.assignment].fingerprint)
    except OSError:
        return None
    return previous if same else None


def _record(result: SubmissionResult, sub: Submission, options: Options, gradebook,
            save: bool = True, log=print) -> None:
    """Save one result: its JSON (unless it is a saved one reused), its folder in the
    autograded tree that the Formgrader reads, the gradebook, then its folder in the submitted
    tree where the Formgrader counts it (``record/submitted.py``). A write that fails costs
    only this row, and the row says so."""
    result.notes[:0] = [n for n in sub.notes if n not in result.notes]
    try:
        if save:
            save_result(options.tree, result)
    except OSError as error:
        result.notes.insert(0, f"the result could not be saved ({error.strerror or error}); "
                               "run the same command again")
    try:
        if result.assignment in course.ASSIGNMENTS:
            write_autograded(options.tree, result, sub, code_version())
    except OSError as error:
        result.notes.insert(0, f"the autograded notebook for the Formgrader could not be "
                               f"written ({error.strerror or error}); run the same command again")
    try:
        gradebook.record(result, sub.timestamp if result.assignment in course.ASSIGNMENTS
                         else "")
    except Exception as error:  # noqa: BLE001 - one row's database error must not end the batch
        result.notes.insert(0, f"not recorded in the gradebook: {gradebook.describe(error)}")
        return
    try:
        warning = write_submitted(options.tree, result, sub)
    except OSError as error:
        warning = (f"{result.student}'s {result.assignment}: not copied to "
                   f"{options.tree.submitted_root}, so the Formgrader does not count it "
                   f"({error.strerror or error}); run the same command again")
    if warning:
        log(f"  {warning}")


def _log_workers(executor: Executor, log) -> None:
    """Say where grading runs and how each machine isolates submissions."""
    log(f"grading on {executor.describe()}")
    if not executor.isolated:
        kind, warning = sandbox.describe()
        if warning:
            log(warning)
        log(f"isolation: {kind}; {cgroups.describe(cgroup_host())}")
        return
    for where, info in sorted(executor.everywhere(report).items()):
        if isinstance(info, BaseException):
            log(f"  worker {where}: cannot run the grader ({error_text(info)}); it "
                "will refuse to grade")
            continue
        refusal = ("" if info["version"] == code_version() else
                   f"; other grader code ({info['version']}): it will refuse to grade")
        log(f"  worker {where}: isolation {info['isolation']}; {info['cgroups']}{refusal}")


def _result_of_task(executor: Executor, future, sub: Submission, options: Options,
                    log) -> SubmissionResult:
    """The result a finished task brought back, or a failed row that says why it brought none."""
    try:
        reply = executor.result(future)
    except WorkerCannotRun as error:
        result = _failed(sub)
        result.reason = str(error)
        log(executor.exclude(error.worker))
        return result
    except Exception as error:  # noqa: BLE001 - a crashed or lost worker must not lose the row
        result = _failed(sub)
        result.reason = executor.failure(error)
        return result
    result = SubmissionResult.from_json(reply.result)
    options.stats["worker_peak_bytes"] = max(options.stats.get("worker_peak_bytes", 0),
                                             reply.peak_bytes)
    if reply.refused:
        message = executor.exclude(reply.worker)
        if message:
            log(message)
    elif executor.retried(future):
        result.notes.insert(0, f"its worker died while grading it, so it was graded again on "
                               f"another ({reply.worker})")
    return result


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
    """Grade every submission in ``folder``; the results, one per submission. Raises
    ``database.GradebookUnavailable`` or ``pools.ClusterError`` (one line each) before
    grading anything if the gradebook or the cluster cannot be used."""
    prepare_environment()
    submissions, skipped = discover(folder)
    options.output.mkdir(parents=True, exist_ok=True)
    database.check(options.db_url)
    # Opened before the batch's tag is set in this process's environment, so that a
    # LocalCluster's workers do not carry it (the clean-up kills whatever carries it).
    executor = open_executor(options.cluster, options.jobs)
    batch = uuid.uuid4().hex[:BATCH_DIGITS]
    os.environ[BATCH_VARIABLE] = batch            # inherited by local workers, given to kernels
    clean_up_abandoned()                          # what killed graders left here
    workdir = make_folder(f"{SCRATCH_PREFIX}{batch}-")
    options.stats["scratch"] = str(workdir)
    try:
        with Gradebook(options.db_url) as gradebook:          # opened once for the batch
            return _grade_batch(submissions, skipped, options, gradebook, executor, batch,
                                workdir, log)
    except KeyboardInterrupt:
        executor.stop(batch)
        raise
    finally:
        executor.close(clean_up=functools.partial(clean_up_batch, batch))
        clean_up_batch(batch, str(workdir))


def _grade_batch(submissions: list[Submission], skipped: list, options: Options,
                 gradebook: Gradebook, executor: Executor, batch: str, workdir: Path,
                 log) -> list[SubmissionResult]:
    for entry in skipped:
        log(f"  skipped: {entry.reason}")
    materials = Materials()
    decided = [(sub, _previous(sub, options, materials)) for sub in submissions]
    todo = [sub for sub, saved in decided if not sub.problem and saved is None]
    if todo:                            # where and how they are graded, if any is
        _log_workers(executor, log)
    # the workers start (half a second each) while the tasks are prepared
    executor.warm_up(len(todo), grade_task.__module__)
    shared = {}
    for assignment in sorted({sub.assignment for sub in todo}):
        material = materials[assignment]
        shared[assignment] = executor.share(material, f"course-{assignment}-{material.digest}")
    version, total = code_version(), len(todo)
    waiting, running = iter(todo), {}

    def top_up() -> None:
        """Keep ``executor.window()`` tasks submitted; each reads its file only now."""
        while len(running) < executor.window():
            sub = next(waiting, None)
            if sub is None:
                return
            future = executor.submit(
                f"grade-{sub.assignment}-{sub.student}-{batch}", grade_task,
                shared[sub.assignment], sub.student, Submitted.read(sub.path), options.limits,
                batch, version, executor.isolated, str(workdir) if executor.shares_files else None)
            running[future] = sub

    # The first tasks run while the gradebook is made ready (a new one takes a second or two):
    # only recording needs it.
    top_up()
    for assignment in sorted({sub.assignment for sub in submissions} & set(course.ASSIGNMENTS)):
        _register(gradebook, assignment, options)
    results: list[SubmissionResult] = []
    reused = 0
    for sub, saved in decided:
        if sub.problem:
            result = _failed(sub)
            _record(result, sub, options, gradebook, log=log)
            results.append(result)
            log(f"  {sub.student:<20} {sub.assignment or '?':<14} failed: {sub.problem}")
        elif saved is not None:
            _record(saved, sub, options, gradebook, save=False, log=log)
            results.append(saved)
            reused += 1
    if reused:
        log(f"{reused} submissions already graded and unchanged (use --force to grade them "
            "again)")
    progress = Progress(total, log)
    try:
        for done, future in enumerate(executor.completed(), start=1):
            sub = running.pop(future)
            result = _result_of_task(executor, future, sub, options, log)
            top_up()                # the worker that finished gets more while this is saved
            _record(result, sub, options, gradebook, log=log)
            results.append(result)
            progress.update(done, result, executor.workers())
    except KeyboardInterrupt:
        progress.close()
        log(f"interrupted: {len(results)} of {len(submissions)} submissions are saved; run the "
            "same command again to grade the rest")
        raise
    write_csv(options.tree.csv, results, skipped, _marks(gradebook, results, log))
    return results


def _register(gradebook: Gradebook, assignment: str, options: Options) -> None:
    """Make sure the gradebook knows the assignment; one line if it cannot."""
    try:
        gradebook.register(assignment, options.tree.release)
    except Exception as error:  # noqa: BLE001 - said in one line, with no password in it
        raise database.GradebookUnavailable(
            f"gradebook: cannot register {assignment} in {options.shown_db_url}: "
            f"{gradebook.describe(error)}") from None
