"""The trust boundary between a student's kernel and the grader: everything the kernel sends
enters here, is counted against a budget, and only what grading needs is kept.

A kernel can send anything: displays of any size, floods of messages, widget messages with binary
buffers, malformed messages. The grader needs only two things from a run: each cell's error (its
name and message) and the harvest payloads of the test cells. So:

* every message the grader receives on the output channel is counted (number and bytes), for
  every cell and for messages that belong to no cell; over the budget the run is stopped with a
  reason such as "output limit 50 MB exceeded";
* a single message larger than ``MAX_MESSAGE_BYTES`` is refused by the socket itself (ZeroMQ's
  MAXMSGSIZE), so it is never read into memory;
* nothing is stored in the executed notebook: streams, images, HTML and widget messages are
  dropped; errors are kept as short texts and at most ``MAX_PAYLOADS_PER_CELL`` harvest payloads
  per cell (the judge accepts exactly one, so a cell with more is detectably tampered with).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from nbclient import NotebookClient

from course_lib.exercises import HARVEST_MIME

from grader.run.cputime import CpuMeter, kernel_pid
from grader.run.idle import is_active, tree_states
from grader.text import exception_text, readable

MAX_MESSAGE_BYTES = 64 * 2**20
MAX_PAYLOADS_PER_CELL = 3
MAX_ERROR_TEXT = 400
# The longest a starting kernel is waited for, however busy it is (see ``wait_for_ready``).
STARTUP_CEILING_SECONDS = 1200


@dataclass
class Budget:
    """How much a whole run may send to the grader."""
    output_bytes: int = 50 * 2**20
    messages: int = 100_000


def size_of(value, limit: int) -> int:
    """Approximate bytes of a decoded message part (strings, bytes, containers), counted only up
    to a little over ``limit``: a huge message is not walked to its end."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, (str, bytes, bytearray, memoryview)):
            total += len(item)
        elif isinstance(item, dict):
            total += 16 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            total += 8 * len(item)
            stack.extend(item)
        else:
            total += 8
    return total


@dataclass
class Traffic:
    """What a run sent, within its budget: errors and harvest payloads by cell index."""
    budget: Budget = field(default_factory=Budget)
    halt: Callable[[str, str], None] = lambda reason, detail: None
    errors: dict = field(default_factory=dict)        # cell index -> "ValueError: ..."
    harvests: dict = field(default_factory=dict)      # cell index -> [payload, ...]
    messages: int = 0
    bytes: int = 0
    exceeded: str = ""

    def count(self, msg: dict) -> None:
        """Count one message against the budget; stop the run once it is spent."""
        self.messages += 1
        left = self.budget.output_bytes - self.bytes
        self.bytes += size_of(msg.get("content"), left) + size_of(msg.get("buffers") or [], left)
        if self.exceeded:
            return
        if self.bytes > self.budget.output_bytes:
            self.exceeded = f"output limit {self.budget.output_bytes / 2**20:g} MB exceeded"
        elif self.messages > self.budget.messages:
            self.exceeded = f"output limit of {self.budget.messages:,} messages exceeded"
        if self.exceeded:
            self.halt(self.exceeded, "the notebook printed or displayed too much; the grader "
                                     "stopped it there")

    def error(self, index: int, content) -> None:
        if not isinstance(content, dict) or index in self.errors:
            return
        name, value = content.get("ename"), content.get("evalue")
        name = name if isinstance(name, str) and name else "Error"
        value = value if isinstance(value, str) else ""
        self.errors[index] = readable(exception_text(name[:80], value)[:MAX_ERROR_TEXT])

    def display(self, index: int, content) -> None:
        data = content.get("data") if isinstance(content, dict) else None
        payload = data.get(HARVEST_MIME) if isinstance(data, dict) else None
        if payload is None:
            return
        kept = self.harvests.setdefault(index, [])
        if len(kept) < MAX_PAYLOADS_PER_CELL:
            kept.append(payload)


class BoundedKernelClient(AsyncKernelClient):
    """A kernel client whose sockets refuse messages over ``MAX_MESSAGE_BYTES``."""

    def _create_connected_socket(self, channel, identity=None):
        import zmq

        self.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)   # for sockets made from now
        return super()._create_connected_socket(channel, identity)

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """jupyter_client's start-up handshake (a kernel_info request answered on the shell
        channel, with the output channel connected) without its last step, a wait of 0.2 s for
        more output messages to throw away: every notebook waited that long for nothing, since
        nbclient reads only the messages that answer its own requests.

        ``timeout`` counts the time the kernel's processes were waiting, not the time they were
        running or runnable: on a busy machine a starting kernel can get almost no CPU for
        minutes, and a kernel that had no chance to answer is not one that does not answer
        (whose student would lose every test). ``STARTUP_CEILING_SECONDS`` ends the wait in
        any case."""
        limit = math.inf if timeout is None else timeout
        start = last = time.monotonic()
        waited = 0.0
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)    # the output channel works
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            now = time.monotonic()
            if not self._kernel_active():
                waited += now - last
            last = now
            if waited > limit or now - start > STARTUP_CEILING_SECONDS:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    def _kernel_active(self) -> bool:
        """Whether a thread of the kernel's processes is running, runnable or reading the disk
        now (False when that cannot be known: the wait then counts, as it always did)."""
        try:
            meter = CpuMeter(kernel_pid(self.parent))
            meter.seconds()
            return is_active(tree_states(meter.pids))
        except Exception:  # noqa: BLE001 - no kernel process (yet), or none to read
            return False


class BoundedClient(NotebookClient):
    """nbclient's client that keeps nothing but what ``Traffic`` keeps.

    ``traffic`` must be set before ``execute``; every output-channel message passes through
    ``Traffic.count`` (see ``watch``), and cell outputs are never stored in the notebook.
    """

    traffic: Traffic

    def watch(self) -> None:
        """Count every message the output channel delivers, whichever cell it belongs to."""
        channel = self.kc.iopub_channel
        receive = channel.get_msg

        async def counted(*args, **kwargs):
            msg = await receive(*args, **kwargs)
            self.traffic.count(msg)
            return msg

        channel.get_msg = counted

    def process_message(self, msg, cell, cell_index):
        msg_type = msg.get("msg_type")
        if msg_type == "status":
            return super().process_message(msg, cell, cell_index)    # idle ends the cell
        content = msg.get("content")
        if msg_type == "error":
            self.traffic.error(cell_index, content)
        elif msg_type in ("display_data", "execute_result"):
            self.traffic.display(cell_index, content)
        return None
