"""A busy machine for tests whose results must not depend on how busy it is."""
import contextlib
import subprocess
import sys


@contextlib.contextmanager
def spinning(count: int):
    """``count`` CPU-bound processes on the side while the block runs, always stopped again."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
