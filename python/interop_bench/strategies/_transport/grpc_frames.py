"""`grpc-stream`'s pipelined frames: one long Frames call (grpc_array.proto) for
every frame of a stream. A frame's messages (the first announces its payload
and carries its sequence number) are queued for grpcio's thread that writes
the call's requests, so the next frame goes out while the peer works on the
last; the peer answers frames in order, one at a time, every answer message
carrying the number of the frame it answers, which must be the one awaited.

The call itself has no deadline (it lasts as long as the stream), each wait
for an answer has one: a watchdog thread cancels the call when a wait has
lasted io_timeout_s, and the wait says so. It checks every quarter of that, so
no frame pays for the watch (no wake-up per frame)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from time import monotonic

from interop_bench.strategies._transport.grpc_channel import GrpcChannel

_CHECKS_PER_TIMEOUT = 4


class FramesCall:
    """One Frames call on `channel`, its requests fed by `send`, its answers
    read by `next_answer`, every wait for one bounded by `io_timeout_s`."""

    def __init__(self, channel: GrpcChannel, io_timeout_s: float) -> None:
        self.io_timeout_s = io_timeout_s
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._answers = channel.framed(iter(self._outbox.get, None))
        self._lock = threading.Lock()
        self._waiting_since: float | None = None
        self._closed = threading.Event()
        self.expired = False  # whether the watchdog cancelled the call
        self._watchdog = threading.Thread(target=self._watch, name="grpc-frames-watchdog")
        self._watchdog.start()

    def send(self, messages: Iterable[bytes]) -> None:
        """Queue one frame's messages for the call's writer."""
        for message in messages:
            self._outbox.put(message)

    def next_answer(self) -> bytes:
        """The next answer message; grpc.RpcError when the call failed or was
        cancelled (`expired`: by the watchdog), StopIteration when it ended."""
        with self._lock:
            self._waiting_since = monotonic()
        try:
            message: bytes = next(self._answers)
        finally:
            with self._lock:
                self._waiting_since = None
        return message

    def _watch(self) -> None:
        while not self._closed.wait(self.io_timeout_s / _CHECKS_PER_TIMEOUT):
            with self._lock:
                since = self._waiting_since
                if since is not None and monotonic() - since >= self.io_timeout_s:
                    self.expired = True
                    self._answers.cancel()

    def close(self) -> None:
        """End the requests and the call (a wait in progress raises), stop the watchdog."""
        self._outbox.put(None)
        self._answers.cancel()
        self._closed.set()
        self._watchdog.join()
