"""protobuf and protobuf-packed beyond the conformance suite: hostile bytes into the
native entry point are refused by name, the values travel as one run of doubles, and
the runtime's backend is recorded."""

from __future__ import annotations

import resource
from typing import Any

import numpy as np
import pytest
from google.protobuf.internal import api_implementation

from interop_bench import native, ops, strategies
from interop_bench.runner import strategy_facts
from interop_bench.strategies._serialization import message

MODULES = {"protobuf": "ib_protobuf", "protobuf-packed": "ib_protobuf_packed"}
REQUESTS = {"protobuf": "Request", "protobuf-packed": "PackedRequest"}
VALUES = np.array([1.0, 2.0])


def _messages() -> Any:
    return native.extension("pb.protobuf_array_pb2")


def _request(name: str, **fields: Any) -> bytes:
    """A serialized request of `name`'s kind; `values` fills its data field."""
    values = fields.pop("values", None)
    request = getattr(_messages(), REQUESTS[name])(**fields)
    if values is not None:
        if name == "protobuf":
            request.data = np.asarray(values, dtype="<f8").tobytes()
        else:
            request.values.extend(values)
    return bytes(request.SerializeToString())


def _refused(name: str, payload: object) -> str:
    with pytest.raises(ValueError) as error:
        native.extension(MODULES[name]).call(payload)
    assert str(error.value), "the refusal must say what is wrong"
    return str(error.value)


def wrong_messages(name: str) -> dict[str, tuple[bytes, str]]:
    """Messages that each break one rule, and what the refusal says."""
    sum_of_two: dict[str, Any] = {"op": 1, "shape": [2], "values": VALUES}
    return {
        "not_protobuf": (b"\xff\xff", "not a valid"),
        "no_op": (_request(name, shape=[2], values=VALUES), "needs an op"),
        "unknown_op": (_request(name, op=9, shape=[2], values=VALUES), "unknown op 9"),
        "unknown_field": (_request(name, **sum_of_two) + b"\x78\x01", "unknown field 15"),
        "unknown_dtype": (_request(name, dtype=9, **sum_of_two), "dtype"),
        "negative_dtype": (_request(name, dtype=-1, **sum_of_two), "unknown dtype -1"),
        "no_shape": (_request(name, op=1, values=VALUES), "shape has 0 dimension(s)"),
        "shape_mismatch": (_request(name, op=1, shape=[3], values=VALUES), "shape says 3"),
        "shape_3d": (_request(name, op=1, shape=[1, 1, 2], values=VALUES), "more than 2"),
        "shape_huge": (_request(name, op=1, shape=[2**60], values=VALUES), "shape says 1152921"),
        "matrix_1d": (_request(name, op=3, shape=[2], values=VALUES), "the op needs 2"),
        "scale_without_k": (_request(name, op=4, shape=[2], values=VALUES), "needs k"),
        "k_for_sum": (_request(name, k=2.0, **sum_of_two), "only allowed for scale"),
        "nested_groups": (b"\x2b" * 50 + b"\x2c" * 50, "nested too deep"),
    }


@pytest.mark.parametrize("kind", list(wrong_messages("protobuf")))
@pytest.mark.parametrize("name", list(MODULES))
def test_wrong_messages_are_refused_by_name(name: str, kind: str) -> None:
    payload, expected = wrong_messages(name)[kind]
    assert expected in _refused(name, payload)


def test_bytes_must_hold_whole_float64s() -> None:
    payload = _request("protobuf", op=1, shape=[1], data=b"\x00" * 7)
    assert "holds 7 bytes, not a whole number of float64" in _refused("protobuf", payload)


@pytest.mark.parametrize("name", list(MODULES))
def test_every_truncation_and_random_bytes_are_refused(name: str) -> None:
    whole = _request(name, op=4, shape=[2], values=VALUES, k=3.0)  # k, field 4, last
    for cut in range(len(whole)):
        _refused(name, whole[:cut])
    rng = np.random.default_rng(13)
    for size in (1, 7, 64, 4096, 1 << 20):
        payload = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        try:
            native.extension(MODULES[name]).call(payload)
        except ValueError as error:
            assert str(error)


@pytest.mark.parametrize("name", list(MODULES))
def test_a_huge_declared_length_allocates_nothing(name: str) -> None:
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # op, shape [1], then field 3 claiming 2^31 - 9 bytes of which 64 follow.
    payload = b"\x08\x01\x12\x01\x01\x1a\xf7\xff\xff\xff\x07" + b"\x00" * 64
    assert "not a valid" in _refused(name, payload)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kib < 64 * 1024


def test_what_is_not_bytes_is_a_type_error() -> None:
    for bad in (None, 12, "text"):
        with pytest.raises(TypeError):
            native.extension("ib_protobuf").call(bad)


@pytest.mark.parametrize("name", list(MODULES))
def test_the_values_cross_as_one_run_of_doubles(name: str) -> None:
    a = ops.make_vector(1000, seed=3)
    with strategies.get(name) as strategy:
        encoded = bytes(strategy._encode(message("scale", (a, 2.0))))  # type: ignore[attr-defined]
    assert a.tobytes() in encoded  # packed or bytes: the same 8 bytes per value
    assert len(encoded) < a.nbytes + 32


@pytest.mark.parametrize("name", list(MODULES))
def test_a_reply_of_the_wrong_kind_is_refused(name: str) -> None:
    with strategies.get(name) as strategy:
        value_reply = native.extension(MODULES[name]).call(
            _request(name, op=1, shape=[2], values=VALUES)
        )
        if name == "protobuf":
            with pytest.raises(ValueError, match="holds no data"):
                strategy._decode_array(value_reply, message("sum", (VALUES,)))  # type: ignore[attr-defined]
        with pytest.raises(ValueError, match="holds no value"):
            strategy._decode_value(bytearray())  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", list(MODULES))
def test_the_backend_that_ran_is_recorded(name: str) -> None:
    facts = strategy_facts.collect((name,))[name]
    assert facts["backend"] == api_implementation.Type()
    assert facts["packages"] == ["protobuf", "libprotobuf"]


# -- the dtype axis ----------------------------------------------------------------


def test_bytes_must_hold_whole_values_of_their_dtype() -> None:
    payload = _request("protobuf", op=1, shape=[1], data=b"\x00" * 3, dtype=3)  # INT16
    assert "3" in _refused("protobuf", payload)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"dtype": 3, "int16_values": [1, 40000]}, "int16_values[1] = 40000 does not fit int16"),
        ({"dtype": 3, "int16_values": [-40000, 1]}, "int16_values[0] = -40000 does not fit int16"),
        ({"dtype": 4, "uint8_values": [255, 256]}, "uint8_values[1] = 256 does not fit uint8"),
        ({"dtype": 1, "values": [1.0, 2.0]}, "a message of dtype float32 holds values in values"),
        ({"int32_values": [1, 2]}, "a message of dtype float64 holds values in int32_values"),
    ],
)
def test_packed_values_outside_their_dtype_are_refused(
    fields: dict[str, Any], expected: str
) -> None:
    payload = _messages().PackedRequest(op=1, shape=[2], **fields).SerializeToString()
    assert expected in _refused("protobuf-packed", payload)


@pytest.mark.parametrize("name", list(MODULES))
def test_an_integer_array_is_scaled_by_an_integer_only(name: str) -> None:
    ints = np.array([1, 2], dtype=np.int32)
    fields: dict[str, Any] = {"op": 4, "shape": [2], "dtype": 2}
    if name == "protobuf":
        fields["data"] = ints.tobytes()
    else:
        fields["int32_values"] = ints
    float_k = getattr(_messages(), REQUESTS[name])(k=3.0, **fields).SerializeToString()
    assert "3" in _refused(name, float_k)  # never converted
    too_big = getattr(_messages(), REQUESTS[name])(int_k=2**40, **fields).SerializeToString()
    assert str(2**40) in _refused(name, too_big)


@pytest.mark.parametrize("name", list(MODULES))
def test_integer_results_come_back_in_their_packed_or_bytes_form(name: str) -> None:
    a = np.array([-3, 0, 32767], dtype=np.int16)
    with strategies.get(name) as strategy:
        reply = native.extension(MODULES[name]).call(
            strategy._encode(message("scale", (a, 1)))  # type: ignore[attr-defined]
        )
    if name == "protobuf":
        assert _messages().Reply.FromString(reply).data == a.tobytes()
    else:
        parsed = _messages().PackedReply.FromString(reply)
        assert list(parsed.int16_values) == [-3, 0, 32767] and not parsed.values
        # sint32: zigzag varints, 1 byte for -3 and 0, 3 for 32767 (+ tag and length)
        assert len(reply) == 2 + 1 + 1 + 3
