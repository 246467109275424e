"""The strategies that frame the pipe protocol over a byte stream: a request
header then its payload, a response header then the reply's payload read
straight into its final memory. StreamStrategy reads and writes through
`_write_all` and `_read_all`; PipeStreamStrategy implements them on a worker's
stdin and stdout (`pipe`, `file-mmap`), socket_stream.py on a socket (`uds`,
`tcp`).
"""

from __future__ import annotations

import os
from abc import abstractmethod
from collections.abc import Sequence
from time import perf_counter_ns

from interop_bench.strategies._transport import protocol as proto
from interop_bench.strategies._transport.worker import Peer, WorkerError, WorkerProcess
from interop_bench.strategies._transport.worker_strategy import (
    Request,
    WorkerStrategy,
    checked_response,
)


class StreamStrategy(WorkerStrategy):
    """A WorkerStrategy whose requests and replies cross one byte stream."""

    def __init__(self, worker_flags: Sequence[str] = ()) -> None:
        super().__init__(worker_flags)
        self._header = bytearray(proto.PIPE_RESPONSE.itemsize)

    def _exchange(self, worker: Peer, request: Request) -> float | int:
        seq, header = self._request(request)
        self._write_all(header, request.payload)
        marks = self._marks
        if marks is not None:
            marks.append(perf_counter_ns())
        self._read_all(memoryview(self._header), worker)
        if marks is not None:
            marks.append(perf_counter_ns())
        reply = request.reply
        result, self._detail = checked_response(
            self._header, seq, reply.nbytes, worker.program, request.dtype
        )
        self._read_all(reply, worker)
        return result

    @abstractmethod
    def _write_all(self, header: bytes, payload: memoryview) -> None:
        """Send the request header and its payload, all of both."""

    @abstractmethod
    def _read_all(self, into: memoryview, worker: Peer) -> None:
        """Fill `into` from the reply; WorkerError when `worker`'s side ends first."""


class PipeStreamStrategy(StreamStrategy):
    """A StreamStrategy over its worker's stdin and stdout (set by `_use_pipes`)."""

    def _use_pipes(self, worker: WorkerProcess) -> None:
        self._to_fd = worker.stdin.fileno()
        self._from_fd = worker.stdout.fileno()

    def _write_all(self, header: bytes, payload: memoryview) -> None:
        written = os.writev(self._to_fd, [header, payload])
        for part in (memoryview(header), payload):  # after a partial write, the rest
            skip = min(written, part.nbytes)
            written -= skip
            rest = part[skip:]
            while rest.nbytes:
                rest = rest[os.write(self._to_fd, rest) :]

    def _read_all(self, into: memoryview, worker: Peer) -> None:
        while into.nbytes:
            got = os.readv(self._from_fd, [into])
            if not got:
                raise WorkerError(f"{worker.ended()} before it answered")
            into = into[got:]
