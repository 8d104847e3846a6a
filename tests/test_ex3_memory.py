"""Exercise 3 fits a shared JupyterHub: its solution notebook, run top to bottom in a real kernel
(hidden tests included), never holds more than 500 MB of memory, as the kernel's peak resident
set (VmHWM in /proc) says."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader import course
from grader.nbgrader.notebooks import source_notebook
from grader.run.cputime import kernel_pid

LIMIT_MB = 500
ROOT = Path(__file__).resolve().parents[1]


def peak_mb(pid: int) -> float:
    """The peak resident set of process ``pid`` so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/{pid}/status has no VmHWM line")


@pytest.mark.slow
def test_ex3_runs_top_to_bottom_within_500_mb(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])))
    monkeypatch.setenv(course.COURSE_VARIABLE, str(course.ROOT))   # the hidden tests' results
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    nb = source_notebook("ex3_mnist")
    peaks: list[tuple[float, int]] = []

    def measure(cell_index, **_):
        peaks.append((peak_mb(kernel_pid(client.km)), cell_index))

    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(tmp_path)}},
                            on_cell_executed=measure)
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", ())
              if o.output_type == "error" or "FAILED" in o.get("text", "")]
    assert not errors, f"the solution notebook failed: {errors[:2]}"
    assert len(peaks) == sum(c.cell_type == "code" for c in nb.cells)
    peak, cell = max(peaks)
    assert peak < LIMIT_MB, (f"ex3's kernel peaked at {peak:.0f} MB (after cell {cell}), over "
                             f"{LIMIT_MB} MB")
    assert peaks[0][0] < peak, "the measurement saw no memory used by the data"
