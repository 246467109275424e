"""`protobuf` and `protobuf-packed`: the array in a protobuf message
(strategies/protobuf/protobuf_array.proto), PyPI's `protobuf` in Python, Debian's
libprotobuf in C++, through the serialization bridge that json, flatbuffers
and msgpack cross (see _serialization.py).

protobuf: ``Request.data`` is one ``bytes`` field holding the little-endian
float64 bytes, the usual recipe for an array (protobuf issues #880, #10930):
``data=a.tobytes()`` (a copy; the runtime copies it again into the message,
and ``SerializeToString`` once more into the bytes sent). C++ parses it under
limits into a std::string (a copy) and reads the doubles there in place, runs
the kernel writing square's and scale's results straight into the reply's
bytes field, and returns the reply as a bytearray; Python parses it (upb copies
the field into the message's arena, and reading ``reply.data`` copies it again
into a new bytes object, at every access) and views it with ``np.frombuffer``,
so scale's result is read-only.

protobuf-packed: ``PackedRequest.values`` is a packed ``repeated double``
filled as users write it, ``msg.values.extend(a)``, and read back with
``np.array(reply.values)``: every value becomes a Python float on the way in
and on the way out. On the wire and in C++ (a RepeatedField<double>, read in
place) it costs what the bytes field does: the difference is Python's.

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

from interop_bench import native
from interop_bench.strategies._serialization import Message, SerializationStrategy

OP_CODES = {"sum": 1, "square": 2, "matrix_sum": 3, "scale": 4}  # enum Op of the .proto
FLOAT64_LE = np.dtype("<f8")


def runtime_backend() -> str:
    """The protobuf runtime's implementation in this process: "upb", "cpp" or "python"."""
    return str(api_implementation.Type())


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
    description = "protobuf message: values as one bytes field, a.tobytes() -> np.frombuffer"
    copies_note = (
        "encode: tobytes() + into the message + SerializeToString; native: the parser copies "
        "the bytes field into a std::string, read there in place, result written into the "
        "reply's bytes field, reply -> bytearray; decode: parsed into the message, reading the "
        "field copies it into bytes, np.frombuffer views it (scale's result is read-only; "
        "square copies it into the caller's array)"
    )
    extension_name = "ib_protobuf"

    def _open(self) -> None:
        super()._open()
        self._messages: ModuleType = native.extension("pb.protobuf_array_pb2")

    def _encode(self, request: Message) -> object:
        encoded = self._messages.Request(
            op=OP_CODES[request.op], shape=request.shape, data=request.data.tobytes()
        )
        if request.k is not None:
            encoded.k = request.k
        return encoded.SerializeToString()

    def _reply(self, reply: bytearray, answer: str) -> Any:
        parsed = self._messages.Reply.FromString(reply)
        if parsed.WhichOneof("answer") != answer:
            raise ValueError(f"protobuf: the reply holds no {answer}")
        return parsed

    def _decode_value(self, reply: bytearray) -> float:
        return float(self._reply(reply, "value").value)

    def _decode_array(self, reply: bytearray, request: Message) -> np.ndarray:
        data = self._reply(reply, "data").data
        if len(data) % FLOAT64_LE.itemsize:
            raise ValueError("protobuf: the reply's data is not a whole number of float64 values")
        return np.frombuffer(data, dtype=FLOAT64_LE)


class ProtobufPackedStrategy(ProtobufStrategy):
    name = "protobuf-packed"
    sources = (
        "strategies/protobuf/ib_protobuf_packed.cpp",
        "strategies/protobuf/protobuf_codec.cpp",
        "strategies/protobuf/protobuf_array.proto",
        "strategies/_serialization_bridge/bridge/python_call.hpp",
    )
    description = "protobuf message: values as a packed repeated double, values.extend(a)"
    copies_note = (
        "encode: values.extend(a), one Python float each, + SerializeToString; native: the "
        "parser copies the packed doubles into a RepeatedField, read there in place, result "
        "written into the reply's packed field, reply -> bytearray; decode: parsed into the "
        "message, np.array(reply.values), one Python float each"
    )
    extension_name = "ib_protobuf_packed"

    def _encode(self, request: Message) -> object:
        encoded = self._messages.PackedRequest(op=OP_CODES[request.op], shape=request.shape)
        encoded.values.extend(request.data)
        if request.k is not None:
            encoded.k = request.k
        return encoded.SerializeToString()

    def _parsed(self, reply: bytearray) -> Any:
        return self._messages.PackedReply.FromString(reply)

    def _decode_value(self, reply: bytearray) -> float:
        parsed = self._parsed(reply)
        if not parsed.HasField("value"):
            raise ValueError("protobuf: the reply holds no value")
        return float(parsed.value)

    def _decode_array(self, reply: bytearray, request: Message) -> np.ndarray:
        return np.array(self._parsed(reply).values, dtype=np.float64)
