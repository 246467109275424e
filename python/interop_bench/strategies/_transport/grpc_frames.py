"""`grpc-stream`'s pipelined frames: one long Frames call (grpc_array.proto) for
every frame of a stream. A frame's messages (the first announces its payload
and carries its sequence number) are queued for grpcio's thread that writes
the call's requests, so the next frame goes out while the peer works on the
last; the peer answers frames in order, one at a time, every answer message
carrying the number of the frame it answers, which must be the one awaited.

The call itself has no deadline (it lasts as long as the stream), each wait
for an answer has one (wait_watch.py)."""

from __future__ import annotations

import queue
from collections.abc import Iterable

from interop_bench.strategies._transport.grpc_channel import GrpcChannel
from interop_bench.strategies._transport.wait_watch import WaitWatch


class FramesCall:
    """One Frames call on `channel`, its requests fed by `send`, its answers
    read by `next_answer`, every wait for one bounded by `io_timeout_s`."""

    def __init__(self, channel: GrpcChannel, io_timeout_s: float) -> None:
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._answers = channel.framed(iter(self._outbox.get, None))
        self.watch = WaitWatch(self._answers.cancel, io_timeout_s)

    def send(self, messages: Iterable[bytes]) -> None:
        """Queue one frame's messages for the call's writer."""
        for message in messages:
            self._outbox.put(message)

    def next_answer(self) -> bytes:
        """The next answer message; grpc.RpcError when the call failed or was
        cancelled (`watch.expired`: for time), StopIteration when it ended."""
        self.watch.begin()
        try:
            message: bytes = next(self._answers)
        finally:
            self.watch.end()
        return message

    def close(self) -> None:
        """End the requests and the call (a wait in progress raises), stop the watch."""
        self._outbox.put(None)
        self._answers.cancel()
        self.watch.close()
