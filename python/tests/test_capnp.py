"""capnp and capnp-list beyond the conformance suite: hostile messages into the
native entry points, refused replies, the framing Python builds, the zero-copy
reply view and the traversal limit sized for large replies."""

from __future__ import annotations

import gc
import re
import struct
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from interop_bench import native, ops, strategies
from interop_bench.strategies import Strategy
from interop_bench.strategies import capnp as capnp_strategy
from interop_bench.strategies._serialization import Message, message

MODULES = {"capnp": "ib_capnp", "capnp-list": "ib_capnp_list"}
MEMBER = {"capnp": "data", "capnp-list": "list"}
OTHER = {"capnp": "list", "capnp-list": "data"}
# A request whose answer is float64 values, for decoding replies.
SQUARE = message("square", (np.zeros(1),))


@pytest.fixture(scope="module", params=list(MODULES))
def opened(request: pytest.FixtureRequest) -> Iterator[Strategy]:
    with strategies.get(request.param) as strategy:
        yield strategy


def refused(name: str, payload: object) -> str:
    with pytest.raises(ValueError) as error:
        native.extension(MODULES[name]).call(payload)
    assert str(error.value), "the refusal must say what is wrong"
    return str(error.value)


def encoded(strategy: Strategy, op: str = "sum", size: int = 4) -> bytearray:
    args: tuple[object, ...] = (ops.make_vector(size, seed=size),)
    if op == "scale":
        args = (*args, 2.0)
    return bytearray(strategy._encode(message(op, args)))  # type: ignore[attr-defined]


def built(member: str, values: object = (1.0, 2.0), **fields: Any) -> bytearray:
    """A Request built by pycapnp's own builder and framing (to_bytes)."""
    root = capnp_strategy.schema().Request.new_message()
    root.op = fields.get("op", "sum")
    root.shape = fields.get("shape", [2])
    root.k = fields.get("k", 0.0)
    if member == "data":
        root.values.data = np.asarray(values, dtype=np.float64).tobytes()
    else:
        root.values.list = list(values)  # type: ignore[call-overload]
    return bytearray(root.to_bytes())


def reply(member: str, value: object) -> bytearray:
    root = capnp_strategy.schema().Reply.new_message()
    setattr(root, member, value)
    return bytearray(root.to_bytes())


# -- hostile payloads into the native entry points ----------------------------
# (empty input, truncations, random bytes, what is not bytes and the phases: in
# test_serialization.py, with the other formats)


def test_empty_partial_and_misaligned_input_is_refused(opened: Strategy) -> None:
    assert "empty message" in refused(opened.name, b"")
    whole = encoded(opened)
    assert "not a whole number of 8-byte words" in refused(opened.name, whole[:-3])
    shifted = bytearray(len(whole) + 4)
    shifted[4:] = whole
    assert "not 8-byte aligned" in refused(opened.name, memoryview(shifted)[4:])


def test_a_bad_segment_table_is_refused(opened: Strategy) -> None:
    whole = encoded(opened)
    words = len(whole) // 8 - 1
    cases = {
        (0xFFFFFFFF, words): "claims 2^32 segments",
        (600, words): "not a valid Request message",  # capnp allows 512
        (0, words + 1): "not a valid Request message",  # a segment longer than the message
        (0, words - 1): "8 bytes follow the message",
    }
    for (count_less_one, size), expected in cases.items():
        lying = bytearray(struct.pack("<II", count_less_one, size)) + whole[8:]
        assert expected in refused(opened.name, lying)


def test_values_that_lie_about_their_size_are_refused(opened: Strategy) -> None:
    lying = encoded(opened)
    # Word 0 of a framed message is its segment table; in a request built by
    # pycapnp into one segment, the values pointer follows the root pointer,
    # the data words and the shape pointer: the last word of request_words().
    at = 8 * capnp_strategy.request_words()
    pointer = int.from_bytes(lying[at : at + 8], "little")
    assert pointer & 3 == 1, "the word is the values' list pointer"
    pointer = (pointer & (2**35 - 1)) | ((2**29 - 1) << 35)  # 2^29 - 1 elements
    lying[at : at + 8] = pointer.to_bytes(8, "little")
    assert "not a valid Request message" in refused(opened.name, lying)


def test_the_other_form_of_values_is_refused(opened: Strategy) -> None:
    text = refused(opened.name, built(OTHER[opened.name]))
    assert "the values must be a" in text


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"shape": [3]}, "shape says 3"),
        ({"shape": [2**60]}, "shape says"),
        ({"shape": [1, 1, 2]}, "more than 2 dimensions"),
        ({"op": "matrixSum", "shape": [2]}, "the op needs 2"),
        ({"k": 2.0}, "k is only allowed for scale"),
    ],
)
def test_requests_breaking_the_ops_rules_are_refused(
    opened: Strategy, fields: dict[str, Any], expected: str
) -> None:
    assert expected in refused(opened.name, built(MEMBER[opened.name], **fields))


def test_data_of_partial_doubles_is_refused() -> None:
    root = capnp_strategy.schema().Request.new_message()
    root.shape = [1]
    root.values.data = b"\x00" * 7
    assert "holds 7 bytes, not a whole number of float64" in refused(
        "capnp", bytearray(root.to_bytes())
    )


def test_several_segments_are_read(opened: Strategy) -> None:
    # pycapnp's default builder with a 4-word first segment: far pointers.
    root = capnp_strategy.schema().Request.new_message(4)
    root.op = "sum"
    root.shape = [3]
    values = np.array([1.0, 2.0, 4.5])
    if opened.name == "capnp":
        root.values.data = values.tobytes()
    else:
        root.values.list = values.tolist()
    framed = bytearray(root.to_bytes())
    assert struct.unpack_from("<I", framed)[0] > 0, "more than one segment"
    assert opened._decode_value(native.extension(MODULES[opened.name]).call(framed)) == 7.5  # type: ignore[attr-defined]


# -- what Python sends and reads ------------------------------------------------


@pytest.mark.parametrize("rows", [10, 100])  # below and above SMALL_MESSAGE_WORDS
def test_the_request_is_one_segment_exactly_filled(opened: Strategy, rows: int) -> None:
    values = ops.make_vector(rows * 100, seed=2)
    framed = bytes(opened._encode(message("matrix_sum", (values.reshape(rows, 100),))))  # type: ignore[attr-defined]
    # What pycapnp frames itself from a builder whose one segment has room to spare.
    root = capnp_strategy.schema().Request.new_message(2 * len(framed) // 8)
    root.op = "matrixSum"
    root.shape = [rows, 100]
    if opened.name == "capnp":
        root.values.data = values.tobytes()
    else:
        root.values.list = values.tolist()
    assert framed == root.to_bytes()


def test_values_beyond_a_capnp_list_are_refused_before_encoding(opened: Strategy) -> None:
    limit = capnp_strategy.MAX_LIST_ELEMENTS
    count = limit // 8 + 1 if opened.name == "capnp" else limit + 1
    huge = np.broadcast_to(np.float64(1.0), (count,))  # no memory behind it
    request = Message("sum", huge, (count,), "float64", None)
    with pytest.raises(ValueError, match="holds at most"):
        opened._encode(request)  # type: ignore[attr-defined]


def test_replies_of_the_wrong_kind_are_refused(opened: Strategy) -> None:
    member = MEMBER[opened.name]
    not_set = "union member which is not currently initialized.; field.getProto().getName() = "
    with pytest.raises(ValueError, match=re.escape(not_set + member)):
        opened._decode_array(reply("value", 1.0), SQUARE)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=re.escape(not_set + "value")):
        opened._decode_value(reply(member, b"\x00" * 8 if member == "data" else [1.0]))  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="not a whole number of words"):
        opened._decode_value(bytearray(7))  # type: ignore[attr-defined]
    lying = reply(member, b"\x00" * 8 if member == "data" else [1.0])
    lying[-16:-8] = (2**64 - 1).to_bytes(8, "little")  # the list pointer: all ones
    with pytest.raises(ValueError, match="capnp: the reply cannot be read"):
        opened._decode_array(lying, SQUARE)  # type: ignore[attr-defined]


def test_a_reply_data_of_partial_doubles_is_refused() -> None:
    with capnp_strategy.CapnpStrategy() as strategy, pytest.raises(ValueError, match="12 bytes"):
        strategy._decode_array(reply("data", b"\x00" * 12), SQUARE)


def test_scale_returns_a_view_of_the_reply_that_outlives_it() -> None:
    a = ops.make_vector(1000, seed=4)
    with capnp_strategy.CapnpStrategy() as strategy:
        result = strategy.scale(a, 3.0)
    assert isinstance(result.base, memoryview) and isinstance(result.base.obj, bytearray)
    assert result.flags.writeable
    gc.collect()
    garbage = [bytearray(result.nbytes) for _ in range(8)]
    np.testing.assert_array_equal(result, a * 3.0)
    del garbage


@pytest.mark.parametrize("name", list(MODULES))
def test_every_bit_of_the_values_travels_unchanged(name: str) -> None:
    # Cap'n Proto carries raw IEEE 754 bits: -0.0, infinities and NaN payloads.
    bits = np.array([0x8000000000000000, 0x7FF0000000000000, 0x7FF8000000000123, 1], np.uint64)
    a = bits.view(np.float64)
    with strategies.get(name) as strategy:
        np.testing.assert_array_equal(strategy.scale(a, 1.0).view(np.uint64), bits)
        squared = a.copy()
        strategy.square(squared)
        np.testing.assert_array_equal(squared.view(np.uint64), (a * a).view(np.uint64))


def test_a_reply_past_pycapnps_default_64_mib_limit_is_read() -> None:
    # 2^23 words is pycapnp's default traversal limit: a reply of more values
    # is read only because the limit is sized for the reply.
    a = np.full(2**23 + 8, 0.5)
    with capnp_strategy.CapnpStrategy() as strategy:
        result = strategy.scale(a, 2.0)
    assert result.size == a.size
    assert result[0] == 1.0 and result[-1] == 1.0


# -- the dtype axis ----------------------------------------------------------------


def typed(member: str, values: object, dtype: object, **fields: Any) -> bytearray:
    """A Request of `dtype` (an enumerant, or any code) with `values` in `member`."""
    root = capnp_strategy.schema().Request.new_message()
    root.op = fields.get("op", "sum")
    root.shape = fields.get("shape", [2])
    root.k = fields.get("k", 0.0)
    root.intK = fields.get("int_k", 0)
    root.dtype = dtype
    setattr(root.values, member, values)
    return bytearray(root.to_bytes())


def test_an_unknown_dtype_code_is_refused(opened: Strategy) -> None:
    member = "data" if opened.name == "capnp" else "list"
    values = b"\x00" * 16 if member == "data" else [1.0, 2.0]
    assert "dtype" in refused(opened.name, typed(member, values, 9))


def test_a_list_of_another_type_than_the_dtype_is_refused() -> None:
    text = refused("capnp-list", typed("int16s", [1, 2], "float32"))
    assert "the values must be a List(Float32) (dtype float32), got a List(Int16)" in text
    assert "got a List(Float64)" in refused("capnp-list", typed("list", [1.0, 2.0], "uint8"))


def test_data_of_partial_values_of_its_dtype_is_refused() -> None:
    assert "3" in refused("capnp", typed("data", b"\x00" * 3, "int16", shape=[1]))


@pytest.mark.parametrize("name", list(MODULES))
def test_an_integer_array_is_scaled_by_an_integer_only(name: str) -> None:
    member, values = (
        ("data", np.array([1, 2], np.int32).tobytes())
        if name == "capnp"
        else (
            "int32s",
            [1, 2],
        )
    )
    fields: dict[str, Any] = {"op": "scale"}
    assert "3" in refused(name, typed(member, values, "int32", k=3.0, **fields))  # never converted
    both = typed(member, values, "int32", k=3.0, int_k=3, **fields)
    assert "both k and intK" in refused(name, both)
    assert str(2**40) in refused(name, typed(member, values, "int32", int_k=2**40, **fields))


def test_a_frames_gray_reply_pads_its_last_word_with_zeros(opened: Strategy) -> None:
    # 1 x 3 pixels: 3 gray bytes, then 5 bytes of padding that must not leak memory.
    image = np.full((1, 3, 3), 255, dtype=np.uint8)
    reply = native.extension(MODULES[opened.name]).call(
        opened._encode(message("frame", (image,)))  # type: ignore[attr-defined]
    )
    assert bytes(reply[-8:]) == b"\xff\xff\xff" + b"\x00" * 5
