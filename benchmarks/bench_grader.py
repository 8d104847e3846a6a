#!/usr/bin/env python
"""Benchmark of the grader next to plain nbgrader, on the four assignments, in one run: notebooks
per minute, the fixed cost of one command, each assignment's cost per notebook, the share of
kernel start-up in the CPU time, and every score difference, classified.

    python benchmarks/bench_grader.py               # N = 30 submissions (about 10 minutes)
    python benchmarks/bench_grader.py --n 4         # a quick look: one solution per assignment
    python benchmarks/bench_grader.py --n 60 --fixed-runs 5 --keep
    python benchmarks/bench_grader.py --n 4 --rerun-class 0   # the quickest look

This is a script, not a test. It prints figures and the machine's load; it asserts nothing.

1. **The batch.** N submissions, the assignments in turn (s01 ex1_softmax, s02 ex2_backprop,
   s03 ex3_mnist, s04 ex4_deep, s05 ex1_softmax, ...); each assignment's own submissions cycle
   through solution (the release filled in with the instructor's answers), mutant (a typical
   mistake from grader/build/mutants.py), blank (the release as handed out) and another mutant.
   So ``--n 4`` grades the four solutions, ``--n 8`` adds a mutant of each.
2. **Throughput.** Plain nbgrader: the real command line ``nbgrader autograde <assignment>
   --force``, one command per assignment (each grades its students one after the other, as
   nbgrader does), with the course's configuration in a scratch course; ``nbgrader
   generate_assignment`` runs first and is not timed. This grader: ``python -m grader autograde
   <folder> --force`` with its default ``--jobs`` (one more than the cores) into a new output
   folder (the whole command, registering the assignments in its new gradebook included), then
   the same command again without ``--force`` (an unchanged class: nothing to grade); and, for
   comparison, the batch with ``--jobs`` = the cores. Wall-clock seconds and CPU seconds (the
   machine's busy time while the command ran, on Linux; see ``command_cpu``) for each.
3. **Per notebook.** For each assignment: nbgrader's command time divided by its notebooks (its
   start-up included), and this grader's wall-clock and kernel CPU seconds per notebook (the
   ``seconds`` and ``cpu_seconds`` every result records).
4. **Fixed cost of one command.** One ex1 solution notebook: ``python -m grader autograde
   --jobs 1 --force`` (into an output folder that already knows the assignment, as a student's
   regrade is) against ``jupyter nbconvert --to notebook --execute`` of the same notebook; one
   untimed warm-up of each, then ``--fixed-runs`` runs of each, interleaved; medians.
5. **Kernel start-up.** ``--kernel-runs`` runs of a one-cell notebook (``pass``) through the
   grader's own ``grader.run.execute.execute``: the same sandbox, limits and kernel launcher as
   grading. Its kernel CPU (the kernel's process tree) and the CPU of this process (the client
   side: jupyter_client, ZeroMQ, the watcher) per start, times N, against the grader's total CPU
   for the batch, is the share of kernel start-up.
6. **An unchanged class.** ``--rerun-class`` submissions of the same mix graded by this grader
   alone, then the same command again without ``--force``: nothing changed, nothing to grade.
7. **Scores.** Every test cell's points from both. A submission where they differ is either
   *charged twice* by nbgrader (a mutant whose own mistake loses its tests with both, and
   every other difference is a later test that nbgrader fails because it runs on the student's
   wrong intermediate results, while this grader's stages are isolated and give those points)
   or a *real disagreement*, the only kind that counts as a miss.

Both run with one BLAS thread per kernel (OPENBLAS_NUM_THREADS=1 and friends, set before NumPy
is imported; the commands inherit it).
"""
from __future__ import annotations

# One thread for every BLAS library, set before NumPy is imported; the commands inherit it.
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Benchmark the checkout this script lives in, installed or not.
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from grader import course as course_paths  # noqa: E402
from grader.build.mutants import Mutant, mutants_of  # noqa: E402
from grader.cli.common import default_jobs  # noqa: E402
from grader.build.submissions import filled_release, release_notebook, write  # noqa: E402
from grader.course import OutputTree  # noqa: E402
from grader.record.store import load_results  # noqa: E402
from grader.run import sandbox  # noqa: E402

TARGET_RATIO = 10.0          # notebooks per minute, ours / nbgrader's, on 2 cores
TARGET_FIXED = 1.5           # one ex1 notebook: grading / running it with nbconvert
TARGET_RERUN = 5.0           # seconds: a rerun over an unchanged class of --rerun-class
JOBS = default_jobs()           # what `autograde` uses by default: one more than the cores
CORES = JOBS - 1                # also measured: one notebook per core
KINDS = ("solution", "mutant", "blank", "mutant")
FIXED_ASSIGNMENT = "ex1_softmax"


@dataclass
class Item:
    student: str
    assignment: str
    kind: str                     # "solution", "blank" or "mutant: <name>"
    mutant: Mutant | None = None


@dataclass
class Timed:
    wall: float                   # seconds
    cpu: float                    # CPU seconds of the command and its processes (command_cpu)


# --- the batch --------------------------------------------------------------------------------

def build_batch(n: int) -> list[tuple[Item, object]]:
    """N (item, notebook) pairs: the assignments in turn, each cycling through KINDS."""
    assignments = list(course_paths.ASSIGNMENTS)
    mutants = {a: mutants_of(a) for a in assignments}
    count = {a: 0 for a in assignments}
    used = {a: 0 for a in assignments}
    width = max(2, len(str(n)))
    batch = []
    for i in range(n):
        assignment = assignments[i % len(assignments)]
        kind = KINDS[count[assignment] % len(KINDS)]
        count[assignment] += 1
        if kind == "mutant" and not mutants[assignment]:
            kind = "solution"
        mutant = None
        if kind == "solution":
            nb, label = filled_release(assignment), "solution"
        elif kind == "blank":
            nb, label = release_notebook(assignment), "blank"
        else:
            mutant = mutants[assignment][used[assignment] % len(mutants[assignment])]
            used[assignment] += 1
            nb, label = filled_release(assignment, mutant.overrides), f"mutant: {mutant.name}"
        batch.append((Item(f"s{i + 1:0{width}d}", assignment, label, mutant), nb))
    return batch


def write_batch(batch, folder: Path) -> None:
    for item, nb in batch:
        write(nb, folder / item.student / item.assignment / f"{item.assignment}.ipynb")


# --- running the commands ---------------------------------------------------------------------

def environment() -> dict:
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)      # nbgrader starts `alembic` as a program
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


@contextmanager
def scratch_folder(prefix: str, keep: bool):
    """A new temporary folder for a benchmark's files, removed at the end unless ``keep``."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield scratch
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux): the grader kills a
    sandbox and its kernel together, and a kernel whose parent died first would be reaped by
    init, its CPU time lost to ``RUSAGE_CHILDREN``; reparented here and reaped by ``run``, it
    counts."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap_orphans(patience: float = 2.0) -> None:
    """Reap every finished descendant that came here; wait up to ``patience`` seconds for those
    still dying (a killed kernel whose sandbox is being torn down)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:          # no child left at all
            return
        if pid == 0:
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)


def children_cpu() -> float:
    """CPU seconds of every finished (and reaped) process this one started, and theirs."""
    reap_orphans()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> float | None:
    """CPU seconds all cores of this machine have spent busy since it started (Linux's
    /proc/stat: every state but idle and waiting for the disk), None elsewhere."""
    try:
        with open("/proc/stat") as handle:
            ticks = [int(field) for field in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def command_cpu(reaped: float, busy_before: float | None) -> float:
    """The CPU of a command that ran since ``busy_before``: the machine's busy time where it can
    be read, else the CPU of the processes it started that were reaped here (``reaped``).
    A sandboxed kernel killed together with its bubblewrap is never reaped with its CPU time
    (Linux adds a process's time to its parent's children only when the parent waits for it;
    measured: a kernel that spun for 0.5 s added 0.0 s here, or 0.53 s when it exited before its
    bubblewrap), so the reaped processes' time leaves out nearly all of this grader's kernels.
    The machine's busy time counts them, and also anything else that ran meanwhile (the load
    average is printed beside it)."""
    busy = machine_busy()
    return busy - busy_before if busy is not None and busy_before is not None else reaped


def run(command: list[str], log: Path, cwd: Path = ROOT) -> Timed:
    """Run ``command`` (from the project root, so nbgrader reads the course's configuration),
    output to ``log``. Exits with the log's tail if it fails."""
    cpu, busy = children_cpu(), machine_busy()
    start = time.perf_counter()
    with open(log, "a") as handle:
        handle.write(f"$ {' '.join(command)}\n")
        handle.flush()
        code = subprocess.run(command, cwd=cwd, env=environment(), stdout=handle,
                              stderr=subprocess.STDOUT).returncode
    timed = Timed(time.perf_counter() - start, command_cpu(children_cpu() - cpu, busy))
    if code != 0:
        tail = log.read_text().splitlines()[-40:]
        sys.exit(f"command failed (exit {code}): {' '.join(command)}\n" + "\n".join(tail))
    return timed


def tool(name: str) -> list[str]:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", name]


def nbgrader_options(course: Path) -> list[str]:
    return [f"--CourseDirectory.root={ROOT}",
            f"--CourseDirectory.release_directory={course / 'release'}",
            f"--CourseDirectory.submitted_directory={course / 'submitted'}",
            f"--CourseDirectory.autograded_directory={course / 'autograded'}",
            f"--CourseDirectory.feedback_directory={course / 'feedback'}",
            f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"]


def run_nbgrader(batch, course: Path) -> tuple[dict, dict]:
    """({assignment: Timed} of the autograde commands, {(student, assignment): {grade id:
    points}} read from nbgrader's gradebook, None where it graded nothing)."""
    write_batch(batch, course / "submitted")
    log = course / "nbgrader.log"
    assignments = [a for a in course_paths.ASSIGNMENTS if any(i.assignment == a for i, _ in batch)]
    for assignment in assignments:                  # setup, not timed
        run(tool("nbgrader") + ["generate_assignment", assignment, "--force"]
            + nbgrader_options(course), log)
    timed = {}
    for assignment in assignments:
        print(f"  nbgrader autograde {assignment} ...", flush=True)
        timed[assignment] = run(tool("nbgrader") + ["autograde", assignment, "--force"]
                                + nbgrader_options(course), log)
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for item, _ in batch:
            try:
                notebook = gradebook.find_submission_notebook(item.assignment, item.assignment,
                                                              item.student)
            except MissingEntry:
                scores[item.student, item.assignment] = None
                continue
            scores[item.student, item.assignment] = {
                grade.name: float(grade.score or 0.0) for grade in notebook.grades}
    return timed, scores


def grader_command(folder: Path, output: Path, jobs: int, force: bool = True) -> list[str]:
    return ([sys.executable, "-m", "grader", "autograde", str(folder), "--jobs", str(jobs),
             "--output", str(output)] + (["--force"] if force else []))


def run_ours(batch, scratch: Path, jobs: int = JOBS) -> tuple[Timed, Timed, dict]:
    """(the graded batch, the unchanged rerun, {(student, assignment): SubmissionResult})."""
    folder, output = scratch / "submissions", scratch / "output"
    write_batch(batch, folder)
    log = scratch / "grader.log"
    graded = run(grader_command(folder, output, jobs), log)
    rerun = run(grader_command(folder, output, jobs, force=False), log)
    results, _ = load_results(OutputTree(output).results)
    return graded, rerun, {(r.student, r.assignment): r for r in results}


# --- the fixed cost of one command ------------------------------------------------------------

def fixed_cost(scratch: Path, runs: int) -> tuple[list[float], list[float], float]:
    """(grader seconds per run, nbconvert seconds per run, the grader's first run into a new
    output folder) for one ex1 solution notebook, interleaved after one warm-up of each."""
    folder = scratch / "one"
    notebook = folder / "s1" / FIXED_ASSIGNMENT / f"{FIXED_ASSIGNMENT}.ipynb"
    write(filled_release(FIXED_ASSIGNMENT), notebook)
    output, executed, log = scratch / "one-output", scratch / "executed", scratch / "fixed.log"
    executed.mkdir()
    ours = grader_command(folder, output, jobs=1)
    nbconvert = tool("jupyter") + ["nbconvert", "--to", "notebook", "--execute", str(notebook),
                                   "--output-dir", str(executed), "--log-level", "WARN"]
    first = run(ours, log).wall                      # a new gradebook: registers ex1
    run(nbconvert, log, cwd=executed)
    grader_times, nbconvert_times = [], []
    for _ in range(runs):
        grader_times.append(run(ours, log).wall)
        nbconvert_times.append(run(nbconvert, log, cwd=executed).wall)
    return grader_times, nbconvert_times, first


# --- kernel start-up --------------------------------------------------------------------------

def kernel_start(scratch: Path, runs: int) -> tuple[list[float], list[float], list[float]]:
    """(wall seconds, kernel CPU seconds, client CPU seconds) of each run of a one-cell notebook
    through the grader's ``execute``: the same sandbox, limits and launcher as grading."""
    import nbformat

    from grader.run.execute import Limits, execute

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
    walls, kernel, client = [], [], []
    for i in range(runs):
        before = own_cpu()
        result = execute(nb, scratch / "kernels" / f"run{i}", Limits(), FIXED_ASSIGNMENT)
        if result.stop_reason:
            sys.exit(f"the one-cell notebook did not run: {result.stop_reason}")
        client.append(own_cpu() - before)
        walls.append(result.seconds)
        kernel.append(result.cpu_seconds)
    return walls, kernel, client


# --- scores -----------------------------------------------------------------------------------

def classify(item: Item, ours, theirs: dict | None) -> str:
    """"same", "charged twice" or "real" (see the module's docstring, point 6)."""
    if ours is None or ours.score is None or theirs is None:
        return "real"
    mine = {cell.grade_id: cell.score for cell in ours.cells}
    differing = [gid for gid in mine if theirs.get(gid) != mine[gid]]
    if not differing:
        return "same"
    if item.mutant is None:
        return "real"
    order = list(mine)
    points = {cell.grade_id: cell.points for cell in ours.cells}
    own = [gid for gid in item.mutant.must_fail if gid in mine]
    lost_by_both = own and all(mine[g] < points[g] and theirs.get(g, 0.0) < points[g] for g in own)
    first = min(order.index(g) for g in own) if own else len(order)
    downstream = all(gid not in own and theirs.get(gid, 0.0) < mine[gid]
                     and order.index(gid) > first for gid in differing)
    return "charged twice" if lost_by_both and downstream else "real"


# --- report -----------------------------------------------------------------------------------

def per_minute(count: int, seconds: float) -> float:
    return count / seconds * 60.0


def loads() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=30, help="submissions in the batch (default 30)")
    parser.add_argument("--fixed-runs", type=int, default=3,
                        help="timed runs of each side of the fixed cost (default 3)")
    parser.add_argument("--kernel-runs", type=int, default=5,
                        help="kernel start-ups measured (default 5)")
    parser.add_argument("--rerun-class", type=int, default=100, metavar="N",
                        help="a class of N submissions graded by this grader alone, then "
                             "graded again unchanged, timed (default 100; 0 leaves it out)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch folder (submissions, logs, gradebooks)")
    args = parser.parse_args()
    if min(args.n, args.fixed_runs, args.kernel_runs) < 1:
        parser.error("--n, --fixed-runs and --kernel-runs must be positive")
    if args.rerun_class < 0:
        parser.error("--rerun-class must be 0 or more")

    started = time.perf_counter()
    become_subreaper()
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    import nbgrader
    kind, _warning = sandbox.describe()
    print(f"Grader benchmark: python -m grader autograde --jobs {JOBS} vs plain nbgrader autograde")
    print(f"machine: {platform.machine()}, {cores} cores ({usable} usable), "
          f"load average at start {loads()}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"nbgrader {nbgrader.__version__}, sandbox of our kernels: {kind}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    if machine_busy() is None:
        print("(no /proc/stat: CPU seconds are those of reaped processes, which leave out "
              "kernels killed with their sandbox)")

    n = args.n
    batch = build_batch(n)
    assignments = [a for a in course_paths.ASSIGNMENTS if any(i.assignment == a for i, _ in batch)]
    counts = {a: sum(1 for i, _ in batch if i.assignment == a) for a in assignments}
    kinds: dict[str, int] = {}
    for item, _ in batch:
        kinds[item.kind.split(":")[0]] = kinds.get(item.kind.split(":")[0], 0) + 1
    print(f"N = {n} submissions: " + ", ".join(f"{a} {c}" for a, c in counts.items()) + "; "
          + ", ".join(f"{c} {k}" for k, c in kinds.items()))

    with scratch_folder("bench-grader-", args.keep) as scratch:
        print("plain nbgrader (one command per assignment, serial) ...", flush=True)
        nb_timed, nb_scores = run_nbgrader(batch, scratch / "nbgrader")
        print(f"python -m grader autograde --jobs {JOBS} --force, then again unchanged ...",
              flush=True)
        ours, rerun, results = run_ours(batch, scratch / "ours")
        print(f"python -m grader autograde --jobs {CORES} --force (one per core) ...", flush=True)
        per_core, _, _ = run_ours(batch, scratch / "ours-per-core", jobs=CORES)
        print(f"fixed cost: one {FIXED_ASSIGNMENT} notebook, {args.fixed_runs} interleaved runs "
              "of each ...", flush=True)
        grader_times, nbconvert_times, first = fixed_cost(scratch, args.fixed_runs)
        print(f"kernel start-up: {args.kernel_runs} one-cell notebooks through the grader's "
              "execute ...", flush=True)
        k_wall, k_kernel, k_client = kernel_start(scratch, args.kernel_runs)
        if args.rerun_class:
            print(f"a class of {args.rerun_class}: graded, then again unchanged ...", flush=True)
            class_graded, class_rerun, _ = run_ours(build_batch(args.rerun_class),
                                                    scratch / "class")
        end_load = loads()

        nb_wall = sum(t.wall for t in nb_timed.values())
        nb_cpu = sum(t.cpu for t in nb_timed.values())
        nb_rate, our_rate = per_minute(n, nb_wall), per_minute(n, ours.wall)
        ratio = our_rate / nb_rate
        print()
        print("== throughput ==")
        print(f"{'':<38}{'wall s':>9}{'CPU s':>9}{'notebooks/min':>15}")
        print(f"{'nbgrader autograde (serial)':<38}{nb_wall:>9.1f}{nb_cpu:>9.1f}{nb_rate:>15.2f}")
        print(f"{f'python -m grader autograde -j {JOBS}':<38}{ours.wall:>9.1f}{ours.cpu:>9.1f}"
              f"{our_rate:>15.2f}")
        print(f"{f'python -m grader autograde -j {CORES}':<38}{per_core.wall:>9.1f}"
              f"{per_core.cpu:>9.1f}{per_minute(n, per_core.wall):>15.2f}")
        print(f"throughput ratio (ours / nbgrader): {ratio:.2f}x   target >= {TARGET_RATIO:g}x   "
              f"{'PASS' if ratio >= TARGET_RATIO else 'MISS'}")
        print(f"rerun over the unchanged {n} notebooks (no --force): {rerun.wall:.1f} s wall, "
              f"{rerun.cpu:.1f} s CPU")
        if args.rerun_class:
            m = args.rerun_class
            print(f"a class of {m} (the same mix): graded in {class_graded.wall:.1f} s wall "
                  f"({per_minute(m, class_graded.wall):.1f} notebooks/min), "
                  f"{class_graded.cpu:.1f} s CPU")
            print(f"rerun over that unchanged class: {class_rerun.wall:.1f} s wall, "
                  f"{class_rerun.cpu:.1f} s CPU   target < {TARGET_RERUN:g} s   "
                  f"{'PASS' if class_rerun.wall < TARGET_RERUN else 'MISS'}")

        print()
        print("== per notebook, by assignment ==")
        print(f"{'assignment':<15}{'N':>3}{'nbgrader s':>12}{'ours wall s':>13}"
              f"{'ours kernel CPU s':>19}")
        for assignment in assignments:
            mine = [r for (s, a), r in results.items() if a == assignment]
            wall = statistics.mean(r.seconds for r in mine) if mine else float("nan")
            cpu = statistics.mean(r.cpu_seconds for r in mine) if mine else float("nan")
            print(f"{assignment:<15}{counts[assignment]:>3}"
                  f"{nb_timed[assignment].wall / counts[assignment]:>12.1f}{wall:>13.1f}{cpu:>19.1f}")
        print("  (nbgrader: its command's time over its notebooks, its start-up included; ours: "
              "each result's kernel run, kernel start included)")

        print()
        print("== fixed cost of one command ==")
        g_med, c_med = statistics.median(grader_times), statistics.median(nbconvert_times)
        print(f"one {FIXED_ASSIGNMENT} solution notebook, median of {args.fixed_runs} "
              "interleaved runs:")
        print(f"  python -m grader autograde --jobs 1 --force  {g_med:6.1f} s   "
              f"(runs: {', '.join(f'{t:.1f}' for t in grader_times)}; the first run, into a new "
              f"gradebook: {first:.1f} s)")
        print(f"  jupyter nbconvert --to notebook --execute    {c_med:6.1f} s   "
              f"(runs: {', '.join(f'{t:.1f}' for t in nbconvert_times)})")
        print(f"  grading / running: {g_med / c_med:.2f}x   target <= {TARGET_FIXED:g}x   "
              f"{'PASS' if g_med / c_med <= TARGET_FIXED else 'MISS'}")

        print()
        print("== kernel start-up ==")
        start_cpu = statistics.median(k_kernel) + statistics.median(k_client)
        share = start_cpu * n / ours.cpu if ours.cpu else float("nan")
        print(f"a one-cell notebook through the grader's execute ({kind}), median of "
              f"{args.kernel_runs}: {statistics.median(k_wall):.2f} s wall, "
              f"{statistics.median(k_kernel):.2f} s kernel CPU + "
              f"{statistics.median(k_client):.2f} s client CPU")
        print(f"  {n} kernel starts x {start_cpu:.2f} s = {start_cpu * n:.1f} s of the grader's "
              f"{ours.cpu:.1f} s CPU for the batch: {share:.0%}")

        print()
        print("== scores (points of each test cell, both graders) ==")
        verdicts = {}
        for item, _ in batch:
            key = (item.student, item.assignment)
            verdicts[key] = classify(item, results.get(key), nb_scores.get(key))
        same = sum(v == "same" for v in verdicts.values())
        twice = [k for k, v in verdicts.items() if v == "charged twice"]
        real = [k for k, v in verdicts.items() if v == "real"]
        print(f"{same} of {n} identical, {len(twice)} charged twice by nbgrader, {len(real)} real "
              f"disagreements   {'PASS' if not real else 'MISS'}")
        for item, _ in batch:
            key = (item.student, item.assignment)
            if verdicts[key] == "same":
                continue
            mine, theirs = results.get(key), nb_scores.get(key)
            ours_score = "-" if mine is None or mine.score is None else f"{mine.score:g}"
            their_score = "-" if theirs is None or mine is None else \
                f"{sum(theirs.get(cell.grade_id, 0.0) for cell in mine.cells):g}"
            print(f"  {item.student} {item.assignment:<13} nbgrader {their_score:>4}  ours "
                  f"{ours_score:>4}  {verdicts[key]:<14} {item.kind}")
        print("  (charged twice: the mutant's own tests lost with both; nbgrader also fails later "
              "tests that run on its wrong results, which this grader's isolated stages pass)")

        print()
        print(f"load average at the end {end_load} ({cores} cores); both with one BLAS thread "
              f"per kernel; total run time {time.perf_counter() - started:.0f} s"
              + (f"; scratch kept in {scratch}" if args.keep else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
