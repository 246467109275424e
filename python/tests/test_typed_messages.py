"""flatbuffers, protobuf, protobuf-packed, capnp and capnp-list beyond the conformance
suite on the dtype axis: each dtype travels in its format's own type (a typed vector, a
packed field of its type, a List of its type) or as bytes with a dtype code, an integer
sum comes back exact where a float would round, and a float64 message is the one sent
before the dtype axis."""

from __future__ import annotations

import numpy as np
import pytest

from interop_bench import native, ops, strategies
from interop_bench.strategies import capnp as capnp_strategy
from interop_bench.strategies import flatbuffers as flatbuffers_strategy
from interop_bench.strategies import protobuf as protobuf_strategy
from interop_bench.strategies._serialization import message

TYPED = ["flatbuffers", "protobuf", "protobuf-packed", "capnp", "capnp-list"]


def encoded(name: str, op: str, *args: object) -> bytes:
    with strategies.get(name) as strategy:
        return bytes(strategy._encode(message(op, args)))  # type: ignore[attr-defined]


def flatbuffers_vectors(request: bytes) -> dict[str, int]:
    """The length of each typed vector of a Request (0 when absent)."""
    root = native.extension("fbs.Request").Request.GetRootAs(bytearray(request), 0)
    return {
        vector: getattr(root, f"{vector}Length")()
        for vector in flatbuffers_strategy.VECTORS.values()
    }


def packed_fields(request: bytes) -> dict[str, int]:
    """The length of each values field of a PackedRequest."""
    parsed = native.extension("pb.protobuf_array_pb2").PackedRequest.FromString(request)
    fields = protobuf_strategy.PACKED_FIELDS.values()
    return {field: len(getattr(parsed, field)) for field in fields}


def capnp_request(request: bytes) -> tuple[str, str]:
    """The values' union member and the dtype of a Request."""
    with capnp_strategy.schema().Request.from_bytes(request) as root:
        return str(root.values.which()), str(root.dtype)


def only(fields: dict[str, int], field: str, count: int) -> dict[str, int]:
    return {name: (count if name == field else 0) for name in fields}


@pytest.mark.parametrize("dtype", ops.DTYPES)
def test_flatbuffers_sends_each_dtype_in_its_typed_vector(dtype: ops.DType) -> None:
    vectors = flatbuffers_vectors(encoded("flatbuffers", "sum", ops.make_vector(5, dtype=dtype)))
    assert vectors == only(vectors, flatbuffers_strategy.VECTORS[dtype], 5)


@pytest.mark.parametrize("dtype", ops.DTYPES)
def test_protobuf_packed_sends_each_dtype_in_its_packed_field(dtype: ops.DType) -> None:
    fields = packed_fields(encoded("protobuf-packed", "sum", ops.make_vector(5, dtype=dtype)))
    assert fields == only(fields, protobuf_strategy.PACKED_FIELDS[dtype], 5)


@pytest.mark.parametrize("dtype", ops.DTYPES)
def test_capnp_list_sends_each_dtype_in_its_list(dtype: ops.DType) -> None:
    request = encoded("capnp-list", "sum", ops.make_vector(5, dtype=dtype))
    assert capnp_request(request) == (capnp_strategy.LIST_MEMBERS[dtype], dtype)


@pytest.mark.parametrize("dtype", ops.DTYPES)
def test_the_byte_formats_send_the_values_bytes_and_their_dtype(dtype: ops.DType) -> None:
    a = ops.make_vector(100, seed=3, dtype=dtype)
    parsed = native.extension("pb.protobuf_array_pb2").Request.FromString(
        encoded("protobuf", "sum", a)
    )
    assert (parsed.data, parsed.dtype) == (a.tobytes(), ops.DTYPES.index(dtype))
    request = encoded("capnp", "sum", a)
    assert capnp_request(request) == ("data", dtype)
    assert a.tobytes() in request


def test_a_frame_travels_as_its_packed_pixels() -> None:
    image = ops.make_frame(6, 8, seed=1)[1:5, 2:7, :]  # cropped: rows 24 bytes apart
    pixels = np.ascontiguousarray(image).reshape(-1)
    vectors = flatbuffers_vectors(encoded("flatbuffers", "frame", image))
    assert vectors == only(vectors, "DataU8", pixels.size)
    fields = packed_fields(encoded("protobuf-packed", "frame", image))
    assert fields == only(fields, "uint8_values", pixels.size)
    assert capnp_request(encoded("capnp-list", "frame", image)) == ("uint8s", "uint8")
    assert pixels.tobytes() in encoded("capnp", "frame", image)


@pytest.mark.parametrize("name", ["protobuf", "protobuf-packed"])
def test_a_float64_message_is_the_one_sent_before_the_dtype_axis(name: str) -> None:
    # No dtype field (FLOAT64 is protobuf's default): float64 pays nothing for the axis.
    a = ops.make_vector(1000, seed=3)
    sent = encoded(name, "scale", a, 2.0)
    kind = "Request" if name == "protobuf" else "PackedRequest"
    before = getattr(native.extension("pb.protobuf_array_pb2"), kind)(op=4, shape=[1000], k=2.0)
    if name == "protobuf":
        before.data = a.tobytes()
    else:
        before.values.extend(a)
    assert sent == before.SerializeToString()


@pytest.mark.parametrize("name", TYPED)
def test_an_integer_sum_past_2_to_the_53_is_exact(name: str) -> None:
    # (2^22 + 2) x (2^31 - 1) + 1 is odd and above 2^53: a double cannot hold it.
    a = np.full(2**22 + 3, np.iinfo(np.int32).max, dtype=np.int32)
    a[-1] = 1
    expected = int(a.sum(dtype=np.int64))
    assert expected > 2**53 and float(expected) != expected
    with strategies.get(name) as strategy:
        got = strategy.sum(a)
    assert isinstance(got, int) and got == expected


@pytest.mark.parametrize("name", TYPED)
def test_integer_kernels_wrap_around_like_numpy(name: str) -> None:
    # A kernel run on floats would not wrap: 300^2 = 90000 is 24464 as an int16.
    a = np.array([300, -3, 181], dtype=np.int16)
    with strategies.get(name) as strategy:
        strategy.square(a)
        scaled = strategy.scale(np.array([2**30, 7], dtype=np.int32), 3)
    np.testing.assert_array_equal(a, [24464, 9, 32761])
    assert scaled.dtype == np.int32
    np.testing.assert_array_equal(scaled, np.array([2**30, 7], dtype=np.int32) * 3)
