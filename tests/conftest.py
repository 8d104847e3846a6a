"""Fixtures shared by several test modules."""
import os
import shutil
import tempfile
from pathlib import Path

# One BLAS thread in the test processes, set before NumPy is first imported (matplotlib imports
# it below), as `python3 course.py test` sets it and the grader's own processes do: the expected
# results that the demo's `build --check` compares include float32 training whose sums come out
# otherwise with more threads, so a plain `pytest` run found ex3's expected results "out of date".
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def scratch_root():
    """A short folder for the runs' scratch space: a kernel's sockets live in its run folder, and
    a socket's path may not exceed 107 bytes, which pytest's folders (deeper still under
    pytest-xdist) can."""
    folder = Path(tempfile.mkdtemp(prefix="nnl-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def no_leaked_figures():
    """Fail a test that leaves matplotlib figures open (and close them)."""
    before = set(plt.get_fignums())
    yield
    leaked = set(plt.get_fignums()) - before
    for num in leaked:
        plt.close(num)
    assert not leaked, f"figures left open: {sorted(leaked)}"


# Lines a test wants people to see after the run, whatever the capture mode (e.g. where its
# screenshots are): ``report_note("...")``; printed in pytest's terminal summary.
_NOTES = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[_NOTES] = []


# The quick lane (`python3 course.py test --quick`, or `pytest --quick`) leaves out the tests
# marked slow: those that grade whole batches of notebooks, start servers or clusters, or drive a
# browser. These modules are slow as a whole; single slow tests elsewhere carry the mark
# themselves. The full run (`.ci/run`) runs everything.
# Listed longest first (as the last full runs measured them): the run starts with them, so that
# with two processes (``python3 course.py test``) the short modules fill in at the end, instead
# of one process grading a long batch while the other has nothing left to do.
SLOW_MODULES = ("test_fairness", "test_grading_contract", "test_class_report",
                "test_formgrader_story", "test_adversarial", "test_check", "test_hub",
                "test_cluster", "test_browser", "test_limits", "test_formgrader",
                "test_jupyterlab", "test_gradebook_postgres")


def pytest_addoption(parser):
    parser.addoption("--quick", action="store_true",
                     help="the quick lane: leave out the tests marked slow")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module.__name__ in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
    order = {name: i for i, name in enumerate(SLOW_MODULES)}
    items.sort(key=lambda item: order.get(item.module.__name__, len(order)))   # stable
    if config.getoption("--quick"):
        kept = [item for item in items if item.get_closest_marker("slow") is None]
        dropped = [item for item in items if item.get_closest_marker("slow") is not None]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def report_note(request):
    notes = request.config.stash[_NOTES]

    def note(line: str) -> None:
        print(line)
        if line not in notes:
            notes.append(line)
    return note


def pytest_sessionfinish(session):
    """Under pytest-xdist (``python3 course.py test`` runs two workers), a worker hands its notes
    to the controller, which prints them."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["report_notes"] = list(session.config.stash[_NOTES])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    notes = node.config.stash[_NOTES]
    for line in getattr(node, "workeroutput", {}).get("report_notes", []):
        if line not in notes:
            notes.append(line)


def pytest_terminal_summary(terminalreporter, config):
    for line in config.stash.get(_NOTES, []):
        terminalreporter.write_line(line)
