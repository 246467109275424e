"""What `zmq`, `zmq-copy` and `zmq-tcp*` share: the pipe protocol's requests
and replies (strategies/_ipc_core/protocol.hpp) framed by ZeroMQ, a request one
message of two frames (the header, the array's bytes), a reply one of two (the
header, the result's bytes), each behind an empty delimiter frame, over a
ZmqRequester (zmq_channel.py on ipc://, zmq_tcp_channel.py on tcp://). With
copy=False a reply is kept as a Frame over libzmq's own message, which NumPy
wraps as scale's and frame's result.

Phases (`call_with_phases`): send (pack the header and hand both frames to
libzmq, whose I/O thread writes them), round_trip (until the whole reply has
arrived: the transfer, the worker's kernel and its reply), receive (take the
frames from libzmq, the checks, square's copy into the caller's array).

Frames pipeline (frame_submit, frame_collect; see base.py): the channel's
DEALER sends frame N+1's request while frame N is worked on or comes back, the
worker's REP answers them in order, and each reply's sequence number must be
its frame's. The submitting and the collecting thread take turns at the socket
(zmq_turns.py); libzmq's I/O thread does the writing and reading meanwhile.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from time import perf_counter_ns
from typing import ClassVar

import numpy as np
import zmq

from interop_bench.strategies import validation
from interop_bench.strategies._transport import protocol as proto
from interop_bench.strategies._transport.in_flight import InFlight, break_off
from interop_bench.strategies._transport.worker import (
    STOP_TIMEOUT_S,
    Peer,
    WorkerError,
    WorkerRefusedError,
)
from interop_bench.strategies._transport.worker_strategy import (
    Request,
    WorkerStrategy,
    checked_response,
    frame_payload,
)
from interop_bench.strategies._transport.zmq_channel import (
    MAX_MESSAGE_BYTES,
    ZmqRequester,
)
from interop_bench.strategies.base import not_open_error

_EMPTY = memoryview(b"")
_REPLIES_LIKE_THE_INPUT = (proto.Op.SQUARE, proto.Op.SCALE)  # replies as large as the payload


def _reply_bytes(request: Request) -> int:
    """The bytes of the reply's payload: square's and scale's array (as large as
    the request's), frame's gray image (a byte a pixel), nothing else."""
    if request.op in _REPLIES_LIKE_THE_INPUT:
        return request.payload.nbytes
    return request.rows * request.cols if request.op == proto.Op.FRAME else 0


def _view(frame: zmq.Frame | bytes) -> memoryview:
    """A frame's bytes without a copy: a Frame's over libzmq's message, or the bytes'."""
    return frame.buffer if isinstance(frame, zmq.Frame) else memoryview(frame)


class ZmqExchangeStrategy(WorkerStrategy):
    """A WorkerStrategy whose requests are two-frame ZeroMQ messages on `_channel`
    (set by the subclass's _open with its worker)."""

    releases_gil = "always"  # pyzmq releases it around zmq_poll, the wait for the reply
    frames_in_flight = 2
    packages = ("pyzmq", "cppzmq")
    # Whether pyzmq copies each frame into and out of libzmq's messages.
    copy_frames: ClassVar[bool] = False
    # Refused before the worker's libzmq drops us.
    max_payload_bytes: ClassVar[int | None] = MAX_MESSAGE_BYTES
    max_payload_reason: ClassVar[str] = "a frame may hold (ZMQ_MAXMSGSIZE of both sockets)"

    def __init__(self, worker_flags: Sequence[str] = ()) -> None:
        super().__init__(worker_flags)
        self._channel: ZmqRequester | None = None
        self._reply: zmq.Frame | bytes | None = None  # scale's result frame, until taken
        # Frames in flight: each request's sequence number and its image's rows and cols.
        self._in_flight: InFlight[tuple[int, int, int]] = InFlight(self.frames_in_flight)
        self._closing = threading.Lock()  # one close at a time, from either thread

    def _close(self) -> None:
        channel, self._channel = self._channel, None
        worker, self._worker = self._worker, None
        self._reply = None
        self._in_flight.clear()
        if channel is None:
            return
        try:
            if worker is not None and worker.alive():
                with contextlib.suppress(zmq.ZMQError, WorkerError):
                    _, stop = self._request(Request(proto.Op.STOP))
                    channel.send(stop, _EMPTY, copy=True, timeout_s=STOP_TIMEOUT_S)
            if worker is not None:
                worker.stop()  # it answers the stop and exits (killed if it does not)
        finally:
            channel.close()

    # -- the operations whose result is the reply itself -----------------
    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        a = validation.vector(a)
        self._scale(a, validation.factor(k, a.dtype))
        return np.frombuffer(_view(self._taken_reply()), dtype=a.dtype)

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, row_stride = validation.frame(image)
        rows, cols, _ = rgb.shape
        payload, row_stride = frame_payload(rgb, row_stride)
        self._call(
            proto.Op.FRAME, rows=rows, cols=cols, row_stride=row_stride, payload=payload,
            dtype=proto.FRAME_DTYPE_CODE,
        )  # fmt: skip
        gray = np.frombuffer(_view(self._taken_reply()), dtype=validation.UINT8)
        return gray.reshape(rows, cols)

    def _taken_reply(self) -> zmq.Frame | bytes:
        data, self._reply = self._reply, None
        assert data is not None, "a scale or frame reply carries its result"
        return data

    # -- one exchange ----------------------------------------------------
    def _exchange(self, worker: Peer, request: Request) -> float | int:
        channel = self._connected()
        seq, header = self._request(request)
        channel.send(header, request.payload, copy=self.copy_frames)
        marks = self._marks
        if marks is not None:
            marks.append(perf_counter_ns())
        frames = channel.receive(copy=self.copy_frames)
        if marks is not None:
            marks.append(perf_counter_ns())
        result, self._detail, data = _checked_reply(
            frames, seq, _reply_bytes(request), worker.program, request.dtype
        )
        if request.reply.nbytes:
            request.reply[:] = _view(data)  # square: into the caller's array
        else:
            self._reply = data
        return result

    # -- pipelined frames ------------------------------------------------
    def frame_submit(self, image: np.ndarray) -> int:
        rgb, row_stride = validation.frame(image)
        rows, cols, _ = rgb.shape
        payload, row_stride = frame_payload(rgb, row_stride)
        request = Request(
            proto.Op.FRAME, payload=payload, rows=rows, cols=cols, row_stride=row_stride,
            dtype=proto.FRAME_DTYPE_CODE,
        )  # fmt: skip
        channel = self._connected()
        seq, header = self._request(request)
        ticket = self._in_flight.admit((seq, rows, cols))
        try:
            channel.send(header, payload, copy=self.copy_frames)
        except BaseException:
            self._break()
            raise
        return ticket

    def frame_collect(self, ticket: int) -> np.ndarray:
        seq, rows, cols = self._in_flight.oldest(ticket)
        channel, worker = self._connected(), self._worker
        program = worker.program if worker is not None else "the worker"
        try:
            frames = channel.receive(copy=self.copy_frames)
            _, _, data = _checked_reply(frames, seq, rows * cols, program, proto.FRAME_DTYPE_CODE)
        except WorkerRefusedError:
            self._in_flight.done(ticket)  # a refusal is a whole reply: still in step
            raise
        except BaseException:
            self._break()
            raise
        self._in_flight.done(ticket)
        return np.frombuffer(_view(data), dtype=validation.UINT8).reshape(rows, cols)

    def _frames_pending(self) -> int:
        return len(self._in_flight)

    def _break(self) -> None:
        worker = self._worker
        break_off(worker.kill if worker is not None else None, self._closing, self.close)

    def _connected(self) -> ZmqRequester:
        if self._channel is None:
            raise not_open_error(self.name)
        return self._channel


def _checked_reply(
    frames: list[zmq.Frame] | list[bytes], seq: int, expected: int, program: str, dtype: int
) -> tuple[float | int, int, zmq.Frame | bytes]:
    """The result, detail and payload frame of the reply `frames` to request `seq`,
    whose payload must be `expected` bytes (checked_response for the header)."""
    if len(frames) != 2 or len(frames[0]) != proto.PIPE_RESPONSE.itemsize:
        sizes = [len(frame) for frame in frames]
        raise WorkerError(
            f"{program} broke the protocol: replied with frames of {sizes} bytes, "
            f"expected a {proto.PIPE_RESPONSE.itemsize}-byte header and a payload"
        )
    result, detail = checked_response(_view(frames[0]), seq, expected, program, dtype)
    data = frames[1]
    if len(data) != expected:
        raise WorkerError(
            f"{program} broke the protocol: a payload frame of {len(data)} bytes, "
            f"{expected} announced"
        )
    return result, detail, data
