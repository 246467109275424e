"""`protobuf` and `protobuf-packed`: the array in a protobuf message
(strategies/protobuf/protobuf_array.proto), PyPI's `protobuf` in Python, Debian's
libprotobuf in C++, through the serialization bridge that json, flatbuffers
and msgpack cross (see _serialization.py).

protobuf: ``Request.data`` is one ``bytes`` field holding the array's
little-endian bytes and ``Request.dtype`` its element type, the usual recipe
for an array (protobuf issues #880, #10930): ``data=a.tobytes()`` (a copy;
the runtime copies it again into the message, and ``SerializeToString`` once
more into the bytes sent; a padded or cropped frame is packed before). C++
parses it under limits into a std::string (a copy) and reads the values there
in place as their dtype, runs the kernel of that type writing square's,
scale's and frame's results straight into the reply's bytes field, and
returns the reply as a bytearray; Python parses it (upb copies the field into
the message's arena, and reading ``reply.data`` copies it again into a new
bytes object, at every access) and views it with ``np.frombuffer``, so
scale's and frame's results are read-only.

protobuf-packed: the values go into the packed repeated field of their type
(``double``, ``float``, ``int32``; protobuf has no 8- or 16-bit type, so
``sint32`` for int16 and ``uint32`` for uint8, as a .proto author writes them;
a frame's pixels as uint32 too), filled as users write it,
``msg.values.extend(a)``, and read back with ``np.array(reply.values)``:
every value becomes a Python number on the way in and on the way out. For
float64 and float32 the wire and C++ (a RepeatedField, read in place) cost
what the bytes field does: the difference is Python's. Integers travel as
varints (a negative int32 takes 10 bytes), which C++ decodes into a
RepeatedField (int32: read in place; int16 and uint8: range-checked into an
array of their own type) and encodes again for the reply.

A sum comes back as a double for float arrays, as NumPy's exact int64
(``int_value``) or uint64 (``uint_value``) for integer ones; scale's factor
travels as ``k`` (a double) for float arrays and ``int_k`` (an sint64) for
integer ones.

The Python module is generated at build time by grpcio-tools' protoc into
``interop_bench._native.pb`` (its gencode is checked against the runtime on
import). Which backend of the runtime runs (upb, the C extension, unless
PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION says otherwise) is recorded as each
strategy's ``backend``. NaN and Inf travel as IEEE 754 doubles, unchanged.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
from google.protobuf.internal import api_implementation  # the PyPI runtime

from interop_bench import native, ops
from interop_bench.strategies._serialization import Message, SerializationStrategy

# enum Op and enum DType of the .proto (DType's codes are ops.DTYPES' order).
OP_CODES = {"sum": 1, "square": 2, "matrix_sum": 3, "scale": 4, "frame": 5}
DTYPE_CODES: dict[ops.DType, int] = {dtype: code for code, dtype in enumerate(ops.DTYPES)}
# PackedRequest's and PackedReply's field of each dtype's values.
PACKED_FIELDS: dict[ops.DType, str] = {
    "float64": "values",
    "float32": "float32_values",
    "int32": "int32_values",
    "int16": "int16_values",
    "uint8": "uint8_values",
}
# The same by np.dtype, for replies: ndarray.dtype.name is a slow Python property in NumPy 2.
REPLY_FIELDS = {np.dtype(dtype): field for dtype, field in PACKED_FIELDS.items()}
# The fields of a sum, by NumPy's sum type (double, int64, uint64): the one set says which.
SUM_FIELDS = ("value", "int_value", "uint_value")


def runtime_backend() -> str:
    """The protobuf runtime's implementation in this process: "upb", "cpp" or "python"."""
    return str(api_implementation.Type())


def factor_field(k: float | int) -> str:
    """The Request field of scale's factor: k for a float, int_k for an integer."""
    return "k" if isinstance(k, float) else "int_k"


def sum_of(parsed: Any) -> float | int:
    """The sum a Reply or PackedReply holds (a float or an int), or a ValueError."""
    for field in SUM_FIELDS:
        if parsed.HasField(field):
            return getattr(parsed, field)  # type: ignore[no-any-return]
    raise ValueError("protobuf: the reply holds no value")


class ProtobufStrategy(SerializationStrategy):
    name = "protobuf"
    sources = (
        "strategies/protobuf/ib_protobuf.cpp",
        "strategies/protobuf/protobuf_codec.cpp",
        "strategies/protobuf/protobuf_array.proto",
        "strategies/_serialization_bridge/bridge/python_call.hpp",
    )
    packages = ("protobuf", "libprotobuf")
    backend = runtime_backend()
    description = (
        "protobuf message: values as one bytes field + a dtype code, a.tobytes() -> np.frombuffer"
    )
    copies_note = (
        "encode: tobytes() (a padded or cropped frame packed first) + into the message + "
        "SerializeToString; "
        "native: the parser copies the bytes field into a std::string, read there in place, "
        "result written into the reply's bytes field, reply -> bytearray; decode: parsed into "
        "the message, reading the field copies it into bytes, np.frombuffer views it (scale's "
        "and frame's results are read-only; square copies it into the caller's array)"
    )
    extension_name = "ib_protobuf"

    def _open(self) -> None:
        super()._open()
        self._messages: ModuleType = native.extension("pb.protobuf_array_pb2")

    def _encode(self, request: Message) -> object:
        encoded = self._messages.Request(
            op=OP_CODES[request.op], shape=request.shape, data=request.data.tobytes()
        )
        if request.dtype != "float64":  # the default: a float64 message carries no dtype field
            encoded.dtype = DTYPE_CODES[request.dtype]
        if request.k is not None:
            setattr(encoded, factor_field(request.k), request.k)
        return encoded.SerializeToString()

    def _reply(self, reply: bytearray, answer: str) -> Any:
        parsed = self._messages.Reply.FromString(reply)
        if parsed.WhichOneof("answer") != answer:
            raise ValueError(f"protobuf: the reply holds no {answer}")
        return parsed

    def _decode_value(self, reply: bytearray) -> float | int:
        return sum_of(self._messages.Reply.FromString(reply))

    def _decode_array(self, reply: bytearray, request: Message) -> np.ndarray:
        data = self._reply(reply, "data").data
        dtype = request.result_dtype  # little-endian: the machines measured are
        if len(data) % dtype.itemsize:
            raise ValueError(f"protobuf: the reply's data is not a whole number of {dtype} values")
        return np.frombuffer(data, dtype=dtype)


class ProtobufPackedStrategy(ProtobufStrategy):
    name = "protobuf-packed"
    sources = (
        "strategies/protobuf/ib_protobuf_packed.cpp",
        "strategies/protobuf/protobuf_codec.cpp",
        "strategies/protobuf/protobuf_array.proto",
        "strategies/_serialization_bridge/bridge/python_call.hpp",
    )
    description = (
        "protobuf message: values as the packed repeated field of their type "
        "(double, float, int32, sint32 for int16, uint32 for uint8), values.extend(a)"
    )
    copies_note = (
        "encode: values.extend(a) (a frame's pixels, rows packed), one Python "
        "number each, + SerializeToString; native: the parser copies the packed values into a "
        "RepeatedField (float64, float32, int32: read there in place; int16, uint8: "
        "range-checked into an array of their type), float results written into the reply's "
        "packed field, integer ones encoded into it as varints, reply -> bytearray; decode: "
        "parsed into the message, np.array(reply.<field>), one Python number each"
    )
    extension_name = "ib_protobuf_packed"

    def _encode(self, request: Message) -> object:
        encoded = self._messages.PackedRequest(op=OP_CODES[request.op], shape=request.shape)
        if request.dtype != "float64":
            encoded.dtype = DTYPE_CODES[request.dtype]
        getattr(encoded, PACKED_FIELDS[request.dtype]).extend(request.data)
        if request.k is not None:
            setattr(encoded, factor_field(request.k), request.k)
        return encoded.SerializeToString()

    def _parsed(self, reply: bytearray) -> Any:
        return self._messages.PackedReply.FromString(reply)

    def _decode_value(self, reply: bytearray) -> float | int:
        return sum_of(self._parsed(reply))

    def _decode_array(self, reply: bytearray, request: Message) -> np.ndarray:
        dtype = request.result_dtype
        values = getattr(self._parsed(reply), REPLY_FIELDS[dtype])
        return np.array(values, dtype=dtype)
