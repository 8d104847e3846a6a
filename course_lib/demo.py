"""A short tour of course_lib: check the 7-10 net's gradients, train it on MNIST, report accuracy.

    python -m course_lib.demo [--epochs N] [--seed S]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from . import net710
from .gradcheck import check_gradients
from .mlp import MLP
from .mnist import load_mnist, one_hot, train_val_split
from .training import accuracy, train


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.demo", description=__doc__)
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and shuffling")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")

    X, y = load_mnist("train")
    X_test, y_test = load_mnist("test")
    X_train, y_train, X_val, y_val = train_val_split(X, y, n_val=10_000, seed=args.seed)
    print(f"MNIST: {X_train.shape[1]} training, {X_val.shape[1]} validation and "
          f"{X_test.shape[1]} test images of {X.shape[0]} pixels (samples are columns)")

    params = net710.init_params(seed=args.seed)
    Xb, Tb = X_train[:, :32], one_hot(y_train[:32])
    report = check_gradients(net710.LossFunction(Xb, Tb, wd=1e-3), params,
                             net710.gradients(params, Xb, Tb, wd=1e-3))
    worst = max(report.rows, key=lambda row: row[4])
    print(f"gradient check of all {sum(w.size for w in params.values())} weights of the 7-10 net: "
          f"passed, using {report.tolerance_used:.0%} of the tolerance |a - n| <= 1e-8 + "
          f"1e-6 |n| at most; the largest relative error, {report.max_rel_error:.1e}, is at an "
          f"entry of size {worst[5]:.1e}, where rounding dominates")
    print(f"initial loss {net710.loss(params, X_val, one_hot(y_val)):.4f} "
          f"(ln 10 = {np.log(10):.4f} for a network that knows nothing yet)")

    model = MLP.from_params(net710.init_params(seed=args.seed, dtype=np.float32))
    start = time.perf_counter()
    history = train(model, X_train.astype(np.float32), one_hot(y_train, dtype=np.float32),
                    epochs=args.epochs, batch_size=128, lr=0.5, momentum=0.9,
                    X_val=X_val.astype(np.float32), T_val=one_hot(y_val, dtype=np.float32),
                    seed=args.seed, description="7-10 net")
    seconds = time.perf_counter() - start
    test_acc = accuracy(model.logits(X_test.astype(np.float32)), y_test)
    print(f"7-10 net after {len(history)} epochs ({seconds:.1f} s): validation accuracy "
          f"{history.val_acc[-1]:.2%}, test accuracy {test_acc:.2%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
