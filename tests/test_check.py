"""python -m grader check: the quality gate passes on the course and fails when it should."""
from grader import check, mutants
from grader.mutants import Mutant


def test_quality_gate_passes_on_exercise_1():
    rows = check.run_check(["ex1_softmax"], jobs=2, log=lambda line: None)
    assert all(row.ok for row in rows), [r for r in rows if not r.ok]
    kinds = [row.what for row in rows]
    assert "solution" in kinds and "blank release" in kinds
    assert sum(k.startswith("mutant") for k in kinds) == len(mutants.mutants_of("ex1_softmax"))
    assert any(k.startswith("run time") for k in kinds)


def test_quality_gate_fails_when_a_mutant_keeps_its_points(monkeypatch):
    harmless = Mutant("ex1_softmax", "a renamed variable only", {"sigmoid_grad": (
        "def sigmoid_grad(out):\n    return out * (1.0 - out)")}, ("test_sigmoid_grad",))
    monkeypatch.setattr(mutants, "MUTANTS", [harmless])
    monkeypatch.setattr(check, "time_notebook", lambda assignment: (1.0, 1.0))
    rows = check.run_check(["ex1_softmax"], jobs=2, log=lambda line: None)
    failed = [row for row in rows if not row.ok]
    assert [row.what for row in failed] == ["mutant: a renamed variable only"]
