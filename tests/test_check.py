"""python -m grader check: the quality gate passes on the course and fails when it should."""
from grader.build import gate
from grader.build import mutants
from grader.build.mutants import Mutant


def test_quality_gate_passes_on_exercise_1():
    rows = gate.run_check(["ex1_softmax"], jobs=2, log=lambda line: None)
    assert all(row.ok for row in rows), [r for r in rows if not r.ok]
    kinds = [row.what for row in rows]
    assert "solution" in kinds and "blank release" in kinds
    assert sum(k.startswith("mutant") for k in kinds) == len(mutants.mutants_of("ex1_softmax"))
    assert any(k.startswith("run time") for k in kinds)


def test_quality_gate_fails_when_a_mutant_keeps_its_points(monkeypatch):
    harmless = Mutant("ex1_softmax", "a renamed variable only", {"sigmoid_grad": (
        "def sigmoid_grad(out):\n    return out * (1.0 - out)")}, ("test_sigmoid_grad",))
    monkeypatch.setattr(mutants, "MUTANTS", [harmless])
    monkeypatch.setattr(gate, "time_notebook", lambda assignment: (1.0, 1.0))
    rows = gate.run_check(["ex1_softmax"], jobs=2, log=lambda line: None)
    failed = [row for row in rows if not row.ok]
    assert [row.what for row in failed] == ["mutant: a renamed variable only"]


BROKEN_BWRAP = """#!/bin/sh
echo "bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces." >&2
exit 1
"""


def test_quality_gate_passes_without_bubblewrap(tmp_path):
    """On a laptop or a container where bubblewrap is missing or cannot make namespaces, every
    assignment grades as with it: every solution full marks, every blank zero, every mutant
    losing its test (once, ex3 and ex4 lost their training tests: the course's data was
    missing from the sealed course_lib). The grader and its worker processes see a ``bwrap``
    that fails as it does in such a container, first on their PATH."""
    import os
    import subprocess
    import sys

    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text(BROKEN_BWRAP)
    (fake / "bwrap").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    script = ("from grader.build import gate\nfrom grader.run import sandbox\n"
              "assert sandbox.describe()[0] == 'rlimits', sandbox.describe()\n"
              "rows = gate.run_check(jobs=2, log=lambda line: None, timing=False)\n"
              "gate.print_rows(rows)\n"
              "raise SystemExit(0 if rows and all(r.ok for r in rows) else 1)\n")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         timeout=3600)
    assert out.returncode == 0, out.stdout + out.stderr
    for assignment in ("ex1_softmax", "ex2_backprop", "ex3_mnist", "ex4_deep"):
        assert f"ok  {assignment:<14}solution" in out.stdout, out.stdout
