"""The CPU meter behind the time limits: a process tree's CPU time, read from /proc on Linux and
through psutil elsewhere, counts the work of every descendant (living, or exited and reaped), and
stops counting when the tree's root has gone."""
import subprocess
import sys
import textwrap

import pytest

from grader.run import cputime
from grader.run.cputime import CpuMeter

# A parent that starts a child and a grandchild; each does `WORK` CPU seconds (measured by its own
# clock, so however busy the machine is), then the tree waits, asleep, until stdin closes. The
# grandchild's parent reaps it once it is done: its time then counts through the child.
TREE = textwrap.dedent("""
    import os, subprocess, sys, time
    WORK = float(sys.argv[1]); depth = int(sys.argv[2])
    def work():
        start = time.process_time()
        while time.process_time() - start < WORK:
            pass
    below = None
    if depth:
        below = subprocess.Popen([sys.executable, "-c", sys.argv[3], sys.argv[1],
                                  str(depth - 1), sys.argv[3]], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE)
        below.stdout.readline()                  # the one below has done its work
    work()
    if depth == 1:                               # the grandchild is reaped: counts through us
        below.stdin.close(); below.wait()
    print("done", flush=True)
    sys.stdin.read()
""")
WORK = 0.3


@pytest.fixture
def tree():
    root = subprocess.Popen([sys.executable, "-c", TREE, str(WORK), "2", TREE],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert root.stdout.readline() == b"done\n"   # all three have done their work
    yield root
    root.kill()
    root.wait()


def _psutil_meter(pid: int) -> CpuMeter:
    meter = CpuMeter(pid)
    meter._proc_root = None                      # the portable way, as on other systems
    return meter


@pytest.mark.parametrize("way", ["proc", "psutil"])
def test_meter_counts_the_whole_tree(tree, way):
    meter = CpuMeter(tree.pid) if way == "proc" else _psutil_meter(tree.pid)
    if way == "proc" and meter._proc_root is None:
        pytest.skip("this system's /proc does not list a process's children")
    seconds = meter.seconds()
    assert 3 * WORK <= seconds < 3 * WORK + 2.0  # three processes' work, plus their start-up
    assert meter.processes == 2                  # root and child alive; the grandchild reaped
    assert tree.pid in meter.pids


def test_both_ways_agree(tree):
    proc = CpuMeter(tree.pid)
    if proc._proc_root is None:
        pytest.skip("this system's /proc does not list a process's children")
    portable = _psutil_meter(tree.pid)
    # the tree sleeps now: both read the same counters
    assert proc.seconds() == pytest.approx(portable.seconds(), abs=0.02)
    assert sorted(proc.pids) == sorted(portable.pids)


def test_meter_keeps_its_last_total_after_the_root_exits(tree):
    meter = CpuMeter(tree.pid)
    before = meter.seconds()
    tree.kill()
    tree.wait()
    assert meter.seconds() == before             # never backwards, nothing new counted
    assert meter.pids == []


def test_a_reused_pid_is_not_the_tree():
    """The root's PID, once free, may name another process: its start time tells them apart."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        tree = cputime._ProcTree.of(sleeper.pid)
        if tree is None:
            pytest.skip("this system's /proc does not list a process's children")
        assert tree.measure()[0] == [sleeper.pid]
        tree.started = b"0"                      # as if the PID had been reused since
        assert tree.measure() == ([], 0.0)
    finally:
        sleeper.kill()
        sleeper.wait()
