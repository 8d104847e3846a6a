#!/usr/bin/env python
"""Benchmark of course_lib: accuracy on MNIST, training speed next to PyTorch, gradient checks.

    python benchmarks/bench_course_lib.py               # everything (about 7 minutes)
    python benchmarks/bench_course_lib.py --quick       # smoke run, under a minute
    python benchmarks/bench_course_lib.py --skip-accuracy --skip-speed

This is a script, not a test: it prints one table of figures, each with its target and a PASS or
MISS mark (or "info" for figures without a target), then the total run time.

1. The 7-10 net (784-7-10, sigmoid hidden units, softmax, no biases) trained on all 60,000
   training images: test accuracy after 10 and 100 epochs, mean of 3 seeds.
2. The best course_lib MLP within 20 epochs: test accuracy, mean of 3 seeds.
3. Seconds per epoch (60k samples, minibatches of 128, float32, one thread) of the 7-10 net and of
   784-256-256-10 (relu), and the same networks in PyTorch, if it is installed, measured in turns.
4. Time of a full gradient check of the 7-10 net (all 5,558 weights, 32 samples, float64).

Hyperparameters were chosen on a 50,000/10,000 train/validation split of the training set; the
figures here train on all 60,000 training images and report accuracy on the 10,000 test images
(recorded after every epoch; nothing is selected on the test set).
"""
from __future__ import annotations

# One thread for every BLAS library, set before NumPy (or PyTorch) is imported.
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

# Benchmark the checkout this script lives in, installed or not.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course_lib import net710  # noqa: E402
from course_lib.gradcheck import check_gradients  # noqa: E402
from course_lib.mlp import MLP  # noqa: E402
from course_lib.mnist import load_mnist, one_hot  # noqa: E402
from course_lib.training import train  # noqa: E402

try:
    import torch
except ImportError:          # the speed comparison is skipped; everything else runs
    torch = None

TORCH_INSTALL = "pip install torch==2.13.0"


# --- configurations -------------------------------------------------------------------------

def cosine(epochs: int):
    """Learning-rate factor falling from 1 towards 0 along half a cosine over ``epochs`` epochs."""
    return lambda epoch: 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


# Chosen on a 50k/10k train/validation split. 7-10 net (100 epochs, mean of 3 seeds, validation
# accuracy): lr 0.05 with cosine decay 91.5% (step decay x0.5 every 30 epochs: the same); lr 0.02
# or 0.1, batch 64, momentum 0.95 (lr 0.03) or 0.5 (lr 0.2): 91.2-91.4%; larger rates, lr 0.5-2.0
# with momentum 0.9 (one seed): 88.6-90.0%. Best MLP (20 epochs, one seed): 512-512 with lr 0.1 98.3% (lr 0.05:
# 98.15%); 1024-1024 with dropout 0.3 reached 98.4% but takes about 3.5 times as long.
NET710 = dict(lr=0.05, momentum=0.9, batch_size=128)
BEST_MLP = dict(sizes=[784, 512, 512, 10], hidden="relu", dropout=0.2, max_norm=3.0,
                lr=0.1, momentum=0.9, batch_size=128)
SCHEDULE = "cosine decay to 0 over the run"
SPEED_NETS = ("7-10", "784-256-256-10")


def describe(config) -> str:
    return (f"lr {config['lr']}, momentum {config['momentum']}, batch {config['batch_size']}, "
            f"{SCHEDULE}")


# --- output ---------------------------------------------------------------------------------

class Table:
    """Rows of (figure, value, target, mark) and free-text notes, printed together at the end."""

    HEADER = ("figure", "value", "target", "mark")

    def __init__(self):
        self.rows, self.notes = [], []

    def add(self, figure, value, target="", passed=None):
        mark = "info" if passed is None else ("PASS" if passed else "MISS")
        self.rows.append((figure, value, target, mark))

    def skip(self, figure, reason):
        self.rows.append((figure, "-", "", f"skipped: {reason}"))

    def note(self, text):
        self.notes.append(text)

    def print(self):
        widths = [max(len(str(row[i])) for row in self.rows + [self.HEADER]) for i in range(4)]
        line = "  ".join("-" * w for w in widths)
        print(line)
        for n, row in enumerate([self.HEADER] + self.rows):
            print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip())
            if n == 0:
                print(line)
        print(line)
        for text in self.notes:
            print(f"* {text}")


def section(title):
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)), flush=True)


def machine_summary() -> str:
    blas = "unknown"
    try:
        blas_info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{blas_info.get('name', '?')} {blas_info.get('version', '')}".strip()
    except Exception:   # older NumPy or an unusual build: not worth failing over
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    torch_text = f"torch {torch.__version__}" if torch is not None else "torch not installed"
    return (f"Python {platform.python_version()}, numpy {np.__version__} (BLAS: {blas}), "
            f"{torch_text}\nCPU: {cpu}, {os.cpu_count()} logical CPUs, {load_average()}; "
            f"benchmarks use ONE thread (OPENBLAS/OMP/MKL_NUM_THREADS=1"
            + (", torch.set_num_threads(1))" if torch else ")"))


def load_average() -> str:
    """Other jobs on the machine slow everything down; the load average says how busy it is."""
    try:
        return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


# --- data -----------------------------------------------------------------------------------

def mnist_float32():
    X, y = load_mnist("train", dtype=np.float32)
    X_test, y_test = load_mnist("test", dtype=np.float32)
    return X, one_hot(y, dtype=np.float32), y, X_test, one_hot(y_test, dtype=np.float32), y_test


# --- 4. gradient check ----------------------------------------------------------------------

def bench_gradcheck(table, runs=5, m=32, wd=0.01):
    X, y = load_mnist("train", subset=m, seed=0)            # float64
    T = one_hot(y)
    params = net710.init_params(seed=0)
    times = []
    for _ in range(runs + 1):                                # the first run warms up, uncounted
        start = time.perf_counter()
        report = check_gradients(net710.LossFunction(X, T, wd), params,
                                 net710.gradients(params, X, T, wd))
        times.append(time.perf_counter() - start)
    checked = sum(row[1] for row in report.rows)
    seconds = statistics.median(times[1:])
    print(f"checked {checked} weights, largest relative error {report.max_rel_error:.1e}; "
          f"seconds per check: {', '.join(f'{t:.3f}' for t in times[1:])}")
    table.add(f"gradient check 7-10 net: {checked} weights, m={m}, float64 (median of {runs})",
              f"{seconds:.3f} s", "<= 0.1 s", seconds <= 0.1)


# --- 3. speed -------------------------------------------------------------------------------

def course_lib_model(name, seed=0):
    if name == "7-10":
        return MLP.from_params(net710.init_params(seed=seed, dtype=np.float32), hidden="sigmoid")
    return MLP([784, 256, 256, 10], hidden="relu", dtype=np.float32, seed=seed)


def torch_twin(model):
    """The same network in PyTorch, starting from the same weights."""
    nn = torch.nn
    layers = []
    for l in range(1, model.n_layers + 1):
        W = model.params[f"W{l}"]
        linear = nn.Linear(W.shape[1], W.shape[0], bias=model.bias)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            if model.bias:
                linear.bias.copy_(torch.from_numpy(model.params[f"b{l}"][:, 0]))
        layers.append(linear)
        if l < model.n_layers:
            layers.append(nn.Sigmoid() if model.hidden == "sigmoid" else nn.ReLU())
    return nn.Sequential(*layers)


def torch_epoch_runner(net, X, y, lr, batch_size=128, seed=0):
    """A function that trains ``net`` for one epoch and returns the seconds it took: a plain
    loop over shuffled minibatches of preloaded tensors, with SGD and momentum 0.9."""
    Xt = torch.from_numpy(np.ascontiguousarray(X.T))        # (m, 784): samples are rows in torch
    yt = torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    generator = torch.Generator().manual_seed(seed)
    m = Xt.shape[0]

    def epoch():
        start = time.perf_counter()
        order = torch.randperm(m, generator=generator)
        for first in range(0, m, batch_size):
            idx = order[first:first + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(net(Xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
        return time.perf_counter() - start
    return epoch


def time_epochs(model, X, T, rounds, lr, between=None):
    """Seconds of each of ``rounds`` epochs of one ``course_lib.training.train`` call, calling
    ``between()`` (untimed) before each epoch.

    ``train`` calls its ``schedule`` once at the start of every epoch, so a schedule that reads
    the clock marks the epoch boundaries. A course_lib epoch therefore includes everything
    ``train`` does per epoch: the 60k-sample SGD pass and its end-of-epoch loss and accuracy on a
    10k-sample probe of the training set; the one-off setup of the call is not counted.
    """
    times, started = [], []

    def schedule(epoch):
        if started:
            times.append(time.perf_counter() - started[-1])
        if between is not None:
            between()
        started.append(time.perf_counter())
        return 1.0

    train(model, X, T, epochs=rounds, batch_size=128, lr=lr, momentum=0.9, schedule=schedule,
          seed=0, progress=False)
    times.append(time.perf_counter() - started[-1])
    return times


def monitoring_seconds(model, X, T, size=10_000, repeats=3):
    """Seconds of the loss and accuracy that ``train`` computes after every epoch on its
    ``train_eval_size`` (10k) probe of the training set: one forward pass via loss_and_logits."""
    X_probe, T_probe = np.asfortranarray(X[:, :size]), np.asfortranarray(T[:, :size])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _, logits = model.loss_and_logits(X_probe, T_probe)
        np.argmax(logits, axis=0)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_speed(table, data, quick):
    X, T, y = data[:3]
    if torch is None:
        print(f"PyTorch is not installed: the side-by-side rows are skipped. To include them, "
              f"install it into this environment with `{TORCH_INSTALL}` (CPU wheel).")
    else:
        torch.set_num_threads(1)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:      # can only be set before PyTorch has run anything in parallel
            pass
    targets = {"7-10": 0.3, "784-256-256-10": 0.75}
    rounds = {"7-10": 5 if quick else 21, "784-256-256-10": 3 if quick else 9}
    lrs = {"7-10": NET710["lr"], "784-256-256-10": 0.05}
    for name in SPEED_NETS:
        model = course_lib_model(name)
        torch_times, between = [], None
        if torch is not None:
            run_torch_epoch = torch_epoch_runner(torch_twin(model), X, y, lrs[name])
            run_torch_epoch()                                   # warm-up, uncounted

            def between():
                torch_times.append(run_torch_epoch())
        ours = time_epochs(model, X, T, rounds[name] + 1, lrs[name], between)[1:]  # 1st: warm-up
        torch_times = torch_times[1:]
        cl = statistics.median(ours)
        print(f"{name}: course_lib s/epoch {', '.join(f'{t:.3f}' for t in ours)}")
        table.add(f"s/epoch {name}, course_lib train() (median of {len(ours)})", f"{cl:.3f} s")
        monitoring = monitoring_seconds(model, X, T)
        table.add("  of which end-of-epoch loss/accuracy on 10k probe", f"{monitoring:.3f} s")
        if torch is None:
            table.skip(f"s/epoch {name}, PyTorch", f"torch not installed ({TORCH_INSTALL})")
            continue
        pt = statistics.median(torch_times)
        print(f"{name}: PyTorch    s/epoch {', '.join(f'{t:.3f}' for t in torch_times)}")
        table.add(f"s/epoch {name}, PyTorch plain loop (median of {len(torch_times)})",
                  f"{pt:.3f} s")
        # each course_lib epoch is compared with the PyTorch epoch run just before it, so that
        # a change in the machine's speed (other jobs, clock) affects both sides alike
        ratio = statistics.median(ours_t / torch_t for ours_t, torch_t in zip(ours, torch_times))
        table.add(f"ratio course_lib / PyTorch, {name}", f"{ratio:.2f}", f"<= {targets[name]}",
                  ratio <= targets[name])
    table.note("Seconds per epoch: 60,000 samples, minibatches of 128, float32, SGD with momentum "
               "0.9, one thread. A course_lib epoch is one epoch inside a train() call (timed "
               "through its schedule hook, setup excluded), including train()'s end-of-epoch loss "
               "and accuracy on a 10k probe (shown separately)."
               + (" The PyTorch epoch is a plain loop over preloaded tensors without any "
                  "evaluation. The two alternate, epoch by epoch; the ratio is the median of the "
                  "ratios of neighbouring epochs." if torch is not None else
                  f" PyTorch is not installed; `{TORCH_INSTALL}` adds the side-by-side rows."))


# --- 1. and 2. accuracy ---------------------------------------------------------------------

def run_seeds(make_model, data, seeds, epochs, **options):
    """Train one model per seed on all training data; test accuracy after every epoch."""
    X, T, _, X_test, T_test, _ = data
    curves = []
    for seed in seeds:
        start = time.perf_counter()
        model = make_model(seed)
        history = train(model, X, T, epochs=epochs, X_val=X_test, T_val=T_test, seed=seed,
                        progress=False, **options)
        curves.append(history.val_acc)
        print(f"  seed {seed}: test accuracy {history.val_acc[-1]:.2%} after {epochs} epochs "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    return np.array(curves)


def bench_net710(table, data, quick):
    seeds = [0] if quick else [0, 1, 2]
    epochs = 10 if quick else 100
    print(f"7-10 net: {describe(NET710)}; {epochs} epochs, seeds {seeds}")
    curves = run_seeds(lambda seed: MLP.from_params(net710.init_params(seed=seed, dtype=np.float32),
                                                    hidden="sigmoid"),
                       data, seeds, epochs, lr=NET710["lr"], momentum=NET710["momentum"],
                       batch_size=NET710["batch_size"], schedule=cosine(epochs))
    mean = curves.mean(axis=0)
    n = f"mean of {len(seeds)} seed{'s' * (len(seeds) > 1)}"
    table.add(f"7-10 net test accuracy, 10 epochs ({n})", f"{mean[9]:.2%}")
    if quick:
        table.skip("7-10 net test accuracy, 100 epochs", "--quick")
    else:
        table.add(f"7-10 net test accuracy, 100 epochs ({n})", f"{mean[99]:.2%}", ">= 92.0%",
                  mean[99] >= 0.92)
    table.note(f"7-10 net: 784-7-10, sigmoid hidden units, softmax, no biases; "
               f"{describe(NET710)} ({epochs} epochs); per-seed test accuracy at the end: "
               + ", ".join(f"{a:.2%}" for a in curves[:, -1]) + ". The 10-epoch figure is "
               "epoch 10 of the same runs.")


def bench_best_mlp(table, data, quick):
    c = BEST_MLP
    seeds = [0] if quick else [0, 1, 2]
    epochs = 2 if quick else 20
    arch = "-".join(map(str, c["sizes"]))
    what = f"{arch} {c['hidden']}, dropout {c['dropout']}, max-norm {c['max_norm']}, {describe(c)}"
    print(f"best MLP: {what}; {epochs} epochs, seeds {seeds}")
    start = time.perf_counter()
    curves = run_seeds(lambda seed: MLP(c["sizes"], hidden=c["hidden"], dtype=np.float32,
                                        seed=seed, dropout=c["dropout"], max_norm=c["max_norm"]),
                       data, seeds, epochs, lr=c["lr"], momentum=c["momentum"],
                       batch_size=c["batch_size"], schedule=cosine(epochs))
    minutes = (time.perf_counter() - start) / 60
    mean = curves[:, -1].mean()
    n = f"mean of {len(seeds)} seed{'s' * (len(seeds) > 1)}"
    if quick:
        table.add(f"best MLP test accuracy, {epochs} epochs ({n}) [--quick]", f"{mean:.2%}")
    else:
        table.add(f"best MLP test accuracy, {epochs} epochs ({n})", f"{mean:.2%}", ">= 98.5%",
                  mean >= 0.985)
    table.add(f"best MLP training time, {len(seeds)} x {epochs} epochs", f"{minutes:.1f} min")
    table.note(f"best MLP: {what}; per-seed test accuracy after {epochs} epochs: "
               + ", ".join(f"{a:.2%}" for a in curves[:, -1]) + ".")


# --- main -----------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer epochs, seeds and timing rounds: a smoke run under 2 minutes")
    parser.add_argument("--skip-accuracy", action="store_true", help="skip figures 1 and 2")
    parser.add_argument("--skip-speed", action="store_true", help="skip the seconds per epoch")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    section("machine")
    print(machine_summary())
    table = Table()
    data = None if (args.skip_speed and args.skip_accuracy) else mnist_float32()

    section("gradient check")
    bench_gradcheck(table)
    if args.skip_speed:
        table.skip("seconds per epoch", "--skip-speed")
    else:
        section("speed: seconds per epoch, one thread")
        bench_speed(table, data, args.quick)
    if args.skip_accuracy:
        table.skip("test accuracies", "--skip-accuracy")
    else:
        section("accuracy: 7-10 net")
        bench_net710(table, data, args.quick)
        section("accuracy: best MLP")
        bench_best_mlp(table, data, args.quick)
        table.note("Accuracy: trained on all 60,000 training images, accuracy on the 10,000 test "
                   "images recorded after every epoch (no early stopping; nothing is selected on "
                   "the test set). Hyperparameters were chosen on a 50k/10k train/validation "
                   "split of the training images.")

    section("results" + (" (--quick: fewer epochs, seeds and rounds; accuracy targets not "
                         "applicable)" if args.quick else ""))
    table.print()
    print(f"total run time: {time.perf_counter() - start:.0f} s ({load_average()} at the end)")


if __name__ == "__main__":
    main()
