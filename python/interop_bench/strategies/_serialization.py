"""What the serialization strategies (json, json-fast, flatbuffers, msgpack,
msgpack-list, protobuf, protobuf-packed, capnp, capnp-list) share.

Each one encodes a request message in Python, hands the bytes to its native
extension through the same minimal CPython call
(strategies/_serialization_bridge/bridge/python_call.hpp:
``call(message, timed=False) -> bytearray``), which decodes it,
runs the kernel and encodes a reply that Python decodes. Only the format
differs between them, never the binding, so their differences are the formats'.

A message carries its dtype (ops.DTYPES): the values travel as that type and
the native side runs the kernel of that type (bridge/execute.hpp), answering
in it (sums as np.sum's: an int for integers). The frame op's message is the
image's rows packed (H x W x 3 uint8, copied first when the image is a padded
or cropped view) with its (height, width); the answer, H x W uint8.

The native side times its own phases (decode, kernel, encode, std::chrono::
steady_clock); `call_with_phases` adds Python's around them:
python_encode, cross+native_decode, kernel, native_encode, python_decode.
"cross+native_decode" is the call's wall time minus the native kernel and encode
phases: the crossing itself and the native decoding, which cannot be told apart
from Python without timing the crossing twice.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from time import perf_counter_ns
from types import ModuleType
from typing import ClassVar, NamedTuple

import numpy as np

from interop_bench import native, ops
from interop_bench.strategies import validation
from interop_bench.strategies._native_module import NotOpen
from interop_bench.strategies.base import Strategy

PHASE_NAMES = ("python_encode", "cross+native_decode", "kernel", "native_encode", "python_decode")
SCALAR_OPS = ("sum", "matrix_sum")


class Message(NamedTuple):
    """A request before encoding: what every format carries."""

    op: str
    # 1-D, C-contiguous, of `dtype`: the values row-major; for frame, the
    # image's rows packed (height x width x 3 uint8 values).
    data: np.ndarray
    shape: tuple[int, ...]  # (n,) or, for matrix_sum and frame, (rows, cols)
    dtype: ops.DType
    k: float | int | None  # scale's factor (an int for integer dtypes), None for the other ops

    @property
    def result_dtype(self) -> np.dtype:
        """The dtype of square's, scale's and frame's answer: the values' own
        (a frame's pixels and its gray image are both uint8)."""
        return self.data.dtype

    @property
    def result_shape(self) -> tuple[int, ...]:
        """The shape of square's, scale's and frame's answer."""
        return self.shape if self.op == "frame" else self.data.shape


def message(op: str, args: tuple[object, ...]) -> Message:
    """Validate `op`'s arguments (strategies/validation.py) into a Message."""
    if op == "matrix_sum":
        # Serialization copies anyway: the row-major view (in place for
        # C/Fortran/transposed layouts) is flattened, copying only if strided.
        view, _ = validation.row_major(args[0])
        shape = (int(view.shape[0]), int(view.shape[1]))
        return Message(op, view.ravel(), shape, validation.DTYPE_NAMES[view.dtype], None)
    if op == "frame":
        # The message holds the rows packed: a padded or cropped view is copied here.
        image, _ = validation.frame(args[0])
        packed = np.ascontiguousarray(image).reshape(-1)
        return Message(
            op, packed, (int(image.shape[0]), int(image.shape[1])), ops.FRAME_DTYPE, None
        )
    if op not in ("sum", "square", "scale"):
        raise ValueError(f"unknown op {op!r}")
    vector = validation.vector(args[0], writable=op == "square")
    dtype = validation.DTYPE_NAMES[vector.dtype]
    k = validation.factor(args[1], vector.dtype) if op == "scale" else None
    return Message(op, vector, (vector.size,), dtype, k)


def request_fields(request: Message, data: object) -> dict[str, object]:
    """The request as a map (JSON object, MessagePack map): op, shape, dtype, data
    (as the format's encoder takes the values) and, for scale, k. dtype comes
    before data: the JSON decoders read each value into its type as they meet it."""
    fields: dict[str, object] = {
        "op": request.op,
        "shape": list(request.shape),
        "dtype": request.dtype,
        "data": data,
    }
    if request.k is not None:
        fields["k"] = request.k
    return fields


def non_finite_error(request: Message, strategy: str, text_format: str) -> ValueError:
    """The error for a message holding NaN or Inf, which `text_format` (the
    format `strategy` writes, e.g. "JSON") cannot carry."""
    if request.k is not None and not math.isfinite(request.k):
        return ValueError(
            f"{strategy}: scale factor {request.k} is NaN or Inf, which {text_format} cannot encode"
        )
    bad = np.flatnonzero(~np.isfinite(request.data))
    index = int(bad[0]) if bad.size else -1
    value = request.data[index] if bad.size else "?"
    return ValueError(
        f"{strategy}: element {index} is {value} (NaN/Inf), which {text_format} cannot encode; "
        "use a format that carries IEEE 754 specials (e.g. flatbuffers)"
    )


def has_non_finite(request: Message) -> bool:
    """Whether the message holds NaN or Inf, in one cheap pass for finite data.

    A NaN or Inf makes the sum non-finite; a finite sum proves there is none.
    Only a non-finite sum (possibly an overflow of finite values) is looked at
    element by element. Integers are always finite.
    """
    if request.k is not None and not math.isfinite(request.k):
        return True
    if request.data.dtype.kind != "f":
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.add.reduce(request.data))
    if math.isfinite(total):
        return False
    return not bool(np.isfinite(request.data).all())


class SerializationStrategy(Strategy):
    """Encode in Python, decode + compute + encode in C++, decode in Python."""

    family = "serialization"
    releases_gil = "always"  # around the native decode, kernel and encode (python_call.hpp)
    copies_in = "serialize"
    copies_out = "serialize"
    phase_names = PHASE_NAMES
    extension_name: ClassVar[str]  # interop_bench._native.<extension_name>

    def __init__(self) -> None:
        super().__init__()
        self._native: ModuleType | NotOpen = NotOpen(self.name)

    def _open(self) -> None:
        self._native = native.extension(self.extension_name)

    def _close(self) -> None:
        self._native = NotOpen(self.name)

    # -- what each format provides -----------------------------------------
    @abstractmethod
    def _encode(self, request: Message) -> object:
        """The request as a bytes-like object."""

    @abstractmethod
    def _decode_value(self, reply: bytearray) -> float | int:
        """The scalar answer of sum and matrix_sum, as the reply spells it (an
        int for integer dtypes; checked by _finish)."""

    @abstractmethod
    def _decode_array(self, reply: bytearray, request: Message) -> np.ndarray:
        """The array answer of square, scale and frame: 1-D, of request.result_dtype
        (checked by _finish, which gives it request.result_shape)."""

    # -- the operations ----------------------------------------------------
    def sum(self, a: np.ndarray) -> float | int:
        return self._call("sum", (a,))  # type: ignore[return-value]

    def square(self, a: np.ndarray) -> None:
        self._call("square", (a,))

    def matrix_sum(self, m: np.ndarray) -> float | int:
        return self._call("matrix_sum", (m,))  # type: ignore[return-value]

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        return self._call("scale", (a, k))  # type: ignore[return-value]

    def frame(self, image: np.ndarray) -> np.ndarray:
        return self._call("frame", (image,))  # type: ignore[return-value]

    def _call(self, op: str, args: tuple[object, ...]) -> object:
        request = message(op, args)
        return self._finish(request, self._native.call(self._encode(request)))

    def _finish(self, request: Message, reply: bytearray) -> object:
        if request.op in SCALAR_OPS:
            return scalar_answer(self._decode_value(reply), request)
        values = self._decode_array(reply, request)
        expected = math.prod(request.result_shape)
        if values.dtype != request.result_dtype or values.size != expected:
            raise ValueError(
                f"reply holds {values.size} {values.dtype} values, "
                f"expected {expected} {request.result_dtype}"
            )
        if request.op == "square":
            request.data[...] = values  # the caller's own array
            return None
        if values.shape == request.result_shape:
            return values  # scale: the decoded array itself (its base stays the reply)
        return values.reshape(request.result_shape)  # frame: H x W

    def call_with_phases(self, op: str, *args: object) -> tuple[object, dict[str, int]]:
        start = perf_counter_ns()
        request = message(op, args)
        encoded = self._encode(request)
        encoded_at = perf_counter_ns()
        # The native decode time is inside cross+native_decode (see the module doc).
        reply, _decode_ns, kernel_ns, encode_ns = self._native.call(encoded, True)
        returned_at = perf_counter_ns()
        result = self._finish(request, reply)
        done_at = perf_counter_ns()
        phases = dict(
            zip(
                PHASE_NAMES,
                (
                    encoded_at - start,
                    returned_at - encoded_at - kernel_ns - encode_ns,
                    kernel_ns,
                    encode_ns,
                    done_at - returned_at,
                ),
                strict=True,
            )
        )
        return result, phases

    def data_address(self, a: np.ndarray) -> int:
        request = message("sum", (a,))
        return int(self._native.decoded_address(self._encode(request)))


def check_reply_dtype(name: object, request: Message, strategy: str) -> np.dtype:
    """The dtype an array reply says it holds, which must be the one asked for."""
    if name != request.dtype:  # a frame's gray image is of its pixels' dtype, uint8
        raise ValueError(f"{strategy}: the reply holds {name!r} values, expected {request.dtype}")
    return request.result_dtype


def scalar_answer(value: object, request: Message) -> float | int:
    """A reply's sum as np.sum's type for the request's dtype: an exact int for
    integers (a float there would be a native side that rounded), a float for floats."""
    is_float = request.data.dtype.kind == "f"
    if type(value) is (float if is_float else int):  # the answer as it should come
        return value  # type: ignore[return-value]
    if is_float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"the reply's sum is {type(value).__name__}, not a number")
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(
            f"the reply's sum of {request.dtype} values is {type(value).__name__} {value!r}, "
            "not an integer"
        )
    return value
