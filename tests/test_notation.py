"""Every name in the notebooks' code means one thing across the four exercises: ``y`` and ``Y``
(and ``y_train``, ``Y2``, ...) are network outputs, never integer class labels (those are
``labels...``), and no name is, say, a learning rate in one place and a leaky-ReLU slope in
another (``alpha`` was both).

A name's meaning (its role) is read from the code itself, not from its spelling:

* the parameter it is passed to, positionally or by keyword, of a function that the notebooks
  define or import from course_lib (``one_hot(labels)``, ``lr=``, ``slope=``, ``wd=``);
* what it is unpacked from (``load_mnist`` and ``train_val_split`` return labels, ``predict`` and
  ``np.argmax`` classes, ``one_hot`` targets);
* how it is used: compared with predicted classes, as the class index of ``A[c, np.arange(m)]``
  or ``np.eye(n)[:, c]``, a step against a gradient (``W -= c * g``), the negative slope of a
  ReLU (``np.maximum(c * Z, Z)``).

The rules run on every solution and release, and on made-up notebooks written with the old
names, which they must reject (so the test can fail).
"""
from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
from collections import defaultdict
from dataclasses import dataclass

import pytest

from grader import course

LABELS, OUTPUTS, TARGETS = "integer class labels", "network outputs", "one-hot targets"
LEARNING_RATE, LEAK, WEIGHT_DECAY, MOMENTUM = ("learning rate", "leaky-ReLU slope",
                                               "weight decay", "momentum")
# the role a parameter's name gives to whatever is passed to it; y and Y are left out, since they
# are what is checked (and course_lib's train_val_split still calls its labels y)
PARAMETER_ROLES = {"labels": LABELS, "T": TARGETS, "lr": LEARNING_RATE,
                   "learning_rate": LEARNING_RATE, "step_size": LEARNING_RATE, "slope": LEAK,
                   "leak": LEAK, "negative_slope": LEAK, "wd": WEIGHT_DECAY,
                   "weight_decay": WEIGHT_DECAY, "momentum": MOMENTUM}
# course_lib's MNIST helpers still call their labels y: {function: position of the labels}
LABEL_ARGUMENTS = {"one_hot": 0, "train_val_split": 1}
# what calls return, by the called function's own name: {position in the tuple or None: role}
RETURNS = {"load_mnist": {1: LABELS}, "train_val_split": {1: LABELS, 3: LABELS},
           "predict": {None: LABELS}, "argmax": {None: LABELS}, "one_hot": {None: TARGETS}}
OUTPUT_NAME = re.compile(r"^[yY]\d*(_\w*)?$")     # y, Y, y2, Y_test, y_train, ...
GRADIENT_NAME = re.compile(r"^(g|grad\w*|dE\w*|d[A-Z]\w*)$")


@dataclass(frozen=True)
class Use:
    role: str
    where: str          # notebook, cell and line
    why: str


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(
        func, ast.Attribute) else ""


KEEPS_MEANING = {"astype", "copy", "ravel", "reshape", "T"}      # y.astype(int) is still y


def _base_name(node) -> str | None:
    """The variable an expression reads: ``y`` for ``y``, ``y[:20]``, ``y.T`` and
    ``y.astype(int)``; None for anything computed from it otherwise (``np.ones_like(y)``)."""
    while True:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in KEEPS_MEANING:
            node = node.func.value
        elif isinstance(node, ast.Attribute) and node.attr in KEEPS_MEANING:
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return node.id if isinstance(node, ast.Name) else None


def _signature(module: str, name: str) -> list[str] | None:
    try:
        return list(inspect.signature(getattr(importlib.import_module(module), name)).parameters)
    except (ImportError, AttributeError, TypeError, ValueError):
        return None


def _cells(source: str) -> str:
    """A cell's code without IPython's magics and shell lines, which ``ast`` cannot read."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


class Roles(ast.NodeVisitor):
    """The roles of the names of a set of notebooks: ``uses[name]`` lists each ``Use``."""

    def __init__(self, notebooks: dict[str, list[str]]):
        self.uses: dict[str, list[Use]] = defaultdict(list)
        self.trees = {(nb, i): ast.parse(_cells(src)) for nb, cells in notebooks.items()
                      for i, src in enumerate(cells)}
        self.signatures: dict[str, list[str]] = {}
        for tree in self.trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef):
                    self.signatures[node.name] = [a.arg for a in node.args.posonlyargs
                                                  + node.args.args + node.args.kwonlyargs]
                elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                        "course_lib"):
                    for alias in node.names:
                        found = _signature(node.module, alias.name)
                        if found is not None:
                            self.signatures.setdefault(alias.asname or alias.name, found)
        for (nb, i), tree in self.trees.items():
            self.place = f"{nb} cell {i}"
            self.visit(tree)

    def add(self, name, role, node, why):
        if name is not None:
            self.uses[name].append(Use(role, f"{self.place} line {node.lineno}", why))

    def visit_Call(self, node: ast.Call):
        callee = _callee(node)
        params = self.signatures.get(callee)
        for position, arg in enumerate(node.args):
            if params and position < len(params) and params[position] in PARAMETER_ROLES:
                self.add(_base_name(arg), PARAMETER_ROLES[params[position]], node,
                         f"passed as {callee}'s {params[position]}")
        if callee in LABEL_ARGUMENTS and len(node.args) > LABEL_ARGUMENTS[callee]:
            self.add(_base_name(node.args[LABEL_ARGUMENTS[callee]]), LABELS, node,
                     f"passed as {callee}'s labels")
        for keyword in node.keywords:
            if keyword.arg in PARAMETER_ROLES:
                self.add(_base_name(keyword.value), PARAMETER_ROLES[keyword.arg], node,
                         f"passed as {callee}'s {keyword.arg}")
        if callee == "maximum" and len(node.args) == 2:      # np.maximum(c * Z, Z): a ReLU's leak
            for scaled, other in (node.args, node.args[::-1]):
                if isinstance(scaled, ast.BinOp) and isinstance(scaled.op, ast.Mult):
                    for factor, rest in ((scaled.left, scaled.right), (scaled.right, scaled.left)):
                        if isinstance(factor, ast.Name) and ast.dump(rest) == ast.dump(other):
                            self.add(factor.id, LEAK, node, "the negative slope of a ReLU")
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign):
        if isinstance(node.value, ast.Call):
            returns = RETURNS.get(_callee(node.value), {})
            for target in node.targets:
                if isinstance(target, ast.Tuple):
                    for position, element in enumerate(target.elts):
                        if position in returns and isinstance(element, ast.Name):
                            self.add(element.id, returns[position], node,
                                     f"{_callee(node.value)}'s result {position + 1}")
                elif None in returns and isinstance(target, ast.Name):
                    self.add(target.id, returns[None], node, f"{_callee(node.value)}'s result")
            if _callee(node.value) == "array" and node.value.args and isinstance(
                    node.value.args[0], ast.List) and node.value.args[0].elts and all(
                    isinstance(e, ast.Constant) and type(e.value) is int
                    for e in node.value.args[0].elts):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.add(target.id, LABELS, node, "an array of integer classes")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare):
        sides = [node.left, *node.comparators]
        if any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
            if any(isinstance(s, ast.Call) and RETURNS.get(_callee(s)) == {None: LABELS}
                   for s in sides):
                for side in sides:
                    if isinstance(side, (ast.Name, ast.Subscript)):
                        self.add(_base_name(side), LABELS, node, "compared with predicted classes")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript):
        index = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        picks = any(isinstance(i, ast.Call) and _callee(i) == "arange" for i in index)
        one_hot = isinstance(node.value, ast.Call) and _callee(node.value) in ("eye", "identity")
        if picks or one_hot:
            for i in index:
                if isinstance(i, ast.Name):
                    self.add(i.id, LABELS, node, "the class index of an array")
        self.generic_visit(node)

    def _step(self, node, value):
        """``value`` of ``W - value`` or ``W -= value``: ``c * g`` with g a gradient."""
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
            for factor, rest in ((value.left, value.right), (value.right, value.left)):
                if isinstance(factor, ast.Name) and GRADIENT_NAME.match(_base_name(rest) or ""):
                    self.add(factor.id, LEARNING_RATE, node, "a step against a gradient")

    def visit_AugAssign(self, node: ast.AugAssign):
        if isinstance(node.op, ast.Sub):
            self._step(node, node.value)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp):
        if isinstance(node.op, ast.Sub):
            self._step(node, node.right)
        self.generic_visit(node)


def problems(notebooks: dict[str, list[str]]) -> list[str]:
    """Every name with two roles, and every y/Y that holds labels, one line each."""
    found = []
    for name, uses in sorted(Roles(notebooks).uses.items()):
        roles = {}
        for use in uses:
            roles.setdefault(use.role, use)         # the first use of each role
        if len(roles) > 1:
            found.append(f"{name} has {len(roles)} meanings: " + "; ".join(
                f"{u.role} ({u.where}: {u.why})" for u in roles.values()))
        if OUTPUT_NAME.match(name) and LABELS in roles:
            u = roles[LABELS]
            found.append(f"{name} holds integer class labels ({u.where}: {u.why}); y and Y are "
                         "network outputs in every exercise: call it labels...")
    return found


def code_cells(path) -> list[str]:
    """The code of each cell of a notebook, "" for the other cells (so that a cell's index in
    the messages is its index in the notebook)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["" if c["cell_type"] != "code" else "".join(c["source"])
            if isinstance(c["source"], list) else c["source"] for c in cells]


def course_notebooks(folder) -> dict[str, list[str]]:
    return {f"{folder.name}/{a}": code_cells(folder / a / f"{a}.ipynb")
            for a in course.ASSIGNMENTS}


@pytest.mark.parametrize("kind", ["solutions", "releases"])
def test_no_name_has_two_meanings_across_the_notebooks(kind):
    folder = course.SOURCE_DIR if kind == "solutions" else course.RELEASE_DIR
    notebooks = course_notebooks(folder)
    assert sum(bool(cell) for cells in notebooks.values() for cell in cells) > 40   # code read
    assert problems(notebooks) == []


def test_the_roles_are_read_from_the_course_code():
    """The rules see the course's real uses, so an empty list above means something: labels
    in every notebook that loads MNIST, learning rates, targets."""
    uses = [u for found in Roles(course_notebooks(course.SOURCE_DIR)).uses.values()
            for u in found]
    labelled = {u.where.split(" cell ")[0] for u in uses if u.role == LABELS}
    assert {"solutions/ex2_backprop", "solutions/ex3_mnist", "solutions/ex4_deep"} <= labelled
    assert sum(u.role == LEARNING_RATE for u in uses) >= 3
    assert sum(u.role == TARGETS for u in uses) >= 3


# --- the old names, in made-up notebooks: the test must reject them ------------------------------

def made_up(*sources: str) -> list[str]:
    return [source.strip("\n") for source in sources]


OLD_EX1 = made_up('''
def hinge_loss(S, y, delta=1.0):
    m = S.shape[1]
    correct = S[y, np.arange(m)]
    return np.maximum(0.0, S - correct + delta).sum() / m
''', '''
S = np.random.default_rng(1).normal(size=(5, 6))
y = np.array([0, 3, 2, 4, 1, 1])
print(hinge_loss(S, y))
''')
OLD_EX3 = made_up('''
from course_lib.mnist import load_mnist, one_hot
X_train, y_train = load_mnist("train")
X_test, y_test = load_mnist("test")
T_train = one_hot(y_train)
''', '''
def accuracy(Y, labels):
    return float(np.mean(np.argmax(Y, axis=0) == labels))
''', '''
Y_test = forward(params, X_test)
print(accuracy(Y_test, y_test))
''', '''
alpha = 0.1
for name, g in gradients(params, X_train, T_train).items():
    params[name] -= alpha * g
''')
OLD_EX4 = made_up('''
def activation(Z, alpha=0.01):
    return np.maximum(alpha * Z, Z)
''', '''
%matplotlib inline
history = train_deep(params, X, T, hidden="leaky_relu", lr=alpha, momentum=0.9)
''')
NEW_EX3 = made_up('''
from course_lib.mnist import load_mnist, one_hot
X_train, labels_train = load_mnist("train")
X_test, labels_test = load_mnist("test")
T_train = one_hot(labels_train)
''', OLD_EX3[1], '''
Y_test = forward(params, X_test)
print(accuracy(Y_test, labels_test), np.mean(predict(Y_test) == labels_test))
''', OLD_EX3[3].replace("alpha", "lr"))
NEW_EX4 = [OLD_EX4[0].replace("alpha", "leak"), OLD_EX4[1].replace("alpha", "lr")]


def test_the_old_names_are_rejected():
    found = problems({"ex1": OLD_EX1, "ex3": OLD_EX3, "ex4": OLD_EX4})
    text = "\n".join(found)
    for name in ("y", "y_train", "y_test"):
        assert f"\n{name} holds integer class labels" in f"\n{text}", (name, text)
    assert "alpha has 2 meanings" in text and LEAK in text and LEARNING_RATE in text, text
    assert "y_test holds integer class labels (ex3 cell 0 line 3: load_mnist's result 2)" in text
    uses = Roles({"ex1": OLD_EX1, "ex3": OLD_EX3, "ex4": OLD_EX4}).uses
    assert {u.why for u in uses["y_test"]} == {"load_mnist's result 2",
                                               "passed as accuracy's labels"}
    assert {u.why for u in uses["y"]} == {"the class index of an array",
                                          "an array of integer classes"}


def test_each_old_name_alone_is_rejected():
    assert problems({"ex3": [OLD_EX3[0]]}) != []                       # one_hot(y_train)
    assert problems({"ex1": OLD_EX1[:1]}) != []                        # S[y, np.arange(m)]
    assert problems({"ex3": OLD_EX3[1:3]}) != []                       # accuracy(Y_test, y_test)
    assert problems({"ex3": OLD_EX3[3:], "ex4": OLD_EX4[:1]}) != []    # alpha in two notebooks


def test_the_new_names_pass():
    assert problems({"ex3": NEW_EX3, "ex4": NEW_EX4}) == []
