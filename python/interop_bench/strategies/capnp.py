"""`capnp` and `capnp-list`: the array in a Cap'n Proto message (strategies/capnp/array.capnp),
PyPI's pycapnp in Python, Debian's capnproto in C++ (strategies/capnp/capnp_codec.hpp).

Request ``Request(op, shape, k, values)`` (k for scale only; matrix_sum sends
[rows, cols] and the row-major values), reply ``Reply(value | values)``,
through the serialization bridge that json, flatbuffers and msgpack cross (see
_serialization.py). pycapnp loads the schema file installed next to the
extension modules; both sides hold their readers to a traversal limit of the
message's own size in words (pycapnp's default, 64 MiB, would refuse a reply of
1e7 doubles) and a small nesting limit.

A request of more than SMALL_MESSAGE_WORDS is built by pycapnp into one
segment that this module allocates (``new_message(words, allocate)``: zeroed by
NumPy, sized exactly, with one word in front for the segment table, which is
then written), so the message is handed over as it was built: ``to_bytes()``
would copy it twice more (into a flat array, then into bytes), about 13 times
the cost of the build at 1e6 values. A smaller one is built in pycapnp's own
segment (sized up front) and framed by ``to_bytes()``: below some 32 KiB the
two copies cost less than pycapnp's call of a Python allocator.

capnp: the values are one ``Data`` of little-endian float64 bytes, set from the
array's memoryview (one copy, into the segment) and read in place by C++; the
kernel writes square's and scale's results straight into the reply's Data,
which Python views in the reply's bytearray with ``np.frombuffer`` at the place
pycapnp's reader finds it (a writable array; no copy). A Data holds at most
2^29 - 1 bytes: 67,108,863 doubles.

capnp-list: the values are a ``List(Float64)``. pycapnp sets a list only
element by element (no buffer path, pycapnp #399); the fastest way it allows is
assigning ``a.tolist()`` (pycapnp's Cython loop over the Python floats, 1.8
times faster than ``init`` and a Python loop at 1e6 values). C++ reads the list
element by element through the typed reader; the reply is set element by
element and read back with ``np.fromiter`` over pycapnp's list reader (1.5
times faster than ``list()``, 1.8 times faster than ``to_dict()``).
"""

from __future__ import annotations

import functools
import os
import struct
from collections.abc import Callable
from typing import Any, TypeVar

import capnp  # PyPI's pycapnp (imports are absolute: not this module)
import numpy as np

from interop_bench import native
from interop_bench.strategies._serialization import Message, SerializationStrategy

WORD = 8  # bytes in a Cap'n Proto word
FLOAT64_LE = np.dtype("<f8")
# A Request holds two lists inside one struct: nothing in it nests deeper than 2.
NESTING_LIMIT = 4
# The schema as installed by strategies/capnp/CMakeLists.txt.
SCHEMA_PATH = native.NATIVE_DIR / "capnp" / "array.capnp"
OP_NAMES = {"sum": "sum", "square": "square", "matrix_sum": "matrixSum", "scale": "scale"}
# A list (a Data is a list of bytes) holds at most 2^29 - 1 elements.
MAX_LIST_ELEMENTS = 2**29 - 1
# Up to this many words (32 KiB), to_bytes() frames a request faster than a
# one-segment build does (measured on a 2-core VM: 2 against 3.7 us at 100
# values, 4.3 against 4.7 us at 4000, 8.2 against 6.5 us at 10,000).
SMALL_MESSAGE_WORDS = 4096


@functools.cache
def schema() -> Any:
    """array.capnp, parsed once per process. Its import of /capnp/c++.capnp is
    found in pycapnp's own package."""
    if not SCHEMA_PATH.exists():
        raise native.NativeUnavailableError(
            f"{SCHEMA_PATH} is not installed: rebuild with `make build` (or `pip install .`)"
        )
    pycapnp_root = os.path.dirname(os.path.dirname(capnp.__file__))
    return capnp.load(str(SCHEMA_PATH), imports=[pycapnp_root])


@functools.cache
def request_words() -> int:
    """The words of a request before its shape and values: the root pointer and
    the Request struct (data and pointer sections, from the schema)."""
    layout = schema().Request.schema.node.struct
    return 1 + int(layout.dataWordCount) + int(layout.pointerCount)


@functools.cache
def op_codes() -> dict[str, int]:
    """Each op's enumerant, which pycapnp sets faster than its name."""
    return {op: int(getattr(schema().Op, name)) for op, name in OP_NAMES.items()}


class OneSegment:
    """A Cap'n Proto message built by pycapnp into one segment of `words` words,
    preceded by the word of its segment table, in memory NumPy zeroes (calloc:
    free for large sizes, as capnp requires a zeroed segment)."""

    def __init__(self, words: int) -> None:
        self.words = words
        self.buffer = np.zeros((1 + words) * WORD, dtype=np.uint8)
        self.allocated = False

    def __call__(self, minimum_words: int) -> memoryview:
        """pycapnp's allocate_seg_callable: the first (and only) segment."""
        if self.allocated or minimum_words > self.words:
            raise MemoryError(f"capnp: the message outgrew its {self.words}-word segment")
        self.allocated = True
        return self.buffer[WORD:].data

    def framed(self) -> memoryview:
        """The message as sent: the segment table (one segment of `words`), then the segment."""
        struct.pack_into("<II", self.buffer.data, 0, 0, self.words)
        return self.buffer.data


Read = TypeVar("Read")


def read_reply(reply: bytearray, read: Callable[[Any], Read]) -> Read:
    """`read` of the Reply in `reply`, under a traversal limit of the reply's own
    size (what pycapnp's reader needs of it, exactly) and a small nesting limit.
    What pycapnp refuses, opening the reply or reading a field (one that is not
    the union's member, too), becomes a ValueError."""
    if len(reply) % WORD:
        raise ValueError(f"capnp: a reply of {len(reply)} bytes is not a whole number of words")
    try:
        with schema().Reply.from_bytes(
            reply, traversal_limit_in_words=len(reply) // WORD, nesting_limit=NESTING_LIMIT
        ) as root:
            return read(root)
    except capnp.KjException as error:  # its description, without the native stack
        raise ValueError(f"capnp: the reply cannot be read: {error.description}") from error


def list_values(root: Any) -> np.ndarray:
    values = root.list  # once: every read of it counts against the traversal limit
    return np.fromiter(values, dtype=np.float64, count=len(values))


def buffer_address(buffer: object) -> int:
    return int(np.frombuffer(buffer, dtype=np.uint8).ctypes.data)  # type: ignore[call-overload]


class CapnpStrategy(SerializationStrategy):
    name = "capnp"
    sources = (
        "strategies/capnp/ib_capnp.cpp",
        "strategies/capnp/capnp_codec.cpp",
        "strategies/capnp/array.capnp",
        "strategies/_serialization_bridge/bridge/python_call.hpp",
    )
    packages = ("pycapnp", "CapnProto")
    description = "Cap'n Proto message: values as one Data (pycapnp / capnproto), read in place"
    copies_note = (
        "encode: the array's bytes into a one-segment message pycapnp builds in a NumPy "
        "buffer (up to 32 KiB: in pycapnp's own, then to_bytes() copies it twice); native: "
        "Data read in place, result written into the reply's Data, reply -> "
        "bytearray; decode: zero-copy view of the Data in the bytearray (square copies it "
        "into the caller's array)"
    )
    extension_name = "ib_capnp"

    def _encode(self, request: Message) -> object:
        self._check_size(request.data)
        words = request_words() + len(request.shape) + request.data.size
        if words <= SMALL_MESSAGE_WORDS:
            root = schema().Request.new_message(words)  # one segment of pycapnp's
            self._fill(root, request)
            return root.to_bytes()
        segment = OneSegment(words)
        self._fill(schema().Request.new_message(words, segment), request)
        return segment.framed()

    def _fill(self, root: Any, request: Message) -> None:
        root.op = op_codes()[request.op]
        root.shape = list(request.shape)
        if request.k is not None:
            root.k = request.k
        self._set_values(root.values, request.data)

    def _check_size(self, data: np.ndarray) -> None:
        if data.nbytes > MAX_LIST_ELEMENTS:
            raise ValueError(
                f"capnp: {data.size} values take {data.nbytes} bytes; a Cap'n Proto Data "
                f"holds at most {MAX_LIST_ELEMENTS} bytes ({MAX_LIST_ELEMENTS // 8} float64 values)"
            )

    def _set_values(self, values: Any, data: np.ndarray) -> None:
        values.data = data.data  # a memoryview: copied once, into the segment

    def _decode_value(self, reply: bytearray) -> float:
        return float(read_reply(reply, lambda root: root.value))

    def _decode_array(self, reply: bytearray, request: Message) -> np.ndarray:
        view = read_reply(reply, lambda root: root.get_data_as_view("data"))
        count, odd = divmod(view.nbytes, FLOAT64_LE.itemsize)
        if odd:
            raise ValueError(f"capnp: the reply's Data holds {view.nbytes} bytes, not float64s")
        # The view pycapnp returns does not keep `reply` alive once its reader is
        # closed: the array views `reply` itself, where the Data lies.
        offset = buffer_address(view) - buffer_address(reply) if count else 0
        return np.frombuffer(reply, dtype=FLOAT64_LE, count=count, offset=offset)


class CapnpListStrategy(CapnpStrategy):
    name = "capnp-list"
    sources = (
        "strategies/capnp/ib_capnp_list.cpp",
        "strategies/capnp/capnp_codec.cpp",
        "strategies/capnp/array.capnp",
        "strategies/_serialization_bridge/bridge/python_call.hpp",
    )
    description = "Cap'n Proto message: values as a List(Float64), set element by element"
    copies_note = (
        "encode: a.tolist(), then pycapnp sets each float into the segment; native: each "
        "element read into std::vector<double>, reply list set element by element -> "
        "bytearray; decode: np.fromiter over pycapnp's list reader"
    )
    extension_name = "ib_capnp_list"

    def _check_size(self, data: np.ndarray) -> None:
        if data.size > MAX_LIST_ELEMENTS:
            raise ValueError(
                f"capnp-list: {data.size} values; a Cap'n Proto List(Float64) holds at most "
                f"{MAX_LIST_ELEMENTS}"
            )

    def _set_values(self, values: Any, data: np.ndarray) -> None:
        values.list = data.tolist()  # pycapnp sets a list element by element (pycapnp #399)

    def _decode_array(self, reply: bytearray, request: Message) -> np.ndarray:
        return read_reply(reply, list_values)
