"""A busy machine for tests whose results must not depend on how busy it is."""
import contextlib
import os
import signal
import subprocess
import sys

# One CPU-bound process after another, each spinning for a second of wall-clock time: the
# machine stays busy throughout, as with one process spinning without end. A new process each
# second because some schedulers (this project's test machine is one) give processes that start
# beside long-running spinning ones almost no CPU for minutes, so that grading slowed twentyfold
# beside the hogs: the tests meant a busy machine, not one that starves whatever starts last.
RELAY = ("import subprocess, sys\n"
         "SPIN = 'import time\\nt = time.monotonic()\\nwhile time.monotonic() - t < 1: pass'\n"
         "while True:\n"
         "    subprocess.run([sys.executable, '-c', SPIN])")


@contextlib.contextmanager
def spinning(count: int):
    """``count`` CPU-bound processes on the side while the block runs, always stopped again."""
    hogs = [subprocess.Popen([sys.executable, "-c", RELAY], start_new_session=True)
            for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(hog.pid, signal.SIGKILL)      # the relay and its current spinner
            hog.wait()
