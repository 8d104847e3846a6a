#!/usr/bin/env python
"""Benchmark of grading on a Dask cluster: the same batch graded by the local pool and by a
LocalCluster of 1 and of 2 workers, one after the other in one run, with a projection for a
large class.

    python benchmarks/bench_cluster.py                 # N = 60 submissions (about 10 minutes)
    python benchmarks/bench_cluster.py --quick         # N = 6, a smoke run
    python benchmarks/bench_cluster.py --n 90 --repeat 3

This is a script, not a test. It

1. builds N submissions over the three assignments, as benchmarks/bench_grader.py does
   (solutions, typical mistakes from grader/build/mutants.py and blank releases, in turns);
2. times the real command line, whole (start-up, registering the assignments, the LocalCluster's
   start and stop included), in each mode: ``python -m grader autograde SUBMISSIONS --force``
   with ``--jobs 2`` (the local pool), ``--cluster local:1`` and ``--cluster local:2``;
3. times the same command again without ``--force`` (everything is graded, so this is the fixed
   cost of a command: start-up, registering, starting and stopping the cluster);
4. prints notebooks per minute, and the overhead per submission: the worker time not spent
   grading, ``((seconds - fixed) x workers - sum of the submissions' grading seconds) / N``,
   and the cluster's extra over the local pool at the same parallelism;
5. checks that every submission got the same score and status in every mode;
6. projects the time for 1,000 students x 3 notebooks on K machines of this size from the
   measured cost per notebook (grading seconds per assignment plus the 2-worker cluster's
   overhead), with one single-threaded worker per core.

Every process runs with one BLAS thread (OPENBLAS_NUM_THREADS=1 and friends). With ``--repeat``
the modes run in turns and the figures are medians.
"""
from __future__ import annotations

# One thread for every BLAS library, set before NumPy is imported; the commands inherit it.
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))            # benchmark this checkout, installed or not

from bench_grader import build_batch, per_minute, run, scratch_folder, write_batch  # noqa: E402

from grader.run import sandbox  # noqa: E402
from grader import course

CLASS = {"students": 1000, "notebooks": len(course.ASSIGNMENTS)}
MACHINES = (1, 2, 4, 8, 16, 32)
CORES = os.cpu_count() or 1


@dataclass
class Mode:
    label: str
    arguments: list
    workers: int
    walls: list = field(default_factory=list)
    fixed: list = field(default_factory=list)        # the same command with nothing to grade
    busy: list = field(default_factory=list)         # summed grading seconds, per run
    scores: dict = field(default_factory=dict)       # (student, assignment) -> (status, score)
    seconds: dict = field(default_factory=dict)      # assignment -> grading seconds, last run

    def wall(self) -> float:
        return statistics.median(self.walls)

    def overhead(self, n: int) -> float:
        """Median seconds of worker time per submission spent on anything but grading it,
        the fixed cost of a command (start-up, registering, starting a cluster) left out."""
        return statistics.median(((w - f) * self.workers - b) / n
                                 for w, f, b in zip(self.walls, self.fixed, self.busy))


MODES = [Mode("local pool, --jobs 2", ["--jobs", "2"], 2),
         Mode("LocalCluster, 1 worker", ["--cluster", "local:1"], 1),
         Mode("LocalCluster, 2 workers", ["--cluster", "local:2"], 2)]


def grade(mode: Mode, folder: Path, output: Path, log: Path) -> None:
    """One timed run of the command line in ``mode``; its scores and grading seconds."""
    shutil.rmtree(output, ignore_errors=True)
    command = [sys.executable, "-m", "grader", "autograde", str(folder), "--output", str(output),
               *mode.arguments]
    mode.walls.append(run(command + ["--force"], log))
    mode.fixed.append(run(command, log))          # everything is graded: only the fixed cost
    with open(output / "grades.csv", newline="") as handle:
        mode.scores = {(r["student"], r["assignment"]): (r["status"], r["score"])
                       for r in csv.DictReader(handle)}
    seconds: dict = {}
    for path in (output / "results").rglob("*.json"):
        result = json.loads(path.read_text())
        seconds.setdefault(result["assignment"], []).append(result["seconds"])
    mode.seconds = seconds
    mode.busy.append(sum(sum(values) for values in seconds.values()))


def projection(pool: Mode, cluster: Mode, n: int) -> list[str]:
    """Hours for CLASS on K machines of CORES cores, one worker per core."""
    overhead = cluster.overhead(n)
    per_notebook = {a: statistics.mean(s) + overhead for a, s in cluster.seconds.items()}
    mean_cost = statistics.mean(per_notebook.values())
    core_seconds = CLASS["students"] * sum(per_notebook.get(a, mean_cost)
                                           for a in course.ASSIGNMENTS)
    lines = ["cost per notebook (grading seconds + cluster overhead, one core): " + ", ".join(
        f"{a} {c:.1f} s" for a, c in sorted(per_notebook.items()))]
    lines.append(f"{CLASS['students']:,} students x {CLASS['notebooks']} notebooks = "
                 f"{core_seconds / 3600:.1f} core-hours")
    lines.append(f"  {'machines':>8} {'workers':>8} {'hours':>8}")
    for machines in MACHINES:
        workers = machines * CORES
        lines.append(f"  {machines:>8} {workers:>8} {core_seconds / workers / 3600:>8.2f}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=60, help="submissions in the batch (default 60)")
    parser.add_argument("--quick", action="store_true", help="smoke run: N = 6")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each mode, in turns; medians are reported")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    n = 6 if args.quick else args.n
    if n < 1 or args.repeat < 1:
        parser.error("--n and --repeat must be positive")
    started = time.perf_counter()
    kind, _ = sandbox.describe()
    print("Cluster benchmark: python -m grader autograde, local pool vs LocalCluster")
    print(f"machine: {platform.machine()}, {CORES} cores, load average at start "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}; python "
          f"{platform.python_version()}; sandbox: {kind}; one BLAS thread")
    batch = build_batch(n)
    counts = {a: sum(1 for item, _ in batch if item.assignment == a) for a in course.ASSIGNMENTS}
    print(f"N = {n} submissions: " + ", ".join(f"{a} {c}" for a, c in counts.items() if c)
          + f"; repeats: {args.repeat}")
    with scratch_folder("bench-cluster-", args.keep) as scratch:
        folder = scratch / "submissions"
        write_batch(batch, folder)
        for r in range(args.repeat):
            for mode in MODES:
                label = f"[{r + 1}/{args.repeat}] " if args.repeat > 1 else ""
                print(f"{label}{mode.label} ...", flush=True)
                grade(mode, folder, scratch / "output", scratch / "grader.log")
                print(f"{label}  {mode.walls[-1]:.1f} s", flush=True)
        what = f"median of {args.repeat} runs" if args.repeat > 1 else "one run"
        print(f"\n{'':<26}{'seconds':>9}{'notebooks/min':>15}{'fixed':>8}"
              f"{'overhead/submission':>21}")
        for mode in MODES:
            print(f"{mode.label:<26}{mode.wall():>9.1f}{per_minute(n, mode.wall()):>15.2f}"
                  f"{statistics.median(mode.fixed):>7.1f}s{mode.overhead(n):>19.2f} s")
        pool, single, double = MODES
        print(f"({what}; fixed = the same command with everything graded already: start-up, "
              "registering, starting the cluster;\n overhead = (seconds - fixed) x workers - "
              "grading seconds, per submission: worker time not spent grading)")
        print(f"cluster's extra per submission over the local pool, 2 workers each: "
              f"{(double.wall() - pool.wall()) / n:+.2f} s end to end, "
              f"{double.overhead(n) - pool.overhead(n):+.2f} s of worker time")
        print(f"speed-up of 2 workers over 1: {single.wall() / double.wall():.2f}x")
        same = all(mode.scores == pool.scores for mode in MODES)
        print(f"scores: {'identical in every mode' if same else 'DIFFERENT'} "
              f"({len(pool.scores)} rows)   {'PASS' if same else 'MISS'}")
        if not same:
            for mode in MODES[1:]:
                for key in sorted(set(pool.scores) | set(mode.scores)):
                    if pool.scores.get(key) != mode.scores.get(key):
                        print(f"  {key}: pool {pool.scores.get(key)}, {mode.label} "
                              f"{mode.scores.get(key)}")
        print("\nprojection (this machine's cost per notebook; submissions like this batch's):")
        for line in projection(pool, double, n):
            print(line)
        print("  (assumes one coordinator keeps up: it saves each result and the gradebook row "
              "as it arrives)")
        print(f"load average at the end {', '.join(f'{x:.2f}' for x in os.getloadavg())}; "
              f"total run time {time.perf_counter() - started:.0f} s"
              + (f"; scratch kept in {scratch}" if args.keep else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
