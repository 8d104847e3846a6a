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
