"""`zmq` and `zmq-copy`: a C++ worker (cppzmq, strategies/zmq) answering over a
ZeroMQ REQ/REP pair on ipc:// in Linux's abstract namespace, what a service
built on ZeroMQ does.

The requests and replies are the pipe protocol's (strategies/ipc/protocol.hpp)
framed by zmq: a request is one message of two frames (the header, with the
array's dtype code, and the array's bytes), a reply one of two (the header,
the result's bytes), and the worker checks them with the pipe server's code
(strategies/ipc/frames.cpp) and runs the kernel of the array's own type. A
frame goes out as its rows where they lie (padding included while it is no
larger than the pixels, with the row stride in the header: pipe.frame_payload),
so zmq hands libzmq a padded or cropped image's own memory too.

`zmq` is pyzmq's zero-copy use: send(copy=False) hands libzmq the array's own
memory (zmq_msg_init_data), with the socket's copy_threshold at 0 so that this
holds at every size (by default pyzmq copies anything under 64 kB instead,
because zero-copy costs more than a small memcpy: pyzmq#1032 and #1036, which
this variant next to `zmq-copy` shows); the reply comes with recv(copy=False) as
Frames over libzmq's own messages, and NumPy wraps scale's and frame's. `zmq-copy` is what
users write by default: send(a) copies the array into a message, recv() copies
each reply frame into bytes.

Unlike `uds`, the kernel's socket buffers stay at the system's default: libzmq
applies ZMQ_SNDBUF and ZMQ_RCVBUF to TCP connections only, not to ipc ones.

Phases (`call_with_phases`): send (pack the header and hand both frames to
libzmq, whose I/O thread writes them), round_trip (until the whole reply has
arrived: the transfer, the worker's kernel and its reply), receive (take the
frames from libzmq, the checks, square's copy into the caller's array).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from time import perf_counter_ns
from typing import ClassVar

import numpy as np
import zmq

from interop_bench.strategies import _ipc_protocol as proto
from interop_bench.strategies import validation
from interop_bench.strategies._ipc_worker import (
    STOP_TIMEOUT_S,
    Peer,
    WorkerError,
)
from interop_bench.strategies._zmq_channel import MAX_MESSAGE_BYTES, ZmqChannel, ZmqRequester
from interop_bench.strategies.base import not_open_error
from interop_bench.strategies.pipe import PipeStrategy, Request, checked_response, frame_payload

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


class ZmqStrategy(PipeStrategy):
    name = "zmq"
    sources: ClassVar[tuple[str, ...]] = (
        "strategies/zmq/zmq_server.cpp",
        "strategies/zmq/zmq_worker.cpp",
        "strategies/_ipc_core/frames.cpp",
        "strategies/_ipc_core/requests.cpp",
        "python/interop_bench/strategies/_zmq_channel.py",
        "python/interop_bench/strategies/_ipc_worker.py",
    )
    releases_gil = "always"  # pyzmq releases it around zmq_poll, the wait for the reply
    description = (
        "C++ worker (cppzmq) over a ZeroMQ REQ/REP pair on ipc:// (abstract namespace): "
        "pyzmq send(copy=False) of the array's buffer, recv(copy=False) wrapped by NumPy"
    )
    copies_note = (
        "in: pyzmq hands libzmq the array's own memory (zmq_msg_init_data, no copy, at every "
        "size: copy_threshold 0) and the socket copies it twice (libzmq's I/O thread writes it, "
        "the worker's reads it into a message of its own, or a small one into its 8 KiB receive "
        "batch); the worker's kernel reads it there, or from an aligned copy when it lies "
        "unaligned in the batch; out: the worker writes scale's result into a buffer it hands "
        "libzmq without a copy and sends square's request message back squared in place (a "
        "copy of the aligned block when it made one), the socket copies it twice, and "
        "recv(copy=False) keeps libzmq's message as a Frame, which NumPy wraps as scale's "
        "and frame's result (no copy; unaligned when it arrived in the receive batch) and "
        "square copies into the caller's array; a strided matrix is packed first; a padded or "
        "cropped frame goes out in place with its padding while that is no larger than its "
        "pixels, else packed first"
    )
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

    def _open(self) -> None:
        # copy=True ignores the threshold; copy=False honours it, so 0 makes it zero-copy always.
        threshold = zmq.COPY_THRESHOLD if self.copy_frames else 0
        channel = ZmqChannel(self._worker_flags, copy_threshold=threshold)
        self._channel, self._worker = channel, channel.worker

    def _close(self) -> None:
        channel, self._channel = self._channel, None
        worker, self._worker = self._worker, None
        self._reply = None
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
        a = validation.vector(a, dtypes=self.dtypes)
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
        if len(frames) != 2 or len(frames[0]) != proto.PIPE_RESPONSE.itemsize:
            sizes = [len(frame) for frame in frames]
            raise WorkerError(
                f"{worker.program} broke the protocol: replied with frames of {sizes} bytes, "
                f"expected a {proto.PIPE_RESPONSE.itemsize}-byte header and a payload"
            )
        expected = _reply_bytes(request)
        result, self._detail = checked_response(
            _view(frames[0]), seq, expected, worker.program, request.dtype
        )
        data = frames[1]
        if len(data) != expected:
            raise WorkerError(
                f"{worker.program} broke the protocol: a payload frame of {len(data)} bytes, "
                f"{expected} announced"
            )
        if request.reply.nbytes:
            request.reply[:] = _view(data)  # square: into the caller's array
        else:
            self._reply = data
        return result

    def _connected(self) -> ZmqRequester:
        if self._channel is None:
            raise not_open_error(self.name)
        return self._channel


class ZmqCopyStrategy(ZmqStrategy):
    name = "zmq-copy"
    description = (
        "C++ worker (cppzmq) over a ZeroMQ REQ/REP pair on ipc:// (abstract namespace): "
        "pyzmq's default send(a) and recv(), which copy each frame"
    )
    copies_note = (
        "in: send(copy=True) copies the array into a message libzmq allocates "
        "(zmq_msg_init_size + memcpy), then the bytes cross the socket as for zmq (the kernel "
        "copies them twice; the worker side is zmq's); out: recv() copies each reply frame out "
        "of libzmq's message into bytes, which NumPy wraps read-only as scale's result and "
        "square copies again into the caller's array; a strided matrix is packed first"
    )
    copy_frames = True
