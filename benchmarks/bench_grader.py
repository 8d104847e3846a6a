#!/usr/bin/env python
"""Benchmark of the grader: notebooks per minute of `python -m grader autograde --jobs 2` next to
plain `nbgrader autograde`, on the same batch of submissions, with a comparison of the scores.

    python benchmarks/bench_grader.py               # N = 30 submissions (about 10 minutes)
    python benchmarks/bench_grader.py --quick       # N = 6, a smoke run
    python benchmarks/bench_grader.py --n 60 --repeat 3 --keep

This is a script, not a test. It

1. builds N submissions spread over the three assignments (student s01 hands in ex1_softmax, s02
   ex2_backprop, s03 ex3_mnist, s04 ex1_softmax, ...), cycling deterministically through the
   kinds solution (the release filled in with the instructor's answers), mutant (a typical
   mistake from grader/build/mutants.py), blank (the release as handed out) and mutant again;
2. writes them in nbgrader's layout, ``<student>/<assignment>/<assignment>.ipynb``, once into a
   scratch nbgrader course and once into a folder for this grader;
3. times the real command line ``nbgrader autograde <assignment> --force`` (one command per
   assignment, each grading every student of that assignment one after the other, as nbgrader
   does), with the course's configuration but the submitted, autograded, release and feedback
   folders and the gradebook in the scratch folder. ``nbgrader generate_assignment`` runs first
   so that the scratch gradebook knows the assignments; that setup is not timed. Scores are read
   from nbgrader's gradebook (``Gradebook.find_submission(assignment, student).score``);
4. times ``python -m grader autograde <folder> --jobs 2 --force --output <scratch>`` (the whole
   command, registering the assignments in its gradebook included) and reads grades.csv;
5. prints the machine, the seconds and notebooks per minute of each, the ratio against the target
   (>= 2.5x nbgrader's throughput), and whether every submission got the same score from both.

Both run with one BLAS thread per kernel (OPENBLAS_NUM_THREADS=1 and friends). In every repeat
nbgrader runs first, then this grader; with ``--repeat`` the figures are medians.
"""
from __future__ import annotations

# One thread for every BLAS library, set before NumPy is imported; the commands inherit it.
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import platform  # noqa: E402
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

from grader.run import sandbox  # noqa: E402
from grader import course as course_paths
from grader.build.mutants import mutants_of  # noqa: E402
from grader.build.submissions import filled_release, release_notebook, write  # noqa: E402

TARGET_RATIO = 2.5
JOBS = 2
KINDS = ("solution", "mutant", "blank", "mutant")


@dataclass
class Item:
    student: str
    assignment: str
    kind: str          # "solution", "blank" or "mutant: <name>"


# --- the batch --------------------------------------------------------------------------------

def build_batch(n: int) -> list[tuple[Item, object]]:
    """N (item, notebook) pairs: assignment i % 3, kind i % 4, mutants in their listed order."""
    assignments = list(course_paths.ASSIGNMENTS)
    mutants = {a: mutants_of(a) for a in assignments}
    used = {a: 0 for a in assignments}
    width = max(2, len(str(n)))
    batch = []
    for i in range(n):
        assignment = assignments[i % len(assignments)]
        kind = KINDS[i % len(KINDS)]
        if kind == "mutant" and not mutants[assignment]:
            kind = "solution"
        if kind == "solution":
            nb, label = filled_release(assignment), "solution"
        elif kind == "blank":
            nb, label = release_notebook(assignment), "blank"
        else:
            mutant = mutants[assignment][used[assignment] % len(mutants[assignment])]
            used[assignment] += 1
            nb, label = filled_release(assignment, mutant.overrides), f"mutant: {mutant.name}"
        batch.append((Item(f"s{i + 1:0{width}d}", assignment, label), nb))
    return batch


def write_batch(batch, folder: Path) -> None:
    for item, nb in batch:
        write(nb, folder / item.student / item.assignment / f"{item.assignment}.ipynb")


# --- running the commands ---------------------------------------------------------------------

def environment() -> dict:
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)      # nbgrader starts `alembic` as a program
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[variable] = "1"
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


def run(command: list[str], log: Path) -> float:
    """Run ``command`` from the project root (so nbgrader reads the course's configuration),
    output to ``log``; the wall-clock seconds. Exits with the log's tail if it fails."""
    start = time.perf_counter()
    with open(log, "a") as handle:
        handle.write(f"$ {' '.join(command)}\n")
        handle.flush()
        code = subprocess.run(command, cwd=ROOT, env=environment(), stdout=handle,
                              stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - start
    if code != 0:
        tail = log.read_text().splitlines()[-40:]
        sys.exit(f"command failed (exit {code}): {' '.join(command)}\n" + "\n".join(tail))
    return seconds


def nbgrader_command() -> list[str]:
    found = shutil.which("nbgrader", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "nbgrader"]


def nbgrader_options(course: Path) -> list[str]:
    return [f"--CourseDirectory.root={ROOT}",
            f"--CourseDirectory.release_directory={course / 'release'}",
            f"--CourseDirectory.submitted_directory={course / 'submitted'}",
            f"--CourseDirectory.autograded_directory={course / 'autograded'}",
            f"--CourseDirectory.feedback_directory={course / 'feedback'}",
            f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"]


def run_nbgrader(batch, course: Path) -> tuple[float, dict, dict]:
    """(seconds of the autograde commands, {assignment: seconds}, {(student, assignment): score})."""
    if course.exists():
        shutil.rmtree(course)
    write_batch(batch, course / "submitted")
    log = course / "nbgrader.log"
    assignments = [a for a in course_paths.ASSIGNMENTS if any(i.assignment == a for i, _ in batch)]
    for assignment in assignments:                  # setup, not timed
        run(nbgrader_command() + ["generate_assignment", assignment, "--force"]
            + nbgrader_options(course), log)
    per_assignment = {}
    for assignment in assignments:
        per_assignment[assignment] = run(
            nbgrader_command() + ["autograde", assignment, "--force"] + nbgrader_options(course),
            log)
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for item, _ in batch:
            try:
                submission = gradebook.find_submission(item.assignment, item.student)
                scores[item.student, item.assignment] = float(submission.score)
            except MissingEntry:
                scores[item.student, item.assignment] = None
    return sum(per_assignment.values()), per_assignment, scores


def run_ours(batch, scratch: Path) -> tuple[float, dict]:
    """(seconds of the whole command, {(student, assignment): score})."""
    if scratch.exists():
        shutil.rmtree(scratch)
    folder, output = scratch / "submissions", scratch / "output"
    write_batch(batch, folder)
    seconds = run([sys.executable, "-m", "grader", "autograde", str(folder), "--jobs", str(JOBS),
                   "--force", "--output", str(output)], scratch.parent / "grader.log")
    scores = {}
    with open(output / "grades.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            scores[row["student"], row["assignment"]] = (float(row["score"]) if row["score"]
                                                         else None)
    return seconds, scores


# --- report -----------------------------------------------------------------------------------

def per_minute(count: int, seconds: float) -> float:
    return count / seconds * 60.0


def fmt(score) -> str:
    return "-" if score is None else f"{score:g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=30, help="submissions in the batch (default 30)")
    parser.add_argument("--quick", action="store_true", help="smoke run: N = 6")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each (nbgrader then ours, in turns); medians are reported")
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch folder (submissions, logs, gradebooks)")
    args = parser.parse_args()
    n = 6 if args.quick else args.n
    if n < 1 or args.repeat < 1:
        parser.error("--n and --repeat must be positive")

    started = time.perf_counter()
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    import nbgrader
    kind, _warning = sandbox.describe()
    print("Grader benchmark: python -m grader autograde --jobs 2 vs plain nbgrader autograde")
    print(f"machine: {platform.machine()}, {cores} cores ({usable} usable), "
          f"load average at start {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"nbgrader {nbgrader.__version__}, sandbox of our kernels: {kind}")

    batch = build_batch(n)
    kinds = {}
    for item, _ in batch:
        key = item.kind.split(":")[0]
        kinds[key] = kinds.get(key, 0) + 1
    per_assignment = {a: sum(1 for i, _ in batch if i.assignment == a) for a in course_paths.ASSIGNMENTS}
    print(f"N = {n} submissions: "
          + ", ".join(f"{a} {c}" for a, c in per_assignment.items() if c) + "; "
          + ", ".join(f"{c} {k}" for k, c in kinds.items())
          + f"; repeats: {args.repeat} (nbgrader first, then ours, in each)")

    nb_times, our_times, nb_parts, differences_per_run = [], [], [], []
    nb_scores = our_scores = {}
    with scratch_folder("bench-grader-", args.keep) as scratch:
        for r in range(args.repeat):
            label = f"[{r + 1}/{args.repeat}] " if args.repeat > 1 else ""
            print(f"{label}nbgrader autograde (one command per assignment, serial) ...",
                  flush=True)
            seconds, parts, nb_scores = run_nbgrader(batch, scratch / "nbgrader")
            nb_times.append(seconds)
            nb_parts.append(parts)
            print(f"{label}  {seconds:.1f} s ("
                  + ", ".join(f"{a} {s:.1f} s" for a, s in parts.items()) + ")", flush=True)
            print(f"{label}python -m grader autograde --jobs {JOBS} ...", flush=True)
            seconds, our_scores = run_ours(batch, scratch / "ours")
            our_times.append(seconds)
            print(f"{label}  {seconds:.1f} s", flush=True)
            differences_per_run.append(sum(
                1 for item, _ in batch
                if nb_scores.get((item.student, item.assignment))
                != our_scores.get((item.student, item.assignment))))

        nb_seconds, our_seconds = statistics.median(nb_times), statistics.median(our_times)
        nb_rate, our_rate = per_minute(n, nb_seconds), per_minute(n, our_seconds)
        ratio = our_rate / nb_rate
        what = "median of " + str(args.repeat) + " runs" if args.repeat > 1 else "one run"
        print()
        print(f"{'':<34}{'seconds':>10}{'notebooks/min':>16}")
        print(f"{'nbgrader autograde (serial)':<34}{nb_seconds:>10.1f}{nb_rate:>16.2f}")
        print(f"{f'python -m grader autograde -j {JOBS}':<34}{our_seconds:>10.1f}{our_rate:>16.2f}")
        print(f"throughput ratio (ours / nbgrader): {ratio:.2f}x   target >= {TARGET_RATIO}x   "
              f"{'PASS' if ratio >= TARGET_RATIO else 'MISS'}   ({what})")
        if args.repeat > 1:
            print("  nbgrader runs: " + ", ".join(f"{s:.1f}" for s in nb_times) + " s; ours: "
                  + ", ".join(f"{s:.1f}" for s in our_times) + " s")

        print()
        same = [item for item, _ in batch
                if nb_scores.get((item.student, item.assignment)) is not None
                and nb_scores.get((item.student, item.assignment))
                == our_scores.get((item.student, item.assignment))]
        print(f"scores: {len(same)} of {n} submissions identical"
              + (" (last run)" if args.repeat > 1 else "")
              + f"   {'PASS' if len(same) == n else 'MISS'}")
        if args.repeat > 1 and len(set(differences_per_run)) > 1:
            print(f"  differing submissions per run: {differences_per_run}")
        different = [item for item, _ in batch if item not in same]
        if different:
            print(f"  {'student':<8}{'assignment':<15}{'nbgrader':>9}{'ours':>7}  submission")
            for item in different:
                key = (item.student, item.assignment)
                print(f"  {item.student:<8}{item.assignment:<15}{fmt(nb_scores.get(key)):>9}"
                      f"{fmt(our_scores.get(key)):>7}  {item.kind}")
        print("  (score = points of the autograded cells; manually graded cells count 0 on both "
              "sides until a person grades them)")

        print()
        print("Notes:")
        print("- nbgrader executes every cell of every notebook, including the slow ungraded "
              "demo cells (training runs, plots) that our grader skips via the 'skip-grading' tag;")
        print("  it grades one notebook at a time. Ours grades 2 at once (--jobs 2) and runs "
              f"each kernel in the bubblewrap sandbox when available (here: {kind}).")
        print("- nbgrader's time covers its autograde commands only (generate_assignment setup "
              "excluded); ours is the whole command, registering the assignments included.")
        print(f"- both with one BLAS thread per kernel. The machine's {cores} cores may be shared "
              f"with other work: load average at the end "
              f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}.")
        print(f"total run time {time.perf_counter() - started:.0f} s"
              + (f"; scratch kept in {scratch}" if args.keep else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
