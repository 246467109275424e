"""The client side of one ib_worker over shared memory: the control segment, the
data arenas, and one request/response exchange.

A call is one C call into the extension module ib_shm_client
(strategies/ipc/shm_client_module.cpp): it writes the request fields into the
control block, publishes the request sequence number (release) and waits for
the response sequence number (acquire): it spins up to `spin_ns`, then sleeps
on a futex in slices of WAIT_SLICE_NS, between which it runs Python's signal
handlers (Ctrl-C) and asks `_check_worker` whether the worker lives. Anything
unexpected (a dead worker, a wrong sequence number, a status that is neither ok
nor error, an interrupted call) abandons the worker: it is killed, the strategy
is closed, and the next `open()` starts afresh.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from interop_bench import native
from interop_bench.strategies._transport import protocol as proto
from interop_bench.strategies._transport.segments import FLOAT64, Arena, Segment
from interop_bench.strategies._transport.worker import (
    WorkerError,
    WorkerProcess,
    WorkerRefusedError,
)
from interop_bench.strategies.base import round_up

CONTROL_BYTES = 4096
# Longest single futex sleep: how late a dead worker or Ctrl-C is noticed.
WAIT_SLICE_NS = 50_000_000
# The first data arena's size; later ones at least double, so growth is rare.
MIN_ARENA_BYTES = 8 << 20

_RESPONSE = proto.packer(proto.CONTROL, "response_seq", "detail")
_RESPONSE_AT = proto.offset(proto.CONTROL, "response_seq")
_HEADER = proto.packer(proto.CONTROL, "magic", "request_seq")
_NAME = proto.packer(proto.CONTROL, "arena_name", "arena_name")
_NAME_AT = proto.offset(proto.CONTROL, "arena_name")

# Where an array's bytes are for the worker: (arena index, byte offset).
Place = tuple[int, int]


class ShmChannel:
    def __init__(
        self,
        spin_ns: int,
        worker_flags: Sequence[str],
        on_failure: Callable[[], None],
        arena_type: type[Arena] = Arena,
    ) -> None:
        self._spin_ns = spin_ns
        self._arena_type = arena_type  # how data segments are made (mp-shm: the stdlib's)
        self._worker_flags = list(worker_flags)
        self._on_failure = on_failure
        self.arenas: dict[int, Arena] = {}
        self._control = Segment(CONTROL_BYTES, "c")
        self._mm = self._control.mm
        # The client calls back into `_check_worker` only between futex slices.
        self.client: Any = native.extension("ib_shm_client").Client(
            self._mm,
            spin_ns,
            WAIT_SLICE_NS,
            self._check_worker,
            self._break,
            WorkerError,
            WorkerRefusedError,
        )
        try:
            _HEADER.pack_into(self._mm, 0, proto.MAGIC, proto.VERSION, 0)
            _RESPONSE.pack_into(self._mm, _RESPONSE_AT, proto.NO_RESPONSE, 0, 0, 0, 0.0, 0)
            flags = [f"--shm={self._control.name}", f"--spin-ns={spin_ns}", *worker_flags]
            self.worker = WorkerProcess(flags)
            self.client.wait(proto.NO_RESPONSE, "start-up")
        except BaseException:
            self._control.unlink()
            self._break()
            raise
        self._control.unlink()  # both sides have it mapped: the name is no longer needed

    # -- one exchange ----------------------------------------------------
    def request(
        self,
        op: int,
        count: int = 0,
        place: Place = (0, 0),
        *,
        out: Place = (0, 0),
        factor: float = 0.0,
        rows: int = 0,
        cols: int = 0,
        row_stride: int = 0,
        arena_bytes: int = 0,
        dtype: int = 0,
    ) -> float | int:
        """Send one request over arrays of dtype code `dtype` and return its
        result (a float, an exact int for the integer dtypes; its `detail` is
        then self.detail); raise WorkerError if the worker refuses or fails."""
        result: float | int = self.client.request(
            op, count, place[0], place[1], out[0], out[1], factor, rows, cols, row_stride,
            arena_bytes, dtype,
        )  # fmt: skip
        return result

    def send_frame(self, place: Place, out: Place, rows: int, cols: int, row_stride: int) -> None:
        """Publish a frame request and return at once: `receive` waits for its answer,
        and no other request may be made before it."""
        self.client.send(
            proto.Op.FRAME, 0, place[0], place[1], out[0], out[1], 0.0, rows, cols, row_stride,
            0, proto.FRAME_DTYPE_CODE,
        )  # fmt: skip

    def receive(self) -> None:
        """Wait for the answer to the request `send_frame` published; WorkerError as `request`."""
        self.client.receive()

    @property
    def seq(self) -> int:
        """The last request's sequence number."""
        return int(self.client.seq)

    @property
    def detail(self) -> int:
        """The last response's `detail` (kProbe: the byte offset the input was read at)."""
        return int(self.client.detail)

    def _check_worker(self, what: str) -> None:
        if not self.worker.alive():
            raise WorkerError(f"{self.worker.death()} during {what}")

    def _break(self) -> None:
        self.abandon()
        self._on_failure()

    # -- arrays in the arenas ----------------------------------------------
    def new_array(self, shape: tuple[int, ...], dtype: np.dtype = FLOAT64) -> np.ndarray:
        """A C-ordered array of `shape` and `dtype` in a data arena (worker-visible)."""
        count = math.prod(shape)
        arena, offset = self.allocate(count * dtype.itemsize)
        return arena.array(offset, count, dtype).reshape(shape)

    def find(self, a: np.ndarray, nbytes: int) -> Place | None:
        """Where `a`'s `nbytes` from its first element live in an arena, if they do."""
        place: Place | None = self.client.place(a, nbytes)
        return place

    def new_array_in_mapped(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
        """As new_array, in the arenas already mapped (so without a request to the
        worker), or None when none of them has room."""
        nbytes = math.prod(shape) * dtype.itemsize
        for arena in self.arenas.values():
            offset = arena.allocate(nbytes)
            if offset is not None:
                return arena.array(offset, math.prod(shape), dtype).reshape(shape)
        return None

    def allocate(self, nbytes: int) -> tuple[Arena, int]:
        """A block of `nbytes` in some arena; maps a new arena when none has room."""
        self._release_empty_arenas()
        for arena in self.arenas.values():
            offset = arena.allocate(nbytes)
            if offset is not None:
                return arena, offset
        arena = self._map_arena(nbytes)
        offset = arena.allocate(nbytes)
        assert offset is not None
        return arena, offset

    def _map_arena(self, nbytes: int) -> Arena:
        free = [i for i in range(proto.MAX_ARENAS) if i not in self.arenas]
        if not free:
            raise MemoryError(f"all {proto.MAX_ARENAS} shared-memory arenas are in use")
        largest = max((arena.nbytes for arena in self.arenas.values()), default=0)
        size = max(MIN_ARENA_BYTES, 2 * largest, round_up(nbytes, MIN_ARENA_BYTES))
        arena = self._arena_type(free[0], size)
        try:
            _NAME.pack_into(self._mm, _NAME_AT, arena.name.encode())
            self.request(proto.Op.MAP_ARENA, place=(arena.index, 0), arena_bytes=size)
        finally:
            arena.unlink()  # mapped by both (or failed): the name has done its job
        self.arenas[arena.index] = arena
        self.client.attach(arena.index, arena.mm)
        return arena

    def _release_empty_arenas(self) -> None:
        """Unmap arenas whose every block is free, except the largest.

        Arenas double in size, so the largest is the newest; its index is not
        (indices of unmapped arenas are reused). Keeping it by index once unmapped
        the big arena a result had just been freed from, so every large `scale`
        mapped and faulted a fresh one (~90 ms instead of ~7 ms at 1e7)."""
        if len(self.arenas) < 2:
            return
        newest = max(self.arenas, key=lambda index: self.arenas[index].nbytes)
        for index, arena in list(self.arenas.items()):
            arena.collect()
            if index != newest and arena.used_bytes == 0:
                self.client.detach(index)
                self.request(proto.Op.UNMAP_ARENA, place=(index, 0))
                del self.arenas[index]

    # -- the end ---------------------------------------------------------
    def close(self) -> None:
        """Stop the worker politely (kill it if it does not stop) and let go of
        the segments; arrays handed out keep their own mapping alive."""
        if self.worker.alive():
            try:
                self.request(proto.Op.STOP)
                self.worker.stop()
            except (WorkerError, RuntimeError):  # RuntimeError: another thread is in a call
                pass
        self.abandon()

    def abandon(self) -> None:
        """Kill the worker and drop everything; idempotent, never raises."""
        worker = getattr(self, "worker", None)
        if worker is not None:
            worker.kill()
        self.client.release()
        self.arenas.clear()
