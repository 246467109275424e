"""What the serialization strategies (json, json-fast, flatbuffers, msgpack,
msgpack-list, protobuf, protobuf-packed, capnp, capnp-list) share.

Each one encodes a request message in Python, hands the bytes to its native
extension through the same minimal CPython call
(strategies/_serialization_bridge/bridge/python_call.hpp:
``call(message, timed=False) -> bytearray``), which decodes it,
runs the kernel and encodes a reply that Python decodes. Only the format
differs between them, never the binding, so their differences are the formats'.

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

from interop_bench import native
from interop_bench.strategies import validation
from interop_bench.strategies._native_module import NotOpen
from interop_bench.strategies.base import Strategy

PHASE_NAMES = ("python_encode", "cross+native_decode", "kernel", "native_encode", "python_decode")
SCALAR_OPS = ("sum", "matrix_sum")


class Message(NamedTuple):
    """A request before encoding: what every format carries."""

    op: str
    data: np.ndarray  # 1-D, C-contiguous float64: the values row-major
    shape: tuple[int, ...]  # (n,) or, for matrix_sum, (rows, cols)
    k: float | None  # scale's factor, None for the other ops


def message(op: str, args: tuple[object, ...]) -> Message:
    """Validate `op`'s arguments (strategies/validation.py) into a Message."""
    if op == "matrix_sum":
        # Serialization copies anyway: the row-major view (in place for
        # C/Fortran/transposed layouts) is flattened, copying only if strided.
        view, _ = validation.row_major(args[0])
        return Message(op, view.ravel(), (int(view.shape[0]), int(view.shape[1])), None)
    if op not in ("sum", "square", "scale"):
        raise ValueError(f"unknown op {op!r}")
    vector = validation.vector(args[0], writable=op == "square")
    k = validation.factor(args[1]) if op == "scale" else None
    return Message(op, vector, (vector.size,), k)


def request_fields(request: Message, data: object) -> dict[str, object]:
    """The request as a map (JSON object, MessagePack map): op, shape, data (as the
    format's encoder takes the values) and, for scale, k."""
    fields: dict[str, object] = {"op": request.op, "shape": list(request.shape), "data": data}
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
    element by element.
    """
    if request.k is not None and not math.isfinite(request.k):
        return True
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
    def _decode_value(self, reply: bytearray) -> float:
        """The scalar answer of sum and matrix_sum."""

    @abstractmethod
    def _decode_array(self, reply: bytearray) -> np.ndarray:
        """The array answer of square and scale."""

    # -- the four operations -----------------------------------------------
    def sum(self, a: np.ndarray) -> float:
        return self._call("sum", (a,))  # type: ignore[return-value]

    def square(self, a: np.ndarray) -> None:
        self._call("square", (a,))

    def matrix_sum(self, m: np.ndarray) -> float:
        return self._call("matrix_sum", (m,))  # type: ignore[return-value]

    def scale(self, a: np.ndarray, k: float) -> np.ndarray:
        return self._call("scale", (a, k))  # type: ignore[return-value]

    def _call(self, op: str, args: tuple[object, ...]) -> object:
        request = message(op, args)
        return self._finish(request, self._native.call(self._encode(request)))

    def _finish(self, request: Message, reply: bytearray) -> object:
        if request.op in SCALAR_OPS:
            return self._decode_value(reply)
        values = self._decode_array(reply)
        if values.shape != request.data.shape:
            raise ValueError(f"reply holds {values.size} values, expected {request.data.size}")
        if request.op == "scale":
            return values
        request.data[...] = values  # square: the caller's own array
        return None

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
        return int(self._native.decoded_address(self._encode(message("sum", (a,)))))
