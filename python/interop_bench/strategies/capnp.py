"""`capnp` and `capnp-list`: the array in a Cap'n Proto message (strategies/capnp/array.capnp),
PyPI's pycapnp in Python, Debian's capnproto in C++ (strategies/capnp/capnp_codec.hpp).

Request ``Request(op, shape, dtype, k | intK, values)`` (a factor for scale only; matrix_sum sends
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

capnp: the values are one ``Data`` of their little-endian bytes with a
``dtype`` code, set from the array's memoryview (one copy, into the segment; a
padded or cropped frame is packed into a contiguous copy first) and read in place by C++ as
their type; the kernel of that type writes square's, scale's and frame's
results straight into the reply's Data, which Python views in the reply's
bytearray with ``np.frombuffer`` at the place pycapnp's reader finds it (a
writable array; no copy). A Data holds at most 2^29 - 1 bytes: 67,108,863
doubles, 536,870,911 uint8s.

capnp-list: the values are the ``List`` of their type (``List(Float64)``,
``List(Float32)``, ``List(Int32)``, ``List(Int16)``, ``List(UInt8)``; a frame's
pixels as a ``List(UInt8)``). pycapnp sets a list only element by element (no
buffer path, pycapnp #399); the fastest way it allows is assigning
``a.tolist()`` (pycapnp's Cython loop over the Python numbers, 1.8 times
faster than ``init`` and a Python loop at 1e6 values). C++ reads the list
element by element through the typed reader; the reply is set element by
element and read back with ``np.fromiter`` over pycapnp's list reader (1.5
times faster than ``list()``, 1.8 times faster than ``to_dict()``).

A sum comes back as a Float64 for float arrays, as NumPy's exact int64
(``intValue``) or uint64 (``uintValue``) for integer ones; scale's factor
travels as ``k`` for float arrays and ``intK`` for integer ones.
"""

from __future__ import annotations

import functools
import os
import struct
from collections.abc import Callable
from typing import Any, TypeVar

import capnp  # PyPI's pycapnp (imports are absolute: not this module)
import numpy as np

from interop_bench import native, ops
from interop_bench.strategies._serialization import Message, SerializationStrategy

WORD = 8  # bytes in a Cap'n Proto word
# A Request holds two lists inside one struct: nothing in it nests deeper than 2.
NESTING_LIMIT = 4
# The schema as installed by strategies/capnp/CMakeLists.txt.
SCHEMA_PATH = native.NATIVE_DIR / "capnp" / "array.capnp"
OP_NAMES = {
    "sum": "sum",
    "square": "square",
    "matrix_sum": "matrixSum",
    "scale": "scale",
    "frame": "frame",
}
# The Request's and Reply's list member of each dtype (capnp-list).
LIST_MEMBERS: dict[ops.DType, str] = {
    "float64": "list",
    "float32": "float32s",
    "int32": "int32s",
    "int16": "int16s",
    "uint8": "uint8s",
}
# The same by np.dtype, for replies: ndarray.dtype.name is a slow Python property in NumPy 2.
REPLY_LISTS = {np.dtype(dtype): member for dtype, member in LIST_MEMBERS.items()}
# The Reply members of a sum, by NumPy's sum type (Float64, Int64, UInt64).
SUM_MEMBERS = ("value", "intValue", "uintValue")
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


@functools.cache
def dtype_codes() -> dict[str, int]:
    """Each dtype's enumerant in array.capnp (its name there is NumPy's)."""
    return {dtype: int(getattr(schema().DType, dtype)) for dtype in ops.DTYPES}


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


def sum_value(root: Any) -> float | int:
    """The sum a Reply holds: a float, or an exact int for integer arrays. Reading
    another member than the union's raises, as reading `value` of a list reply does."""
    try:
        return root.value  # type: ignore[no-any-return]  # float arrays: one read, no which()
    except capnp.KjException:
        member = str(root.which())
        if member not in SUM_MEMBERS:
            raise
        return getattr(root, member)  # type: ignore[no-any-return]


def list_values(root: Any, dtype: np.dtype) -> np.ndarray:
    values = getattr(root, REPLY_LISTS[dtype])  # read once: each read counts against the limit
    return np.fromiter(values, dtype=dtype, count=len(values))


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
        "encode: the array's bytes (a padded or cropped frame packed first) into a one-segment "
        "message pycapnp builds in a NumPy buffer (up to 32 KiB: in pycapnp's own, then "
        "to_bytes() copies it twice); native: "
        "Data read in place, result written into the reply's Data, reply -> "
        "bytearray; decode: zero-copy view of the Data in the bytearray (square copies it "
        "into the caller's array)"
    )
    extension_name = "ib_capnp"

    def _encode(self, request: Message) -> object:
        self._check_size(request.data)
        words = request_words() + len(request.shape) + -(-request.data.nbytes // WORD)
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
        if request.dtype != "float64":  # the default: zero in the segment NumPy zeroed
            root.dtype = dtype_codes()[request.dtype]
        if isinstance(request.k, float):
            root.k = request.k
        elif request.k is not None:
            root.intK = request.k
        self._set_values(root.values, request)

    def _check_size(self, data: np.ndarray) -> None:
        if data.nbytes > MAX_LIST_ELEMENTS:
            raise ValueError(
                f"capnp: {data.size} values take {data.nbytes} bytes; a Cap'n Proto Data "
                f"holds at most {MAX_LIST_ELEMENTS} bytes "
                f"({MAX_LIST_ELEMENTS // data.itemsize} {data.dtype} values)"
            )

    def _set_values(self, values: Any, request: Message) -> None:
        values.data = request.data.data  # a memoryview: copied once, into the segment

    def _decode_value(self, reply: bytearray) -> float | int:
        return read_reply(reply, sum_value)

    def _decode_array(self, reply: bytearray, request: Message) -> np.ndarray:
        view = read_reply(reply, lambda root: root.get_data_as_view("data"))
        kind = request.result_dtype  # little-endian: the machines measured are
        count, odd = divmod(view.nbytes, kind.itemsize)
        if odd:
            raise ValueError(f"capnp: the reply's Data holds {view.nbytes} bytes, not {kind}s")
        # The view pycapnp returns does not keep `reply` alive once its reader is
        # closed: the array views `reply` itself, where the Data lies.
        offset = buffer_address(view) - buffer_address(reply) if count else 0
        return np.frombuffer(reply, dtype=kind, count=count, offset=offset)


class CapnpListStrategy(CapnpStrategy):
    name = "capnp-list"
    sources = (
        "strategies/capnp/ib_capnp_list.cpp",
        "strategies/capnp/capnp_codec.cpp",
        "strategies/capnp/array.capnp",
        "strategies/_serialization_bridge/bridge/python_call.hpp",
    )
    description = (
        "Cap'n Proto message: values as the List of their type (List(Float64), ...(UInt8)), "
        "set element by element"
    )
    copies_note = (
        "encode: a.tolist() (a frame's pixels, rows packed), then pycapnp sets each "
        "number into the segment; native: each element read into a std::vector of its type, "
        "reply list set element by element -> bytearray; decode: np.fromiter over pycapnp's "
        "list reader"
    )
    extension_name = "ib_capnp_list"

    def _check_size(self, data: np.ndarray) -> None:
        if data.size > MAX_LIST_ELEMENTS:
            raise ValueError(
                f"capnp-list: {data.size} values; a Cap'n Proto List holds at most "
                f"{MAX_LIST_ELEMENTS}"
            )

    def _set_values(self, values: Any, request: Message) -> None:
        # pycapnp sets a list element by element (pycapnp #399)
        setattr(values, LIST_MEMBERS[request.dtype], request.data.tolist())

    def _decode_array(self, reply: bytearray, request: Message) -> np.ndarray:
        return read_reply(reply, lambda root: list_values(root, request.result_dtype))
