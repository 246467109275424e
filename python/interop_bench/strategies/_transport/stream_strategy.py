"""The strategies that frame the pipe protocol over a byte stream: a request
header then its payload, a response header then the reply's payload read
straight into its final memory. StreamStrategy reads and writes through
`_write_all` and `_read_all`; PipeStreamStrategy implements them on a worker's
stdin and stdout (`pipe`, `file-mmap`), socket_stream.py on a socket (`uds`,
`tcp`).

Frames pipeline (frame_submit, frame_collect; see base.py): one thread writes
frame N+1's request while another reads frame N's reply, so the worker reads
the next request as soon as it has written a reply. One thread could not do
both: a 4K frame's 24 MB request does not fit a pipe's or socket's buffer,
and the worker writing N's reply would wait for the reader that waits to
finish writing N+1. Each reply's sequence number must be its frame's.
"""

from __future__ import annotations

import os
import threading
from abc import abstractmethod
from collections.abc import Sequence
from time import perf_counter_ns

import numpy as np

from interop_bench.strategies import validation
from interop_bench.strategies._transport import protocol as proto
from interop_bench.strategies._transport.in_flight import InFlight
from interop_bench.strategies._transport.worker import (
    Peer,
    WorkerError,
    WorkerProcess,
    WorkerRefusedError,
    array_bytes,
)
from interop_bench.strategies._transport.worker_strategy import (
    Request,
    WorkerStrategy,
    checked_response,
    frame_payload,
)
from interop_bench.strategies.base import not_open_error

# A frame in flight: its request's sequence number and the gray image its reply fills.
_Pending = tuple[int, np.ndarray]


class StreamStrategy(WorkerStrategy):
    """A WorkerStrategy whose requests and replies cross one byte stream."""

    frames_in_flight = 2

    def __init__(self, worker_flags: Sequence[str] = ()) -> None:
        super().__init__(worker_flags)
        self._header = bytearray(proto.PIPE_RESPONSE.itemsize)
        self._in_flight: InFlight[_Pending] = InFlight(self.frames_in_flight)
        # Held around each request's writing and each reply's reading, so that a
        # failing side closes the stream only when the other is out of its I/O.
        self._writing = threading.Lock()
        self._reading = threading.Lock()

    def _close(self) -> None:
        self._in_flight.clear()
        super()._close()

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

    def frame_submit(self, image: np.ndarray) -> int:
        rgb, row_stride = validation.frame(image)
        rows, cols, _ = rgb.shape
        payload, row_stride = frame_payload(rgb, row_stride)
        gray = validation.new_gray(rgb)
        request = Request(
            proto.Op.FRAME, payload=payload, reply=array_bytes(gray), rows=rows, cols=cols,
            row_stride=row_stride, dtype=proto.FRAME_DTYPE_CODE,
        )  # fmt: skip
        worker = self._peer()
        seq, header = self._request(request)
        ticket = self._in_flight.admit((seq, gray))
        try:
            with self._writing:
                self._write_all(header, payload)
        except OSError as error:  # a pipe's EPIPE (a socket's errors are WorkerErrors)
            ended = f"{worker.ended()} while the request was sent ({error.strerror or error})"
            self._break()
            raise WorkerError(ended) from error
        except BaseException:
            self._break()
            raise
        return ticket

    def frame_collect(self, ticket: int) -> np.ndarray:
        seq, gray = self._in_flight.oldest(ticket)
        worker = self._peer()
        try:
            with self._reading:
                self._read_all(memoryview(self._header), worker)
                checked_response(
                    self._header, seq, gray.nbytes, worker.program, proto.FRAME_DTYPE_CODE
                )
                self._read_all(array_bytes(gray), worker)
        except WorkerRefusedError:
            self._in_flight.done(ticket)  # a refusal carries no payload: still in step
            raise
        except BaseException:
            self._break()
            raise
        self._in_flight.done(ticket)
        return gray

    def _frames_pending(self) -> int:
        return len(self._in_flight)

    def _peer(self) -> Peer:
        if self._worker is None:
            raise not_open_error(self.name)
        return self._worker

    def _break(self) -> None:
        """Out of step with frames in flight: kill the worker, which ends the other
        side's blocked read or write, then close once neither is in its I/O."""
        worker = self._worker
        if worker is not None:
            worker.kill()
        with self._writing, self._reading:
            self.close()

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
