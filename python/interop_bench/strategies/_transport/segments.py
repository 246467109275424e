"""Named shared-memory segments and the arenas that hold arrays in them.

Ownership: this process creates every segment (``os.open`` with O_CREAT|O_EXCL
in /dev/shm, name = prefix + pid + random suffix) and unlinks its name as soon
as the worker has mapped it, so a segment has no name at all while calls run
and nothing can leak, even on SIGKILL of either process. The memory lives as
long as a mapping does: arrays handed out keep their mapping alive (a NumPy
array made with ``np.frombuffer`` holds a buffer export on the mmap), so an
array from `empty` stays valid after the strategy closed.
`multiprocessing.shared_memory` is not used for the `shm` strategies: before
Python 3.13 its resource tracker unlinks segments at exit and warns about
"leaks" it caused itself. `mp-shm` measures it all the same (StdlibArena),
unlinking each name as soon as the worker has mapped it.
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import os
import secrets
import weakref
from multiprocessing import shared_memory
from pathlib import Path
from typing import cast

import numpy as np

from interop_bench.strategies._transport.protocol import SEGMENT_PREFIX
from interop_bench.strategies.base import round_up

SHM_DIR = Path("/dev/shm")
# Blocks start on a cache line, so that no two arrays share one and the kernels
# see aligned data.
ALIGN_BYTES = 64
FLOAT64 = np.dtype(np.float64)


def segment_name(kind: str) -> str:
    """A fresh name: the prefix, this pid, a random part, and what it holds."""
    return f"{SEGMENT_PREFIX}{os.getpid()}_{secrets.token_hex(6)}_{kind}"


def leftover_segments(pid: int | None = None) -> list[str]:
    """Names of this project's segments still in /dev/shm (of `pid`, if given)."""
    prefix = SEGMENT_PREFIX if pid is None else f"{SEGMENT_PREFIX}{pid}_"
    return sorted(path.name for path in SHM_DIR.glob(f"{prefix}*"))


class Segment:
    """A new named segment of `nbytes`, mapped read-write into this process."""

    def __init__(self, nbytes: int, kind: str) -> None:
        self.name = segment_name(kind)
        self.nbytes = nbytes
        self.mm = self._create()
        self.view = memoryview(self.mm)
        self.address = ctypes.addressof(ctypes.c_char.from_buffer(self.mm))

    def _create(self) -> mmap.mmap | memoryview:
        """Make the segment `name` of `nbytes` and map it: writable memory."""
        fd = os.open(SHM_DIR / self.name, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            os.ftruncate(fd, self.nbytes)
            return mmap.mmap(fd, self.nbytes)
        except BaseException:
            self.unlink()
            raise
        finally:
            os.close(fd)

    def unlink(self) -> None:
        """Remove the name (the memory stays while mapped). Idempotent."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(SHM_DIR / self.name)


class Arena(Segment):
    """A data segment the worker maps as arena `index`, with a first-fit allocator."""

    def __init__(self, index: int, nbytes: int) -> None:
        super().__init__(nbytes, f"a{index}")
        self.index = index
        self._free: list[tuple[int, int]] = [(0, nbytes)]  # (offset, size), by offset
        # Blocks freed by finalizers, which may run at any bytecode: they only
        # append here, and `allocate` folds them into `_free`.
        self._pending: list[tuple[int, int]] = []
        # The blocks handed out: id of a weak reference to the memoryview that
        # each array (and every view of it) holds -> (the reference, offset,
        # bytes). Cheaper than weakref.finalize; keyed by id because a writable
        # memoryview (hence a reference to it) cannot be hashed.
        self._live: dict[int, tuple[weakref.ref[memoryview], int, int]] = {}
        self.used_bytes = 0

    def allocate(self, nbytes: int) -> int | None:
        """Offset of a new block of at least `nbytes`, or None if none fits."""
        self.collect()
        size = round_up(max(nbytes, 1), ALIGN_BYTES)
        for i, (offset, free_size) in enumerate(self._free):
            if free_size >= size:
                if free_size == size:
                    del self._free[i]
                else:
                    self._free[i] = (offset + size, free_size - size)
                self.used_bytes += size
                return offset
        return None

    def release_later(self, offset: int, nbytes: int) -> None:
        size = round_up(max(nbytes, 1), ALIGN_BYTES)
        self._pending.append((offset, size))

    def collect(self) -> None:
        """Return the blocks freed since the last call to the free list, merged."""
        if not self._pending:
            return
        while self._pending:
            offset, size = self._pending.pop()
            self.used_bytes -= size
            self._free.append((offset, size))
        self._free.sort()
        merged: list[tuple[int, int]] = []
        for offset, size in self._free:
            if merged and merged[-1][0] + merged[-1][1] == offset:
                merged[-1] = (merged[-1][0], merged[-1][1] + size)
            else:
                merged.append((offset, size))
        self._free = merged

    def array(self, offset: int, count: int, dtype: np.dtype = FLOAT64) -> np.ndarray:
        """An array of `count` elements of `dtype` at `offset`, whose block returns
        to the allocator when the array and every view of it are gone."""
        nbytes = count * dtype.itemsize
        array = np.frombuffer(self.view[offset : offset + nbytes], dtype=dtype)
        # NumPy keeps its own memoryview as the base of the array and of every
        # view of it: the block is free when that object dies.
        base = cast(memoryview, array.base)  # frombuffer's own memoryview of our slice
        ref = weakref.ref(base, self._released)
        self._live[id(ref)] = (ref, offset, nbytes)
        return array

    def _released(self, ref: weakref.ref[memoryview]) -> None:
        _, offset, nbytes = self._live.pop(id(ref))
        self.release_later(offset, nbytes)


class _SharedMemory(shared_memory.SharedMemory):
    """The standard library's segment, closed at collection only once no array
    uses its memory (SharedMemory.close raises BufferError while one does; the
    mapping then goes with the last array)."""

    def __del__(self) -> None:
        with contextlib.suppress(BufferError, OSError):
            self.close()


class StdlibArena(Arena):
    """An arena made by `multiprocessing.shared_memory.SharedMemory`, as its
    documentation shows, under this project's name (the worker opens only those).
    Its name is unlinked once the worker has mapped it, as every segment's is:
    SharedMemory.unlink also tells the resource tracker, so it neither warns
    about a leak nor unlinks anything at exit, and a SIGKILL leaves nothing."""

    def _create(self) -> memoryview:
        self._unlinked = False
        self._shared = _SharedMemory(name=self.name, create=True, size=self.nbytes)
        buffer = self._shared.buf
        assert buffer is not None  # a SharedMemory just made is open
        return buffer

    def unlink(self) -> None:
        """Remove the name, once: a second SharedMemory.unlink would raise, and
        tell the resource tracker of a name it no longer has."""
        if not self._unlinked:
            self._unlinked = True
            with contextlib.suppress(FileNotFoundError):
                self._shared.unlink()
