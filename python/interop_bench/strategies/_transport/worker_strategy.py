"""The base of the strategies whose work runs in another process and that speak
the pipe protocol's requests and replies to it (strategies/_ipc_core/protocol.hpp):
`pipe`, `uds`, `tcp` and `file-mmap` over a byte stream (stream_strategy.py,
socket_stream.py), `zmq*` over ZeroMQ frames, `grpc*` over gRPC calls.

WorkerStrategy validates each operation's arrays, gathers one Request, and
hands it to the subclass's `_exchange`. A frame's rows go out as they lie,
padding included, while the padding is no larger than the pixels (the header
carries the row stride), else packed.

Phases (`call_with_phases`): send (until the request is handed over),
round_trip (until the reply's header arrives: the worker's kernel and its
reply), receive (the reply's payload, the checks): the subclass marks the two
moments in `_marks`.
"""

from __future__ import annotations

import contextlib
from abc import abstractmethod
from collections.abc import Sequence
from time import perf_counter_ns
from typing import ClassVar, NamedTuple

import numpy as np

from interop_bench.strategies import validation
from interop_bench.strategies._transport import protocol as proto
from interop_bench.strategies._transport.worker import (
    UNCOUNTABLE,
    Peer,
    WorkerError,
    WorkerRefusedError,
    array_bytes,
    out_of_step_closes,
    pids,
)
from interop_bench.strategies.base import CopyKind, Family, Strategy, not_open_error

_REQUEST = proto.packer(proto.PIPE_REQUEST, "magic", "row_stride")
_RESPONSE = proto.packer(proto.PIPE_RESPONSE, "magic", "integer_result")
_ERROR_AT = proto.offset(proto.PIPE_RESPONSE, "error_text")
_EMPTY = memoryview(b"")
PHASE_NAMES = ("send", "round_trip", "receive")


def checked_response(
    header: bytes | bytearray | memoryview,
    seq: int,
    reply_bytes: int,
    worker_name: str,
    dtype: int = 0,
) -> tuple[float | int, int]:
    """The result (see proto.result_of) and detail of a response header
    (PIPE_RESPONSE) to request `seq` over arrays of dtype code `dtype` that
    announces `reply_bytes` of payload; a refusal raises WorkerRefusedError,
    anything out of step WorkerError."""
    unpacked = _RESPONSE.unpack_from(header)
    magic, got_seq, status, _, result, detail, announced, integer_result = unpacked
    if magic != proto.MAGIC or got_seq != seq or status > proto.STATUS_ERROR:
        raise WorkerError(
            f"{worker_name} broke the protocol: answered request {seq} with magic {magic:#x}, "
            f"sequence number {got_seq} and status {status:#x}; it is no longer trusted"
        )
    if status == proto.STATUS_ERROR:
        message = proto.text(bytes(memoryview(header)[_ERROR_AT:]))
        raise WorkerRefusedError(f"{worker_name} refused the request: {message}")
    if announced != reply_bytes:
        raise WorkerError(
            f"{worker_name} broke the protocol: sent {announced} bytes, {reply_bytes} expected"
        )
    return proto.result_of(dtype, result, integer_result), detail


def frame_payload(rgb: np.ndarray, row_stride: int) -> tuple[memoryview, int]:
    """The bytes a frame request carries and their row stride (for a frame
    validation.frame accepted): its rows where they lie, padding included, while
    the padding is no larger than the pixels (sending it costs no more than
    packing would), else its rows packed (stride 3 * width)."""
    rows, cols, channels = rgb.shape
    row_bytes = cols * channels
    if not rows or not row_bytes:
        return _EMPTY, 0
    extent = (rows - 1) * row_stride + row_bytes
    if row_stride == row_bytes or extent > 2 * rows * row_bytes:
        return array_bytes(np.ascontiguousarray(rgb)), row_bytes
    span = np.lib.stride_tricks.as_strided(rgb, shape=(extent,), strides=(1,), writeable=False)
    return array_bytes(span), row_stride


class Request(NamedTuple):
    """One request's fields, as WorkerStrategy._call gathers them once for _exchange
    (a close builds its STOP's): the operation, a vector's element count (the
    header's count) or a matrix's or frame's rows and cols (row_stride 0: its rows
    packed), scale's factor, the array's bytes and their dtype code, and the memory
    the reply's payload lands in (square's, scale's, frame's result; empty when it
    has none)."""

    op: int
    elements: int = 0
    factor: float = 0.0
    payload: memoryview = _EMPTY
    reply: memoryview = _EMPTY
    rows: int = 0
    cols: int = 0
    row_stride: int = 0
    dtype: int = 0


class WorkerStrategy(Strategy):
    """A strategy whose operations are requests to a worker or peer process."""

    family: ClassVar[Family] = "ipc"
    releases_gil = "always"  # blocking reads and writes, or a wait that releases it
    uncountable = UNCOUNTABLE
    copies_in: ClassVar[CopyKind] = "copy"
    copies_out: ClassVar[CopyKind] = "copy"
    phase_names: ClassVar[tuple[str, ...]] = PHASE_NAMES
    # The largest payload a request may carry (None: no limit on this side), refused
    # before anything is sent, and what sets it, as the refusal words it after the figure.
    max_payload_bytes: ClassVar[int | None] = None
    max_payload_reason: ClassVar[str] = ""

    def __init__(self, worker_flags: Sequence[str] = ()) -> None:
        super().__init__()
        self._worker_flags = tuple(worker_flags)  # tests only: e.g. ("--fault=slow",)
        self._worker: Peer | None = None
        self._seq = 0
        self._detail = 0
        # While call_with_phases runs: perf_counter_ns() after the send and
        # after the response header (None otherwise, so calls skip the clock).
        self._marks: list[int] | None = None

    def _close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is None:
            return
        if worker.alive():
            with contextlib.suppress(OSError, WorkerError):
                self._exchange(worker, Request(proto.Op.STOP))
        worker.stop()

    def worker_pids(self) -> list[int]:
        return pids(self._worker)

    # -- the operations ----------------------------------------------------
    def sum(self, a: np.ndarray) -> float | int:
        a = validation.vector(a)
        return self._call(
            proto.Op.SUM, a.shape[0], payload=array_bytes(a), dtype=proto.dtype_code(a)
        )

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        data = array_bytes(a)
        self._call(proto.Op.SQUARE, a.shape[0], payload=data, reply=data, dtype=proto.dtype_code(a))

    def matrix_sum(self, m: np.ndarray) -> float | int:
        view, _ = validation.row_major(m)
        rows, cols = view.shape
        packed = np.ascontiguousarray(view)  # rows go out back to back
        return self._call(
            proto.Op.MATRIX_SUM, rows=rows, cols=cols, payload=array_bytes(packed),
            dtype=proto.dtype_code(view),
        )  # fmt: skip

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        a = validation.vector(a)
        factor = validation.factor(k, a.dtype)
        result = np.empty_like(a)
        self._scale(a, factor, array_bytes(result))
        return result

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, row_stride = validation.frame(image)
        rows, cols, _ = rgb.shape
        payload, row_stride = frame_payload(rgb, row_stride)
        gray = validation.new_gray(rgb)
        self._call(
            proto.Op.FRAME, rows=rows, cols=cols, row_stride=row_stride, payload=payload,
            reply=array_bytes(gray), dtype=proto.FRAME_DTYPE_CODE,
        )  # fmt: skip
        return gray

    def data_address(self, a: np.ndarray) -> int:
        """The worker's own address of the copy it read (another address space)."""
        a = validation.vector(a)
        self._call(proto.Op.PROBE, a.shape[0], payload=array_bytes(a), dtype=proto.dtype_code(a))
        return self._detail

    def _scale(self, a: np.ndarray, factor: float, reply: memoryview = _EMPTY) -> None:
        """scale's exchange over the validated vector `a` and factor, its result into
        `reply` (zmq's and grpc's pass none: they keep the reply's own bytes)."""
        self._call(
            proto.Op.SCALE, a.shape[0], factor=factor, payload=array_bytes(a), reply=reply,
            dtype=proto.dtype_code(a),
        )  # fmt: skip

    def call_with_phases(self, op: str, *args: object) -> tuple[object, dict[str, int]]:
        marks = self._marks = []
        start = perf_counter_ns()
        try:
            result = getattr(self, op)(*args)
        finally:
            self._marks = None
        done = perf_counter_ns()
        sent, answered = marks
        phases = (sent - start, answered - sent, done - answered)
        return result, dict(zip(PHASE_NAMES, phases, strict=True))

    # -- one exchange ----------------------------------------------------
    def _call(
        self,
        op: int,
        elements: int = 0,
        *,
        factor: float = 0.0,
        payload: memoryview = _EMPTY,
        reply: memoryview = _EMPTY,
        rows: int = 0,
        cols: int = 0,
        row_stride: int = 0,
        dtype: int = 0,
    ) -> float | int:
        limit = self.max_payload_bytes
        if limit is not None and payload.nbytes > limit:
            raise ValueError(
                f"{self.name}: an array of {payload.nbytes} bytes is larger than the "
                f"{limit} bytes {self.max_payload_reason}"
            )
        if self._worker is None:
            raise not_open_error(self.name)
        if self._frames_pending():
            raise RuntimeError(f"{self.name}: frames are in flight: collect them first")
        request = Request(op, elements, factor, payload, reply, rows, cols, row_stride, dtype)
        with out_of_step_closes(self._worker.kill, self.close):
            return self._exchange(self._worker, request)

    def _frames_pending(self) -> int:
        """How many pipelined frames await their collect (a call meanwhile would
        take one's reply): none unless the subclass splits its frame call."""
        return 0

    @abstractmethod
    def _exchange(self, worker: Peer, request: Request) -> float | int:
        """Send `request` to `worker`, land its reply's payload in `request.reply`
        (or keep it, for a strategy whose result is the reply itself) and return
        the result; mark the send and the reply's arrival in `_marks` when set."""

    def _request(self, request: Request) -> tuple[int, bytes]:
        """The next sequence number and the request header (PIPE_REQUEST) that
        carries it and `request`'s fields (the payload's size, not its bytes)."""
        seq = self._seq = (self._seq + 1) & proto.SEQ_MASK
        header = _REQUEST.pack(
            proto.MAGIC, proto.VERSION, seq, request.op, request.elements, request.rows,
            request.cols, request.factor, request.payload.nbytes, request.dtype, 0,
            request.row_stride,
        )  # fmt: skip
        return seq, header
