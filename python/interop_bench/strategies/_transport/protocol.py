"""The Python mirror of strategies/_ipc_core/protocol.hpp: constants, ops and the byte
layout of the shared control block and of the pipe frames.

The layouts are NumPy structured dtypes with explicit offsets (readable, and
what the layout test compares with `ib_worker --print-layout`); the hot paths
use `struct.Struct`s derived from them, so that one call packs or unpacks a
whole run of fields.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Sequence

import numpy as np

from interop_bench import ops

MAGIC = 0x48534249  # the bytes "IBSH"
VERSION = 2  # 2: dtype codes, the frame op, exact integer sums
NAME_BYTES = 64
ERROR_TEXT_BYTES = 200
MAX_ARENAS = 32
NO_RESPONSE = 0xFFFFFFFF  # response_seq before the worker's handshake
SEGMENT_PREFIX = "ib_shm_"
STATUS_OK = 0
STATUS_ERROR = 1
SEQ_MASK = 0xFFFFFFFF  # sequence numbers are 32-bit futex words and wrap


class Op(enum.IntEnum):
    SUM = 1
    SQUARE = 2
    MATRIX_SUM = 3
    SCALE = 4
    PROBE = 5
    MAP_ARENA = 6
    UNMAP_ARENA = 7
    STOP = 8
    FRAME = 9  # H x W RGB pixels (uint8, rows `row_stride` bytes apart) to gray


# The element type of a request's arrays: dtype.hpp's wire code is the dtype's
# place in ops.DTYPES (0 is float64; test_ipc.py checks them against the C++
# enum). A frame's dtype is uint8 (its arrays are bytes).
DTYPE_CODES: dict[str, int] = {name: code for code, name in enumerate(ops.DTYPES)}
FRAME_DTYPE_CODE = DTYPE_CODES["uint8"]
# By NumPy dtype: a lookup by `a.dtype` is some 50 ns, by `a.dtype.name` microseconds.
_CODE_OF_DTYPE = {np.dtype(name): code for name, code in DTYPE_CODES.items()}


def dtype_code(a: np.ndarray) -> int:
    """The dtype code of an array already validated (its dtype one of DTYPE_CODES)."""
    return _CODE_OF_DTYPE[a.dtype]


def result_of(dtype_code: int, result: float, integer_result: int) -> float | int:
    """A sum as the response carries it (`result` for the float dtypes, the
    64 bits of `integer_result` for the integer ones: int64, uint64 for uint8)
    as the Python number a strategy returns."""
    if dtype_code <= DTYPE_CODES["float32"]:
        return result
    if dtype_code == DTYPE_CODES["uint8"]:
        return integer_result
    return integer_result - (1 << 64) if integer_result >> 63 else integer_result


def _layout(itemsize: int, fields: Sequence[tuple[str, str, int]]) -> np.dtype:
    names, formats, offsets = zip(*fields, strict=True)
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": itemsize})


U32, U64, F64 = "<u4", "<u8", "<f8"

CONTROL = _layout(
    448,
    [
        # request: written by the client (one cache line from offset 0)
        ("magic", U32, 0),
        ("version", U32, 4),
        ("request_seq", U32, 8),
        ("worker_waiting", U32, 12),
        ("op", U32, 16),
        ("in_arena", U32, 20),
        ("out_arena", U32, 24),
        ("dtype", U32, 28),
        ("count", U64, 32),
        ("rows", U64, 40),
        ("cols", U64, 48),
        ("row_stride", U64, 56),
        ("in_offset", U64, 64),
        ("out_offset", U64, 72),
        ("factor", F64, 80),
        ("arena_bytes", U64, 88),
        ("arena_name", f"S{NAME_BYTES}", 96),
        # response: written by the worker (its own cache line)
        ("response_seq", U32, 192),
        ("client_waiting", U32, 196),
        ("status", U32, 200),
        ("reserved1", U32, 204),
        ("result", F64, 208),
        ("detail", U64, 216),
        ("integer_result", U64, 224),
        ("error_text", f"S{ERROR_TEXT_BYTES}", 232),
    ],
)

PIPE_REQUEST = _layout(
    72,
    [
        ("magic", U32, 0),
        ("version", U32, 4),
        ("seq", U32, 8),
        ("op", U32, 12),
        ("count", U64, 16),
        ("rows", U64, 24),
        ("cols", U64, 32),
        ("factor", F64, 40),
        ("payload_bytes", U64, 48),
        ("dtype", U32, 56),
        ("reserved", U32, 60),
        ("row_stride", U64, 64),  # elements (a frame's: bytes) between row starts; 0: packed
    ],
)

PIPE_RESPONSE = _layout(
    248,
    [
        ("magic", U32, 0),
        ("seq", U32, 4),
        ("status", U32, 8),
        ("reserved", U32, 12),
        ("result", F64, 16),
        ("detail", U64, 24),
        ("payload_bytes", U64, 32),
        ("integer_result", U64, 40),
        ("error_text", f"S{ERROR_TEXT_BYTES}", 48),
    ],
)

_STRUCT_CODES = {"u4": "I", "u8": "Q", "f8": "d"}


def packer(layout: np.dtype, first: str, last: str) -> struct.Struct:
    """A Struct over the fields `first`..`last` of `layout` (in offset order), with
    the padding between them; use it at `offset(layout, first)`."""
    fields = layout.fields
    assert fields is not None, "a structured dtype"
    names = sorted(fields, key=lambda name: fields[name][1])
    chosen = names[names.index(first) : names.index(last) + 1]
    codes, position = ["<"], offset(layout, first)
    for name in chosen:
        field_type, field_offset = fields[name][:2]
        codes.append("x" * (field_offset - position))
        kind = f"{field_type.kind}{field_type.itemsize}"
        codes.append(f"{field_type.itemsize}s" if field_type.kind == "S" else _STRUCT_CODES[kind])
        position = field_offset + field_type.itemsize
    return struct.Struct("".join(codes))


def offset(layout: np.dtype, name: str) -> int:
    fields = layout.fields
    assert fields is not None, "a structured dtype"
    return int(fields[name][1])


def text(raw: bytes) -> str:
    """A NUL-terminated C string from a fixed-size field."""
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


# -- the network peer's handshake (strategies/_net_peer/peer_auth.cpp) --------------
PEER_MAGIC = 0x504E4249  # the bytes "IBNP"
PEER_VERSION = 1
NONCE_BYTES = 32
MAC_BYTES = 32  # HMAC-SHA256
PEER_CLIENT_LABEL = b"interop-bench peer v1 client"
PEER_SERVER_LABEL = b"interop-bench peer v1 server"

PEER_HELLO = _layout(40, [("magic", U32, 0), ("version", U32, 4), ("nonce", f"S{NONCE_BYTES}", 8)])

PEER_PROOF = _layout(
    72,
    [
        ("magic", U32, 0),
        ("version", U32, 4),
        ("nonce", f"S{NONCE_BYTES}", 8),
        ("mac", f"S{MAC_BYTES}", 40),
    ],
)

PEER_VERDICT = _layout(40, [("magic", U32, 0), ("status", U32, 4), ("mac", f"S{MAC_BYTES}", 8)])
