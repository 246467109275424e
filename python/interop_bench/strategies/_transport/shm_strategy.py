"""What the `shm`, `shm-futex` and `shm-copy` strategies share: the four
operations over a ShmChannel, with the arrays either used where they lie in
shared memory (zero-copy) or copied through scratch blocks (copy).

Every dtype of ops.DTYPES travels as itself: the request carries the array's
dtype code and the worker runs that element type's kernel (integer sums come
back exact). Zero-copy needs the caller's array to be in the segment already:
`empty(n, dtype)` and `asarray(a)` allocate there, and `prepare(a)` (the
runner's and the conformance suite's hook, called outside timing) moves an
input there, an RGB image with its row stride (a padded image stays padded, so
the worker reads its rows where they lie); scale's result and frame's gray
image are made in the segment and returned as views of it. An
ordinary array passed to a zero-copy strategy is copied in (and, for square,
back out): `data_address` then reports the scratch copy, not the caller's
memory, so the declaration stays honest for every array. Frames also pipeline,
two in flight (frame_submit, frame_collect: shm_frames.py).

While a strategy is open, `sum` and `square` are the native client's own
methods (instance attributes, see base.py): one C call checks the array, finds
its place in the segment (zero-copy strategies) or copies it into the scratch
block (and back, for square), and does the exchange. Other arguments go to the
Python methods below (a first or larger scratch block, an empty array, or the
usual TypeError/ValueError).
"""

from __future__ import annotations

from collections.abc import Sequence
from time import perf_counter_ns
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from interop_bench import ops
from interop_bench.strategies import validation
from interop_bench.strategies._transport.protocol import (
    DTYPE_CODES,
    FRAME_DTYPE_CODE,
    Op,
    dtype_code,
)
from interop_bench.strategies._transport.segments import Arena
from interop_bench.strategies._transport.shm_channel import Place, ShmChannel
from interop_bench.strategies._transport.shm_frames import ShmFrameSlots
from interop_bench.strategies._transport.worker import UNCOUNTABLE, pids
from interop_bench.strategies.base import Strategy, not_open_error

_NOWHERE: Place = (0, 0)  # what a request names for an empty array
_CARRIED = frozenset(np.dtype(name) for name in DTYPE_CODES)  # what prepare places
_UINT8 = np.dtype(np.uint8)
_FAST_METHODS = ("sum", "square")  # bound to the native client while open
# What call_with_phases reports: up to the publish of the request, from it to
# the answer (signal, the worker's kernel, signal back), and after it.
PHASE_NAMES = ("send", "round_trip", "receive")
COPY_PHASE_NAMES = ("copy_in", "round_trip", "copy_out")  # shm-copy's send and receive copy
# How long both sides spin on the sequence word before sleeping on the futex:
# longer than a futex wake-up plus a small kernel, so back-to-back calls never
# sleep, and short enough that an idle worker gives its core back at once.
SPIN_NS = 50_000
# What the strategies that read arrays in the segment in place copy (shm, shm-futex).
IN_PLACE_COPIES_NOTE = (
    "zero-copy for arrays of every dtype in the segment (strategy.empty/asarray/prepare; "
    "a frame there is read in place, padding and all); an ordinary array is copied into "
    "the segment, packed for a frame (and back, for square); scale's result and frame's "
    "gray image live in it"
)
# What the strategies that copy every input in and every answer out copy (shm-copy, mp-shm).
COPYING_NOTE = (
    "one memcpy into the segment per input (a frame's rows packed), one out per result "
    "(square: both)"
)


class ShmStrategyBase(Strategy):
    sources: ClassVar[tuple[str, ...]] = (
        "strategies/_ipc_core/shm_server.cpp",
        "strategies/_ipc_core/requests.cpp",
        "strategies/ipc/shm_client_module.cpp",
        "strategies/ipc/shm_client_call.cpp",
        "strategies/_ipc_core/sync.cpp",
    )
    family = "ipc"
    releases_gil = "large"  # spins with it a few µs, then sleeps on the futex without it
    uncountable = UNCOUNTABLE
    # Spin this long (client and worker) before sleeping on the futex.
    spin_ns: ClassVar[int]
    # Use arrays that are already in the segment in place (else copy everything).
    zero_copy: ClassVar[bool]
    # How the data segments are made.
    arena_type: ClassVar[type[Arena]] = Arena

    frames_in_flight = 2  # two slots in the segment (shm_frames.py)

    def __init__(self, worker_flags: Sequence[str] = ()) -> None:
        super().__init__()
        self._worker_flags = tuple(worker_flags)  # tests only: e.g. ("--fault=slow",)
        self._channel: ShmChannel | None = None
        self._frames: ShmFrameSlots | None = None
        self._scratch: dict[str, tuple[np.ndarray, Place]] = {}
        self._last_result: Place = _NOWHERE  # where the worker last wrote scale's result

    def _open(self) -> None:
        self._channel = ShmChannel(
            self.spin_ns, self._worker_flags, on_failure=self.close, arena_type=self.arena_type
        )
        self._frames = ShmFrameSlots(self._channel, self.zero_copy, self.frames_in_flight)
        client = self._channel.client
        client.set_fallbacks(self.sum, self.square, self.zero_copy)
        vars(self).update(sum=client.sum, square=client.square)

    def _close(self) -> None:
        for name in _FAST_METHODS:
            vars(self).pop(name, None)
        channel, self._channel = self._channel, None
        self._frames = None
        self._scratch.clear()
        if channel is not None:
            channel.close()

    @property
    def channel(self) -> ShmChannel:
        if self._channel is None:
            raise not_open_error(self.name)
        return self._channel

    def worker_pids(self) -> list[int]:
        return pids(self._channel.worker if self._channel is not None else None)

    # -- arrays in the segment -------------------------------------------
    def empty(self, shape: int | tuple[int, ...], dtype: npt.DTypeLike = np.float64) -> np.ndarray:
        """An uninitialised array in shared memory: calls on it copy nothing."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        kind = np.dtype(dtype)
        return self.channel.new_array(shape, kind) if all(shape) else np.empty(shape, kind)

    def asarray(self, a: np.ndarray) -> np.ndarray:
        """A copy of `a` (same shape and dtype, C order) in shared memory."""
        out = self.empty(a.shape, a.dtype)
        np.copyto(out, a)
        return out

    def prepare(self, a: np.ndarray) -> np.ndarray:
        if not self.zero_copy or not isinstance(a, np.ndarray) or a.dtype not in _CARRIED:
            return a
        if a.ndim == 3 and a.dtype == _UINT8 and a.shape[2] == ops.CHANNELS:
            return self._placed_image(a)
        return self.asarray(a) if a.ndim in (1, 2) else a

    def _placed_image(self, image: np.ndarray) -> np.ndarray:
        """A copy of an RGB image in shared memory with the same row stride (padding
        included), so that a padded image stays one, read in place."""
        rows, cols, channels = image.shape
        row_bytes = cols * channels
        if not rows or not row_bytes:
            return image
        stride = image.strides[0] if rows > 1 and image.strides[0] >= row_bytes else row_bytes
        block = self.empty((rows, stride), _UINT8)
        placed = block[:, :row_bytes].reshape(rows, cols, channels)
        np.copyto(placed, image)
        return placed

    # -- the operations ----------------------------------------------------
    def sum(self, a: np.ndarray) -> float | int:
        a = validation.vector(a)
        return self.channel.request(Op.SUM, a.shape[0], self._place_input(a), dtype=dtype_code(a))

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        count, code = a.shape[0], dtype_code(a)
        place = self._in_segment(a, a.nbytes)
        if place is not None:
            self.channel.request(Op.SQUARE, count, place, dtype=code)
            return
        scratch, place = self._copy_in(a)
        self.channel.request(Op.SQUARE, count, place, dtype=code)
        np.copyto(a, scratch)

    def matrix_sum(self, m: np.ndarray) -> float | int:
        view, _ = validation.row_major(m)
        rows, cols = view.shape
        code = dtype_code(view)
        if rows == 0 or cols == 0:
            return self.channel.request(
                Op.MATRIX_SUM, place=_NOWHERE, rows=rows, cols=cols, dtype=code
            )
        stride = validation.row_stride_elements(view)
        place = self._in_segment(view, ((rows - 1) * stride + cols) * view.itemsize)
        if place is None:
            scratch, place = self._scratch_block("in", rows * cols * view.itemsize)
            np.copyto(scratch.view(view.dtype).reshape(rows, cols), view)
            stride = cols
        return self.channel.request(
            Op.MATRIX_SUM, place=place, rows=rows, cols=cols, row_stride=stride, dtype=code
        )

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        a = validation.vector(a)
        factor = validation.factor(k, a.dtype)
        count, code = a.shape[0], dtype_code(a)
        place = self._place_input(a)
        if self.zero_copy:
            result = self.empty(count, a.dtype)
            out = self._result_place(result)
            self.channel.request(Op.SCALE, count, place, out=out, factor=factor, dtype=code)
            return result
        scratch, out = self._scratch_block("out", a.nbytes)
        self.channel.request(Op.SCALE, count, place, out=out, factor=factor, dtype=code)
        return scratch.view(a.dtype).copy()

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, row_stride = validation.frame(image)
        rows, cols, _ = rgb.shape
        place, row_stride = self._place_frame(rgb, row_stride)
        if self.zero_copy:
            gray = self.empty((rows, cols), _UINT8)
            out = self._result_place(gray)
        else:
            gray, out = self._scratch_block("out", rows * cols)
        self.channel.request(
            Op.FRAME, place=place, out=out, rows=rows, cols=cols, row_stride=row_stride,
            dtype=FRAME_DTYPE_CODE,
        )  # fmt: skip
        return gray if self.zero_copy else gray.reshape(rows, cols).copy()

    def frame_submit(self, image: np.ndarray) -> int:
        return self._slots().submit(image)

    def frame_collect(self, ticket: int) -> np.ndarray:
        return self._slots().collect(ticket)

    def _slots(self) -> ShmFrameSlots:
        if self._frames is None:
            raise not_open_error(self.name)
        return self._frames

    def call_with_phases(self, op: str, *args: object) -> tuple[object, dict[str, int]]:
        """The op as `getattr(self, op)` runs it, split at the publish of its
        request and at the sight of the answer (noted natively, in
        perf_counter_ns() time, only while timing)."""
        client = self.channel.client
        client.timing = True
        start = perf_counter_ns()
        try:
            result = getattr(self, op)(*args)
        finally:
            client.timing = False
        done = perf_counter_ns()
        sent, answered = client.marks  # the last exchange: the op (others place arrays)
        phases = (sent - start, answered - sent, done - answered)
        return result, dict(zip(self.phase_names, phases, strict=True))

    def last_result_address(self) -> int:
        """Our address of the block the worker last wrote a scale result into."""
        if self._last_result == _NOWHERE:
            return 0
        index, offset = self._last_result
        return self.channel.arenas[index].address + offset

    def data_address(self, a: np.ndarray) -> int:
        """Our address of the bytes the worker read (it maps them elsewhere)."""
        a = validation.vector(a)
        if not a.shape[0]:  # nothing is read at all
            return int(a.ctypes.data) if self.zero_copy else 0
        place = self._place_input(a)
        self.channel.request(Op.PROBE, a.shape[0], place, dtype=dtype_code(a))
        return self.channel.arenas[place[0]].address + self.channel.detail

    # -- where the bytes go ------------------------------------------------
    def _place_input(self, a: np.ndarray) -> Place:
        """Where the worker reads vector `a`: in place, or a scratch copy."""
        count = a.shape[0]
        if not count:
            return _NOWHERE
        place = self._in_segment(a, a.nbytes)
        return place if place is not None else self._copy_in(a)[1]

    def _place_frame(self, rgb: np.ndarray, row_stride: int) -> tuple[Place, int]:
        """Where the worker reads image `rgb` and its row stride: in place, padding
        and all, when it lies in the segment (zero-copy strategies), else packed
        into the scratch block."""
        rows, cols, channels = rgb.shape
        row_bytes = cols * channels
        if not rows or not row_bytes:
            return _NOWHERE, row_bytes
        place = self._in_segment(rgb, (rows - 1) * row_stride + row_bytes)
        if place is not None:
            return place, row_stride
        scratch, place = self._scratch_block("in", rows * row_bytes)
        np.copyto(scratch.reshape(rows, cols, channels), rgb)
        return place, row_bytes

    def _in_segment(self, a: np.ndarray, nbytes: int) -> Place | None:
        return self.channel.find(a, nbytes) if self.zero_copy and nbytes else None

    def _copy_in(self, a: np.ndarray) -> tuple[np.ndarray, Place]:
        scratch, place = self._scratch_block("in", a.nbytes)
        typed = scratch.view(a.dtype)
        np.copyto(typed, a)
        return typed, place

    def _result_place(self, result: np.ndarray) -> Place:
        """Where the worker writes into `result` (in a data arena unless empty);
        remembered for last_result_address."""
        out = self.channel.find(result, result.nbytes) if result.size else _NOWHERE
        assert out is not None, "empty() places a result in an arena"
        self._last_result = out
        return out

    def _scratch_block(self, role: str, nbytes: int) -> tuple[np.ndarray, Place]:
        """A reusable shared block of at least `nbytes` for `role`, as bytes (uint8)."""
        block = self._scratch.get(role)
        if block is None or block[0].shape[0] < nbytes:
            array = self.channel.new_array((max(nbytes, 1),), _UINT8)
            place = self.channel.find(array, array.nbytes)
            assert place is not None
            block = self._scratch[role] = (array, place)
            if role == "in":  # where the native path copies ordinary arrays from now on
                self.channel.client.set_scratch(*place, array.nbytes)
        return block[0][:nbytes], block[1]


class CopyingShmStrategyBase(ShmStrategyBase):
    """Shared memory the way a caller with ordinary arrays uses it (shm-copy, mp-shm)."""

    copies_in = "copy"
    copies_out = "copy"
    copies_note = COPYING_NOTE
    spin_ns = SPIN_NS
    zero_copy = False
    phase_names = COPY_PHASE_NAMES
