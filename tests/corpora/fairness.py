"""Fair grading: correct work never loses a point, every mistake loses exactly its own points.

Two lists of submissions, each built from the course's own release notebook filled in with the
solutions and then changed where it matters:

* ``CORRECT``: work that is right by the task text but not written like the solution (loops,
  ``np.einsum``, float32, other formats for numbers, pairs, labels and shapes, copies changed in
  place, helpers in cells the student added, several answers in one cell, duplicated answer
  cells, editor metadata, outputs and prints left in, written answers in a new cell). Each must
  get full marks.
* ``MISTAKES``: the errors students make, each with the test cells it must lose (``loses``; all
  the others keep their points) and a phrase of what the grader must say about the first of
  them (``reason``). Where an answer calls an earlier graded function of the notebook on the
  inputs it was given, the course's result stands in for that call, so an earlier mistake is
  not charged twice; ``train_710`` uses the student's own ``minibatches`` and
  ``sgd_momentum_step`` (the task says so), and when one of those failed its own test it is
  judged on a second run with the course's versions instead.

Every correct answer was checked numerically against ``course_lib``'s references, extreme inputs
(+-1000) included. ``tests/test_fairness.py`` writes the whole corpus (``write``), grades it in
one batch and checks every score, reason and written answer, and that no hidden expected value
leaks into the feedback. (``grader/build/mutants.py`` holds the coarser quality-gate mutants.)
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from grader.build import submissions
from grader.build.submissions import edited_solution as swap

EX1, EX2, EX3, EX4 = "ex1_softmax", "ex2_backprop", "ex3_mnist", "ex4_deep"
MANUAL_STUB = "YOUR ANSWER HERE"        # a hand-graded cell as nbgrader releases it


@dataclass(frozen=True)
class Variant:
    assignment: str          # "ex1_softmax" | "ex2_backprop" | "ex3_mnist" | "ex4_deep"
    name: str                # unique across the corpus, a valid student id ([a-z0-9_]+)
    what: str                # one line for people
    make: Callable[[], nbformat.NotebookNode]
    loses: tuple = ()        # grade ids of the test cells that must score 0; all other tests full
    reason: str = ""         # a phrase of what the grader says about the first lost test
    manual_answered: tuple = ()   # grade ids of hand-graded cells that must count as answered


# --- building submissions ------------------------------------------------------------------------

def answers(assignment: str, *changes, **sources) -> Callable[[], nbformat.NotebookNode]:
    """A maker: the release filled in with the solutions, the answer cells named in ``sources``
    replaced (grade id -> source, or a function returning it), then each ``change(nb)``."""
    def make():
        nb = submissions.filled_release(assignment, sources)
        for change in changes:
            change(nb)
        return nb
    return make


def stub(assignment: str, gid: str) -> Callable[[], str]:
    """The answer cell as released (``raise NotImplementedError()``): left unanswered."""
    def source():
        nb = submissions.release_notebook(assignment)
        return nb.cells[_index(nb, gid)].source
    return source


def _index(nb, gid: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if submissions.grade_id(c) == gid)


def insert_after(gid: str, *cells):
    """Cells the student added right after the cell ``gid``."""
    def change(nb):
        at = _index(nb, gid) + 1
        nb.cells[at:at] = [copy.deepcopy(c) for c in cells]
    return change


def code(source: str):
    return new_code_cell(source.strip("\n"))


def markdown(source: str):
    return new_markdown_cell(source.strip("\n"))


def merged_after_imports(*gids):
    """The answers of ``gids`` written together in one new cell right after the imports, their
    own cells deleted."""
    def change(nb):
        sources = [nb.cells[_index(nb, gid)].source for gid in gids]
        nb.cells = [c for c in nb.cells if submissions.grade_id(c) not in gids]
        at = _index(nb, "imports") + 1
        nb.cells.insert(at, code("\n\n\n".join(sources)))
    return change


def duplicated(gid: str, first: str, second: str):
    """The answer cell ``gid`` copied (metadata and all), the two copies holding ``first`` and
    ``second``."""
    def change(nb):
        at = _index(nb, gid)
        one, two = copy.deepcopy(nb.cells[at]), copy.deepcopy(nb.cells[at])
        one.source, two.source = first.strip("\n"), second.strip("\n")
        one.id, two.id = f"{nb.cells[at].id}-copy", nb.cells[at].id
        nb.cells[at:at + 1] = [one, two]
    return change


def in_test_cell(test_gid: str, extra: str):
    """The student's own code typed at the end of a test cell."""
    def change(nb):
        cell = nb.cells[_index(nb, test_gid)]
        cell.source = cell.source + "\n\n" + extra.strip("\n")
    return change


def copied_test(test_gid: str, extra: str):
    """A copy of a test cell (copy and paste keeps its metadata) right after it, with the
    student's own code added."""
    def change(nb):
        at = _index(nb, test_gid)
        cell = copy.deepcopy(nb.cells[at])
        cell.id = f"{cell.id}-copy"
        cell.source = cell.source + "\n\n" + extra.strip("\n")
        nb.cells.insert(at + 1, cell)
    return change


def written_below(gid: str, text: str):
    """A written answer typed in a new markdown cell right after the hand-graded cell ``gid``,
    which is left as released."""
    def change(nb):
        at = _index(nb, gid)
        nb.cells[at].source = MANUAL_STUB
        nb.cells.insert(at + 1, markdown(text))
    return change


def messy(nb):
    """Execution counts out of order and old outputs left in, an old error among them."""
    cells = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(cells):
        cell.execution_count = (37 * i + 11) % 97 + 1
        outputs = [new_output("stream", name="stdout", text=f"run {i}: shapes look fine\n")]
        if i % 3 == 0:
            outputs.append(new_output("error", ename="NameError",
                                      evalue="name 'Z' is not defined",
                                      traceback=["NameError: name 'Z' is not defined"]))
        elif i % 3 == 1:
            outputs.append(new_output("execute_result", data={"text/plain": "array([0.5])"},
                                      execution_count=cell.execution_count))
        cell.outputs = outputs


def vscode(nb):
    """Saved by VS Code: its own notebook and cell metadata, nbgrader's kept."""
    nb.metadata = {"language_info": {"name": "python", "version": "3.11.7"},
                   "kernelspec": {"name": "python3", "display_name": ".venv (Python 3.11.7)"},
                   "orig_nbformat": 4, "vscode": {"interpreter": {"hash": "0123abcd"}}}
    for cell in nb.cells:
        cell.metadata["vscode"] = {"languageId": "python" if cell.cell_type == "code"
                                   else "markdown"}


def colab_keeping_nbgrader(nb):
    """Saved by Colab with nbgrader's metadata still there, and Colab's added."""
    nb.metadata = {"colab": {"provenance": [], "collapsed_sections": [], "toc_visible": True},
                   "kernelspec": {"name": "python3", "display_name": "Python 3"},
                   "language_info": {"name": "python"}, "accelerator": "GPU"}
    for i, cell in enumerate(nb.cells):
        cell.metadata["id"] = f"c{i:03d}Xq"
        if cell.cell_type == "code":
            cell.metadata["colab"] = {"base_uri": "https://localhost:8080/", "height": 35}
            cell.metadata["outputId"] = f"{i:04d}-aa-bb"


def colab_without_nbgrader(nb):
    """Saved by a Colab export that dropped nbgrader's metadata (answers are found by the
    names they define)."""
    nb.metadata = {"colab": {"provenance": []},
                   "kernelspec": {"name": "python3", "display_name": "Python 3"}}
    for cell in nb.cells:
        cell.metadata = {"id": "x" + (cell.get("id") or "")}


def correct(assignment, name, what, make, manual_answered=()) -> Variant:
    return Variant(assignment, name, what, make, manual_answered=tuple(manual_answered))


def mistake(assignment, name, what, make, loses, reason) -> Variant:
    return Variant(assignment, name, what, make, loses=tuple(loses), reason=reason)


# --- exercise 1: answers --------------------------------------------------------------------------

SIGMOID_LOOP = '''
import math


def sigmoid(z):
    """One element at a time, with math.exp of a number that is never positive."""
    z = np.asarray(z, dtype=float)
    out = np.empty(z.shape)
    for index in np.ndindex(z.shape):
        v = float(z[index])
        if v >= 0:
            out[index] = 1.0 / (1.0 + math.exp(-v))
        else:
            e = math.exp(v)
            out[index] = e / (1.0 + e)
    return out
'''
SOFTMAX_LOOP = '''
def softmax(Z):
    out = np.empty(Z.shape)
    for j in range(Z.shape[1]):
        e = np.exp(Z[:, j] - np.max(Z[:, j]))
        out[:, j] = e / e.sum()
    return out
'''
CROSS_ENTROPY_LOOP = '''
def cross_entropy(Z, T):
    L = log_softmax(Z)
    total = 0.0
    for j in range(Z.shape[1]):
        total -= float(T[:, j] @ L[:, j])
    return total / Z.shape[1]
'''
JACOBIAN_LOOP = '''
def softmax_jacobian(z):
    s = softmax(z).ravel()
    J = np.zeros((s.size, s.size))
    for i in range(s.size):
        for j in range(s.size):
            J[i, j] = s[i] * ((1.0 if i == j else 0.0) - s[j])
    return J
'''
JACOBIAN_EINSUM = '''
def softmax_jacobian(z):
    s = softmax(z)[:, 0]
    return np.einsum("i,ij->ij", s, np.eye(s.size)) - np.einsum("i,j->ij", s, s)
'''
CROSS_ENTROPY_EINSUM = '''
def cross_entropy(Z, T):
    return -np.einsum("ij,ij->", T, log_softmax(Z)) / Z.shape[1]
'''
SIGMOID_F32 = '''
def sigmoid(z):
    z = np.asarray(z, dtype=np.float32)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, np.float32(1.0), e) / (np.float32(1.0) + e)
'''
SIGMOID_GRAD_F32 = '''
def sigmoid_grad(y):
    y = np.asarray(y, dtype=np.float32)
    return y * (np.float32(1.0) - y)
'''
SOFTMAX_F32 = '''
def softmax(Z):
    Z = np.asarray(Z, dtype=np.float32)
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
'''
LOG_SOFTMAX_F32 = '''
def log_softmax(Z):
    Z = np.asarray(Z, dtype=np.float32)
    shifted = Z - Z.max(axis=0, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
'''
CROSS_ENTROPY_F32 = '''
def cross_entropy(Z, T):
    Z32, T32 = Z.astype(np.float32), T.astype(np.float32)
    return -np.sum(T32 * log_softmax(Z32)) / np.float32(Z.shape[1])
'''
JACOBIAN_F32 = '''
def softmax_jacobian(z):
    s = softmax(z.astype(np.float32))
    return np.diagflat(s) - s @ s.T
'''
GRAD_F32 = '''
def cross_entropy_grad(Z, T):
    return (softmax(Z.astype(np.float32)) - T.astype(np.float32)) / np.float32(Z.shape[1])
'''
SIGMOID_F32_BACK = '''
def sigmoid(z):
    z32 = np.asarray(z, dtype=np.float32)
    e = np.exp(-np.abs(z32))
    return (np.where(z32 >= 0, 1.0, e) / (1.0 + e)).astype(np.float64)
'''
SOFTMAX_F32_BACK = '''
def softmax(Z):
    Z32 = np.asarray(Z, dtype=np.float32)
    e = np.exp(Z32 - Z32.max(axis=0, keepdims=True))
    return (e / e.sum(axis=0, keepdims=True)).astype(np.float64)
'''
LOG_SOFTMAX_F32_BACK = '''
def log_softmax(Z):
    Z32 = np.asarray(Z, dtype=np.float32)
    shifted = Z32 - Z32.max(axis=0, keepdims=True)
    return (shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))).astype(np.float64)
'''
GRAD_F32_BACK = '''
def cross_entropy_grad(Z, T):
    Y = softmax(Z.astype(np.float32)).astype(np.float32)      # the softmax above returns float64
    G = (Y - T.astype(np.float32)) / np.float32(Z.shape[1])
    return G.astype(np.float64)
'''
CROSS_ENTROPY_KEEPDIMS = '''
def cross_entropy(Z, T):
    return -np.sum(T * log_softmax(Z), keepdims=True) / Z.shape[1]     # shape (1, 1)
'''
CROSS_ENTROPY_ROW_MEAN = '''
def cross_entropy(Z, T):
    per_sample = -np.sum(T * log_softmax(Z), axis=0, keepdims=True)     # (1, m)
    return np.mean(per_sample, axis=1)                                 # shape (1,)
'''
CROSS_ENTROPY_0D = '''
def cross_entropy(Z, T):
    return np.array(-np.sum(T * log_softmax(Z)) / Z.shape[1])          # a 0-d array
'''
SIGMOID_LOGADDEXP = '''
def sigmoid(z):
    # sigma(z) = exp(-log(1 + exp(-z))), and np.logaddexp(0, -z) = log(1 + exp(-z)) never overflows
    return np.exp(-np.logaddexp(0.0, -z))
'''
LOG_SOFTMAX_REDUCE = '''
def log_softmax(Z):
    return Z - np.logaddexp.reduce(Z, axis=0, keepdims=True)
'''
SIGMOID_TANH = '''
def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))
'''
SOFTMAX_VIA_LSE = '''
def softmax(Z):
    shifted = Z - Z.max(axis=0, keepdims=True)
    return np.exp(shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True)))
'''
SIGMOID_MASKS = '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1.0 + e)
    return out
'''
CROSS_ENTROPY_PICK = '''
def cross_entropy(Z, T):
    labels = np.argmax(T, axis=0)
    return -np.mean(log_softmax(Z)[labels, np.arange(Z.shape[1])])
'''
JACOBIAN_OUTER = '''
def softmax_jacobian(z):
    s = softmax(z).ravel()
    return np.diag(s) - np.outer(s, s)
'''
EX1_HELPERS = '''
def exp_minus_abs(z):
    """exp(-|z|): never larger than 1, so it cannot overflow."""
    return np.exp(-np.abs(z))


def shift_columns(Z):
    """Z minus the maximum of each column."""
    return Z - np.max(Z, axis=0, keepdims=True)
'''
SHIFT_COLUMNS = EX1_HELPERS.split("\n\n\n")[1]
SIGMOID_WITH_HELPER = '''
def sigmoid(z):
    e = exp_minus_abs(z)
    return np.where(z >= 0, 1.0, e) / (1.0 + e)
'''
SOFTMAX_WITH_HELPER = '''
def softmax(Z):
    e = np.exp(shift_columns(Z))
    return e / e.sum(axis=0, keepdims=True)
'''
LOG_SOFTMAX_WITH_HELPER = '''
def log_softmax(Z):
    S = shift_columns(Z)
    return S - np.log(np.sum(np.exp(S), axis=0, keepdims=True))
'''
SOFTMAX_DEBUG = '''
def softmax(Z):
    print("softmax of", Z.shape, "largest score", Z.max())
    e = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    print("column sums before normalising:", e.sum(axis=0))
    return e / np.sum(e, axis=0, keepdims=True)
'''
LOG_SOFTMAX_DEBUG = '''
def log_softmax(Z):
    shifted = Z - np.max(Z, axis=0, keepdims=True)
    out = shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))
    print("log_softmax: logsumexp of each column ->", np.log(np.exp(out).sum(axis=0)))
    return out
'''
GRAD_FROM_LOG_SOFTMAX = '''
def cross_entropy_grad(Z, T):
    return (np.exp(log_softmax(Z)) - T) / Z.shape[1]
'''
GRAD_INLINE = '''
def cross_entropy_grad(Z, T):
    Y = np.exp(Z - Z.max(axis=0, keepdims=True))
    Y /= Y.sum(axis=0, keepdims=True)
    return (Y - T) / Z.shape[1]
'''
SIGMOID_GRAD_SQUARE = '''
def sigmoid_grad(y):
    return y - y ** 2
'''
DERIVATION = r'''
**My derivation.** With $E = -\sum_i t_i \log y_i$ and
$\partial y_i / \partial z_j = y_i(\delta_{ij} - y_j)$:

$$\frac{\partial E}{\partial z_j} = -\sum_i \frac{t_i}{y_i}\, y_i (\delta_{ij} - y_j)
  = -t_j + y_j \sum_i t_i = y_j - t_j,$$

where the last step uses that the targets sum to one.
'''

# --- exercise 1: mistakes -------------------------------------------------------------------------

SIGMOID_NAIVE_ERRSTATE = '''
def sigmoid(z):
    with np.errstate(all="ignore"):        # no more overflow warnings
        return 1.0 / (1.0 + np.exp(-z))
'''
SIGMOID_NAIVE_SETERR = '''
np.seterr(all="ignore")


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
'''
SIGMOID_WHERE_BOTH = '''
def sigmoid(z):
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))
'''
SIGMOID_GRAD_OF_Z = '''
def sigmoid_grad(y):
    return sigmoid(y) * (1.0 - sigmoid(y))
'''
LOG_OF_SOFTMAX = '''
def log_softmax(Z):
    return np.log(softmax(Z))
'''
JACOBIAN_SHIFTED_CALL = '''
def softmax_jacobian(z):
    s = softmax(z - np.max(z))           # shifting again is harmless for a right softmax
    return np.diagflat(s) - s @ s.T
'''
CROSS_ENTROPY_CAST_CALL = '''
def cross_entropy(Z, T):
    return -np.sum(T * log_softmax(Z.astype(np.float32))) / Z.shape[1]
'''
JACOBIAN_NO_RETURN = '''
def softmax_jacobian(z):
    s = softmax(z)
    J = np.diagflat(s) - s @ s.T
'''
GRAD_TYPO = '''
def cross_entropy_grad(Z, T):
    return (sofmax(Z) - T) / Z.shape[1]
'''
GRAD_F32_NO_MEAN = '''
def cross_entropy_grad(Z, T):
    return softmax(Z.astype(np.float32)) - T.astype(np.float32)
'''


# the squared error of a sigmoid output (section 6)
SQUARED_ERROR_NORM = '''
def squared_error(Z, T):
    return 0.5 * np.linalg.norm(sigmoid(Z) - T) ** 2 / Z.shape[1]      # Frobenius norm
'''
SQUARED_ERROR_GRAD_EINSUM = '''
def squared_error_grad(Z, T):
    Y = sigmoid(Z)
    return np.einsum("ij,ij,ij->ij", Y - T, Y, 1.0 - Y) / Z.shape[1]
'''
SQUARED_ERROR_F32 = '''
def squared_error(Z, T):
    Y = sigmoid(Z.astype(np.float32))
    return np.float32(0.5) * np.sum((Y - T.astype(np.float32)) ** 2) / np.float32(Z.shape[1])
'''
SQUARED_ERROR_GRAD_F32 = '''
def squared_error_grad(Z, T):
    Y = sigmoid(Z).astype(np.float32)
    return ((Y - T.astype(np.float32)) * sigmoid_grad(Y) / np.float32(Z.shape[1])).astype(np.float32)
'''
SQUARED_ERROR_LOOP = '''
def squared_error(Z, T):
    per_sample = [0.5 * float(np.sum((sigmoid(Z[:, [j]]) - T[:, [j]]) ** 2)) for j in range(Z.shape[1])]
    return np.array([np.mean(per_sample)])                               # a (1,) array
'''
SQUARED_ERROR_GRAD_SIGMA_MINUS = '''
def squared_error_grad(Z, T):
    # sigma'(z) = sigma(z) sigma(-z), since sigma(-z) = 1 - sigma(z)
    return (sigmoid(Z) - T) * sigmoid(Z) * sigmoid(-Z) / Z.shape[1]
'''
SQUARED_ERROR_GRAD_JACOBIAN = '''
def squared_error_grad(Z, T):
    # sample by sample: the row (y - t)^T times the diagonal Jacobian diag(sigma'(z)), transposed
    D = np.zeros(Z.shape)
    for j in range(Z.shape[1]):
        y = sigmoid(Z[:, [j]])
        D[:, [j]] = ((y - T[:, [j]]).T @ np.diagflat(sigmoid_grad(y))).T
    return D / Z.shape[1]
'''
SQUARED_ERROR_OF_SCORES = '''
def squared_error(Z, T):
    return 0.5 * np.sum((Z - T) ** 2) / Z.shape[1]
'''
SQUARED_ERROR_GRAD_NO_FPRIME = '''
def squared_error_grad(Z, T):
    return (sigmoid(Z) - T) / Z.shape[1]
'''
SIGMOID_NAIVE = '''
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
'''

EX1_CORRECT = [
    correct(EX1, "ex1_loops", "loops instead of vectorised code: the sigmoid element by element "
            "(math.exp), the softmax column by column, the loss sample by sample, the Jacobian "
            "entry by entry", answers(EX1, sigmoid=SIGMOID_LOOP, softmax=SOFTMAX_LOOP,
                                      cross_entropy=CROSS_ENTROPY_LOOP,
                                      softmax_jacobian=JACOBIAN_LOOP)),
    correct(EX1, "ex1_grad_from_log_softmax", "the gradient as exp(log_softmax(Z)) - T over m",
            answers(EX1, cross_entropy_grad=GRAD_FROM_LOG_SOFTMAX)),
    correct(EX1, "ex1_einsum", "np.einsum for the Jacobian and the loss",
            answers(EX1, softmax_jacobian=JACOBIAN_EINSUM, cross_entropy=CROSS_ENTROPY_EINSUM)),
    correct(EX1, "ex1_float32", "everything computed in float32 and returned as float32",
            answers(EX1, sigmoid=SIGMOID_F32, sigmoid_grad=SIGMOID_GRAD_F32, softmax=SOFTMAX_F32,
                    log_softmax=LOG_SOFTMAX_F32, cross_entropy=CROSS_ENTROPY_F32,
                    softmax_jacobian=JACOBIAN_F32, cross_entropy_grad=GRAD_F32)),
    correct(EX1, "ex1_float32_cast_back", "computed in float32, cast back to float64",
            answers(EX1, sigmoid=SIGMOID_F32_BACK, softmax=SOFTMAX_F32_BACK,
                    log_softmax=LOG_SOFTMAX_F32_BACK, cross_entropy_grad=GRAD_F32_BACK)),
    correct(EX1, "ex1_loss_1x1", "the loss as a (1, 1) array (np.sum with keepdims)",
            answers(EX1, cross_entropy=CROSS_ENTROPY_KEEPDIMS)),
    correct(EX1, "ex1_loss_row_mean", "the loss as a (1,) array: the mean of a (1, m) row of "
            "sample losses", answers(EX1, cross_entropy=CROSS_ENTROPY_ROW_MEAN)),
    correct(EX1, "ex1_loss_0d", "the loss as a 0-d array", answers(EX1,
                                                                   cross_entropy=CROSS_ENTROPY_0D)),
    correct(EX1, "ex1_logaddexp", "sigmoid as exp(-logaddexp(0, -z)), log_softmax with "
            "np.logaddexp.reduce", answers(EX1, sigmoid=SIGMOID_LOGADDEXP,
                                           log_softmax=LOG_SOFTMAX_REDUCE)),
    correct(EX1, "ex1_tanh", "sigmoid as 0.5 (1 + tanh(z / 2)), softmax as exp(log_softmax)",
            answers(EX1, sigmoid=SIGMOID_TANH, softmax=SOFTMAX_VIA_LSE)),
    correct(EX1, "ex1_masks", "sigmoid with boolean masks, the loss by picking each target's "
            "log-probability, the Jacobian with np.diag and np.outer",
            answers(EX1, sigmoid=SIGMOID_MASKS, cross_entropy=CROSS_ENTROPY_PICK,
                    softmax_jacobian=JACOBIAN_OUTER)),
    correct(EX1, "ex1_one_cell", "all answers in one cell right after the imports, the answer "
            "cells deleted", answers(EX1, merged_after_imports(
                "sigmoid", "sigmoid_grad", "softmax", "log_softmax", "cross_entropy",
                "softmax_jacobian", "cross_entropy_grad"))),
    correct(EX1, "ex1_helper_cell", "helpers defined in a cell the student added after the "
            "imports", answers(EX1, insert_after("imports", code(EX1_HELPERS)),
                               sigmoid=SIGMOID_WITH_HELPER, softmax=SOFTMAX_WITH_HELPER,
                               log_softmax=LOG_SOFTMAX_WITH_HELPER)),
    correct(EX1, "ex1_helper_in_copied_test", "a helper written in a copy of a test cell",
            answers(EX1, copied_test("test_sigmoid", SHIFT_COLUMNS),
                    softmax=SOFTMAX_WITH_HELPER, log_softmax=LOG_SOFTMAX_WITH_HELPER)),
    correct(EX1, "ex1_code_in_test_cell", "a helper typed at the end of a test cell, used by "
            "a later answer", answers(EX1, in_test_cell("test_softmax", SHIFT_COLUMNS),
                                      log_softmax=LOG_SOFTMAX_WITH_HELPER)),
    correct(EX1, "ex1_duplicated_cell", "the softmax cell duplicated: the first copy holds a "
            "helper, the second the softmax that uses it",
            answers(EX1, duplicated("softmax", SHIFT_COLUMNS, SOFTMAX_WITH_HELPER),
                    log_softmax=LOG_SOFTMAX_WITH_HELPER)),
    correct(EX1, "ex1_messy", "execution counts out of order, old outputs and errors left in",
            answers(EX1, messy)),
    correct(EX1, "ex1_debug_prints", "debug prints inside the answers",
            answers(EX1, softmax=SOFTMAX_DEBUG, log_softmax=LOG_SOFTMAX_DEBUG)),
    correct(EX1, "ex1_written_below", "the derivation written in a new markdown cell under "
            "the untouched answer cell", answers(EX1, written_below("derivation_softmax_ce",
                                                                    DERIVATION)),
            manual_answered=("derivation_softmax_ce",)),
    correct(EX1, "ex1_colab", "saved by Colab (its metadata added, nbgrader's kept)",
            answers(EX1, colab_keeping_nbgrader), manual_answered=("derivation_softmax_ce",)),
    correct(EX1, "ex1_inline", "the gradient with the softmax written inline, sigmoid_grad as "
            "y - y**2", answers(EX1, cross_entropy_grad=GRAD_INLINE,
                                sigmoid_grad=SIGMOID_GRAD_SQUARE)),
    correct(EX1, "ex1_squared_error_norm_einsum", "the squared error with np.linalg.norm, its "
            "delta with np.einsum", answers(EX1, squared_error=SQUARED_ERROR_NORM,
                                           squared_error_grad=SQUARED_ERROR_GRAD_EINSUM)),
    correct(EX1, "ex1_squared_error_float32", "the squared error and its delta in float32",
            answers(EX1, squared_error=SQUARED_ERROR_F32,
                    squared_error_grad=SQUARED_ERROR_GRAD_F32)),
    correct(EX1, "ex1_squared_error_loops", "the squared error sample by sample as a (1,) "
            "array, the delta with sigma'(z) = sigma(z) sigma(-z)",
            answers(EX1, squared_error=SQUARED_ERROR_LOOP,
                    squared_error_grad=SQUARED_ERROR_GRAD_SIGMA_MINUS)),
    correct(EX1, "ex1_squared_error_grad_jacobian", "the delta sample by sample as a row times "
            "the diagonal Jacobian diag(sigma'(z)), transposed",
            answers(EX1, squared_error_grad=SQUARED_ERROR_GRAD_JACOBIAN)),
]

EX1_MISTAKES = [
    mistake(EX1, "ex1_softmax_wrong_axis", "softmax over the rows (axis=1); the Jacobian and "
            "the gradient that call it are right", answers(EX1, softmax=swap(
                EX1, "softmax", ("axis=0", "axis=1"))),
            ["test_softmax"], "each COLUMN is a sample"),
    mistake(EX1, "ex1_softmax_batch_max", "softmax shifted by the maximum of the whole batch "
            "(Z - Z.max()): columns far below it underflow to 0 / 0",
            answers(EX1, softmax=swap(EX1, "softmax", ("np.max(Z, axis=0, keepdims=True)",
                                                        "Z.max()"))),
            ["test_softmax"], "division by zero"),
    mistake(EX1, "ex1_softmax_no_shift", "softmax without the max shift (exp(1000) overflows)",
            answers(EX1, softmax=swap(EX1, "softmax", ("Z - np.max(Z, axis=0, keepdims=True)",
                                                        "Z"))),
            ["test_softmax"], "exp(1000) = inf"),
    mistake(EX1, "ex1_sigmoid_errstate", "the naive sigmoid with its overflow silenced by "
            "np.errstate(all='ignore')", answers(EX1, sigmoid=SIGMOID_NAIVE_ERRSTATE),
            ["test_sigmoid"], "silencing NumPy's warnings does not count"),
    mistake(EX1, "ex1_sigmoid_seterr", "the naive sigmoid after np.seterr(all='ignore')",
            answers(EX1, sigmoid=SIGMOID_NAIVE_SETERR), ["test_sigmoid"],
            "silencing NumPy's warnings does not count"),
    mistake(EX1, "ex1_sigmoid_where", "np.where over two formulas, both computed everywhere "
            "(exp(1000) overflows)", answers(EX1, sigmoid=SIGMOID_WHERE_BOTH), ["test_sigmoid"],
            "np.where evaluates both branches"),
    mistake(EX1, "ex1_sigmoid_grad_of_z", "sigma'(z) = sigma(y)(1 - sigma(y)) instead of "
            "y (1 - y)", answers(EX1, sigmoid_grad=SIGMOID_GRAD_OF_Z), ["test_sigmoid_grad"],
            "you applied the sigmoid again"),
    mistake(EX1, "ex1_log_of_softmax", "log_softmax as np.log(softmax(Z)) (log 0 at +-1000); "
            "the loss that calls it is right", answers(EX1, log_softmax=LOG_OF_SOFTMAX),
            ["test_log_softmax"], "log-sum-exp"),
    mistake(EX1, "ex1_log_softmax_wrong_axis", "log_softmax over the rows",
            answers(EX1, log_softmax=swap(EX1, "log_softmax", ("axis=0", "axis=1"))),
            ["test_log_softmax"], "work over axis 0"),
    mistake(EX1, "ex1_log_softmax_wrong_axis_grad_calls_it", "log_softmax over the rows; the "
            "gradient, right in itself, is exp(log_softmax(Z)) - T over m",
            answers(EX1, log_softmax=swap(EX1, "log_softmax", ("axis=0", "axis=1")),
                    cross_entropy_grad=GRAD_FROM_LOG_SOFTMAX),
            ["test_log_softmax"], "work over axis 0"),
    mistake(EX1, "ex1_loss_sum", "the loss summed over the batch instead of averaged",
            answers(EX1, cross_entropy=swap(EX1, "cross_entropy", (" / m", ""))),
            ["test_cross_entropy"], "divide the sum by m"),
    mistake(EX1, "ex1_loss_sign", "the loss without its minus sign",
            answers(EX1, cross_entropy=swap(EX1, "cross_entropy", ("return -np.sum",
                                                                    "return np.sum"))),
            ["test_cross_entropy"], "wrong sign"),
    mistake(EX1, "ex1_jacobian_no_diagonal", "the Jacobian without diag(s)",
            answers(EX1, softmax_jacobian=swap(EX1, "softmax_jacobian",
                                               ("np.diagflat(s) - s @ s.T", "-s @ s.T"))),
            ["test_softmax_jacobian"], "the diagonal part is missing"),
    mistake(EX1, "ex1_jacobian_diagonal_only", "the Jacobian without - s s^T",
            answers(EX1, softmax_jacobian=swap(EX1, "softmax_jacobian",
                                               ("np.diagflat(s) - s @ s.T", "np.diagflat(s)"))),
            ["test_softmax_jacobian"], "the off-diagonal part is missing"),
    mistake(EX1, "ex1_jacobian_no_return", "the Jacobian computed but not returned",
            answers(EX1, softmax_jacobian=JACOBIAN_NO_RETURN), ["test_softmax_jacobian"],
            "forget the `return`"),
    mistake(EX1, "ex1_grad_no_mean", "the gradient without 1/m",
            answers(EX1, cross_entropy_grad=swap(EX1, "cross_entropy_grad",
                                                 ("(softmax(Z) - T) / Z.shape[1]",
                                                  "softmax(Z) - T"))),
            ["test_cross_entropy_grad"], "divide by the number of columns m"),
    mistake(EX1, "ex1_grad_sign", "the gradient T - Y",
            answers(EX1, cross_entropy_grad=swap(EX1, "cross_entropy_grad",
                                                 ("softmax(Z) - T", "T - softmax(Z)"))),
            ["test_cross_entropy_grad"], "this is T - Y"),
    mistake(EX1, "ex1_grad_transposed", "the gradient transposed, (m, n)",
            answers(EX1, cross_entropy_grad=swap(EX1, "cross_entropy_grad",
                                                 ("(softmax(Z) - T) / Z.shape[1]",
                                                  "((softmax(Z) - T) / Z.shape[1]).T"))),
            ["test_cross_entropy_grad"], "looks transposed"),
    mistake(EX1, "ex1_float32_grad_no_mean", "float32 does not hide a wrong formula: the "
            "float32 gradient without 1/m", answers(EX1, cross_entropy_grad=GRAD_F32_NO_MEAN),
            ["test_cross_entropy_grad"], "divide by the number of columns m"),
    mistake(EX1, "ex1_stub_sigmoid_grad", "sigmoid_grad left as the stub",
            answers(EX1, sigmoid_grad=stub(EX1, "sigmoid_grad")),
            ["test_sigmoid_grad"], "not implemented yet"),
    mistake(EX1, "ex1_name_typo", "a typo in a name (sofmax) in the gradient",
            answers(EX1, cross_entropy_grad=GRAD_TYPO), ["test_cross_entropy_grad"],
            "a name is not defined"),
    mistake(EX1, "ex1_wrong_softmax_shifted_call", "a wrong softmax, and a Jacobian that calls "
            "it on shifted inputs (so its own softmax is used: both lose)",
            answers(EX1, softmax=swap(EX1, "softmax", ("axis=0", "axis=1")),
                    softmax_jacobian=JACOBIAN_SHIFTED_CALL),
            ["test_softmax", "test_softmax_jacobian"], "each COLUMN is a sample"),
    mistake(EX1, "ex1_wrong_log_softmax_cast_call", "a wrong log_softmax, and a loss that calls "
            "it on float32 inputs (so its own log_softmax is used: both lose)",
            answers(EX1, log_softmax=swap(EX1, "log_softmax", ("axis=0", "axis=1")),
                    cross_entropy=CROSS_ENTROPY_CAST_CALL),
            ["test_log_softmax", "test_cross_entropy"], "work over axis 0"),
    mistake(EX1, "ex1_squared_error_no_half", "the squared error without its 1/2",
            answers(EX1, squared_error=swap(EX1, "squared_error", ("0.5 * np.sum", "np.sum"))),
            ["test_squared_error"], "the 1/2 is missing"),
    mistake(EX1, "ex1_squared_error_sum", "the squared error summed over the batch",
            answers(EX1, squared_error=swap(EX1, "squared_error", (" / Z.shape[1]", ""))),
            ["test_squared_error"], "divide the sum by m"),
    mistake(EX1, "ex1_squared_error_of_scores", "the squared error of the scores Z, no sigmoid",
            answers(EX1, squared_error=SQUARED_ERROR_OF_SCORES), ["test_squared_error"],
            "not of the scores Z"),
    mistake(EX1, "ex1_squared_error_grad_no_fprime", "the squared-error delta without sigma', "
            "as if it cancelled as for cross-entropy",
            answers(EX1, squared_error_grad=SQUARED_ERROR_GRAD_NO_FPRIME),
            ["test_squared_error_grad"], "sigma'(Z) is missing"),
    mistake(EX1, "ex1_squared_error_grad_of_z", "the delta with sigmoid_grad(Z) instead of "
            "sigmoid_grad(Y)", answers(EX1, squared_error_grad=swap(
                EX1, "squared_error_grad", ("sigmoid_grad(Y)", "sigmoid_grad(Z)"))),
            ["test_squared_error_grad"], "sigmoid_grad takes the OUTPUTS"),
    mistake(EX1, "ex1_squared_error_grad_twice", "the delta with a factor 2 (the 1/2 not "
            "cancelled)", answers(EX1, squared_error_grad=swap(
                EX1, "squared_error_grad", ("(Y - T) * sigmoid_grad", "2 * (Y - T) * sigmoid_grad"))),
            ["test_squared_error_grad"], "the 1/2 cancels the 2"),
    mistake(EX1, "ex1_squared_error_grad_sign", "the delta (T - Y) sigma'(Z) / m",
            answers(EX1, squared_error_grad=swap(EX1, "squared_error_grad", ("(Y - T)", "(T - Y)"))),
            ["test_squared_error_grad"], "this is (T - Y)"),
    mistake(EX1, "ex1_sigmoid_grad_wrong_delta_calls_it", "a wrong sigmoid_grad; the "
            "squared-error delta, right in itself, calls it (the course's answers for it there)",
            answers(EX1, sigmoid_grad=SIGMOID_GRAD_OF_Z), ["test_sigmoid_grad"],
            "you applied the sigmoid again"),
    mistake(EX1, "ex1_naive_sigmoid_squared_error_calls_it", "the naive sigmoid (overflows at "
            "-1000); the squared error and its delta, right in themselves, call it",
            answers(EX1, sigmoid=SIGMOID_NAIVE), ["test_sigmoid"], "exp(1000) = inf"),
]

# --- exercise 2: answers --------------------------------------------------------------------------

FORWARD_F32 = '''
def forward(params, X):
    X32 = X.astype(np.float32)
    Y1 = sigmoid(params["W1"].astype(np.float32) @ X32)
    Y2 = softmax(params["W2"].astype(np.float32) @ Y1)
    return Y1, Y2
'''
DZ2_F32 = '''
def dE_dz2(y2, t):
    return (y2.astype(np.float32) - t.astype(np.float32)).T
'''
DW1_F32 = '''
def dE_dW1(dE_dz1_row, x):
    return dE_dz1_row.astype(np.float32).T @ x.astype(np.float32).T
'''
BATCH_F32 = '''
def batch_gradients(params, X, T):
    Y1, Y2 = (Y.astype(np.float32) for Y in forward(params, X))
    X32, T32, W2 = X.astype(np.float32), T.astype(np.float32), params["W2"].astype(np.float32)
    D2 = (Y2 - T32) / np.float32(X.shape[1])
    D1 = (W2.T @ D2) * Y1 * (np.float32(1.0) - Y1)
    return {"W1": D1 @ X32.T, "W2": D2 @ Y1.T}
'''
FORWARD_EINSUM = '''
def forward(params, X):
    Y1 = sigmoid(np.einsum("ij,jk->ik", params["W1"], X))
    Y2 = softmax(np.einsum("ij,jk->ik", params["W2"], Y1))
    return Y1, Y2
'''
DW2_EINSUM = '''
def dE_dW2(dE_dz2_row, y1):
    return np.einsum("ai,ja->ij", dE_dz2_row, y1)
'''
DW1_EINSUM = '''
def dE_dW1(dE_dz1_row, x):
    return np.einsum("ai,ja->ij", dE_dz1_row, x)
'''
BATCH_EINSUM = '''
def batch_gradients(params, X, T):
    Y1, Y2 = forward(params, X)
    D2 = (Y2 - T) / X.shape[1]
    D1 = np.einsum("ji,jk->ik", params["W2"], D2) * Y1 * (1.0 - Y1)
    return {"W1": np.einsum("ik,jk->ij", D1, X), "W2": np.einsum("ik,jk->ij", D2, Y1)}
'''
SAMPLE_LOSS_1X1 = '''
def sample_loss(z2, t):
    return -(t.T @ log_softmax(z2))          # (1, 10) @ (10, 1): a (1, 1) array
'''
LOSS_ROW_MEAN = '''
def loss(params, X, T, wd=0.0):
    W1, W2 = params["W1"], params["W2"]
    per_sample = -np.sum(T * log_softmax(W2 @ sigmoid(W1 @ X)), axis=0, keepdims=True)
    return np.mean(per_sample, axis=1) + wd / 2 * (np.sum(W1 ** 2) + np.sum(W2 ** 2))   # (1,)
'''
LOSS_OWN_LSE = '''
def loss(params, X, T, wd=0.0):
    W1, W2 = params["W1"], params["W2"]
    Z2 = W2 @ sigmoid(W1 @ X)
    c = Z2.max(axis=0)
    log_sum_exp = c + np.log(np.exp(Z2 - c).sum(axis=0))
    target_score = np.sum(T * Z2, axis=0)
    decay = 0.5 * wd * (np.linalg.norm(W1) ** 2 + np.linalg.norm(W2) ** 2)
    return np.mean(log_sum_exp - target_score) + decay
'''
SAMPLE_LOSS_PICK = '''
def sample_loss(z2, t):
    return float(-log_softmax(z2)[np.argmax(t), 0])
'''
DECAY_COPIES = '''
def add_weight_decay(grads, params, wd):
    new = {name: g.copy() for name, g in grads.items()}
    for name in new:
        new[name] += wd * params[name]
    return new
'''
BATCH_LOOP = '''
def batch_gradients(params, X, T):
    """Slow but right: the one-sample stages in a loop over the columns, then the mean."""
    m = X.shape[1]
    total = {name: np.zeros_like(W) for name, W in params.items()}
    for j in range(m):
        x, t = X[:, [j]], T[:, [j]]
        y1, y2 = forward(params, x)
        delta2 = dE_dz2(y2, t)
        delta1 = dE_dz1(dE_dy1(delta2, params["W2"]), dy1_dz1(y1))
        total["W1"] += dE_dW1(delta1, x)
        total["W2"] += dE_dW2(delta2, y1)
    return {name: g / m for name, g in total.items()}
'''
BATCH_LOOP_OWN_FORWARD = '''
def batch_gradients(params, X, T):
    """The loop over samples, each sample's forward pass written out."""
    W1, W2 = params["W1"], params["W2"]
    total = {"W1": 0.0, "W2": 0.0}
    for j in range(X.shape[1]):
        x, t = X[:, j:j + 1], T[:, j:j + 1]
        y1 = sigmoid(W1 @ x)
        y2 = softmax(W2 @ y1)
        delta2 = dE_dz2(y2, t)
        total["W2"] = total["W2"] + dE_dW2(delta2, y1)
        total["W1"] = total["W1"] + dE_dW1(dE_dz1(dE_dy1(delta2, W2), dy1_dz1(y1)), x)
    return {name: g / X.shape[1] for name, g in total.items()}
'''
GRADIENTS_INLINE = '''
def gradients(params, X, T, wd=0.0):
    W1, W2 = params["W1"], params["W2"]
    Y1 = sigmoid(W1 @ X)
    Y2 = softmax(W2 @ Y1)
    D2 = (Y2 - T) / X.shape[1]
    D1 = (W2.T @ D2) * Y1 * (1.0 - Y1)
    return {"W1": D1 @ X.T + wd * W1, "W2": D2 @ Y1.T + wd * W2}
'''
STAGES_OTHER_FORMS = {
    "dE_dz2": "def dE_dz2(y2, t):\n    return (y2 - t).reshape(1, -1)\n",
    "dE_dy1": "def dE_dy1(dE_dz2_row, W2):\n    return (W2.T @ dE_dz2_row.T).T\n",
    "dE_dW2": "def dE_dW2(dE_dz2_row, y1):\n    return np.outer(dE_dz2_row, y1)\n",
    "dy1_dz1": "def dy1_dz1(y1):\n    return np.diag((y1 * (1.0 - y1)).ravel())\n",
    "dE_dz1": ("def dE_dz1(dE_dy1_row, dy1_dz1_matrix):\n"
               "    return dE_dy1_row * np.diag(dy1_dz1_matrix)      # the matrix is diagonal\n"),
    "dE_dW1": "def dE_dW1(dE_dz1_row, x):\n    return np.outer(dE_dz1_row, x)\n",
}
EX2_HELPERS = '''
def as_row(v):
    """Any vector as a (1, n) row."""
    return np.reshape(v, (1, -1))


def weight_gradient(row, column):
    """(dE/dz)^T times the layer's input transposed: the gradient of a weight matrix."""
    return row.T @ column.T
'''
FORWARD_DEBUG = '''
def forward(params, X):
    print("forward:", {name: W.shape for name, W in params.items()}, "X", X.shape)
    Y1 = sigmoid(params["W1"] @ X)
    Y2 = softmax(params["W2"] @ Y1)
    print("   column sums of Y2:", np.round(Y2.sum(axis=0), 3))
    return Y1, Y2
'''
BATCH_DEBUG = '''
def batch_gradients(params, X, T):
    Y1, Y2 = forward(params, X)
    D2 = (Y2 - T) / X.shape[1]
    D1 = (params["W2"].T @ D2) * Y1 * (1.0 - Y1)
    grads = {"W1": D1 @ X.T, "W2": D2 @ Y1.T}
    for name, g in grads.items():
        print(name, g.shape, "norm", np.linalg.norm(g))
    return grads
'''
LAYER_HELPER = '''
def layer(W, A, activation):
    """One layer: the activation of W @ A."""
    return activation(W @ A)
'''
FORWARD_WITH_LAYER = '''
def forward(params, X):
    Y1 = layer(params["W1"], X, sigmoid)
    return Y1, layer(params["W2"], Y1, softmax)
'''
STAGES_WITH_HELPERS = {
    "dE_dz2": "def dE_dz2(y2, t):\n    return as_row(y2 - t)\n",
    "dE_dW2": "def dE_dW2(dE_dz2_row, y1):\n    return weight_gradient(dE_dz2_row, y1)\n",
    "dE_dW1": "def dE_dW1(dE_dz1_row, x):\n    return weight_gradient(dE_dz1_row, x)\n",
}
DERIVATIONS_EX2 = {
    "derivation_stage8": r"""
$E$ is the mean of the sample losses, so its gradient is $\frac1m \sum_j$ of the stage-4 and
stage-7 outer products; $\sum_j \mathbf d_j \mathbf y_j^\top = D_2 Y_1^\top$ because a matrix
product sums over the inner index, the sample. Column $j$ of $D_1$ is sample $j$'s stage-6 row,
transposed, over $m$: $(W^{(2)\top} \mathbf d^{(2)}_j) \odot \mathbf y^{(1)}_j \odot (1 - \mathbf y^{(1)}_j)$.
""",
    "derivation_stages3_4": r"""
$z^{(2)}_u = \sum_v w^{(2)}_{uv} y^{(1)}_v$, so
$\partial E/\partial y^{(1)}_v = \sum_u \frac{\partial E}{\partial z^{(2)}_u} w^{(2)}_{uv}$
(the row times $W^{(2)}$) and $\partial E/\partial w^{(2)}_{uv} = (y^{(2)}_u - t_u)\, y^{(1)}_v$.
""",
    "derivation_stages5_7": r"""
$\sigma' = \sigma(1 - \sigma)$; unit $u$ depends only on $z^{(1)}_u$, so the Jacobian is diagonal;
$w^{(1)}_{uv}$ enters only $z^{(1)}_u$ with coefficient $x_v$.
""",
}

# --- exercise 2: mistakes -------------------------------------------------------------------------

FORWARD_BATCH_CAST_CALL = '''
def batch_gradients(params, X, T):
    Y1, Y2 = forward(params, X.astype(np.float32))
    D2 = (Y2 - T) / X.shape[1]
    D1 = (params["W2"].T @ D2) * Y1 * (1.0 - Y1)
    return {"W1": D1 @ X.T, "W2": D2 @ Y1.T}
'''
DECAY_IN_PLACE = '''
def add_weight_decay(grads, params, wd):
    for name in grads:
        grads[name] += wd * params[name]
    return grads
'''
GRADIENTS_DOUBLE_DECAY = '''
def gradients(params, X, T, wd=0.0):
    grads = add_weight_decay(batch_gradients(params, X, T), params, wd)
    return {name: g + wd * params[name] for name, g in grads.items()}
'''
DY1_NO_RETURN = '''
def dE_dy1(dE_dz2_row, W2):
    result = dE_dz2_row @ W2
'''
DW1_TYPO = '''
def dE_dW1(dE_dz1_row, x):
    return dE_dz1_rw.T @ x.T
'''
LOSS_VIA_FORWARD = '''
def loss(params, X, T, wd=0.0):
    Y1, _ = forward(params, X)                   # the hidden outputs from the student's forward
    data = -np.sum(T * log_softmax(params["W2"] @ Y1)) / X.shape[1]
    return data + wd / 2 * sum(np.sum(W ** 2) for W in params.values())
'''
LOSS_LOG_EPS = '''
def loss(params, X, T, wd=0.0):
    W1, W2 = params["W1"], params["W2"]
    Y2 = softmax(W2 @ sigmoid(W1 @ X))
    data = -np.sum(T * np.log(Y2 + 1e-12)) / X.shape[1]       # "avoids" log(0)
    return data + wd / 2 * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
'''

EX2_CORRECT = [
    correct(EX2, "ex2_shapes_lists", "the shapes as lists", answers(
        EX2, shapes="W1_shape = [7, 784]\nW2_shape = [10, 7]\n")),
    correct(EX2, "ex2_shapes_arrays", "the shapes as 1-d integer arrays", answers(
        EX2, shapes="W1_shape = np.array([7, 784])\nW2_shape = np.array([10, 7])\n")),
    correct(EX2, "ex2_forward_list", "forward returns the list [Y1, Y2]", answers(
        EX2, forward=swap(EX2, "forward", ("return Y1, Y2", "return [Y1, Y2]")))),
    correct(EX2, "ex2_float32", "the forward pass, two stages and the batch gradients in "
            "float32", answers(EX2, forward=FORWARD_F32, dE_dz2=DZ2_F32, dE_dW1=DW1_F32,
                               batch_gradients=BATCH_F32)),
    correct(EX2, "ex2_einsum", "np.einsum in the forward pass and the gradients",
            answers(EX2, forward=FORWARD_EINSUM, dE_dW2=DW2_EINSUM, dE_dW1=DW1_EINSUM,
                    batch_gradients=BATCH_EINSUM)),
    correct(EX2, "ex2_loss_arrays", "the sample loss as a (1, 1) array (t.T @ log_softmax), "
            "the batch loss as a (1,) array", answers(EX2, sample_loss=SAMPLE_LOSS_1X1,
                                                      loss=LOSS_ROW_MEAN)),
    correct(EX2, "ex2_loss_own_logsumexp", "the loss with a log-sum-exp written out and "
            "norms for the decay; the sample loss by picking the target's entry",
            answers(EX2, loss=LOSS_OWN_LSE, sample_loss=SAMPLE_LOSS_PICK)),
    correct(EX2, "ex2_loss_via_forward", "the loss from the hidden outputs of forward",
            answers(EX2, loss=LOSS_VIA_FORWARD)),
    correct(EX2, "ex2_decay_on_copies", "weight decay added in place, to copies",
            answers(EX2, add_weight_decay=DECAY_COPIES)),
    correct(EX2, "ex2_batch_loop", "slow but right: batch_gradients loops over the samples "
            "with the one-sample stages", answers(EX2, batch_gradients=BATCH_LOOP)),
    correct(EX2, "ex2_gradients_inline", "gradients written out in full, calling nothing",
            answers(EX2, gradients=GRADIENTS_INLINE)),
    correct(EX2, "ex2_stages_other_forms", "the stages with reshape, np.outer, np.diag and an "
            "element-wise product", answers(EX2, **STAGES_OTHER_FORMS)),
    correct(EX2, "ex2_helper_cell", "helpers in a cell the student added after the imports",
            answers(EX2, insert_after("imports", code(EX2_HELPERS)),
                    **STAGES_WITH_HELPERS)),
    correct(EX2, "ex2_one_cell", "all answers in one cell right after the imports, the answer "
            "cells deleted", answers(EX2, merged_after_imports(
                "shapes", "forward", "sample_loss", "loss", "dE_dz2", "dE_dy1", "dE_dW2",
                "dy1_dz1", "dE_dz1", "dE_dW1", "batch_gradients", "add_weight_decay",
                "gradients"))),
    correct(EX2, "ex2_written_below", "the three derivations in new markdown cells under the "
            "untouched answer cells", answers(EX2, *[written_below(gid, text) for gid, text
                                                     in DERIVATIONS_EX2.items()]),
            manual_answered=tuple(DERIVATIONS_EX2)),
    correct(EX2, "ex2_vscode", "saved by VS Code", answers(EX2, vscode),
            manual_answered=tuple(DERIVATIONS_EX2)),
    correct(EX2, "ex2_messy_debug", "debug prints, outputs and execution counts left in",
            answers(EX2, messy, forward=FORWARD_DEBUG, batch_gradients=BATCH_DEBUG)),
    correct(EX2, "ex2_duplicated_cell", "the forward cell duplicated: a helper in the first "
            "copy, the forward pass in the second",
            answers(EX2, duplicated("forward", LAYER_HELPER, FORWARD_WITH_LAYER))),
]

EX2_MISTAKES = [
    mistake(EX2, "ex2_shapes_transposed", "the shapes written (inputs, outputs)", answers(
        EX2, shapes="W1_shape = (784, 7)\nW2_shape = (7, 10)\n"), ["test_shapes"], "W1_shape"),
    mistake(EX2, "ex2_forward_wrong_axis", "the output softmax over the wrong axis; the "
            "gradients that call forward are right", answers(EX2, forward=swap(
                EX2, "forward", ('softmax(params["W2"] @ Y1)',
                                 'softmax(params["W2"] @ Y1, axis=1)'))),
            ["test_forward"], "in 'Y2'"),
    mistake(EX2, "ex2_forward_no_sigmoid", "no sigmoid in the hidden layer", answers(
        EX2, forward=swap(EX2, "forward", ('sigmoid(params["W1"] @ X)', 'params["W1"] @ X'))),
            ["test_forward"], "in 'Y1'"),
    mistake(EX2, "ex2_forward_no_sigmoid_loss_calls_it", "no sigmoid in the hidden layer, and "
            "the loss computed from forward's hidden outputs (the loss itself is right)",
            answers(EX2, loss=LOSS_VIA_FORWARD, forward=swap(
                EX2, "forward", ('sigmoid(params["W1"] @ X)', 'params["W1"] @ X'))),
            ["test_forward"], "in 'Y1'"),
    mistake(EX2, "ex2_sample_loss_log_probs", "sample_loss as -t . np.log(softmax(z2)) "
            "(log 0 when probabilities underflow)", answers(EX2, sample_loss=swap(
                EX2, "sample_loss", ("log_softmax(z2)", "np.log(softmax(z2))"))),
            ["test_sample_loss"], "take log_softmax of the scores"),
    mistake(EX2, "ex2_loss_log_probs", "the loss from np.log(softmax(Z2))", answers(
        EX2, loss=swap(EX2, "loss", ("log_softmax(Z2)", "np.log(softmax(Z2))"))),
            ["test_loss"], "take log_softmax of the scores"),
    mistake(EX2, "ex2_loss_log_eps", "the loss from np.log(probabilities + 1e-12): finite but "
            "wrong when probabilities underflow", answers(EX2, loss=LOSS_LOG_EPS),
            ["test_loss"], "values differ"),
    mistake(EX2, "ex2_loss_no_decay", "the weight-decay term left out of the loss", answers(
        EX2, loss=swap(EX2, "loss", (" + wd / 2 * (np.sum(W1 ** 2) + np.sum(W2 ** 2))", ""))),
            ["test_loss"], "weight-decay term"),
    mistake(EX2, "ex2_loss_full_decay", "wd instead of wd/2 in the loss", answers(
        EX2, loss=swap(EX2, "loss", ("wd / 2 *", "wd *"))), ["test_loss"], "values differ"),
    mistake(EX2, "ex2_dz2_column", "stage 2 as a (10, 1) column where a (1, 10) row is "
            "required", answers(EX2, dE_dz2=swap(EX2, "dE_dz2", ("(y2 - t).T", "y2 - t"))),
            ["test_dE_dz2"], "looks transposed"),
    mistake(EX2, "ex2_dz2_sign", "stage 2 as t - y2", answers(EX2, dE_dz2=swap(
        EX2, "dE_dz2", ("(y2 - t).T", "(t - y2).T"))), ["test_dE_dz2"], "the sign is flipped"),
    mistake(EX2, "ex2_dy1_column", "stage 3 as the column W2^T dE/dz2^T", answers(
        EX2, dE_dy1=swap(EX2, "dE_dy1", ("dE_dz2_row @ W2", "W2.T @ dE_dz2_row.T"))),
            ["test_dE_dy1"], "looks transposed"),
    mistake(EX2, "ex2_dw2_transposed", "dE/dW2 transposed, (7, 10)", answers(
        EX2, dE_dW2=swap(EX2, "dE_dW2", ("dE_dz2_row.T @ y1.T", "y1 @ dE_dz2_row"))),
            ["test_dE_dW2"], "looks transposed"),
    mistake(EX2, "ex2_dy1_sigma_again", "stage 5 with the sigmoid applied to y1 again",
            answers(EX2, dy1_dz1=swap(EX2, "dy1_dz1", ("y1 * (1.0 - y1)",
                                                       "sigmoid(y1) * (1.0 - sigmoid(y1))"))),
            ["test_dy1_dz1"], "you applied the sigmoid to y1 again"),
    mistake(EX2, "ex2_dy1_vector", "stage 5 as a vector instead of a diagonal matrix",
            answers(EX2, dy1_dz1=swap(EX2, "dy1_dz1", ("np.diagflat(y1 * (1.0 - y1))",
                                                       "y1 * (1.0 - y1)"))),
            ["test_dy1_dz1"], "np.diagflat(y1 * (1 - y1))"),
    mistake(EX2, "ex2_dz1_column", "stage 6 as a column", answers(EX2, dE_dz1=swap(
        EX2, "dE_dz1", ("dE_dy1_row @ dy1_dz1_matrix", "dy1_dz1_matrix @ dE_dy1_row.T"))),
            ["test_dE_dz1"], "looks transposed"),
    mistake(EX2, "ex2_dw1_transposed", "dE/dW1 transposed, (784, 7)", answers(
        EX2, dE_dW1=swap(EX2, "dE_dW1", ("dE_dz1_row.T @ x.T", "x @ dE_dz1_row"))),
            ["test_dE_dW1"], "looks transposed"),
    mistake(EX2, "ex2_batch_loop_dz2_sign", "stage 2 as t - y2, and batch_gradients a loop "
            "over the one-sample stages (right in itself)", answers(
                EX2, batch_gradients=BATCH_LOOP, dE_dz2=swap(EX2, "dE_dz2", ("(y2 - t).T",
                                                                       "(t - y2).T"))),
            ["test_dE_dz2"], "the sign is flipped"),
    mistake(EX2, "ex2_batch_loop_forward_no_sigmoid", "no sigmoid in forward, which the "
            "loop in batch_gradients calls for each sample", answers(
                EX2, batch_gradients=BATCH_LOOP, forward=swap(
                    EX2, "forward", ('sigmoid(params["W1"] @ X)', 'params["W1"] @ X'))),
            ["test_forward"], "in 'Y1'"),
    mistake(EX2, "ex2_batch_loop_dw1_transposed", "stage 7 transposed; batch_gradients a loop "
            "over the stages with its own forward pass", answers(
                EX2, batch_gradients=BATCH_LOOP_OWN_FORWARD, dE_dW1=swap(
                    EX2, "dE_dW1", ("dE_dz1_row.T @ x.T", "x @ dE_dz1_row"))),
            ["test_dE_dW1"], "looks transposed"),
    mistake(EX2, "ex2_batch_loop_sigma_again", "stage 5 with the sigmoid applied again, in a "
            "loop with its own forward pass", answers(
                EX2, batch_gradients=BATCH_LOOP_OWN_FORWARD, dy1_dz1=swap(
                    EX2, "dy1_dz1", ("y1 * (1.0 - y1)", "sigmoid(y1) * (1.0 - sigmoid(y1))"))),
            ["test_dy1_dz1"], "you applied the sigmoid to y1 again"),
    mistake(EX2, "ex2_batch_no_mean", "batch gradients summed, not averaged (gradients, which "
            "calls it, is right)", answers(EX2, batch_gradients=swap(
                EX2, "batch_gradients", ("(Y2 - T) / X.shape[1]", "Y2 - T"))),
            ["test_batch_gradients"], "missing or extra factor"),
    mistake(EX2, "ex2_batch_sigma_of_z", "batch gradients with z1 (1 - z1) for sigma'",
            answers(EX2, batch_gradients=swap(
                EX2, "batch_gradients", ("* Y1 * (1.0 - Y1)",
                                         "* (params['W1'] @ X) * (1.0 - params['W1'] @ X)"))),
            ["test_batch_gradients"], "values differ"),
    mistake(EX2, "ex2_wrong_forward_cast_call", "a wrong forward, and batch_gradients calling "
            "it on float32 inputs (its own forward is used: both lose)",
            answers(EX2, forward=swap(EX2, "forward", ('sigmoid(params["W1"] @ X)',
                                                        'params["W1"] @ X')),
                    batch_gradients=FORWARD_BATCH_CAST_CALL),
            ["test_forward", "test_batch_gradients"], "in 'Y1'"),
    mistake(EX2, "ex2_decay_in_place", "weight decay added to the given gradients in place",
            answers(EX2, add_weight_decay=DECAY_IN_PLACE), ["test_add_weight_decay"],
            "changed in place"),
    mistake(EX2, "ex2_decay_missing", "add_weight_decay returns the gradients unchanged",
            answers(EX2, add_weight_decay=swap(EX2, "add_weight_decay",
                                               ("g + wd * params[name]", "g"))),
            ["test_add_weight_decay"], "your gradients did not change"),
    mistake(EX2, "ex2_decay_halved", "wd/2 * W added instead of wd * W",
            answers(EX2, add_weight_decay=swap(EX2, "add_weight_decay",
                                               ("wd * params[name]", "wd / 2 * params[name]"))),
            ["test_add_weight_decay"], "the 1/2 cancels the 2"),
    mistake(EX2, "ex2_gradients_no_decay", "gradients without the weight decay",
            answers(EX2, gradients="def gradients(params, X, T, wd=0.0):\n"
                                   "    return batch_gradients(params, X, T)\n"),
            ["test_gradients"], "values differ"),
    mistake(EX2, "ex2_gradients_double_decay", "weight decay added twice in gradients",
            answers(EX2, gradients=GRADIENTS_DOUBLE_DECAY), ["test_gradients"],
            "values differ"),
    mistake(EX2, "ex2_stub_dy1_dz1", "stage 5 left as the stub",
            answers(EX2, dy1_dz1=stub(EX2, "dy1_dz1")),
            ["test_dy1_dz1"], "not implemented yet"),
    mistake(EX2, "ex2_dy1_no_return", "stage 3 computed but not returned",
            answers(EX2, dE_dy1=DY1_NO_RETURN), ["test_dE_dy1"], "forget the `return`"),
    mistake(EX2, "ex2_name_typo", "a typo in a name in stage 7", answers(EX2, dE_dW1=DW1_TYPO),
            ["test_dE_dW1"], "a name is not defined"),
]

# --- exercise 3: answers --------------------------------------------------------------------------

PREDICT_LIST = '''
def predict(Y):
    return [int(k) for k in np.argmax(Y, axis=0)]
'''
PREDICT_LOOP = '''
def predict(Y):
    labels = np.zeros(Y.shape[1], dtype=int)
    for j in range(Y.shape[1]):
        labels[j] = np.argmax(Y[:, j])
    return labels
'''
ACCURACY_LOOP = '''
def accuracy(Y, labels):
    hits = 0
    for predicted, label in zip(predict(Y), labels):
        hits += int(predicted == label)
    return hits / len(labels)
'''
ACCURACY_F32 = '''
def accuracy(Y, labels):
    return np.float32(np.mean(predict(Y) == labels))
'''
ACCURACY_KEEPDIMS = '''
def accuracy(Y, labels):
    return np.mean(predict(Y) == labels, keepdims=True)       # shape (1,)
'''
SGD_COPIES = '''
def sgd_momentum_step(params, grads, velocity, lr, momentum):
    new_velocity = {name: v.copy() for name, v in velocity.items()}
    new_params = {name: W.copy() for name, W in params.items()}
    for name in new_params:
        new_velocity[name] *= momentum
        new_velocity[name] -= lr * grads[name]
        new_params[name] += new_velocity[name]
    return new_params, new_velocity
'''
SGD_OTHER_SIGN = '''
def sgd_momentum_step(params, grads, velocity, lr, momentum):
    # the velocity with the other sign: v <- mu v + lr g, W <- W - v (the same steps)
    new_velocity = {name: momentum * velocity[name] + lr * grads[name] for name in params}
    new_params = {name: params[name] - new_velocity[name] for name in params}
    return new_params, new_velocity
'''
MINIBATCHES_LOOP = '''
def minibatches(X, T, batch_size, rng):
    m = X.shape[1]
    order = rng.permutation(m)
    batches, start = [], 0
    while start < m:
        chosen = order[start:start + batch_size]
        batches.append([X[:, chosen], T[:, chosen]])       # pairs as lists
        start += batch_size
    return batches
'''
MINIBATCHES_TAKE = '''
def minibatches(X, T, batch_size, rng):
    order = rng.permutation(X.shape[1])
    chosen = [order[s:s + batch_size] for s in range(0, X.shape[1], batch_size)]
    return [(np.take(X, c, axis=1), np.take(T, c, axis=1)) for c in chosen]
'''
ACCURACY_CALL = 'accuracy(net710.forward(params, {X})["Y2"], np.argmax({T}, axis=0))'
ACCURACY_INLINE = ('np.mean(np.argmax(net710.forward(params, {X})["Y2"], axis=0) == '
                   'np.argmax({T}, axis=0))')
BATCH_SLICES = '''
def batch_slices(m, size):
    """Consecutive slices of length size covering range(m); the last one holds what remains."""
    return [slice(start, start + size) for start in range(0, m, size)]
'''
MINIBATCHES_WITH_SLICES = '''
def minibatches(X, T, batch_size, rng):
    order = rng.permutation(X.shape[1])
    return [(X[:, order[s]], T[:, order[s]]) for s in batch_slices(X.shape[1], batch_size)]
'''
MOVED_HELPER = '''
def moved(W, v):
    """Weights after a step by the velocity v."""
    return W + v
'''
SGD_WITH_HELPER = '''
def sgd_momentum_step(params, grads, velocity, lr, momentum):
    new_velocity = {name: momentum * velocity[name] - lr * grads[name] for name in params}
    return {name: moved(params[name], new_velocity[name]) for name in params}, new_velocity
'''
COLUMN_ARGMAX = '''
def column_argmax(Y):
    return np.argmax(Y, axis=0)
'''
ACCURACY_WITH_HELPER = '''
def accuracy(Y, labels):
    return float(np.mean(column_argmax(Y) == labels))
'''
TRAIN_PRINTS = ("        history[\"train_loss\"].append(net710.loss(params, X, T))",
                "        history[\"train_loss\"].append(net710.loss(params, X, T))\n"
                "        print(f\"epoch {epoch}: training loss {history['train_loss'][-1]:.4f}\")")
STUDY = '''
Momentum 0.9 with lr 0.1 trains best: the velocity tends to -lr g / (1 - mu), ten times the
plain step. lr 0.01 without momentum is far too slow; lr 1 with momentum overshoots and the loss
is noisy.
'''

STUDY_POSITIONAL = '''
def lr_study(train, params0, X, T, epochs, batch_size=32, seed=1):
    runs = {}
    for momentum in MOMENTA:
        for lr in LRS:
            runs[lr, momentum] = train(params0, X, T, epochs, batch_size, lr, momentum,
                                       np.random.default_rng(seed))[1]
    final_losses = [[runs[lr, momentum]["train_loss"][-1] for lr in LRS] for momentum in MOMENTA]
    return final_losses, runs
'''
READ_LOOPS = '''
def read_lr_study(final_losses):
    best, lowest, helps = None, float("inf"), []
    for i, momentum in enumerate(MOMENTA):
        for j, lr in enumerate(LRS):
            if final_losses[i][j] < lowest:
                best, lowest = [lr, momentum], final_losses[i][j]
    for j, lr in enumerate(LRS):
        if final_losses[1][j] < final_losses[0][j]:
            helps.append(lr)
    return best, np.array(helps)
'''

# --- exercise 3: mistakes -------------------------------------------------------------------------

SGD_IN_PLACE = '''
def sgd_momentum_step(params, grads, velocity, lr, momentum):
    for name in params:
        velocity[name] *= momentum
        velocity[name] -= lr * grads[name]
        params[name] += velocity[name]
    return params, velocity
'''
MINIBATCHES_NO_SHUFFLE = '''
def minibatches(X, T, batch_size, rng):
    m = X.shape[1]
    return [(X[:, i:i + batch_size], T[:, i:i + batch_size]) for i in range(0, m, batch_size)]
'''
MINIBATCHES_TWO_PERMUTATIONS = '''
def minibatches(X, T, batch_size, rng):
    m = X.shape[1]
    Xs, Ts = X[:, rng.permutation(m)], T[:, rng.permutation(m)]
    return [(Xs[:, i:i + batch_size], Ts[:, i:i + batch_size]) for i in range(0, m, batch_size)]
'''
MINIBATCHES_ARRAY_SPLIT = '''
def minibatches(X, T, batch_size, rng):
    m = X.shape[1]
    order = rng.permutation(m)
    parts = np.array_split(order, int(np.ceil(m / batch_size)))     # balanced sizes
    return [(X[:, part], T[:, part]) for part in parts]
'''
ACCURACY_NO_RETURN = '''
def accuracy(Y, labels):
    result = float(np.mean(predict(Y) == labels))
'''
TRAIN_STEPS = ("        for X_b, T_b in minibatches(X, T, batch_size, rng):\n"
               "            grads = net710.gradients(params, X_b, T_b)\n"
               "            params, velocity = sgd_momentum_step(params, grads, velocity, lr, "
               "momentum)\n")
VAL_HISTORY = ("        if X_val is not None:\n"
               "            history[\"val_loss\"].append(net710.loss(params, X_val, T_val))\n"
               "            history[\"val_acc\"].append(accuracy(net710.forward(params, X_val)"
               "[\"Y2\"], np.argmax(T_val, axis=0)))\n")
RETURN = "    return params, history"
TRAIN_VELOCITY_RESET = (TRAIN_STEPS, "        velocity = {name: np.zeros_like(W) for name, W in "
                                     "params.items()}\n" + TRAIN_STEPS)

STUDY_ONE_RNG = (("momentum=momentum, rng=np.random.default_rng(seed))",
                  "momentum=momentum, rng=rng)"),
                 ("    final_losses, runs = np.zeros",
                  "    rng = np.random.default_rng(seed)\n    final_losses, runs = np.zeros"))
STUDY_BY_NAME = ("_, history = train(", "_, history = train_710(")
STUDY_TRANSPOSED = ("final_losses[i, j] = history", "final_losses[j, i] = history")

EX3_ALL = ("predict", "accuracy", "sgd_momentum_step", "minibatches", "train_710", "lr_study",
           "read_lr_study")

EX3_CORRECT = [
    correct(EX3, "ex3_predict_list", "predict returns a list of ints (accuracy and train_710 "
            "use it)", answers(EX3, predict=PREDICT_LIST)),
    correct(EX3, "ex3_loops", "predict and accuracy with Python loops",
            answers(EX3, predict=PREDICT_LOOP, accuracy=ACCURACY_LOOP)),
    correct(EX3, "ex3_accuracy_float32", "accuracy as np.float32",
            answers(EX3, accuracy=ACCURACY_F32)),
    correct(EX3, "ex3_accuracy_keepdims", "accuracy as a (1,) array (np.mean with keepdims), "
            "so the history holds (1,) arrays too", answers(EX3, accuracy=ACCURACY_KEEPDIMS)),
    correct(EX3, "ex3_step_list", "sgd_momentum_step returns the list [params, velocity]",
            answers(EX3, sgd_momentum_step=swap(EX3, "sgd_momentum_step",
                                                ("return new_params, new_velocity",
                                                 "return [new_params, new_velocity]")))),
    correct(EX3, "ex3_step_on_copies", "the momentum step in place, on copies",
            answers(EX3, sgd_momentum_step=SGD_COPIES)),
    correct(EX3, "ex3_step_other_sign", "the equivalent convention v <- mu v + lr g, "
            "W <- W - v", answers(EX3, sgd_momentum_step=SGD_OTHER_SIGN)),
    correct(EX3, "ex3_minibatches_loop", "minibatches with a while loop, pairs as lists",
            answers(EX3, minibatches=MINIBATCHES_LOOP)),
    correct(EX3, "ex3_minibatches_take", "minibatches with np.take",
            answers(EX3, minibatches=MINIBATCHES_TAKE)),
    correct(EX3, "ex3_train_list", "train_710 returns the list [params, history]",
            answers(EX3, train_710=swap(EX3, "train_710",
                                        (RETURN, "    return [params, history]")))),
    correct(EX3, "ex3_train_inline_accuracy", "train_710 computes the accuracies itself "
            "instead of calling accuracy", answers(EX3, train_710=swap(
                EX3, "train_710",
                (ACCURACY_CALL.format(X="X", T="T"), ACCURACY_INLINE.format(X="X", T="T")),
                (ACCURACY_CALL.format(X="X_val", T="T_val"),
                 ACCURACY_INLINE.format(X="X_val", T="T_val"))))),
    correct(EX3, "ex3_study_positional", "lr_study calls train with positional arguments, "
            "keys runs by (lr, momentum) and returns final_losses as nested lists",
            answers(EX3, lr_study=STUDY_POSITIONAL)),
    correct(EX3, "ex3_read_loops", "read_lr_study with loops, best as a list and "
            "momentum_helps as an array", answers(EX3, read_lr_study=READ_LOOPS)),
    correct(EX3, "ex3_one_cell", "all answers in one cell right after the imports, the answer "
            "cells deleted", answers(EX3, merged_after_imports(*EX3_ALL))),
    correct(EX3, "ex3_written_below", "the learning-rate study written in a new markdown cell "
            "under the untouched answer cell", answers(EX3, written_below(
                "learning_rate_study", STUDY)), manual_answered=("learning_rate_study",)),
    correct(EX3, "ex3_colab", "saved by a Colab export that dropped nbgrader's metadata",
            answers(EX3, colab_without_nbgrader)),
    correct(EX3, "ex3_messy_debug", "a print per epoch, old outputs and execution counts left "
            "in", answers(EX3, messy, train_710=swap(EX3, "train_710", TRAIN_PRINTS))),
    correct(EX3, "ex3_helper_cell", "a helper in a cell the student added after a test cell",
            answers(EX3, insert_after("test_sgd_momentum_step", code(BATCH_SLICES)),
                    minibatches=MINIBATCHES_WITH_SLICES)),
    correct(EX3, "ex3_duplicated_cell", "the momentum-step cell duplicated: a helper in the "
            "first copy, the step in the second",
            answers(EX3, duplicated("sgd_momentum_step", MOVED_HELPER, SGD_WITH_HELPER))),
    correct(EX3, "ex3_code_in_test_cell", "a helper typed at the end of test_predict, used by "
            "accuracy", answers(EX3, in_test_cell("test_predict", COLUMN_ARGMAX),
                                accuracy=ACCURACY_WITH_HELPER)),
]

EX3_MISTAKES = [
    mistake(EX3, "ex3_predict_no_axis", "predict with argmax without an axis (one number); "
            "accuracy and train_710 keep their points", answers(EX3, predict=swap(
                EX3, "predict", ("np.argmax(Y, axis=0)", "np.argmax(Y)"))),
            ["test_predict"], "shape ()"),
    mistake(EX3, "ex3_predict_rows", "predict over the wrong axis (train_710 and the "
            "learning-rate study keep their points, although in the notebook training stops "
            "with an error)", answers(EX3, predict=swap(EX3, "predict", ("axis=0", "axis=1"))),
            ["test_predict"], "argmax over axis 0"),
    mistake(EX3, "ex3_stub_predict", "predict left as the stub: accuracy, train_710 and the "
            "learning-rate study keep their points", answers(EX3, predict=stub(EX3, "predict")),
            ["test_predict"], "not implemented yet"),
    mistake(EX3, "ex3_accuracy_percent", "accuracy in percent", answers(EX3, accuracy=swap(
        EX3, "accuracy", ("return float(", "return 100 * float("))),
            ["test_accuracy"], "not a percentage"),
    mistake(EX3, "ex3_accuracy_count", "accuracy as the number of hits", answers(
        EX3, accuracy=swap(EX3, "accuracy", ("float(np.mean(", "int(np.sum("))),
            ["test_accuracy"], "fraction between 0 and 1"),
    mistake(EX3, "ex3_accuracy_no_return", "accuracy computed but not returned",
            answers(EX3, accuracy=ACCURACY_NO_RETURN), ["test_accuracy"],
            "forget the `return`"),
    mistake(EX3, "ex3_step_uphill", "the momentum step adds the gradient (uphill)", answers(
        EX3, sgd_momentum_step=swap(EX3, "sgd_momentum_step", ("- lr * grads", "+ lr * grads"))),
            ["test_sgd_momentum_step"], "goes uphill"),
    mistake(EX3, "ex3_step_mixed_signs", "v <- mu v - lr g with W <- W - v (uphill)",
            answers(EX3, sgd_momentum_step=swap(
                EX3, "sgd_momentum_step", ("params[name] + new_velocity",
                                           "params[name] - new_velocity"))),
            ["test_sgd_momentum_step"], "goes uphill"),
    mistake(EX3, "ex3_step_no_momentum", "the momentum term left out (plain SGD)", answers(
        EX3, sgd_momentum_step=swap(EX3, "sgd_momentum_step",
                                    ("momentum * velocity[name] - lr", "-lr"))),
            ["test_sgd_momentum_step"], "the momentum term is missing"),
    mistake(EX3, "ex3_step_in_place", "the momentum step changes params and velocity in place "
            "(train_710, which only uses the result, keeps its points)",
            answers(EX3, sgd_momentum_step=SGD_IN_PLACE), ["test_sgd_momentum_step"],
            "changed in place"),
    mistake(EX3, "ex3_step_not_a_pair", "the momentum step returns only the new params",
            answers(EX3, sgd_momentum_step=swap(EX3, "sgd_momentum_step",
                                                ("return new_params, new_velocity",
                                                 "return new_params"))),
            ["test_sgd_momentum_step"], "must return the pair"),
    mistake(EX3, "ex3_minibatches_unpaired", "minibatches shuffle X but not T", answers(
        EX3, minibatches=swap(EX3, "minibatches", ("T[:, order[i:i + batch_size]]",
                                                   "T[:, i:i + batch_size]"))),
            ["test_minibatches"], "values differ"),
    mistake(EX3, "ex3_minibatches_no_shuffle", "minibatches without shuffling",
            answers(EX3, minibatches=MINIBATCHES_NO_SHUFFLE),
            ["test_minibatches"], "values differ"),
    mistake(EX3, "ex3_minibatches_two_permutations", "X and T shuffled by two different "
            "permutations", answers(EX3, minibatches=MINIBATCHES_TWO_PERMUTATIONS),
            ["test_minibatches"], "values differ"),
    mistake(EX3, "ex3_minibatches_drop_last", "the last, smaller minibatch dropped (the "
            "training sets divide evenly, so train_710 keeps its points)",
            answers(EX3, minibatches=swap(EX3, "minibatches", (
                "range(0, m, batch_size)", "range(0, m - batch_size + 1, batch_size)"))),
            ["test_minibatches"], "3 items"),
    mistake(EX3, "ex3_minibatches_array_split", "np.array_split into balanced batches instead "
            "of slices of batch_size", answers(EX3, minibatches=MINIBATCHES_ARRAY_SPLIT),
            ["test_minibatches"], "shape (6, 6)"),
    mistake(EX3, "ex3_minibatches_typo", "a typo in a name in minibatches", answers(
        EX3, minibatches=swap(EX3, "minibatches", ("T[:, order[i:i + batch_size]]",
                                                   "T[:, oder[i:i + batch_size]]"))),
            ["test_minibatches"], "a name is not defined"),
    mistake(EX3, "ex3_study_one_rng", "one generator shared by the six runs of the study",
            answers(EX3, lr_study=swap(EX3, "lr_study", *STUDY_ONE_RNG)),
            ["test_lr_study"], "do not carry weights or one generator"),
    mistake(EX3, "ex3_study_by_name", "the study trains with train_710 by name, not the train "
            "it is given", answers(EX3, lr_study=swap(EX3, "lr_study", STUDY_BY_NAME)),
            ["test_lr_study"], "not train_710 by name"),
    mistake(EX3, "ex3_study_transposed", "final_losses filled with rows and columns swapped "
            "(an IndexError)", answers(EX3, lr_study=swap(EX3, "lr_study", STUDY_TRANSPOSED)),
            ["test_lr_study"], "the run with MOMENTA[i] and LRS[j]"),
    mistake(EX3, "ex3_read_highest", "read_lr_study takes the highest loss as the best",
            answers(EX3, read_lr_study=swap(EX3, "read_lr_study", ("np.argmin", "np.argmax"))),
            ["test_read_lr_study"], "lowest final loss"),
    mistake(EX3, "ex3_read_pair_swapped", "read_lr_study returns best as (momentum, lr)",
            answers(EX3, read_lr_study=swap(EX3, "read_lr_study",
                                            ("(LRS[j], MOMENTA[i])", "(MOMENTA[i], LRS[j])"))),
            ["test_read_lr_study"], "the learning rate first"),
    mistake(EX3, "ex3_read_rows_swapped", "momentum_helps compares the rows the wrong way round",
            answers(EX3, read_lr_study=swap(EX3, "read_lr_study",
                                            ("final_losses[1, k] < final_losses[0, k]",
                                             "final_losses[0, k] < final_losses[1, k]"))),
            ["test_read_lr_study"], "row 1 (momentum 0.9) is below row 0"),
    mistake(EX3, "ex3_train_no_val", "train_710 leaves out the validation history",
            answers(EX3, train_710=swap(EX3, "train_710", (VAL_HISTORY, ""))),
            ["test_train_710"], "val_acc"),
    mistake(EX3, "ex3_train_velocity_reset", "the velocity reset to zero every epoch",
            answers(EX3, train_710=swap(EX3, "train_710", TRAIN_VELOCITY_RESET)),
            ["test_train_710"], "values differ"),
    mistake(EX3, "ex3_train_own_rng", "a new generator every epoch instead of the one given",
            answers(EX3, train_710=swap(EX3, "train_710", (
                "minibatches(X, T, batch_size, rng)",
                "minibatches(X, T, batch_size, np.random.default_rng(0))"))),
            ["test_train_710"], "values differ"),
    mistake(EX3, "ex3_train_history_first", "the history recorded before each epoch's steps",
            answers(EX3, train_710=swap(EX3, "train_710", (TRAIN_STEPS, ""),
                                        (RETURN, TRAIN_STEPS + RETURN))),
            ["test_train_710"], "values differ"),
]

# --- exercise 4: answers --------------------------------------------------------------------------

EX4_ALL = ("init_params", "activation", "activation_grad", "forward", "output_delta",
           "layer_gradients", "backprop_delta", "gradients")
ACTIVATION_TABLE = '''
UNITS = {"sigmoid": lambda Z: 0.5 * (1 + np.tanh(Z / 2)), "tanh": np.tanh,
         "relu": lambda Z: np.where(Z > 0, Z, 0.0), "leaky_relu": lambda Z: np.where(Z > 0, Z, LEAKY_SLOPE * Z)}


def activation(Z, hidden):
    return UNITS[hidden](Z)
'''
ACTIVATION_GRAD_HEAVISIDE = '''
def activation_grad(A, hidden):
    if hidden == "relu":
        return np.heaviside(A, 0.0)
    if hidden == "leaky_relu":
        return LEAKY_SLOPE + (1 - LEAKY_SLOPE) * np.heaviside(A, 0.0)
    return A * (1 - A) if hidden == "sigmoid" else 1 - A * A
'''
FORWARD_EINSUM = '''
def forward(params, X, hidden):
    L = len([name for name in params if name[0] == "W"])
    As = [X]
    for l in range(1, L):
        Z = np.einsum("ij,jk->ik", params[f"W{l}"], As[-1]) + params.get(f"b{l}", 0)
        As.append(activation(Z, hidden))
    Z = np.einsum("ij,jk->ik", params[f"W{L}"], As[-1]) + params.get(f"b{L}", 0)
    return As, softmax(Z)
'''
GRADIENTS_REVERSED = '''
def gradients(params, X, T, hidden, wd=0.0):
    L = len([name for name in params if name.startswith("W")])
    As, Y = forward(params, X, hidden)
    grads, D = {}, output_delta(Y, T)
    for l in reversed(range(1, L + 1)):
        dW, db = layer_gradients(D, As[l - 1])
        grads["W" + str(l)] = dW + wd * params["W" + str(l)]
        if "b" + str(l) in params:
            grads["b" + str(l)] = db
        D = backprop_delta(D, params["W" + str(l)], As[l - 1], hidden) if l > 1 else None
    return grads
'''
DERIVATION = '''
For sample j, Z_l[u, j] = sum_v W_l[u, v] A_(l-1)[v, j] + b_l[u], so dE/dW_l[u, v] is the sum over
j of D_l[u, j] A_(l-1)[v, j], which is the matrix product D_l A_(l-1)^T; the bias enters every
column with factor 1, so its gradient is the row sum of D_l (the 1/m is already inside D_L).
'''

EX4_CORRECT = [
    correct(EX4, "ex4_init_normal", "init_params with rng.normal(0, scale, size)", answers(
        EX4, init_params=swap(EX4, "init_params", (
            "np.sqrt(2 / n_prev) * rng.standard_normal((n, n_prev))",
            "rng.normal(0.0, np.sqrt(2 / n_prev), size=(n, n_prev))")))),
    correct(EX4, "ex4_activation_table", "activation from a dict of functions, sigmoid via tanh",
            answers(EX4, activation=ACTIVATION_TABLE)),
    correct(EX4, "ex4_activation_grad_heaviside", "activation_grad with np.heaviside (0 at a = 0)",
            answers(EX4, activation_grad=ACTIVATION_GRAD_HEAVISIDE)),
    correct(EX4, "ex4_forward_einsum", "forward with np.einsum and params.get for the biases",
            answers(EX4, forward=FORWARD_EINSUM)),
    correct(EX4, "ex4_layer_gradients_list", "layer_gradients returns a list, db by reshape",
            answers(EX4, layer_gradients=swap(EX4, "layer_gradients", (
                "return D @ A_prev.T, np.sum(D, axis=1, keepdims=True)",
                "return [np.dot(D, A_prev.T), D.sum(axis=1).reshape(-1, 1)]")))),
    correct(EX4, "ex4_backprop_dot", "backprop_delta with np.dot and np.multiply",
            answers(EX4, backprop_delta=swap(EX4, "backprop_delta", (
                "return (W.T @ D) * activation_grad(A_prev, hidden)",
                "return np.multiply(np.dot(W.T, D), activation_grad(A_prev, hidden))")))),
    correct(EX4, "ex4_gradients_reversed", "gradients over reversed(range(...)), names by +",
            answers(EX4, gradients=GRADIENTS_REVERSED)),
    correct(EX4, "ex4_one_cell", "all answers in one cell right after the imports",
            answers(EX4, merged_after_imports(*EX4_ALL))),
    correct(EX4, "ex4_colab", "saved by a Colab export that dropped nbgrader's metadata",
            answers(EX4, colab_without_nbgrader)),
    correct(EX4, "ex4_messy_debug", "old outputs and execution counts left in", answers(EX4, messy)),
    correct(EX4, "ex4_written_below", "the batch derivation in a new markdown cell under the "
            "untouched answer cell", answers(EX4, written_below("derivation_batch", DERIVATION)),
            manual_answered=("derivation_batch",)),
]

EX4_MISTAKES = [
    mistake(EX4, "ex4_init_xavier", "init_params with sqrt(1 / n) instead of He's sqrt(2 / n)",
            answers(EX4, init_params=swap(EX4, "init_params", ("np.sqrt(2 / n_prev)",
                                                               "np.sqrt(1 / n_prev)"))),
            ["test_init_params"], "values differ"),
    mistake(EX4, "ex4_stub_activation", "activation left as the stub: forward, gradients and the "
            "training keep their points (the course's activation stands in)",
            answers(EX4, activation=stub(EX4, "activation")),
            ["test_activation"], "not implemented yet"),
    mistake(EX4, "ex4_sigmoid_grad_plus", "sigma' written as a(1 + a)", answers(
        EX4, activation_grad=swap(EX4, "activation_grad", ("A * (1 - A)", "A * (1 + A)"))),
            ["test_activation_grad"], "values differ"),
    mistake(EX4, "ex4_relu_grad_at_zero", "ReLU's derivative taken as 1 at a = 0 (the training "
            "with ReLU units uses it and is judged with the course's)", answers(
        EX4, activation_grad=swap(EX4, "activation_grad", ("(A > 0).astype", "(A >= 0).astype"))),
            ["test_activation_grad"], "values differ"),
    mistake(EX4, "ex4_forward_no_bias", "forward leaves out the biases", answers(
        EX4, forward=swap(EX4, "forward", ("            Z = Z + params[f\"b{l}\"]\n", ""),
                          ("        if f\"b{l}\" in params:\n", ""))),
            ["test_forward"], "wrong result"),
    mistake(EX4, "ex4_forward_all_inputs", "forward returns L + 1 arrays (one more than the "
            "layers' inputs; the training is judged with the course's forward)", answers(EX4, forward=swap(
                EX4, "forward", ("        if l < L:\n            As.append(activation(Z, hidden))",
                                 "        As.append(activation(Z, hidden))"))),
            ["test_forward"], "items"),
    mistake(EX4, "ex4_output_delta_no_m", "output delta without 1/m", answers(
        EX4, output_delta=swap(EX4, "output_delta", ("(Y - T) / Y.shape[1]", "Y - T"))),
            ["test_output_delta"], "values differ"),
    mistake(EX4, "ex4_db_mean", "bias gradient averaged over the batch instead of summed",
            answers(EX4, layer_gradients=swap(EX4, "layer_gradients", ("np.sum(D, axis=1",
                                                                       "np.mean(D, axis=1"))),
            ["test_layer_gradients"], "values differ"),
    mistake(EX4, "ex4_dw_transposed", "dE/dW_l transposed (A_prev D^T)", answers(
        EX4, layer_gradients=swap(EX4, "layer_gradients", ("D @ A_prev.T", "A_prev @ D.T"))),
            ["test_layer_gradients"], "shape"),
    mistake(EX4, "ex4_backprop_no_gprime", "the backpropagated delta without g'", answers(
        EX4, backprop_delta=swap(EX4, "backprop_delta", (" * activation_grad(A_prev, hidden)",
                                                         ""))),
            ["test_backprop_delta"], "values differ"),
    mistake(EX4, "ex4_decay_on_biases", "weight decay on the biases too", answers(
        EX4, gradients=swap(EX4, "gradients", ("grads[f\"b{l}\"] = db",
                                                "grads[f\"b{l}\"] = db + wd * params[f\"b{l}\"]"))),
            ["test_gradients"], "values differ"),
    mistake(EX4, "ex4_gradients_uphill", "gradients with the sign of Y - T flipped", answers(
        EX4, gradients=swap(EX4, "gradients", ("D = output_delta(Y, T)",
                                               "D = -output_delta(Y, T)"))),
            ["test_gradients", "test_train_deep"], "values differ"),
]

CORRECT = EX1_CORRECT + EX2_CORRECT + EX3_CORRECT + EX4_CORRECT
MISTAKES = EX1_MISTAKES + EX2_MISTAKES + EX3_MISTAKES + EX4_MISTAKES
VARIANTS = CORRECT + MISTAKES


def write(folder: Path, variants=VARIANTS) -> list[Variant]:
    """Write each variant as ``folder/<name>/<assignment>/<assignment>.ipynb`` (nbgrader's
    layout)."""
    folder = Path(folder)
    for variant in variants:
        path = folder / variant.name / variant.assignment / f"{variant.assignment}.ipynb"
        submissions.write(variant.make(), path)
    return list(variants)


# --- exercise 3, round 3: early stopping and the softmax-regression baseline -----------------------

EARLY_STOPPING_ARRAYS = '''
def early_stopping(val_losses, patience):
    losses = np.asarray(val_losses, dtype=float)
    lowest_before = np.concatenate([[np.inf], np.minimum.accumulate(losses)[:-1]])
    improved = losses < lowest_before
    best = 0
    for epoch in range(1, len(losses) + 1):
        if improved[epoch - 1]:
            best = epoch
        elif epoch - best >= patience:
            return [np.int64(best), float(epoch)]
    return [np.int64(best), float(len(losses))]
'''
EARLY_STOPPING_WHILE = '''
def early_stopping(val_losses, patience):
    best_index, epoch = 0, 1
    while epoch < len(val_losses) and epoch - best_index <= patience:
        if val_losses[epoch] < val_losses[best_index]:
            best_index = epoch
        epoch += 1
    stop = epoch if epoch - best_index > patience else len(val_losses)
    return best_index + 1, stop
'''
EARLY_STOPPING_ZERO_BASED = (("return best, epoch", "return best - 1, epoch - 1"),
                             ("return best, len(val_losses)", "return best - 1, len(val_losses) - 1"))
EARLY_STOPPING_WHOLE_CURVE = '''
def early_stopping(val_losses, patience):
    best = int(np.argmin(val_losses)) + 1
    return best, min(best + patience, len(val_losses))
'''
EARLY_STOPPING_LAST_EPOCH = '''
def early_stopping(val_losses, patience):
    since = 0
    for epoch in range(2, len(val_losses) + 1):
        since = since + 1 if val_losses[epoch - 1] >= val_losses[epoch - 2] else 0
        if since == patience:
            return int(np.argmin(val_losses[:epoch])) + 1, epoch
    return int(np.argmin(val_losses)) + 1, len(val_losses)
'''
REGRESSION_EINSUM = '''
def softmax_regression_gradients(params, X, T):
    Z = np.einsum("kn,nm->km", params["W"], X) + params["b"]
    Z = Z - Z.max(axis=0)
    Y = np.exp(Z) / np.exp(Z).sum(axis=0)
    D = (Y - T) / X.shape[1]
    return dict(W=np.einsum("km,nm->kn", D, X).astype(np.float32), b=D.sum(axis=1)[:, None])
'''
REGRESSION_LOOP = '''
def softmax_regression_gradients(params, X, T):
    m = X.shape[1]
    grads = {"W": np.zeros_like(params["W"]), "b": np.zeros_like(params["b"])}
    for j in range(m):
        x, t = X[:, j:j + 1], T[:, j:j + 1]
        d = (softmax(params["W"] @ x + params["b"]) - t) / m
        grads["W"] += d @ x.T
        grads["b"] += d
    return grads
'''
REGRESSION_NO_BIAS = ('softmax(params["W"] @ X + params["b"])', 'softmax(params["W"] @ X)')

EX3_ROUND3_CORRECT = [
    correct(EX3, "ex3_stop_arrays", "early_stopping with np.minimum.accumulate, returning a "
            "list of an np.int64 and a float", answers(EX3, early_stopping=EARLY_STOPPING_ARRAYS)),
    correct(EX3, "ex3_stop_while", "early_stopping with a while loop over 0-based indices",
            answers(EX3, early_stopping=EARLY_STOPPING_WHILE)),
    correct(EX3, "ex3_regression_einsum", "softmax regression with np.einsum, its own stable "
            "softmax and W's gradient in float32", answers(
                EX3, softmax_regression_gradients=REGRESSION_EINSUM)),
    correct(EX3, "ex3_regression_loop", "softmax regression gradients summed sample by sample",
            answers(EX3, softmax_regression_gradients=REGRESSION_LOOP)),
]

EX3_ROUND3_MISTAKES = [
    mistake(EX3, "ex3_stop_zero_based", "early_stopping counts epochs from 0", answers(
        EX3, early_stopping=swap(EX3, "early_stopping", *EARLY_STOPPING_ZERO_BASED)),
            ["test_early_stopping"], "counted from 1"),
    mistake(EX3, "ex3_stop_whole_curve", "early_stopping takes the lowest loss of the whole "
            "curve, epochs after the stop included", answers(
                EX3, early_stopping=EARLY_STOPPING_WHOLE_CURVE),
            ["test_early_stopping"], "cannot see the epochs after the stop"),
    mistake(EX3, "ex3_stop_last_epoch", "early_stopping counts rises against the previous epoch, "
            "not against the best", answers(EX3, early_stopping=EARLY_STOPPING_LAST_EPOCH),
            ["test_early_stopping"], "cannot see the epochs after the stop"),
    mistake(EX3, "ex3_stop_stub", "early_stopping left as the stub", answers(
        EX3, early_stopping=stub(EX3, "early_stopping")),
            ["test_early_stopping"], "not implemented yet"),
    mistake(EX3, "ex3_regression_no_m", "softmax regression gradients without 1/m", answers(
        EX3, softmax_regression_gradients=swap(EX3, "softmax_regression_gradients",
                                               (" / X.shape[1]", ""))),
            ["test_softmax_regression_gradients"], "divide (Y - T) by m"),
    mistake(EX3, "ex3_regression_uphill", "softmax regression gradients with T - Y", answers(
        EX3, softmax_regression_gradients=swap(EX3, "softmax_regression_gradients",
                                               ('softmax(params["W"] @ X + params["b"]) - T',
                                                'T - softmax(params["W"] @ X + params["b"])'))),
            ["test_softmax_regression_gradients"], "points uphill"),
    mistake(EX3, "ex3_regression_b_unsummed", "b's gradient left as (10, m)", answers(
        EX3, softmax_regression_gradients=swap(EX3, "softmax_regression_gradients",
                                               ('"b": np.sum(D, axis=1, keepdims=True)',
                                                '"b": D'))),
            ["test_softmax_regression_gradients"], "b has one entry per class"),
    mistake(EX3, "ex3_regression_no_bias", "the bias left out of the scores Z", answers(
        EX3, softmax_regression_gradients=swap(EX3, "softmax_regression_gradients",
                                               REGRESSION_NO_BIAS)),
            ["test_softmax_regression_gradients"], "added to every column"),
]

CORRECT += EX3_ROUND3_CORRECT
MISTAKES += EX3_ROUND3_MISTAKES
VARIANTS += EX3_ROUND3_CORRECT + EX3_ROUND3_MISTAKES
# --- exercise 4, section 9: dropout and max-norm ---------------------------------------------------
# The mask is random: correct answers that draw it another way (other draws, another kind of mask)
# keep every point; each mistake loses only its own test.

DROPOUT_BINOMIAL = '''
def dropout_forward(A, p, rng):
    mask = rng.binomial(1, p, size=A.shape).astype(A.dtype)       # 1/0 instead of True/False
    return np.where(mask == 1, A / p, 0.0), mask
'''
DROPOUT_OTHER_SIDE = '''
def dropout_forward(A, p, rng):
    keep = rng.uniform(0.0, 1.0, size=A.shape) >= 1.0 - p          # other draws than the course's
    out = A.copy()
    out[~keep] = 0.0
    out[keep] /= p
    return out, keep
'''
DROPOUT_BACKWARD_WHERE = '''
def dropout_backward(dout, mask, p):
    return np.where(mask, dout / p, 0.0)
'''
MAX_NORM_LOOP = '''
def max_norm(W, c):
    projected = np.array(W, dtype=float)
    for u in range(W.shape[0]):
        length = np.sqrt(np.dot(W[u], W[u]))
        if length > c:
            projected[u] = W[u] * (c / length)
    return projected
'''
MAX_NORM_WHERE = '''
def max_norm(W, c):
    norms = np.linalg.norm(W, axis=1)[:, None]
    return np.where(norms > c, c * W / norms, W)
'''

EX4_REGULARISERS_CORRECT = [
    correct(EX4, "ex4_dropout_binomial", "dropout with rng.binomial, a 1/0 mask and np.where",
            answers(EX4, dropout_forward=DROPOUT_BINOMIAL)),
    correct(EX4, "ex4_dropout_other_draws", "dropout keeping where uniform >= 1 - p (other draws "
            "than the course's), its backward with np.where", answers(
                EX4, dropout_forward=DROPOUT_OTHER_SIDE, dropout_backward=DROPOUT_BACKWARD_WHERE)),
    correct(EX4, "ex4_max_norm_loop", "max_norm row by row in a loop",
            answers(EX4, max_norm=MAX_NORM_LOOP)),
    correct(EX4, "ex4_max_norm_where", "max_norm with np.linalg.norm and np.where",
            answers(EX4, max_norm=MAX_NORM_WHERE)),
]

EX4_REGULARISERS_MISTAKES = [
    mistake(EX4, "ex4_dropout_keeps_1_minus_p", "dropout that keeps with probability 1 - p (p "
            "taken as the drop probability)", answers(EX4, dropout_forward=swap(
                EX4, "dropout_forward", ("< p", "< 1 - p"))),
            ["test_dropout_forward"], "probability of KEEPING"),
    mistake(EX4, "ex4_dropout_no_rescale", "dropout without the 1/p on the kept units",
            answers(EX4, dropout_forward=swap(EX4, "dropout_forward",
                                              ("A * mask / p", "A * mask"))),
            ["test_dropout_forward"], "scales the kept units by 1/p"),
    mistake(EX4, "ex4_dropout_global_random", "dropout mask from np.random.rand, not the rng "
            "passed in", answers(EX4, dropout_forward=swap(
                EX4, "dropout_forward", ("rng.random(A.shape)", "np.random.rand(*A.shape)"))),
            ["test_dropout_forward"], "np.random's global"),
    mistake(EX4, "ex4_dropout_backward_no_scale", "dropout's backward pass masks but forgets 1/p",
            answers(EX4, dropout_backward=swap(EX4, "dropout_backward",
                                               ("dout * mask / p", "dout * mask"))),
            ["test_dropout_backward"], "the 1/p is missing"),
    mistake(EX4, "ex4_max_norm_columns", "max-norm with the norms of the columns (axis 0)",
            answers(EX4, max_norm=swap(EX4, "max_norm", ("axis=1", "axis=0"))),
            ["test_max_norm"], "not axis 0"),
    mistake(EX4, "ex4_max_norm_every_row", "max-norm that scales every row to norm c",
            answers(EX4, max_norm=swap(EX4, "max_norm", ("np.maximum(norms, c)", "norms"))),
            ["test_max_norm"], "rows with a smaller norm stay"),
]

EX4_CORRECT += EX4_REGULARISERS_CORRECT
EX4_MISTAKES += EX4_REGULARISERS_MISTAKES
CORRECT += EX4_REGULARISERS_CORRECT          # in place: write() and the tests hold these lists
MISTAKES += EX4_REGULARISERS_MISTAKES
VARIANTS += EX4_REGULARISERS_CORRECT + EX4_REGULARISERS_MISTAKES
