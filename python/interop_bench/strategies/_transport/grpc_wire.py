"""The protobuf wire format of strategies/grpc/grpc_array.proto, written and read
here instead of through protobuf message objects: a request is its few fields
followed by the array as field 15 (`data`), joined into the one bytes object
grpcio sends (one copy of the array); an answer is walked field by field, and
its `data` is a view into the bytes grpcio received (no copy). Every length in
an answer comes from the network: each is checked against what is left."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from interop_bench.strategies._transport.worker import WorkerError

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5
_DOUBLE = struct.Struct("<d")
_MAX_VARINT_BYTES = 10
# Request's fields, as grpc_array.proto numbers them.
_OP, _COUNT, _ROWS, _COLS, _FACTOR, _PAYLOAD_BYTES, _DTYPE, _ROW_STRIDE, _SEQ, _DATA = (
    1, 2, 3, 4, 5, 6, 7, 8, 9, 15,
)  # fmt: skip
# Answer's, and HelloReply's.
_ANSWER_DATA, _RESULT, _DETAIL, _INTEGER_RESULT, _ANSWER_SEQ = 1, 2, 3, 4, 5
_SESSION_NONCE, _PROOF = 1, 2


def varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return varint(field << 3 | wire_type)


def call_fields(
    op: int,
    count: int,
    *,
    rows: int = 0,
    cols: int = 0,
    factor: float = 0.0,
    payload_bytes: int = 0,
    dtype: int = 0,
    row_stride: int = 0,
    seq: int = 0,
) -> bytes:
    """A Request's fields other than data (zeros left out, as protobuf does);
    `dtype` is a dtype code (protocol.DTYPE_CODES), `seq` a Frames call's request number."""
    parts = [_key(_OP, _VARINT) + varint(op)]
    for field, value in ((_COUNT, count), (_ROWS, rows), (_COLS, cols),
                         (_PAYLOAD_BYTES, payload_bytes), (_DTYPE, dtype),
                         (_ROW_STRIDE, row_stride), (_SEQ, seq)):  # fmt: skip
        if value:
            parts.append(_key(field, _VARINT) + varint(value))
    if factor:
        parts.append(_key(_FACTOR, _FIXED64) + _DOUBLE.pack(factor))
    return b"".join(parts)


def data_prefix(size: int) -> bytes:
    """What precedes `size` bytes of a Request's data field."""
    return _key(_DATA, _LENGTH) + varint(size)


def hello_request(client_nonce: bytes) -> bytes:
    return _key(1, _LENGTH) + varint(len(client_nonce)) + client_nonce


@dataclass
class Answer:
    data: memoryview
    result: float = 0.0  # a float dtype's sum
    detail: int = 0
    integer_result: int = 0  # an integer dtype's sum: its 64 bits (int64, uint64 for uint8)
    seq: int = 0  # in a Frames call: the number of the request it answers


def _read_varint(buffer: memoryview, at: int) -> tuple[int, int]:
    value = 0
    for shift in range(0, 7 * _MAX_VARINT_BYTES, 7):
        if at >= len(buffer):
            break
        byte = buffer[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
    raise WorkerError("the peer broke the protocol: a truncated or overlong varint")


def fields(message: bytes | memoryview) -> dict[int, int | memoryview]:
    """Field number -> value (int, or a view of the bytes) of a message; the last
    of a repeated field wins, as protobuf's parse does."""
    buffer = memoryview(message).cast("B")
    found: dict[int, int | memoryview] = {}
    at = 0
    while at < len(buffer):
        key, at = _read_varint(buffer, at)
        field, wire_type = key >> 3, key & 7
        if wire_type == _VARINT:
            found[field], at = _read_varint(buffer, at)
            continue
        size = {_FIXED64: 8, _FIXED32: 4}.get(wire_type)
        if wire_type == _LENGTH:
            size, at = _read_varint(buffer, at)
        if size is None or field == 0 or size > len(buffer) - at:
            raise WorkerError(
                f"the peer broke the protocol: field {field} of wire type {wire_type} "
                f"and {size} bytes at byte {at} of a {len(buffer)}-byte message"
            )
        found[field] = buffer[at : at + size]
        at += size
    return found


def answer(message: bytes | memoryview) -> Answer:
    """An Answer's fields; WorkerError when a field has the wrong type."""
    found = fields(message)
    data, result, detail, integer_result, seq = (
        found.get(_ANSWER_DATA, b""),
        found.get(_RESULT, b""),
        found.get(_DETAIL, 0),
        found.get(_INTEGER_RESULT, 0),
        found.get(_ANSWER_SEQ, 0),
    )
    if (
        not isinstance(data, memoryview | bytes)
        or not isinstance(detail, int)
        or not isinstance(integer_result, int)
        or not isinstance(seq, int)
        or integer_result >> 64
    ):
        raise WorkerError(
            "the peer broke the protocol: an Answer's data, detail, integer result or "
            "sequence number has the wrong type"
        )
    if isinstance(result, int) or len(result) not in (0, 8):
        raise WorkerError("the peer broke the protocol: an Answer's result is not a double")
    value = _DOUBLE.unpack(result)[0] if len(result) else 0.0
    return Answer(memoryview(data), value, detail, integer_result, seq)


def hello_reply(message: bytes) -> tuple[bytes, bytes]:
    """A HelloReply's session nonce and proof."""
    found = fields(message)
    nonce, proof = found.get(_SESSION_NONCE, b""), found.get(_PROOF, b"")
    if isinstance(nonce, int) or isinstance(proof, int):
        raise WorkerError("the peer broke the protocol: a HelloReply's fields have the wrong type")
    return bytes(nonce), bytes(proof)
