"""Pickle protocol 5 messages over a pipe, for the `pickle5` and `pickle` strategies.

A frame is the in-band pickle and the out-of-band buffers it refers to (PEP 574),
each sent as it is, never joined:

    u32 part_count | u64 length of each part | part 0 (the pickle) | part 1.. (buffers)

all little-endian. The sender hands the parts to one ``os.writev``, so an
array's bytes go from its own memory into the pipe. The receiver reads each
buffer with ``readv`` straight into memory allocated for it (or into a
destination the caller provides, e.g. the array that square changes), then
``pickle.loads(data, buffers=...)`` builds arrays over that memory without
copying it again. Without a buffer_callback the same frame carries one part:
the pickle with the array bytes in-band.

Both ends are this package's own processes; pickle must never read a frame
from anyone else (unpickling runs arbitrary code).
"""

from __future__ import annotations

import os
import pickle
import struct
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

PROTOCOL = 5
_COUNT = struct.Struct("<I")
_LENGTH = struct.Struct("<Q")
# A frame holds the pickle and one buffer per array in it (at most two today).
MAX_PARTS = 16
# No message comes close: a larger length is a broken peer, not an array to allocate.
MAX_PART_BYTES = 1 << 40


class FrameError(RuntimeError):
    """The peer closed the pipe or sent something that is not a frame."""


class PeerClosedError(FrameError):
    """The pipe reached its end: the peer closed it or died."""


class FrameSizes(NamedTuple):
    """What one frame carried: the pickle's own bytes and the out-of-band bytes."""

    in_band_bytes: int
    out_of_band_bytes: int


def dumps(obj: object, out_of_band: bool) -> list[memoryview]:
    """The parts of `obj`'s frame: the pickle, then each out-of-band buffer's raw bytes."""
    if not out_of_band:
        return [memoryview(pickle.dumps(obj, protocol=PROTOCOL))]
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(obj, protocol=PROTOCOL, buffer_callback=buffers.append)
    return [memoryview(data), *(buffer.raw() for buffer in buffers)]


def send(fd: int, parts: Sequence[memoryview]) -> FrameSizes:
    """Write one frame: its header and every part in one writev (more after a partial one)."""
    header = _COUNT.pack(len(parts)) + b"".join(_LENGTH.pack(part.nbytes) for part in parts)
    pending = [memoryview(header), *parts]
    while pending:
        written = os.writev(fd, pending)
        while pending and written >= pending[0].nbytes:
            written -= pending.pop(0).nbytes
        if pending:
            pending[0] = pending[0][written:]
    return FrameSizes(parts[0].nbytes, sum(part.nbytes for part in parts[1:]))


def receive(fd: int, destinations: Sequence[memoryview] = ()) -> tuple[object, FrameSizes]:
    """Read one frame and unpickle it. Buffer i is read into ``destinations[i]`` when
    given (its size must match), else into a new uninitialised array of bytes."""
    (count,) = _COUNT.unpack(_read_new(fd, _COUNT.size))
    if not 1 <= count <= MAX_PARTS:
        raise FrameError(f"a frame of {count} parts (1 to {MAX_PARTS} expected)")
    lengths = [length for (length,) in _LENGTH.iter_unpack(_read_new(fd, _LENGTH.size * count))]
    if max(lengths) > MAX_PART_BYTES:
        raise FrameError(f"a frame part of {max(lengths)} bytes")
    data = _read_new(fd, lengths[0])
    buffers: list[memoryview] = []
    for i, length in enumerate(lengths[1:]):
        into = destinations[i] if i < len(destinations) else _new_bytes(length)
        if into.nbytes != length:
            raise FrameError(f"buffer {i} holds {length} bytes, {into.nbytes} expected")
        _read_into(fd, into)
        buffers.append(into)
    return pickle.loads(data, buffers=buffers), FrameSizes(lengths[0], sum(lengths[1:]))


def _new_bytes(length: int) -> memoryview:
    # np.empty, unlike bytearray(n), does not zero what the pipe overwrites.
    return np.empty(length, dtype=np.uint8).data


def _read_new(fd: int, length: int) -> memoryview:
    into = _new_bytes(length)
    _read_into(fd, into)
    return into


def _read_into(fd: int, into: memoryview) -> None:
    while into.nbytes:
        got = os.readv(fd, [into])
        if not got:
            raise PeerClosedError("the pipe was closed")
        into = into[got:]
