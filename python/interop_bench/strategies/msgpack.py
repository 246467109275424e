"""`msgpack` and `msgpack-list`: the array in a MessagePack message, the `msgpack`
package in Python, msgpack-c++ in C++ (strategies/msgpack/msgpack_codec.hpp).

Request ``{"op": "sum", "shape": [n], "data": ..., "k": 2.0}`` (k for scale
only; matrix_sum sends [rows, cols] and the row-major values), reply
``{"value": x}`` or ``{"data": ...}``, through the serialization bridge that
json and flatbuffers cross (see _serialization.py).

msgpack: "data" is one ``bin`` holding the little-endian float64 bytes. Python
packs the array's memoryview (the bytes are copied once, into a Packer whose
buffer is sized up front so that it never grows, and passed as a memoryview of
that buffer); C++ copies the bin once into aligned doubles (MessagePack does
not align it), runs the kernel, and writes square's and scale's results
straight into the reply's bin; Python unpacks it (``unpackb`` copies a bin into
a bytes object) and views it with ``np.frombuffer``, so scale's result is a
read-only array. NaN and Inf travel unchanged.

msgpack-list: "data" is an array of float64 values, what ``packb(a.tolist())``
gives: every value becomes a Python float, a 9-byte MessagePack float, a
msgpack::object on the C++ side, and a Python float again on the way back.
"""

from __future__ import annotations

from typing import Any

import msgpack  # the PyPI package (imports are absolute: not this module)
import numpy as np

from interop_bench.strategies._serialization import Message, SerializationStrategy, request_fields

# Room for the map, its keys, the shape and k around the values, so that the
# Packer's buffer never grows (a growth copies everything packed so far).
HEADER_BYTES = 128
# A MessagePack float64 is a type byte and 8 bytes.
LIST_BYTES_PER_VALUE = 9
FLOAT64_LE = np.dtype("<f8")


def reply_field(reply: bytearray, key: str) -> Any:
    fields = msgpack.unpackb(reply)
    if not isinstance(fields, dict) or key not in fields:
        raise ValueError(f"msgpack: the reply holds no {key!r}")
    return fields[key]


class MsgpackStrategy(SerializationStrategy):
    name = "msgpack"
    sources = (
        "strategies/msgpack/ib_msgpack.cpp",
        "strategies/msgpack/msgpack_codec.cpp",
        "strategies/_serialization_bridge/bridge/python_call.hpp",
    )
    packages = ("msgpack", "msgpackc-cxx")
    description = "MessagePack message: values as one bin of float64 bytes (msgpack / msgpack-c++)"
    copies_note = (
        "encode: the array's bytes into a presized Packer buffer; native: bin -> aligned "
        "doubles, result written into the reply's bin, reply -> bytearray; decode: unpackb "
        "copies the bin into bytes, np.frombuffer views it (scale's result is read-only; "
        "square copies it into the caller's array)"
    )
    extension_name = "ib_msgpack"

    def _encode(self, request: Message) -> object:
        packer = msgpack.Packer(autoreset=False, buf_size=request.data.nbytes + HEADER_BYTES)
        packer.pack(request_fields(request, request.data.data))  # a memoryview packs as bin
        return packer.getbuffer()

    def _decode_value(self, reply: bytearray) -> float:
        return float(reply_field(reply, "value"))

    def _decode_array(self, reply: bytearray) -> np.ndarray:
        data = reply_field(reply, "data")
        if not isinstance(data, bytes) or len(data) % FLOAT64_LE.itemsize:
            raise ValueError("msgpack: the reply's data is not a bin of float64 bytes")
        return np.frombuffer(data, dtype=FLOAT64_LE)


class MsgpackListStrategy(MsgpackStrategy):
    name = "msgpack-list"
    sources = (
        "strategies/msgpack/ib_msgpack_list.cpp",
        "strategies/msgpack/msgpack_codec.cpp",
        "strategies/_serialization_bridge/bridge/python_call.hpp",
    )
    description = "MessagePack message: values as an array of floats, packb(a.tolist())"
    copies_note = (
        "encode: a.tolist() + a 9-byte float each; native: one msgpack::object each, then "
        "std::vector<double>; reply packed float by float -> bytearray; decode: unpackb -> "
        "list -> np.array"
    )
    extension_name = "ib_msgpack_list"

    def _encode(self, request: Message) -> object:
        size = request.data.size * LIST_BYTES_PER_VALUE + HEADER_BYTES
        packer = msgpack.Packer(autoreset=False, buf_size=size)
        packer.pack(request_fields(request, request.data.tolist()))
        return packer.getbuffer()

    def _decode_array(self, reply: bytearray) -> np.ndarray:
        data = reply_field(reply, "data")
        if not isinstance(data, list):
            raise ValueError("msgpack: the reply's data is not an array")
        return np.array(data, dtype=np.float64)
