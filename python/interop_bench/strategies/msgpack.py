"""`msgpack` and `msgpack-list`: the array in a MessagePack message, the `msgpack`
package in Python, msgpack-c++ in C++ (strategies/msgpack/msgpack_codec.hpp).

Request ``{"op": "sum", "shape": [n], "dtype": "int16", "data": ..., "k": 3}``
(k for scale only; matrix_sum sends [rows, cols] and the row-major values,
frame [height, width] and the image's rows packed), reply ``{"value": x}`` (an
integer for integer dtypes) or ``{"dtype": "int16", "data": ...}``, through the
serialization bridge that json and flatbuffers cross (see _serialization.py).
The C++ side runs the kernel of the dtype the message names.

msgpack: "data" is one ``bin`` holding the values' little-endian bytes, the
dtype tag saying what they are. Python packs the array's bytes (copied once,
into a Packer whose buffer is sized up front so that it never grows, and
passed as a memoryview of that buffer); C++ copies the bin once into aligned
values (MessagePack does not align it), runs the kernel, and writes square's,
scale's and frame's results straight into the reply's bin; Python unpacks it
(``unpackb`` copies a bin into a bytes object) and views it with
``np.frombuffer``, so scale's and frame's results are read-only arrays. NaN
and Inf travel unchanged. Per byte: a uint8 costs an eighth of a float64.

msgpack-list: "data" is an array of numbers, what ``packb(a.tolist())`` gives:
every value becomes a Python int (integer dtypes, packed in as few bytes as
its value needs) or float (a 9-byte MessagePack float64, float32 too), a
msgpack::object on the C++ side, and a Python number again on the way back.
Per element: a uint8 costs about what a float64 costs.
"""

from __future__ import annotations

from typing import Any

import msgpack  # the PyPI package (imports are absolute: not this module)
import numpy as np

from interop_bench.strategies._serialization import (
    Message,
    SerializationStrategy,
    check_reply_dtype,
    request_fields,
)

# Room for the map, its keys, the shape, the dtype and k around the values, so
# that the Packer's buffer never grows (a growth copies everything packed so far).
HEADER_BYTES = 128
# A MessagePack float64 (what a Python float packs as) is a type byte and 8 bytes.
FLOAT_BYTES = 9


def list_bytes_per_value(dtype: np.dtype) -> int:
    """The most a value of `dtype` takes in a packed list: a float64, or a type
    byte and at most the integer's own width."""
    return FLOAT_BYTES if dtype.kind == "f" else 1 + dtype.itemsize


def reply_fields(reply: bytearray, key: str) -> dict[str, Any]:
    """The reply's map, which must hold `key`."""
    fields = msgpack.unpackb(reply)
    if not isinstance(fields, dict) or key not in fields:
        raise ValueError(f"msgpack: the reply holds no {key!r}")
    return fields


def reply_field(reply: bytearray, key: str) -> Any:
    return reply_fields(reply, key)[key]


class MsgpackStrategy(SerializationStrategy):
    name = "msgpack"
    sources = (
        "strategies/msgpack/ib_msgpack.cpp",
        "strategies/msgpack/msgpack_codec.cpp",
        "strategies/_serialization_bridge/bridge/python_call.hpp",
    )
    packages = ("msgpack", "msgpackc-cxx")
    description = (
        "MessagePack message: values as one bin of their bytes + a dtype tag "
        "(msgpack / msgpack-c++)"
    )
    copies_note = (
        "encode: the array's bytes into a presized Packer buffer; native: bin -> aligned "
        "values, result written into the reply's bin, reply -> bytearray; decode: unpackb "
        "copies the bin into bytes, np.frombuffer views it (scale's and frame's results are "
        "read-only; square copies it into the caller's array); a padded or cropped frame's "
        "rows are packed first"
    )
    extension_name = "ib_msgpack"

    def _encode(self, request: Message) -> object:
        packer = msgpack.Packer(autoreset=False, buf_size=request.data.nbytes + HEADER_BYTES)
        # A memoryview, of any format, packs as one bin of its bytes.
        packer.pack(request_fields(request, request.data.data))
        return packer.getbuffer()

    def _decode_value(self, reply: bytearray) -> float | int:
        value: float | int = reply_field(reply, "value")
        return value

    def _decode_array(self, reply: bytearray, request: Message) -> np.ndarray:
        fields = reply_fields(reply, "data")
        dtype = check_reply_dtype(fields.get("dtype"), request, self.name).newbyteorder("<")
        data = fields["data"]
        if not isinstance(data, bytes) or len(data) % dtype.itemsize:
            raise ValueError(f"msgpack: the reply's data is not a bin of {dtype.name} bytes")
        return np.frombuffer(data, dtype=dtype)


class MsgpackListStrategy(MsgpackStrategy):
    name = "msgpack-list"
    sources = (
        "strategies/msgpack/ib_msgpack_list.cpp",
        "strategies/msgpack/msgpack_codec.cpp",
        "strategies/_serialization_bridge/bridge/python_call.hpp",
    )
    description = "MessagePack message: values as an array of numbers, packb(a.tolist())"
    copies_note = (
        "encode: a.tolist() + a MessagePack number each (a 9-byte float, or an integer in "
        "1 to 5 bytes); native: one msgpack::object each, then a std::vector of the dtype; "
        "reply packed value by value -> bytearray; decode: unpackb -> list -> np.array; a "
        "padded or cropped frame's rows are packed first"
    )
    extension_name = "ib_msgpack_list"

    def _encode(self, request: Message) -> object:
        size = request.data.size * list_bytes_per_value(request.data.dtype) + HEADER_BYTES
        packer = msgpack.Packer(autoreset=False, buf_size=size)
        packer.pack(request_fields(request, request.data.tolist()))
        return packer.getbuffer()

    def _decode_array(self, reply: bytearray, request: Message) -> np.ndarray:
        fields = reply_fields(reply, "data")
        dtype = check_reply_dtype(fields.get("dtype"), request, self.name)
        if not isinstance(fields["data"], list):
            raise ValueError("msgpack: the reply's data is not an array")
        return np.array(fields["data"], dtype=dtype)
