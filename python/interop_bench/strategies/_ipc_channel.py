"""The client side of one ib_worker over shared memory: the control segment, the
data arenas, and one request/response exchange.

A call: pack the request fields into the control block (plain stores), then
one ctypes call into libib_shm_client.so publishes the request sequence number
(release) and waits for the response sequence number (acquire): it spins up to
`spin_ns`, then sleeps on a futex in slices of WAIT_SLICE_NS, returning between
slices so that Python can check that the worker lives and deliver Ctrl-C.
Anything unexpected (a dead worker, a wrong sequence number, a status that is
neither ok nor error, an interrupted call) abandons the worker: it is killed,
the strategy is closed, and the next `open()` starts afresh.
"""

from __future__ import annotations

import ctypes
import weakref
from collections.abc import Callable, Sequence

import numpy as np

from interop_bench import native
from interop_bench.strategies import _ipc_protocol as proto
from interop_bench.strategies._ipc_segments import Arena, Segment
from interop_bench.strategies._ipc_worker import WorkerError, WorkerProcess, WorkerRefusedError

CONTROL_BYTES = 4096
# Longest single futex sleep: how late a dead worker or Ctrl-C is noticed.
WAIT_SLICE_NS = 50_000_000
# The first data arena's size; later ones at least double, so growth is rare.
MIN_ARENA_BYTES = 8 << 20

_REQUEST = proto.packer(proto.CONTROL, "op", "arena_bytes")
_REQUEST_AT = proto.offset(proto.CONTROL, "op")
_RESPONSE = proto.packer(proto.CONTROL, "response_seq", "detail")
_RESPONSE_AT = proto.offset(proto.CONTROL, "response_seq")
_HEADER = proto.packer(proto.CONTROL, "magic", "request_seq")
_NAME = proto.packer(proto.CONTROL, "arena_name", "arena_name")
_NAME_AT = proto.offset(proto.CONTROL, "arena_name")
_ERROR = proto.packer(proto.CONTROL, "error_text", "error_text")
_ERROR_AT = proto.offset(proto.CONTROL, "error_text")

# Where an array's bytes are for the worker: (arena index, byte offset).
Place = tuple[int, int]


def _client_library() -> tuple[Callable[..., int], Callable[..., int]]:
    lib = ctypes.CDLL(str(native.shared_library("ib_shm_client")))
    for fn in (lib.ib_shm_call, lib.ib_shm_wait):
        fn.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int64, ctypes.c_int64]
        fn.restype = ctypes.c_int
    return lib.ib_shm_call, lib.ib_shm_wait


def _op_name(op: int) -> str:
    try:
        return proto.Op(op).name.lower()
    except ValueError:
        return f"op {op}"


class ShmChannel:
    def __init__(
        self, spin_ns: int, worker_flags: Sequence[str], on_failure: Callable[[], None]
    ) -> None:
        self._spin_ns = spin_ns
        self._worker_flags = list(worker_flags)
        self._on_failure = on_failure
        self._call, self._wait = _client_library()
        self._seq = 0
        self.detail = 0  # the last response's `detail`
        self.arenas: dict[int, Arena] = {}
        # id(array) -> (weak reference to it, place): the arrays handed out by
        # `new_array`, found without asking NumPy for their address (~2 us).
        self._blocks: dict[int, tuple[weakref.ref[np.ndarray], Place]] = {}
        self._control = Segment(CONTROL_BYTES, "c")
        self._mm = self._control.mm
        self._address = self._control.address
        try:
            _HEADER.pack_into(self._mm, 0, proto.MAGIC, proto.VERSION, 0)
            _RESPONSE.pack_into(self._mm, _RESPONSE_AT, proto.NO_RESPONSE, 0, 0, 0, 0.0, 0)
            flags = [f"--shm={self._control.name}", f"--spin-ns={spin_ns}", *worker_flags]
            self.worker = WorkerProcess(flags)
            self._await(proto.NO_RESPONSE, "start-up")
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
    ) -> float:
        """Send one request and return its `result` (its `detail` is kept in
        self.detail); raise WorkerError if the worker refuses or fails."""
        last = self._seq
        seq = self._seq = (last + 1) & proto.SEQ_MASK
        _REQUEST.pack_into(
            self._mm, _REQUEST_AT, op, place[0], out[0], 0, count, rows, cols, row_stride,
            place[1], out[1], factor, arena_bytes,
        )  # fmt: skip
        try:
            if self._call(self._address, seq, self._spin_ns, WAIT_SLICE_NS):
                self._await(last, _op_name(op))
            got_seq, _, status, _, result, self.detail = _RESPONSE.unpack_from(
                self._mm, _RESPONSE_AT
            )
            if got_seq != seq or status > proto.STATUS_ERROR:
                raise WorkerError(
                    f"ib_worker broke the protocol: answered request {seq} with sequence "
                    f"number {got_seq} and status {status:#x}; it is no longer trusted"
                )
        except BaseException:  # Ctrl-C included: a half-done exchange cannot be resumed
            self._break()
            raise
        if status == proto.STATUS_ERROR:
            message = proto.text(_ERROR.unpack_from(self._mm, _ERROR_AT)[0])
            raise WorkerRefusedError(f"ib_worker refused the request: {message}")
        return float(result)

    def _await(self, last: int, what: str) -> None:
        """Wait until the response sequence number moves past `last`, checking
        between futex slices that the worker lives."""
        while self._wait(self._address, last, 0, WAIT_SLICE_NS):
            if not self.worker.alive():
                raise WorkerError(f"{self.worker.death()} during {what}")

    def _break(self) -> None:
        self.abandon()
        self._on_failure()

    # -- arrays in the arenas ----------------------------------------------
    def new_array(self, shape: tuple[int, ...]) -> np.ndarray:
        """A C-ordered float64 array of `shape` in a data arena (worker-visible)."""
        count = int(np.prod(shape))
        arena, offset = self.allocate(count * 8)
        key: list[int] = []
        array = arena.array(offset, count, on_free=lambda: self._forget(key)).reshape(shape)
        key.append(id(array))
        self._blocks[id(array)] = (weakref.ref(array), (arena.index, offset))
        return array

    def _forget(self, key: list[int]) -> None:
        entry = self._blocks.get(key[0])
        if entry is not None and entry[0]() is None:
            del self._blocks[key[0]]

    def find(self, a: np.ndarray, nbytes: int) -> Place | None:
        """Where `a`'s `nbytes` from its first element live in an arena, if they do."""
        entry = self._blocks.get(id(a))
        if entry is not None and entry[0]() is a:
            return entry[1]
        address = a.__array_interface__["data"][0]
        for arena in self.arenas.values():
            if arena.contains(address, nbytes):
                return arena.index, address - arena.address
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
        size = max(MIN_ARENA_BYTES, 2 * largest, -(-nbytes // MIN_ARENA_BYTES) * MIN_ARENA_BYTES)
        arena = Arena(free[0], size)
        try:
            _NAME.pack_into(self._mm, _NAME_AT, arena.name.encode())
            self.request(proto.Op.MAP_ARENA, place=(arena.index, 0), arena_bytes=size)
        finally:
            arena.unlink()  # mapped by both (or failed): the name has done its job
        self.arenas[arena.index] = arena
        return arena

    def _release_empty_arenas(self) -> None:
        """Unmap arenas whose every block is free, except the newest (largest)."""
        if len(self.arenas) < 2:
            return
        newest = max(self.arenas)
        for index, arena in list(self.arenas.items()):
            arena.collect()
            if index != newest and arena.used_bytes == 0:
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
            except WorkerError:
                pass
        self.abandon()

    def abandon(self) -> None:
        """Kill the worker and drop everything; idempotent, never raises."""
        worker = getattr(self, "worker", None)
        if worker is not None:
            worker.kill()
        self.arenas.clear()
        self._blocks.clear()
