"""The ZeroMQ channel behind `zmq` and `zmq-copy`: a DEALER socket bound in Linux's
abstract socket namespace, the ib_zmq_worker (strategies/zmq) connected to it
with a REP socket, and waits that always end (ZmqRequester, which zmq-tcp's
channel shares: _transport/zmq_tcp_channel.py).

No file is ever created: an abstract endpoint (`ipc://@name`) is a name in the
kernel that vanishes when the last socket on it closes, however the process
ends. Every wait polls the socket together with a pidfd of the worker, which
becomes readable the moment the worker exits, and has a deadline: a dead worker
is an error at once, a silent one after REPLY_TIMEOUT_S, never a hang. A Ctrl-C
interrupts the poll (pyzmq re-raises it), or, when pyzmq dropped it in a Frame's
deallocation, the next slice of the wait raises it (zmq_interrupts.py).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from time import monotonic

import zmq

from interop_bench.strategies._transport import zmq_interrupts
from interop_bench.strategies._transport.worker import WorkerError, WorkerProcess
from interop_bench.strategies._transport.zmq_turns import SocketClosedError, SocketTurns

WORKER = "ib_zmq_worker"
# The largest frame either side accepts (ZMQ_MAXMSGSIZE): libzmq refuses a larger
# one before allocating it. 2 GiB is more than twice the benchmark's largest array.
MAX_MESSAGE_BYTES = 1 << 31
# How long a call may wait for the worker that still lives: far longer than any
# call of the benchmark's sizes takes on a loaded machine, so only a stuck worker
# reaches it. (A dead one is noticed at once, through its pidfd.)
REPLY_TIMEOUT_S = 60.0
# A wait polls in slices of this length: a Ctrl-C that lands while pyzmq is inside
# libzmq, outside the poll (e.g. in the send before it), is pending without
# interrupting the poll that follows, and raises once the slice returns to Python.
WAIT_SLICE_MS = 100
ENDPOINT_PREFIX = "ib_zmq_"
_DELIMITER = b""  # a DEALER's envelope for a REP: the empty frame before the request


def new_endpoint() -> str:
    """A fresh abstract-namespace endpoint, named after this process."""
    return f"ipc://@{ENDPOINT_PREFIX}{os.getpid()}_{secrets.token_hex(8)}"


class ZmqRequester:
    """A DEALER socket, the sources that tell whether its other side still lives
    (a worker's pidfd, a monitor socket: `_watch`), and waits that always end.

    The other side's REP socket answers requests one at a time, in the order
    they came, each behind the empty delimiter frame that the DEALER sends
    first (REQ's envelope): a DEALER may send the next request before the last
    reply has come (REQ refuses), so frames pipeline. One thread may send while
    another waits for a reply: they take turns at the socket (zmq_turns.py)."""

    def __init__(self, *, copy_threshold: int) -> None:
        """`copy_threshold`: pyzmq's size below which send(copy=False) copies anyway."""
        zmq_interrupts.watch()
        self._turns = SocketTurns()
        self.context = zmq.Context(io_threads=1)  # its own: closing it touches no one else's
        try:
            self.socket = self.context.socket(zmq.DEALER)
            self.socket.linger = 0  # a request to a dead worker is dropped on close
            self.socket.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
            self.socket.copy_threshold = copy_threshold
        except BaseException:
            self._turns.close()
            self.context.destroy(linger=0)
            raise
        self._pollers: dict[int, zmq.Poller] = {}
        self._pidfd = -1  # the worker's, when this process started it

    def _watch(self, *sources: int | zmq.Socket[bytes]) -> None:
        """Wait on `sources` (file descriptors, sockets) with the socket from now on;
        a wait for a reply on the turns' ask_fd too (a sender wants the socket)."""
        for event in (zmq.POLLIN, zmq.POLLOUT):
            poller = self._pollers[event] = zmq.Poller()
            poller.register(self.socket, event)
            for source in sources:
                poller.register(source, zmq.POLLIN)
        self._pollers[zmq.POLLIN].register(self._turns.ask_fd, zmq.POLLIN)

    def _gone(self, ready: dict[object, int]) -> str | None:
        """Why the other side will never answer, from the watched sources that are
        `ready`; None while it may still."""
        raise NotImplementedError

    def _name(self) -> str:
        """The other side, as errors name it."""
        raise NotImplementedError

    def send(
        self, header: bytes, payload: memoryview, *, copy: bool, timeout_s: float | None = None
    ) -> None:
        """One request message: the delimiter, the header frame, then the payload
        frame, sent with `copy` (False: libzmq is handed the payload's own memory)."""
        self._take_turn()
        try:
            self._send_part(_DELIMITER, zmq.SNDMORE, timeout_s=timeout_s)
            self._send_part(header, zmq.SNDMORE, timeout_s=timeout_s)
            self._send_part(payload, 0, copy=copy, timeout_s=timeout_s)
        finally:
            self._turns.give_back()

    def _send_part(
        self, data: bytes | memoryview, flags: int, *, copy: bool = True, timeout_s: float | None
    ) -> None:
        """One frame, never blocking inside libzmq: while the socket refuses it (the
        worker has not connected yet, or its pipe went with it mid-message), wait
        until it can send, which names the worker's death instead."""
        deadline = monotonic() + (REPLY_TIMEOUT_S if timeout_s is None else timeout_s)
        while True:
            try:
                self.socket.send(data, flags | zmq.NOBLOCK, copy=copy)
                return
            except zmq.Again:
                self.wait(zmq.POLLOUT, max(0.0, deadline - monotonic()))

    def receive(self, *, copy: bool) -> list[zmq.Frame] | list[bytes]:
        """The frames of the next reply (its delimiter checked and dropped):
        Frames over libzmq's messages, or bytes copies."""
        self._take_turn()
        try:
            self.wait(zmq.POLLIN)
            # A message arrives whole, so every frame of it is there now.
            frames = self.socket.recv_multipart(zmq.NOBLOCK, copy=copy)
        except SocketClosedError:
            raise WorkerError(f"the channel to {self._name()} was closed") from None
        finally:
            self._turns.give_back()
        if len(frames[0]) != 0:
            raise WorkerError(
                f"{self._name()} broke the protocol: a reply without its empty delimiter frame"
            )
        return frames[1:]

    def _take_turn(self) -> None:
        try:
            self._turns.take()
        except SocketClosedError:
            raise WorkerError(f"the channel to {self._name()} is closed") from None

    def wait(self, event: zmq.PollEvent, timeout_s: float | None = None) -> None:
        """Until the socket can `event` (POLLIN, POLLOUT); WorkerError when the
        other side goes first or `timeout_s` (REPLY_TIMEOUT_S by default) passes.
        A wait for POLLIN lets a sender in meanwhile (SocketClosedError if it closed)."""
        if not self._pollers:
            raise WorkerError(f"{WORKER} is not running")
        timeout_s = REPLY_TIMEOUT_S if timeout_s is None else timeout_s
        deadline = monotonic() + timeout_s
        while True:
            zmq_interrupts.raise_dropped()
            remaining_ms = max(0, round((deadline - monotonic()) * 1000))
            ready = dict(self._pollers[event].poll(min(remaining_ms, WAIT_SLICE_MS)))
            if self.socket in ready:
                return
            if self._turns.ask_fd in ready:
                self._turns.let_go()
                continue
            gone = self._gone(ready)
            if gone is not None:
                raise WorkerError(f"{gone} before it answered")
            if monotonic() >= deadline:
                raise WorkerError(
                    f"{self._name()} gave no answer within {timeout_s:g} s; it is no longer trusted"
                )

    def close(self) -> None:
        """Close the socket and the context, dropping anything unsent, and the
        worker's pidfd, once no other thread uses them (one waiting for a reply
        lets go, to find them closed). Idempotent."""
        try:
            self._turns.take()
        except SocketClosedError:
            return
        try:
            self._turns.close()
            if self._pidfd >= 0:
                os.close(self._pidfd)
                self._pidfd = -1
            self.context.destroy(linger=0)
        finally:
            self._turns.give_back()


class ZmqChannel(ZmqRequester):
    """One DEALER socket bound on an abstract endpoint and the worker that answers it
    (the worker is the caller's to stop before `close`)."""

    def __init__(self, worker_flags: Sequence[str], *, copy_threshold: int) -> None:
        super().__init__(copy_threshold=copy_threshold)
        self.endpoint = new_endpoint()
        self.worker: WorkerProcess | None = None
        try:
            self.socket.bind(self.endpoint)
            self.worker = WorkerProcess(
                [
                    f"--endpoint={self.endpoint}",
                    f"--max-message-bytes={MAX_MESSAGE_BYTES}",
                    *worker_flags,
                ],
                program=WORKER,
            )
            self._pidfd = os.pidfd_open(self.worker.pid)
        except BaseException:
            if self.worker is not None:
                self.worker.kill()
            self.close()
            raise
        self._watch(self._pidfd)

    def _gone(self, ready: dict[object, int]) -> str | None:
        if self._pidfd not in ready or self.worker is None:
            return None
        self.worker.process.wait()
        return self.worker.death()

    def _name(self) -> str:
        return f"{WORKER} (pid {self.worker.pid})" if self.worker is not None else WORKER
