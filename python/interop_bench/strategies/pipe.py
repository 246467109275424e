"""`pipe`: the ib_worker over its stdin/stdout, what many subprocess users do.

Each request is a fixed header (strategies/ipc/protocol.hpp) carrying the
array's dtype code, followed by its raw little-endian bytes (any dtype of
ops.DTYPES; the worker runs the kernel of that element type); each response a
header (an integer dtype's sum exact, in its own field) followed by the result
bytes. A frame's rows go out as they lie, padding included, while the padding
is no larger than the pixels (the header carries the row stride), else packed.
Best honest use: the header and the array go out in one writev, the answer is
read with readinto straight into its final array (the caller's, for square),
and both pipes are enlarged to the system's maximum so that big arrays cross in
fewer, larger chunks.

Phases (`call_with_phases`): send (pack the header, write header and payload
into the pipe; for payloads larger than the pipe buffer this overlaps the
worker reading them), round_trip (until the response header arrives: the
worker's kernel and its reply), receive (read the reply payload, the checks).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from time import perf_counter_ns
from typing import ClassVar, NamedTuple

import numpy as np

from interop_bench import ops
from interop_bench.strategies import _ipc_protocol as proto
from interop_bench.strategies import validation
from interop_bench.strategies._ipc_worker import (
    UNCOUNTABLE,
    Peer,
    WorkerError,
    WorkerProcess,
    WorkerRefusedError,
    array_bytes,
    enlarge_pipes,
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
    """One request's fields, as PipeStrategy._call gathers them once for _exchange
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


class PipeStrategy(Strategy):
    name = "pipe"
    sources: ClassVar[tuple[str, ...]] = (
        "strategies/_ipc_core/pipe_server.cpp",
        "strategies/_ipc_core/frames.cpp",
        "strategies/_ipc_core/requests.cpp",
        "strategies/_ipc_core/stream_io.cpp",
        "python/interop_bench/strategies/_ipc_worker.py",
    )
    family: ClassVar[Family] = "ipc"
    releases_gil = "always"  # blocking reads and writes on the pipes
    uncountable = UNCOUNTABLE
    description = "worker process over stdin/stdout pipes: length-prefixed raw typed bytes"
    copies_in = "copy"
    copies_out: ClassVar[CopyKind] = "copy"
    copies_note = (
        "bytes cross twice each way (write into the kernel's pipe buffer, read out of it); "
        "a strided matrix is packed first; a padded or cropped frame goes out in place with "
        "its padding while that is no larger than its pixels, else packed first"
    )
    dtypes = ops.DTYPES
    carries_frames = True
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
        self._header = bytearray(proto.PIPE_RESPONSE.itemsize)
        self._detail = 0
        # While call_with_phases runs: perf_counter_ns() after the send and
        # after the response header (None otherwise, so calls skip the clock).
        self._marks: list[int] | None = None

    def _open(self) -> None:
        worker = self._worker = WorkerProcess(["--pipe", *self._worker_flags], pipes=True)
        self._to_fd = worker.stdin.fileno()
        self._from_fd = worker.stdout.fileno()
        enlarge_pipes(self._to_fd, self._from_fd)

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
        a = validation.vector(a, dtypes=self.dtypes)
        return self._call(
            proto.Op.SUM, a.shape[0], payload=array_bytes(a), dtype=proto.dtype_code(a)
        )

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True, dtypes=self.dtypes)
        data = array_bytes(a)
        self._call(proto.Op.SQUARE, a.shape[0], payload=data, reply=data, dtype=proto.dtype_code(a))

    def matrix_sum(self, m: np.ndarray) -> float | int:
        view, _ = validation.row_major(m, dtypes=self.dtypes)
        rows, cols = view.shape
        packed = np.ascontiguousarray(view)  # rows go out back to back
        return self._call(
            proto.Op.MATRIX_SUM, rows=rows, cols=cols, payload=array_bytes(packed),
            dtype=proto.dtype_code(view),
        )  # fmt: skip

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        a = validation.vector(a, dtypes=self.dtypes)
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
        a = validation.vector(a, dtypes=self.dtypes)
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
        request = Request(op, elements, factor, payload, reply, rows, cols, row_stride, dtype)
        with out_of_step_closes(self._worker.kill, self.close):
            return self._exchange(self._worker, request)

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
