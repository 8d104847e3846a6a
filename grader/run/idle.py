"""The idle rule: a cell that sleeps or waits for something that never comes is stopped long
before its wall-clock backstop.

Such a cell uses no CPU, so the CPU limits never stop it. Nor does a ratio of CPU time to wall
time tell it apart from honest code, since on a busy machine a computing cell gets little CPU
per second too. What does tell them apart is the *state* of the kernel's threads: code that
computes is runnable ('R' in /proc/<pid>/task/<tid>/stat, whether on a CPU or waiting for
one, throttled by a cgroup included) and code that reads a file waits in the disk ('D'), while
code that sleeps or waits on a pipe, a socket or a lock is asleep ('S'). So a cell is idle when,
over a whole window of ``seconds``, the threads of the kernel's process tree were found running
or in the disk at (almost) no reading, *and* the tree's CPU time grew by (almost) nothing. Both
must hold: the states make the rule independent of the machine's load, the CPU time makes it
robust to a reading that missed a short burst of work. Code that computes is found active at
nearly every reading however busy the machine is; the readings allowed to find a thread active
are the wake-ups of a sleeping loop (``while True: time.sleep(0.1)``: 1 to 5 % of readings on
this project's 2-core test machine, idle or with 6 CPU hogs), which on a busy machine may wait
for a CPU a while before they go back to sleep.
"""
from __future__ import annotations

import os
from collections import deque

ACTIVE_STATES = frozenset("RD")     # running or runnable; uninterruptible (disk) wait
CPU_FRACTION = 0.01                 # CPU seconds per second of the window that still count as idle
ACTIVE_FRACTION = 0.25              # share of readings that may find a thread active
MIN_READINGS = 10                   # fewer readings over a window judge nothing


def tree_states(pids) -> frozenset[str]:
    """The states of the threads of the processes ``pids`` (host PIDs) right now: 'R' running
    or runnable, 'D' waiting for the disk, 'S' asleep, ... Processes that exited meanwhile are
    left out."""
    states = set()
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            # "tid (comm) S ...": comm may hold spaces and ")"; the state follows the last ")"
            states.add(stat[stat.rfind(b")") + 2:][:1].decode("ascii", "replace"))
    return frozenset(states)


def is_active(states: frozenset[str]) -> bool:
    """Whether a thread is running, runnable or waiting for the disk (``tree_states``)."""
    return not states.isdisjoint(ACTIVE_STATES)


class IdleWatch:
    """Whether the current cell has been idle for a whole window of ``seconds``.

    ``restart`` when a cell starts, ``pause`` when it ends (the time between cells, when the
    kernel waits for the grader, never counts), and ``observe`` each reading of the kernel's
    process tree: CPU seconds so far and whether a thread was active. ``observe`` answers True
    once the readings of the last ``seconds`` (and at least that long since the cell started)
    show the cell idle.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._readings: deque | None = None     # (time, cpu seconds, active), oldest first

    def restart(self) -> None:
        self._readings = deque()

    def pause(self) -> None:
        self._readings = None

    def observe(self, now: float, cpu_seconds: float, active: bool) -> bool:
        readings = self._readings
        if readings is None:
            return False
        readings.append((now, cpu_seconds, active))
        start = now - self.seconds
        while len(readings) > 1 and readings[1][0] <= start:  # keep one reading at the start
            readings.popleft()
        first_time, first_cpu, _ = readings[0]
        if first_time > start or len(readings) < MIN_READINGS:
            return False                        # not a whole window yet
        active_readings = sum(1 for _, _, busy in readings if busy)
        return (cpu_seconds - first_cpu <= CPU_FRACTION * self.seconds
                and active_readings <= ACTIVE_FRACTION * len(readings))

    def cpu_seconds_in_window(self) -> float:
        """CPU seconds used over the window (for the reason given to the student)."""
        if not self._readings:
            return 0.0
        return self._readings[-1][1] - self._readings[0][1]
