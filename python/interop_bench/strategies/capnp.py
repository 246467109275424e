"""`capnp` and `capnp-list`: the array in a Cap'n Proto message (strategies/capnp/array.capnp),
PyPI's pycapnp in Python, Debian's capnproto in C++ (strategies/capnp/capnp_codec.hpp).

Request ``Request(op, shape, k, values)`` (k for scale only; matrix_sum sends
[rows, cols] and the row-major values), reply ``Reply(value | values)``,
through the serialization bridge that json, flatbuffers and msgpack cross (see
_serialization.py). pycapnp loads the schema file installed next to the
extension modules; both sides hold their readers to a traversal limit of the
message's own size in words (pycapnp's default, 64 MiB, would refuse a reply of
1e7 doubles) and a small nesting limit.

The request is built by pycapnp into one segment that this module allocates
(``new_message(words, allocate)``: zeroed by NumPy, sized exactly, with one word
in front for the segment table, which is then written), so the message is
handed over as it was built: ``to_bytes()`` would copy it twice more (into a
flat array, then into bytes), about 13 times the cost of the build at 1e6 values.

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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


def struct_words(struct: Any) -> int:
    """The words of one `struct` (data and pointer sections), from the schema."""
    layout = struct.schema.node.struct
    return int(layout.dataWordCount) + int(layout.pointerCount)


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
        self.buffer[:WORD].view("<u4")[:] = (0, self.words)
        return self.buffer.data


@contextmanager
def read_reply(reply: bytearray) -> Iterator[Any]:
    """The Reply in `reply`, under a traversal limit of its own size and a small
    nesting limit; what pycapnp refuses, while opening it or reading a field,
    becomes a ValueError."""
    if len(reply) % WORD:
        raise ValueError(f"capnp: a reply of {len(reply)} bytes is not a whole number of words")
    try:
        with schema().Reply.from_bytes(
            reply, traversal_limit_in_words=len(reply) // WORD, nesting_limit=NESTING_LIMIT
        ) as root:
            yield root
    except capnp.KjException as error:  # its description, without the native stack
        raise ValueError(f"capnp: not a valid Reply message: {error.description}") from error


def reply_member(root: Any, member: str) -> None:
    if root.which() != member:
        raise ValueError(f"capnp: the reply holds {root.which()}, not {member}")


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
        "buffer; native: Data read in place, result written into the reply's Data, reply -> "
        "bytearray; decode: zero-copy view of the Data in the bytearray (square copies it "
        "into the caller's array)"
    )
    extension_name = "ib_capnp"

    def _encode(self, request: Message) -> object:
        self._check_size(request.data)
        request_schema = schema().Request
        words = 1 + struct_words(request_schema) + len(request.shape) + request.data.size
        segment = OneSegment(words)
        root = request_schema.new_message(words, segment)
        root.op = OP_NAMES[request.op]
        root.shape = list(request.shape)
        if request.k is not None:
            root.k = request.k
        self._set_values(root.values, request.data)
        return segment.framed()

    def _check_size(self, data: np.ndarray) -> None:
        if data.nbytes > MAX_LIST_ELEMENTS:
            raise ValueError(
                f"capnp: {data.size} values take {data.nbytes} bytes; a Cap'n Proto Data "
                f"holds at most {MAX_LIST_ELEMENTS} bytes ({MAX_LIST_ELEMENTS // 8} float64 values)"
            )

    def _set_values(self, values: Any, data: np.ndarray) -> None:
        values.data = data.data  # a memoryview: copied once, into the segment

    def _decode_value(self, reply: bytearray) -> float:
        with read_reply(reply) as root:
            reply_member(root, "value")
            return float(root.value)

    def _decode_array(self, reply: bytearray) -> np.ndarray:
        with read_reply(reply) as root:
            reply_member(root, "data")
            view = root.get_data_as_view("data")
            count, odd = divmod(view.nbytes, FLOAT64_LE.itemsize)
            if odd:
                raise ValueError(f"capnp: the reply's Data holds {view.nbytes} bytes, not float64s")
            offset = buffer_address(view) - buffer_address(reply) if count else 0
        # The view pycapnp returns does not keep `reply` alive once the reader is
        # closed: the array views `reply` itself, where the Data lies.
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

    def _decode_array(self, reply: bytearray) -> np.ndarray:
        with read_reply(reply) as root:
            reply_member(root, "list")
            values = root.list
            return np.fromiter(values, dtype=np.float64, count=len(values))
