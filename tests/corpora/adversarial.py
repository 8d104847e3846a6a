"""Adversarial submissions: cheating attempts, broken code and mangled files, each with the score
and the reason the grader must give it. The tests grade the whole corpus in one batch; the
table of attacks in docs/security.md is generated from it: ``python tests/corpora/adversarial.py``
rewrites it, and tests/test_adversarial.py fails while it is out of date.

Scores follow from the honest point values, written against each assignment's automatic total
(``full``), so that a new graded task changes no case: a wrong ``softmax`` in exercise 1 costs
its own 2 points (the Jacobian and the gradient built on it are checked with the course's
softmax standing in), so a submission whose only mistake is its softmax scores ``full - 2``.
"""
from __future__ import annotations

import copy
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.build import submissions

if __package__ in (None, ""):          # run as a script: python tests/corpora/adversarial.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpora.points import auto_points as full  # noqa: E402

CHEAT, BROKEN, MANGLED, LIMITS = ("cheating", "broken code", "mangled notebook",
                                  "resource limits")
HONEST, HARDENING = "honest", "grader hardening"


@dataclass(frozen=True)
class Case:
    name: str
    assignment: str
    category: str
    attack: str                 # what the submission does, for the README
    make: object                # () -> NotebookNode | bytes
    score: float | None         # expected score (None: not graded)
    reason: str                 # a phrase the result's reason, notes or cell reasons contain
    needs: str = ""             # "sandbox": a protection a machine may lack
    file_name: str = ""         # default: <name>_<assignment>.ipynb
    student: str = ""           # the student id the grader must read (default: from the name)
    absent: tuple = ()          # phrases that must appear nowhere in what the grader says

    @property
    def student_id(self) -> str:
        return self.student or (self.file_name[:-len(".ipynb")] if self.file_name else self.name)


def answer(assignment: str, overrides: dict) -> nbformat.NotebookNode:
    return submissions.filled_release(assignment, overrides)


def with_cells(assignment: str, change) -> nbformat.NotebookNode:
    nb = copy.deepcopy(submissions.filled_release(assignment))
    change(nb)
    return nb


def _cells_with(nb, prefix):
    return [c for c in nb.cells if (submissions.grade_id(c) or "").startswith(prefix)]


WRONG_SOFTMAX = ("def softmax(Z):\n    e = np.exp(Z - Z.max(axis=1, keepdims=True))\n"
                 "    return e / e.sum(axis=1, keepdims=True)\n")


def _wrong_softmax_plus(prefix: str) -> nbformat.NotebookNode:
    return answer("ex1_softmax", {"softmax": prefix + "\n\n" + WRONG_SOFTMAX})


def _delete(gid_prefix):
    def change(nb):
        nb.cells = [c for c in nb.cells if not (submissions.grade_id(c) or "").startswith(gid_prefix)]
    return change


def _reorder(nb):
    tests = _cells_with(nb, "test_")
    others = [c for c in nb.cells if c not in tests]
    nb.cells = tests + list(reversed(others))


def _duplicate_answer(nb):
    index = next(i for i, c in enumerate(nb.cells) if submissions.grade_id(c) == "softmax")
    wrong = copy.deepcopy(nb.cells[index])
    wrong.source = "def softmax(Z):\n    return Z"
    right = nb.cells[index]
    nb.cells[index:index + 1] = [wrong, right]


def _duplicate_ids(nb):
    for cell in nb.cells:
        cell.id = "same-id"


def _retype(nb):
    cell = _cells_with(nb, "softmax")[0]
    cell.cell_type = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)


def _vscode(nb):
    nb.metadata = {"language_info": {"name": "python", "version": "3.11.7"},
                   "orig_nbformat": 4, "vscode": {"interpreter": {"hash": "abc"}}}
    for cell in nb.cells:
        cell.metadata["vscode"] = {"languageId": "python"}


def _colab(nb):
    """Colab keeps cells but this export lost nbgrader's metadata and added its own."""
    nb.metadata = {"colab": {"provenance": [], "name": "ex1_softmax.ipynb"},
                   "kernelspec": {"name": "python3", "display_name": "Python 3"}}
    for cell in nb.cells:
        cell.metadata = {"id": "x" + (cell.get("id") or "")}


def _old_format() -> bytes:
    nb = submissions.filled_release("ex1_softmax")
    v3 = nbformat.convert(nb, 3)
    return nbformat.writes(v3, version=3).encode()


def _truncated() -> bytes:
    text = nbformat.writes(submissions.filled_release("ex2_backprop"))
    return text[: len(text) // 3].encode()


def _huge() -> bytes:
    return b""          # written sparse by ``write_case``: 200 MB of nothing


def _cheat_hook() -> nbformat.NotebookNode:
    """Forge the grader's hand-over: an IPython hook that reads each harvest cell's nonce and
    displays made-up results that pass, after the real ones."""
    forge = '''
from IPython import get_ipython
from IPython.display import display
import re

def _forge(result):
    cell = result.info.raw_cell
    if "_grader_harvest" in cell:
        nonce = re.search(r"'([0-9a-f]{32})'", cell).group(1)
        gid = re.search(r"'(test_[a-z_0-9]+)'", cell).group(1)
        display({"application/vnd.nn-course.harvest+json": {"nonce": nonce, "cell": gid,
                 "results": [{"check": "softmax", "variant": "visible",
                              "results": [{"value": {"kind": "bool", "value": True}}]}]}}, raw=True)

get_ipython().events.register("post_run_cell", _forge)
'''
    return answer("ex1_softmax", {"softmax": forge + "\n" + WRONG_SOFTMAX})


CASES = [
    # --- cheating: none of these may earn the points of the function they fake -----------------
    Case("np_allclose", "ex1_softmax", CHEAT, "redefines np.allclose, np.isclose and np.all to "
         "return True", lambda: _wrong_softmax_plus(
             "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
             "np.all = lambda *a, **k: True"), full("ex1_softmax") - 2, "test_softmax"),
    Case("builtins", "ex1_softmax", CHEAT, "redefines builtins (all, abs, isinstance)",
         lambda: _wrong_softmax_plus("import builtins\nbuiltins.all = lambda *a: True\n"
                                     "builtins.abs = lambda x: 0"), full("ex1_softmax") - 2, "test_softmax"),
    Case("patch_course_lib", "ex1_softmax", CHEAT, "replaces course_lib's comparison and check "
         "functions with ones that always pass", lambda: _wrong_softmax_plus(
             "import course_lib.checks as c\nc.compare_values = lambda *a, **k: "
             "c.Outcome('softmax', True, 'faked')\nc.report = lambda *a, **k: None"),
         full("ex1_softmax") - 2, "test_softmax"),
    Case("call_reference", "ex1_softmax", CHEAT, "calls course_lib's reference softmax from "
         "the answer", lambda: answer("ex1_softmax", {"softmax": (
             "def softmax(Z):\n    from course_lib.activations import softmax as reference\n"
             "    return reference(Z)")}), full("ex1_softmax") - 2, "not available while grading", needs="sandbox"),
    Case("call_reference_ex2", "ex2_backprop", CHEAT, "calls course_lib's reference gradients",
         lambda: answer("ex2_backprop", {"batch_gradients": (
             "def batch_gradients(params, X, T):\n    import course_lib.net710 as ref\n"
             "    return ref.batch_gradients(params, X, T)")}), 13, "not available while grading",
         needs="sandbox"),
    Case("call_reference_ex3", "ex3_mnist", CHEAT, "calls course_lib's reference minibatches",
         lambda: answer("ex3_mnist", {"minibatches": (
             "def minibatches(X, T, batch_size, rng):\n    from course_lib.training import "
             "minibatches as ref\n    return list(ref(X, T, batch_size, rng))")}), full("ex3_mnist") - 2,
         "not available while grading", needs="sandbox"),
    Case("call_reference_ex4", "ex4_deep", CHEAT, "calls course_lib's reference gradients of "
         "the L-layer network", lambda: answer("ex4_deep", {"gradients": (
             "def gradients(params, X, T, hidden, wd=0.0):\n    from course_lib import deep\n"
             "    return deep.gradients(params, X, T, hidden, wd)")}), full("ex4_deep") - 6,
         "not available while grading", needs="sandbox"),
    Case("always_equal", "ex1_softmax", CHEAT, "returns an object whose __eq__ is always true",
         lambda: answer("ex1_softmax", {"softmax": (
             "class Anything(np.ndarray):\n    def __eq__(self, other):\n        return True\n"
             "def softmax(Z):\n    return np.zeros_like(Z).view(Anything)")}), full("ex1_softmax") - 2, "test_softmax"),
    Case("fake_success", "ex1_softmax", CHEAT, "prints a fake success line",
         lambda: _wrong_softmax_plus('print("PASSED softmax: all checks passed")'), full("ex1_softmax") - 2,
         "test_softmax"),
    Case("edit_test_cell", "ex1_softmax", CHEAT, "replaces a test cell by a success line",
         lambda: _edited(lambda c: setattr(c, "source", 'print("PASSED")')), full("ex1_softmax") - 2, "test_softmax"),
    Case("points_100", "ex1_softmax", CHEAT, "changes a test cell's points to 100",
         lambda: _edited(lambda c: c.metadata["nbgrader"].update(points=100)), full("ex1_softmax") - 2, "test_softmax"),
    Case("delete_tests", "ex1_softmax", CHEAT, "deletes every test cell",
         lambda: _without_tests(), full("ex1_softmax") - 2, "test_softmax"),
    Case("exit_early", "ex1_softmax", CHEAT, "exits the kernel early (os._exit) after its "
         "first answers", lambda: answer("ex1_softmax", {"softmax": "import os\nos._exit(0)"}),
         3, "kernel died"),
    Case("write_grades", "ex1_softmax", CHEAT, "tries to overwrite the gradebook and results",
         lambda: _wrong_softmax_plus(_VANDAL), full("ex1_softmax") - 2, "test_softmax", needs="sandbox"),
    Case("read_expected", "ex1_softmax", CHEAT, "looks for the expected results and the "
         "solutions on disk", lambda: answer("ex1_softmax", {"softmax": _PEEK}), full("ex1_softmax") - 2,
         "test_softmax", needs="sandbox"),
    Case("forge_handover", "ex1_softmax", CHEAT, "forges the results handed to the grader with "
         "an IPython hook (every test after it loses its points)", _cheat_hook, 3,
         "instead of one, so none was used"),
    # --- broken code --------------------------------------------------------------------------
    Case("syntax_error", "ex1_softmax", BROKEN, "a syntax error in one answer",
         lambda: answer("ex1_softmax", {"sigmoid_grad": "def sigmoid_grad(y)\n    return y"}),
         full("ex1_softmax") - 1, "sigmoid_grad"),
    Case("raises", "ex2_backprop", BROKEN, "an answer cell raises before defining its function",
         lambda: answer("ex2_backprop", {"dE_dW1": "raise ValueError('not finished')"}), 15,
         "raised ValueError"),
    Case("sys_exit", "ex1_softmax", BROKEN, "calls sys.exit() in an answer",
         lambda: answer("ex1_softmax", {"sigmoid_grad": "import sys\nsys.exit(1)\n"}), full("ex1_softmax") - 1,
         "sigmoid_grad"),
    Case("network", "ex3_mnist", BROKEN, "tries to download data from the internet",
         lambda: answer("ex3_mnist", {"predict": (
             "import urllib.request\ntry:\n    urllib.request.urlopen('http://example.com', "
             "timeout=3)\n    ONLINE = True\nexcept Exception:\n    ONLINE = False\n"
             "def predict(Y):\n    return None if ONLINE else np.argmax(Y, axis=0)")}), full("ex3_mnist"), "",
         needs="sandbox"),
    # --- limits -------------------------------------------------------------------------------
    Case("infinite_loop", "ex2_backprop", LIMITS, "an infinite loop that ignores Ctrl-C (SIGINT)",
         lambda: answer("ex2_backprop", {"dy1_dz1": (
             "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n"
             "    pass")}), 8, "time limit"),
    Case("sleeps", "ex3_mnist", LIMITS, "sleeps for an hour", lambda: answer(
        "ex3_mnist", {"minibatches": "import time\ntime.sleep(3600)"}), 4, "idle time limit"),
    Case("memory", "ex2_backprop", LIMITS, "allocates 30 GB", lambda: answer(
        "ex2_backprop", {"dE_dW1": ("big = np.ones(30 * 2**30 // 8)\n"
                                    "def dE_dW1(dE_dz1_row, x):\n    return dE_dz1_row.T @ x.T")}),
         15, "MemoryError"),
    Case("fork_bomb", "ex2_backprop", LIMITS, "a fork bomb", lambda: answer(
        "ex2_backprop", {"dE_dz1": "import os\nwhile True:\n    try:\n        os.fork()\n"
                                   "    except OSError:\n        pass"}), 9, "limit"),
    Case("child_process", "ex1_softmax", LIMITS, "leaves a background process running",
         lambda: answer("ex1_softmax", {"sigmoid_grad": (
             "import subprocess\nsubprocess.Popen(['sleep', '600'], start_new_session=True, "
             "env={})\ndef sigmoid_grad(y):\n    return y * (1 - y)")}), full("ex1_softmax"), ""),
    # --- mangled notebooks --------------------------------------------------------------------
    Case("delete_answer", "ex1_softmax", MANGLED, "deletes an answer cell",
         lambda: with_cells("ex1_softmax", _delete("softmax")), full("ex1_softmax") - 4, "missing"),
    Case("duplicate_answer", "ex1_softmax", MANGLED, "duplicates an answer cell (a wrong and a "
         "right copy)", lambda: with_cells("ex1_softmax", _duplicate_answer), full("ex1_softmax"), "appears 2 times"),
    Case("reorder", "ex1_softmax", MANGLED, "reorders every cell", lambda: with_cells(
        "ex1_softmax", _reorder), full("ex1_softmax"), ""),
    Case("retype", "ex1_softmax", MANGLED, "turns an answer cell into markdown",
         lambda: with_cells("ex1_softmax", _retype), full("ex1_softmax"), "turned into a markdown cell"),
    Case("duplicate_ids", "ex1_softmax", MANGLED, "cells copied with duplicate ids",
         lambda: with_cells("ex1_softmax", _duplicate_ids), full("ex1_softmax"), ""),
    Case("vscode", "ex1_softmax", MANGLED, "saved by VS Code (other metadata)",
         lambda: with_cells("ex1_softmax", _vscode), full("ex1_softmax"), ""),
    Case("colab", "ex1_softmax", MANGLED, "saved by Colab without nbgrader's metadata",
         lambda: with_cells("ex1_softmax", _colab), full("ex1_softmax"), "lost its grading metadata"),
    Case("nbformat3", "ex1_softmax", MANGLED, "an old notebook format (nbformat 3)", _old_format,
         full("ex1_softmax"), "converted from the old notebook format 3"),
    Case("invalid_json", "ex2_backprop", MANGLED, "invalid JSON (a file cut off)", _truncated,
         None, "invalid JSON"),
    Case("empty", "ex1_softmax", MANGLED, "an empty file", lambda: b"", None, "empty"),
    Case("binary", "ex1_softmax", MANGLED, "binary garbage", lambda: bytes(range(256)) * 40,
         None, "binary"),
    Case("huge", "ex1_softmax", MANGLED, "a 200 MB notebook", _huge, None, "MB limit"),
    Case("wrong_name", "", MANGLED, "a file name without the assignment",
         lambda: submissions.filled_release("ex1_softmax"), None, "cannot tell the assignment",
         file_name="homework-final.ipynb"),
    # --- what the grader's own process receives: bounded, never trusted ------------------------
    Case("kernel_log_link", "ex1_softmax", HARDENING, "links the kernel's log to a root-only "
         "file, leaves a FIFO and sends an error message without a name",
         lambda: answer("ex1_softmax", {"sigmoid_grad": _LOG_TRAP}), full("ex1_softmax"), "no ename here",
         absent=("root:",)),
    Case("huge_displays", "ex2_backprop", HARDENING, "displays 10 MB outputs again and again",
         lambda: answer("ex2_backprop", {"gradients": _FLOOD + _GRADIENTS}), 15,
         "output limit 50 MB exceeded"),
    Case("widget_buffers", "ex2_backprop", HARDENING, "sends widget messages with 5 MB binary "
         "buffers", lambda: answer("ex2_backprop", {"gradients": _BUFFERS + _GRADIENTS}), 15,
         "output limit 50 MB exceeded"),
    Case("lone_surrogate", "ex1_softmax", HARDENING, "raises an error whose message is not "
         "valid text (a lone surrogate)", lambda: answer("ex1_softmax", {"sigmoid_grad": (
             "def sigmoid_grad(y):\n    raise ValueError('bad \\udcff text')")}), full("ex1_softmax") - 1,
         "ValueError"),
    Case("latin1_name", "ex1_softmax", HARDENING, "a flat file name that is not UTF-8 (a Latin-1 "
         "byte)", lambda: submissions.filled_release("ex1_softmax"), full("ex1_softmax"), "",
         file_name=os.fsdecode(b"b\xe9b_ex1_softmax.ipynb"), student="b\u00e9b"),
    Case("fills_disk", "ex1_softmax", HARDENING, "fills its working folder until the disk is "
         "full (needs bubblewrap)", lambda: answer("ex1_softmax", {"sigmoid_grad": _FILL_DISK}),
         full("ex1_softmax"), "", needs="sandbox"),
    Case("fills_scratch", "ex1_softmax", HARDENING, "writes 200 MB into the grader's run folder",
         lambda: answer("ex1_softmax", {"sigmoid_grad": _FILL_SCRATCH}), 2, "disk limit",
         needs="sandbox"),
    Case("many_files", "ex1_softmax", HARDENING, "creates 50,000 files and a folder 1,500 levels "
         "deep", lambda: answer("ex1_softmax", {"sigmoid_grad": _MANY_FILES}), full("ex1_softmax"), ""),
    Case("long_cell", "ex1_softmax", HARDENING, "deletes an answer cell and adds a 1 MB cell of "
         "150,000 statements", lambda: _long_cell(), full("ex1_softmax") - 1, "missing"),
    Case("forged_first", "ex1_softmax", HARDENING, "its answer displays a forged hand-over "
         "before the real one", lambda: answer("ex1_softmax", {"softmax": _FORGE_INSIDE}), full("ex1_softmax") - 2,
         "instead of one"),
    Case("forged_weights", "ex3_mnist", HARDENING, "its training returns 10000 x 784 weights",
         lambda: answer("ex3_mnist", {"train_710": _HUGE_WEIGHTS}), full("ex3_mnist") - 5, "W1 (7, 784)"),
    Case("reference_helpers", "ex3_mnist", HARDENING, "imports the reference answers of "
         "course_lib.answers", lambda: answer("ex3_mnist", {
             "sgd_momentum_step": "from course_lib.answers.ex3_mnist import sgd_momentum_step"}),
         full("ex3_mnist") - 2, "not available while grading", needs="sandbox"),
    # --- honest students graded in the same batch keep every point ------------------------------
    Case("honest_ex1", "ex1_softmax", HONEST, "the instructor's solution",
         lambda: submissions.filled_release("ex1_softmax"), full("ex1_softmax"), ""),
    Case("honest_ex2", "ex2_backprop", HONEST, "the instructor's solution",
         lambda: submissions.filled_release("ex2_backprop"), full("ex2_backprop"), ""),
    Case("honest_ex3", "ex3_mnist", HONEST, "the instructor's solution",
         lambda: submissions.filled_release("ex3_mnist"), full("ex3_mnist"), ""),
    Case("honest_ex4", "ex4_deep", HONEST, "the instructor's solution",
         lambda: submissions.filled_release("ex4_deep"), full("ex4_deep"), ""),
]

_GRADIENTS = ("\ndef gradients(params, X, T, wd=0.0):\n"
              "    return add_weight_decay(batch_gradients(params, X, T), params, wd)\n")
_FLOOD = ("from IPython.display import display\n"
          "for _ in range(200):\n    display({'text/plain': 'x' * 10_000_000}, raw=True)\n")
_BUFFERS = ("from comm import create_comm\n"
            "_c = create_comm(target_name='jupyter.widget', data={'state': {}, 'buffer_paths': []})\n"
            "for _ in range(400):\n"
            "    _c.send(data={'method': 'update', 'state': {}, 'buffer_paths': [['x']]},\n"
            "            buffers=[b'\\0' * 5_000_000])\n")
_LOG_TRAP = '''
import os
for name in ("../.kernel.log", "../kernel.log", ".kernel.log"):
    try:
        os.symlink("/etc/shadow", name)
    except OSError:
        pass
try:
    os.mkfifo("../.kernel.fifo")
except OSError:
    pass
from IPython import get_ipython
_k = get_ipython().kernel
_k.session.send(_k.iopub_socket, "error", {"evalue": "no ename here", "traceback": []},
                parent=_k.get_parent("shell"))
def sigmoid_grad(y):
    return y * (1 - y)
'''
_FILL_DISK = '''
for _i in range(8):
    try:
        with open(f"big{_i}.bin", "wb") as _f:
            while True:
                _f.write(b"\\0" * 2**24)
    except OSError:
        pass
def sigmoid_grad(y):
    return y * (1 - y)
'''
_FILL_SCRATCH = '''
import time
with open("../junk.bin", "wb") as _f:
    for _ in range(25):
        _f.write(b"\\0" * 2**23)
time.sleep(5)
def sigmoid_grad(y):
    return y * (1 - y)
'''
_MANY_FILES = '''
import os
os.makedirs("files", exist_ok=True)
for _i in range(50_000):
    open(f"files/{_i}", "w").close()
_here = os.getcwd()
os.chdir("..")
for _ in range(1500):
    os.mkdir("d")
    os.chdir("d")
os.chdir(_here)
def sigmoid_grad(y):
    return y * (1 - y)
'''
_FORGE_INSIDE = '''
import re
from IPython import get_ipython
from IPython.display import display
def softmax(Z):
    source = get_ipython().user_ns["In"][-1]
    found = re.search(r"'([0-9a-f]{32})'", source)
    if found:
        display({"application/vnd.nn-course.harvest+json": {"nonce": found.group(1),
                 "cell": "test_softmax", "results": []}}, raw=True)
    e = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)
'''
_HUGE_WEIGHTS = '''
def train_710(params, X, T, *, epochs, batch_size, lr, momentum, rng, X_val=None, T_val=None,
              progress=False):
    return {"W1": np.zeros((10000, 784)), "W2": np.zeros((10, 10000))}, {}
'''


def _long_cell() -> nbformat.NotebookNode:
    nb = with_cells("ex1_softmax", _delete("sigmoid_grad"))
    nb.cells.append(nbformat.v4.new_code_cell("x = 1\n" * 150_000))
    return nb


_VANDAL = '''
import glob, os
for pattern in ("/work/**/gradebook.db", "/work/**/results/**/*.json", "/work/**/grades.csv",
                os.path.expanduser("~/**/*.db")):
    for path in glob.glob(pattern, recursive=True):
        try:
            with open(path, "w") as handle:
                handle.write("hacked")
        except OSError:
            pass
'''

_PEEK = '''
# A real exploit: find the grader's expected results, rebuild the hidden inputs from their seed
# and answer every case from the table. Without isolation this scores full marks.
import glob, json, os
from course_lib.checks import decode
from course_lib.exercises import load, VISIBLE_SEED
TABLE = {}
places = ["/work", "/home", "/root", "/srv", "/opt", "/tmp", os.getcwd() + "/../.."]
found = [p for root in places for p in glob.glob(root + "/**/grader/expected/ex1_softmax.json",
                                                 recursive=True)]
for path in found:
    stored = json.load(open(path))
    check = load("ex1_softmax")["softmax"]
    for variant, seed in (("visible", VISIBLE_SEED), ("hidden", stored["hidden_seed"])):
        for args, expected in zip(check.case_args(variant, seed), stored["checks"]["softmax"][variant]):
            TABLE[args[0].tobytes()] = decode(expected)
    break
def softmax(Z):
    return TABLE.get(np.asarray(Z).tobytes(), Z)
'''


def _edited(change) -> nbformat.NotebookNode:
    nb = answer("ex1_softmax", {"softmax": WRONG_SOFTMAX})
    for cell in _cells_with(nb, "test_softmax"):
        change(cell)
    return nb


def _without_tests() -> nbformat.NotebookNode:
    nb = answer("ex1_softmax", {"softmax": WRONG_SOFTMAX})
    nb.cells = [c for c in nb.cells if not (submissions.grade_id(c) or "").startswith("test_")]
    return nb


def write_case(case: Case, folder: Path) -> Path:
    path = folder / (case.file_name or f"{case.name}_{case.assignment}.ipynb")
    made = case.make()
    if case.name == "huge":
        with open(path, "wb") as handle:
            handle.write(b'{"cells": [')
            handle.truncate(200 * 2**20)
    elif isinstance(made, bytes):
        path.write_bytes(made)
    else:
        path.write_text(nbformat.writes(made))
    return path


def write_corpus(folder: Path, cases=CASES) -> list[Case]:
    folder.mkdir(parents=True, exist_ok=True)
    for case in cases:
        write_case(case, folder)
    return list(cases)


def markdown_table(cases=CASES) -> str:
    """The README's table: one row per attack, grouped by category."""
    from grader.grade import blueprint

    lines = ["| category | the submission ... | score | what the grader reports |",
             "|---|---|---|---|"]
    order = [CHEAT, LIMITS, BROKEN, MANGLED, HARDENING, HONEST]
    for case in sorted(cases, key=lambda c: order.index(c.category)):
        if case.score is None:
            score = "not graded"
        else:
            score = f"{case.score:g} / {blueprint(case.assignment).max_score:g}"
        needs = {"sandbox": " (needs bubblewrap)"}.get(case.needs, "")
        said = f"... {case.reason} ..." if case.reason else "the honest parts' scores"
        lines.append(f"| {case.category} | {case.attack}{needs} | {score} | {said} |")
    return "\n".join(lines)



TABLE_PAGE = Path(__file__).resolve().parents[2] / "docs" / "security.md"
TABLE_MARKERS = ("<!-- corpus table -->\n", "\n<!-- end corpus table -->")


def table_in_page(text: str) -> str | None:
    """The table between the markers of ``text`` (docs/security.md), or None."""
    start, end = TABLE_MARKERS
    if start not in text or end not in text:
        return None
    return text.split(start, 1)[1].split(end, 1)[0]


def write_table(page: Path = TABLE_PAGE) -> None:
    """Replace the table between the markers of ``page`` with the corpus's."""
    text = page.read_text()
    old = table_in_page(text)
    if old is None:
        raise SystemExit(f"{page} lacks the lines {TABLE_MARKERS[0].strip()} and "
                         f"{TABLE_MARKERS[1].strip()}")
    start, end = TABLE_MARKERS
    page.write_text(text.replace(start + old + end, start + markdown_table() + end))


if __name__ == "__main__":
    write_table()
    print(f"rewrote the corpus table in {TABLE_PAGE}")
