"""Fixtures shared by several test modules."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


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


@pytest.fixture(scope="session")
def report_note(request):
    notes = request.config.stash[_NOTES]

    def note(line: str) -> None:
        print(line)
        if line not in notes:
            notes.append(line)
    return note


def pytest_terminal_summary(terminalreporter, config):
    for line in config.stash.get(_NOTES, []):
        terminalreporter.write_line(line)
