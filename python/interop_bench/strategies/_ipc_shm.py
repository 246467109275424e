"""What the `shm`, `shm-futex` and `shm-copy` strategies share: the four
operations over a ShmChannel, with the arrays either used where they lie in
shared memory (zero-copy) or copied through scratch blocks (copy).

Zero-copy needs the caller's array to be in the segment already: `empty(n)` and
`asarray(a)` allocate there, and `prepare(a)` (the runner's and the
conformance suite's hook, called outside timing) moves an input there. An
ordinary array passed to a zero-copy strategy is copied in (and, for square,
back out): `data_address` then reports the scratch copy, not the caller's
memory, so the declaration stays honest for every array.

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

from interop_bench.strategies import validation
from interop_bench.strategies._ipc_channel import Place, ShmChannel
from interop_bench.strategies._ipc_protocol import Op
from interop_bench.strategies._ipc_segments import Arena
from interop_bench.strategies._ipc_worker import UNCOUNTABLE, pids
from interop_bench.strategies.base import Strategy, not_open_error

_NOWHERE: Place = (0, 0)  # what a request names for an empty array
_FAST_METHODS = ("sum", "square")  # bound to the native client while open
# What call_with_phases reports: up to the publish of the request, from it to
# the answer (signal, the worker's kernel, signal back), and after it.
PHASE_NAMES = ("send", "round_trip", "receive")
COPY_PHASE_NAMES = ("copy_in", "round_trip", "copy_out")  # shm-copy's send and receive copy


class ShmStrategyBase(Strategy):
    sources: ClassVar[tuple[str, ...]] = (
        "strategies/ipc/shm_server.cpp",
        "strategies/ipc/requests.cpp",
        "strategies/ipc/shm_client_module.cpp",
        "strategies/ipc/shm_client_call.cpp",
        "strategies/ipc/sync.cpp",
        "python/interop_bench/strategies/_ipc_channel.py",
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

    def __init__(self, worker_flags: Sequence[str] = ()) -> None:
        super().__init__()
        self._worker_flags = tuple(worker_flags)  # tests only: e.g. ("--fault=slow",)
        self._channel: ShmChannel | None = None
        self._scratch: dict[str, tuple[np.ndarray, Place]] = {}
        self._last_result: Place = _NOWHERE  # where the worker last wrote scale's result

    def _open(self) -> None:
        self._channel = ShmChannel(
            self.spin_ns, self._worker_flags, on_failure=self.close, arena_type=self.arena_type
        )
        client = self._channel.client
        client.set_fallbacks(self.sum, self.square, self.zero_copy)
        vars(self).update(sum=client.sum, square=client.square)

    def _close(self) -> None:
        for name in _FAST_METHODS:
            vars(self).pop(name, None)
        channel, self._channel = self._channel, None
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
    def empty(self, shape: int | tuple[int, ...]) -> np.ndarray:
        """An uninitialised float64 array in shared memory: calls on it copy nothing."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return self.channel.new_array(shape) if all(shape) else np.empty(shape)

    def asarray(self, a: np.ndarray) -> np.ndarray:
        """A copy of `a` (same shape, C order) in shared memory."""
        out = self.empty(a.shape)
        np.copyto(out, a)
        return out

    def prepare(self, a: np.ndarray) -> np.ndarray:
        if not self.zero_copy or not isinstance(a, np.ndarray) or a.dtype != np.float64:
            return a
        return self.asarray(a) if a.ndim in (1, 2) else a

    # -- the operations ----------------------------------------------------
    def sum(self, a: np.ndarray) -> float:
        a = validation.vector(a)
        return self.channel.request(Op.SUM, a.shape[0], self._place_input(a))

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        count = a.shape[0]
        place = self._in_segment(a, a.nbytes)
        if place is not None:
            self.channel.request(Op.SQUARE, count, place)
            return
        scratch, place = self._copy_in(a)
        self.channel.request(Op.SQUARE, count, place)
        np.copyto(a, scratch)

    def matrix_sum(self, m: np.ndarray) -> float:
        view, _ = validation.row_major(m)
        rows, cols = view.shape
        if rows == 0 or cols == 0:
            return self.channel.request(Op.MATRIX_SUM, place=_NOWHERE, rows=rows, cols=cols)
        stride = validation.row_stride_elements(view)
        place = self._in_segment(view, ((rows - 1) * stride + cols) * view.itemsize)
        if place is None:
            scratch, place = self._scratch_block("in", rows * cols)
            np.copyto(scratch.reshape(rows, cols), view)
            stride = cols
        return self.channel.request(
            Op.MATRIX_SUM, place=place, rows=rows, cols=cols, row_stride=stride
        )

    def scale(self, a: np.ndarray, k: float) -> np.ndarray:
        a = validation.vector(a)
        factor = validation.factor(k)
        count = a.shape[0]
        place = self._place_input(a)
        if self.zero_copy:
            result = self.empty(count)
            out = self.channel.find(result, result.nbytes) if count else _NOWHERE
            assert out is not None
            self._last_result = out
            self.channel.request(Op.SCALE, count, place, out=out, factor=factor)
            return result
        scratch, out = self._scratch_block("out", count)
        self.channel.request(Op.SCALE, count, place, out=out, factor=factor)
        return scratch.copy()

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
        self.channel.request(Op.PROBE, a.shape[0], place)
        return self.channel.arenas[place[0]].address + self.channel.detail

    # -- where the bytes go ------------------------------------------------
    def _place_input(self, a: np.ndarray) -> Place:
        """Where the worker reads vector `a`: in place, or a scratch copy."""
        count = a.shape[0]
        if not count:
            return _NOWHERE
        place = self._in_segment(a, a.nbytes)
        return place if place is not None else self._copy_in(a)[1]

    def _in_segment(self, a: np.ndarray, nbytes: int) -> Place | None:
        return self.channel.find(a, nbytes) if self.zero_copy and nbytes else None

    def _copy_in(self, a: np.ndarray) -> tuple[np.ndarray, Place]:
        scratch, place = self._scratch_block("in", a.shape[0])
        np.copyto(scratch, a)
        return scratch, place

    def _scratch_block(self, role: str, count: int) -> tuple[np.ndarray, Place]:
        """A reusable shared block of at least `count` elements for `role`."""
        block = self._scratch.get(role)
        if block is None or block[0].shape[0] < count:
            array = self.channel.new_array((max(count, 1),))
            place = self.channel.find(array, array.nbytes)
            assert place is not None
            block = self._scratch[role] = (array, place)
            if role == "in":  # where the native path copies ordinary arrays from now on
                self.channel.client.set_scratch(*place, array.nbytes)
        return block[0][:count], block[1]
