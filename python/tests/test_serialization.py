"""The serialization strategies (json, json-fast, flatbuffers, capnp) beyond the conformance
suite: hostile messages straight into the native entry points, NaN/Inf handling, and
phase timings that are the stages of the call and add up to it."""

from __future__ import annotations

import json
import os
import resource
import struct
from collections.abc import Callable, Iterator
from types import ModuleType

import msgpack  # the PyPI package
import numpy as np
import pytest

from interop_bench import native, ops, strategies
from interop_bench.strategies import Strategy
from interop_bench.strategies import _serialization as serialization
from interop_bench.strategies._serialization import message

EXTENSIONS = {"json": "ib_json", "json-fast": "ib_json_fast", "flatbuffers": "ib_flatbuffers"}
EXTENSIONS |= {"capnp": "ib_capnp", "capnp-list": "ib_capnp_list"}  # more in test_capnp.py
JSON_STRATEGIES = ["json", "json-fast"]
DEEP = 10_000


@pytest.fixture(scope="module", params=list(EXTENSIONS))
def opened(request: pytest.FixtureRequest) -> Iterator[Strategy]:
    with strategies.get(request.param) as strategy:
        yield strategy


def extension(name: str) -> ModuleType:
    return native.extension(EXTENSIONS[name])


def valid_message(strategy: Strategy, op: str = "sum", size: int = 10) -> bytes:
    args: tuple[object, ...] = (ops.make_vector(size, seed=size),)
    if op == "scale":
        args = (*args, 2.0)
    return bytes(strategy._encode(message(op, args)))  # type: ignore[attr-defined]


def refused(module: ModuleType, payload: object) -> str:
    with pytest.raises(ValueError) as error:
        module.call(payload)
    assert str(error.value)
    return str(error.value)


@pytest.mark.skipif(
    not os.environ.get("IB_EXPECT_SANITIZED"), reason="only under make test-sanitize"
)
def test_the_extension_modules_are_the_sanitized_ones() -> None:
    """`make test-sanitize` must not silently test the ordinary build in .venv."""
    for name in EXTENSIONS.values():
        path = native.extension(name).__file__
        assert path is not None and "build/sanitize/site" in path, path
    with open("/proc/self/maps") as maps:
        assert "libasan" in maps.read()


# -- hostile payloads into the native entry points ----------------------------


def test_empty_input_is_refused(opened: Strategy) -> None:
    refused(extension(opened.name), b"")


def test_every_truncation_is_refused(opened: Strategy) -> None:
    whole = valid_message(opened, size=4)
    module = extension(opened.name)
    for cut in range(len(whole)):
        refused(module, bytearray(whole[:cut]))  # bytearray: 8-aligned like the real messages


def test_truncated_large_message_is_refused(opened: Strategy) -> None:
    whole = valid_message(opened, size=100_000)
    for cut in (len(whole) // 3, len(whole) - 8, len(whole) - 1):
        refused(extension(opened.name), bytearray(whole[:cut]))


def test_random_bytes_are_refused(opened: Strategy) -> None:
    rng = np.random.default_rng(7)
    module = extension(opened.name)
    for size in (1, 7, 64, 4096, 1 << 20):
        refused(module, bytearray(rng.integers(0, 256, size, dtype=np.uint8).tobytes()))


def test_what_is_not_bytes_is_a_type_error(opened: Strategy) -> None:
    module = extension(opened.name)
    for bad in (None, 12, "text", [1, 2]):
        with pytest.raises(TypeError):
            module.call(bad)
    with pytest.raises(TypeError):
        module.call()


def test_valid_message_round_trips(opened: Strategy) -> None:
    reply = extension(opened.name).call(valid_message(opened))
    assert isinstance(reply, bytearray)
    ops.check_sum(opened._decode_value(reply), ops.make_vector(10, seed=10))  # type: ignore[attr-defined]


def _json(**fields: object) -> bytes:
    """A JSON message of `fields`, with "dtype": "float64" before "data" unless given."""
    message: dict[str, object] = {}
    for key, value in fields.items():
        if key == "data" and "dtype" not in fields:
            message["dtype"] = "float64"
        message[key] = value
    return json.dumps(message).encode()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


WRONG_JSON: dict[str, bytes] = {
    "array": b"[1, 2, 3]",
    "string": b'"sum"',
    "number": b"42",
    "null": b"null",
    "deep_array": _nested(DEEP).encode(),
    "deep_data": b'{"op": "sum", "shape": [1], "data": ' + _nested(DEEP).encode() + b"}",
    "deep_object": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "object_in_data": _json(op="sum", shape=[1], data=[{"x": 1}]),
    "string_in_data": _json(op="sum", shape=[1], data=["1.0"]),
    "null_in_data": b'{"op": "sum", "shape": [1], "data": [null]}',
    "bool_in_data": _json(op="sum", shape=[1], data=[True]),
    "data_not_array": _json(op="sum", shape=[1], data=1.0),
    "op_not_string": _json(op=1, shape=[1], data=[1.0]),
    "unknown_op": _json(op="cube", shape=[1], data=[1.0]),
    "missing_data": _json(op="sum", shape=[1]),
    "shape_mismatch": _json(op="sum", shape=[3], data=[1.0]),
    "shape_3d": _json(op="sum", shape=[1, 1, 1], data=[1.0]),
    "shape_negative": _json(op="sum", shape=[-1], data=[]),
    "shape_float": _json(op="sum", shape=[1.5], data=[1.0]),
    "shape_huge": _json(op="matrix_sum", shape=[2**62, 2**62], data=[1.0]),
    "scale_without_k": _json(op="scale", shape=[1], data=[1.0]),
    "k_not_number": _json(op="scale", shape=[1], data=[1.0], k="2"),
    "duplicate_key": b'{"op": "sum", "op": "sum", "shape": [0], "data": []}',
    "trailing_text": _json(op="sum", shape=[1], data=[1.0]) + b" {}",
    "nan_literal": b'{"op": "sum", "shape": [1], "data": [NaN]}',
    "invalid_utf8": b'{"op": "\xff\xfe", "shape": [1], "data": [1]}',
}


@pytest.mark.parametrize("kind", list(WRONG_JSON))
@pytest.mark.parametrize("name", JSON_STRATEGIES)
def test_json_of_the_wrong_shape_is_refused(name: str, kind: str) -> None:
    refused(extension(name), WRONG_JSON[kind])


@pytest.mark.parametrize("name", JSON_STRATEGIES)
def test_a_lying_shape_does_not_allocate_what_it_claims(name: str) -> None:
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    text = refused(extension(name), _json(op="sum", shape=[2**60], data=[1.0, 2.0]))
    assert "shape says 1152921504606846976 elements, data holds 2" in text
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kib < 64 * 1024


@pytest.mark.parametrize("name", JSON_STRATEGIES)
def test_json_errors_name_the_problem(name: str) -> None:
    assert "unknown op" in refused(extension(name), WRONG_JSON["unknown_op"])
    assert "shape says 3" in refused(extension(name), WRONG_JSON["shape_mismatch"])
    assert "appears twice" in refused(extension(name), WRONG_JSON["duplicate_key"])
    assert "data" in refused(extension(name), WRONG_JSON["null_in_data"])


# -- FlatBuffers: corrupt offsets and lengths ----------------------------------


@pytest.fixture(scope="module")
def flatbuffers_strategy() -> Iterator[Strategy]:
    with strategies.get("flatbuffers") as strategy:
        yield strategy


def _fbs_message(strategy: Strategy, size: int = 16) -> bytearray:
    return bytearray(valid_message(strategy, size=size))


def _data_length_offset(buffer: bytearray, strategy: Strategy) -> int:
    """Where the data vector's element count sits in a Request buffer."""
    root = native.extension("fbs.Request").Request.GetRootAs(buffer, 0)
    values = root.DataAsNumpy()
    start = np.frombuffer(buffer, dtype=np.uint8).ctypes.data
    return int(values.ctypes.data - start) - 4


def test_flatbuffers_vector_longer_than_the_buffer_is_refused(
    flatbuffers_strategy: Strategy,
) -> None:
    buffer = _fbs_message(flatbuffers_strategy)
    at = _data_length_offset(buffer, flatbuffers_strategy)
    assert struct.unpack_from("<I", buffer, at)[0] == 16
    for claimed in (17, 1 << 28, 0xFFFFFFFF):
        corrupt = bytearray(buffer)
        struct.pack_into("<I", corrupt, at, claimed)
        assert "verification failed" in refused(extension("flatbuffers"), corrupt)


def test_flatbuffers_offsets_out_of_range_are_refused(flatbuffers_strategy: Strategy) -> None:
    buffer = _fbs_message(flatbuffers_strategy)
    for at in (0, 8, 12, 16, 20):  # the root offset, then the table's own offsets
        for value in (0x7FFFFFF0, len(buffer), 0xFFFFFFFC):
            corrupt = bytearray(buffer)
            struct.pack_into("<I", corrupt, at, value)
            try:
                extension("flatbuffers").call(corrupt)
            except ValueError:
                continue  # refused; a change that still verifies must give a right answer


def test_flatbuffers_wrong_identifier_and_misalignment_are_refused(
    flatbuffers_strategy: Strategy,
) -> None:
    buffer = _fbs_message(flatbuffers_strategy)
    corrupt = bytearray(buffer)
    corrupt[4:8] = b"JSON"
    assert "verification failed" in refused(extension("flatbuffers"), corrupt)
    shifted = bytearray(len(buffer) + 1)
    shifted[1:] = buffer
    assert "not 8-byte aligned" in refused(extension("flatbuffers"), memoryview(shifted)[1:])


def test_flatbuffers_shape_claiming_2_to_the_60_is_refused(flatbuffers_strategy: Strategy) -> None:
    buffer = _fbs_message(flatbuffers_strategy)
    root = native.extension("fbs.Request").Request.GetRootAs(buffer, 0)
    shape_at = root.ShapeAsNumpy().ctypes.data - np.frombuffer(buffer, np.uint8).ctypes.data
    struct.pack_into("<Q", buffer, int(shape_at), 2**60)
    assert "shape says 1152921504606846976" in refused(extension("flatbuffers"), buffer)


# -- NaN and Inf ---------------------------------------------------------------


@pytest.mark.parametrize("name", JSON_STRATEGIES)
@pytest.mark.parametrize("special", [np.nan, np.inf, -np.inf])
def test_json_refuses_nan_and_inf_by_name(name: str, special: float) -> None:
    a = ops.make_vector(100, seed=1)
    a[37] = special
    with strategies.get(name) as strategy:
        for call in (lambda: strategy.sum(a), lambda: strategy.scale(a, 2.0)):
            with pytest.raises(ValueError, match=r"element 37 is -?(nan|inf) \(NaN/Inf\)"):
                call()
        with pytest.raises(ValueError, match="NaN or Inf"):
            strategy.scale(ops.make_vector(3), special)


@pytest.mark.parametrize("name", JSON_STRATEGIES)
def test_json_refuses_a_result_that_overflows(name: str) -> None:
    with strategies.get(name) as strategy:
        with pytest.raises(ValueError, match=r"result\[1\] is Inf"):
            strategy.scale(np.array([1.0, 1e308]), 10.0)
        a = np.full(4, 1e308)
        with pytest.raises(ValueError, match="Inf"):
            strategy.sum(a)  # finite values, infinite sum: refused, never null


def test_flatbuffers_carries_nan_and_inf(flatbuffers_strategy: Strategy) -> None:
    a = np.array([1.0, np.nan, np.inf, -np.inf])
    result = flatbuffers_strategy.scale(a, 2.0)
    np.testing.assert_array_equal(result, a * 2.0)
    assert np.isnan(flatbuffers_strategy.sum(np.array([1.0, np.nan])))
    assert flatbuffers_strategy.sum(np.full(4, 1e308)) == np.inf


def test_flatbuffers_answer_is_a_writable_view_of_the_reply(flatbuffers_strategy: Strategy) -> None:
    result = flatbuffers_strategy.scale(ops.make_vector(100), 2.0)
    assert not result.flags.owndata
    assert isinstance(result.base, bytearray | memoryview)
    assert result.flags.writeable


# -- where the time goes ---------------------------------------------------------


class _Clock:
    """perf_counter_ns for call_with_phases: time moves only when a stage says so."""

    def __init__(self) -> None:
        self.now_ns = 0

    def __call__(self) -> int:
        return self.now_ns


class _AdvancingNative:
    """The extension module, its call taking `cross_ns` on the clock besides the
    kernel and encode times the native side reports."""

    def __init__(self, native_module: ModuleType, clock: _Clock, cross_ns: int) -> None:
        self._native, self._clock, self._cross_ns = native_module, clock, cross_ns
        self.reported: tuple[int, int] = (0, 0)

    def call(self, encoded: object, timed: bool = False) -> object:
        reply = self._native.call(encoded, timed)
        if timed:
            _, _, kernel_ns, encode_ns = reply
            self.reported = (kernel_ns, encode_ns)
            self._clock.now_ns += self._cross_ns + kernel_ns + encode_ns
        return reply


# What each Python-side stage takes on the injected clock: distinct, so a phase
# that measures the wrong interval (or a stage counted twice) cannot match.
ENCODE_NS, CROSS_NS, DECODE_NS = 1_000, 20_000, 300_000


@pytest.mark.parametrize("op", ["sum", "square", "matrix_sum", "scale", "frame"])
def test_phases_are_the_stages_of_the_call_and_add_up_to_it(
    opened: Strategy, op: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On an injected clock (no wall-clock noise can move it): python_encode is the
    encoding, cross+native_decode the native call less the native side's kernel and
    encode times, those two as the native side reports them, python_decode the
    decoding, and together exactly the time between entering and leaving the call."""
    clock = _Clock()
    monkeypatch.setattr(serialization, "perf_counter_ns", clock)
    native_module = _AdvancingNative(opened._native, clock, CROSS_NS)  # type: ignore[attr-defined]
    monkeypatch.setattr(opened, "_native", native_module)
    for stage, took_ns in (("_encode", ENCODE_NS), ("_finish", DECODE_NS)):
        monkeypatch.setattr(opened, stage, _advancing(getattr(opened, stage), clock, took_ns))
    size = 999 if op == "frame" else 1000  # the bytes of whole RGB pixels
    a = ops.make_input(op, size, seed=2)  # type: ignore[arg-type]
    args: tuple[object, ...] = (a, ops.SCALE_FACTOR) if op == "scale" else (a,)
    expected = ops.Expected.of(op, a)  # before the call: square changes `a`

    result, phases = opened.call_with_phases(op, *args)

    kernel_ns, encode_ns = native_module.reported
    assert kernel_ns > 0
    assert tuple(phases) == opened.phase_names
    assert phases == {
        "python_encode": ENCODE_NS,
        "cross+native_decode": CROSS_NS,
        "kernel": kernel_ns,
        "native_encode": encode_ns,
        "python_decode": DECODE_NS,
    }
    assert sum(phases.values()) == clock.now_ns
    expected.check(a if op == "square" else result)  # square's answer is the caller's array


def _advancing(stage: Callable[..., object], clock: _Clock, took_ns: int) -> Callable[..., object]:
    def run(*args: object) -> object:
        result = stage(*args)
        clock.now_ns += took_ns
        return result

    return run


def test_call_with_phases_returns_the_answer(opened: Strategy) -> None:
    a = ops.make_vector(1000, seed=4)
    result, _ = opened.call_with_phases("sum", a)
    ops.check_sum(result, a)
    scaled, _ = opened.call_with_phases("scale", a, 2.0)
    ops.check_array(scaled, a * 2.0, "scale")
    b = a.copy()
    assert opened.call_with_phases("square", b)[0] is None
    ops.check_array(b, np.square(a), "square")
    image = ops.make_frame(9, 7, seed=5)[:, 1:6, :]  # cropped: packed into the message
    gray, phases = opened.call_with_phases("frame", image)
    ops.check_array(gray, ops.gray_reference(image), "frame")
    assert phases["kernel"] > 0


@pytest.mark.parametrize("dtype", ops.DTYPES)
def test_call_with_phases_runs_every_dtype(opened: Strategy, dtype: ops.DType) -> None:
    a = ops.make_vector(1000, seed=6, dtype=dtype)
    result, phases = opened.call_with_phases("sum", a)
    ops.check_sum(result, a)
    scaled, _ = opened.call_with_phases("scale", a, ops.scale_factor(dtype))
    ops.Expected.of("scale", a).check(scaled)
    assert phases["kernel"] > 0


# -- dtypes and frames in the messages -------------------------------------------

TEXT_AND_MAP_STRATEGIES = ["json", "json-fast", "msgpack", "msgpack-list"]
NATIVE = {"json": "ib_json", "json-fast": "ib_json_fast"}
NATIVE |= {"msgpack": "ib_msgpack", "msgpack-list": "ib_msgpack_list"}


@pytest.mark.parametrize("name", JSON_STRATEGIES)
def test_json_writes_integers_as_integers(name: str) -> None:
    """Integer dtypes travel as JSON integers both ways, and the sum is an exact int."""
    a = np.array([-32768, 7, 32767], dtype=np.int16)
    with strategies.get(name) as strategy:
        request = message("square", (a,))
        text = bytes(strategy._encode(request)).decode()  # type: ignore[attr-defined]
        assert '"dtype":' in text.replace(" ", "") and "32767" in text and "." not in text
        reply = json.loads(native.extension(NATIVE[name]).call(strategy._encode(request)))  # type: ignore[attr-defined]
        assert reply == {"dtype": "int16", "data": [0, 49, 1]}  # wrapped around in int16
        total = strategy.sum(a)
        assert type(total) is int and total == 6


@pytest.mark.parametrize("name", JSON_STRATEGIES)
def test_json_refuses_values_that_do_not_fit_the_dtype(name: str) -> None:
    module = native.extension(NATIVE[name])
    for dtype, data in (("uint8", [256]), ("int16", [-40000]), ("int32", [1.5]), ("int32", [2.0])):
        text = refused(module, _json(op="sum", shape=[1], dtype=dtype, data=data))
        assert '"data"[0]' in text and dtype in text, text
    assert "unknown dtype" in refused(module, _json(op="sum", shape=[1], dtype="float16", data=[1]))
    assert "must come before" in refused(
        module, json.dumps({"op": "sum", "shape": [1], "data": [1], "dtype": "uint8"}).encode()
    )


@pytest.mark.parametrize("name", TEXT_AND_MAP_STRATEGIES)
def test_a_frame_message_holds_the_rows_packed(name: str) -> None:
    image = ops.make_frame(10, 12, seed=8)[1:9, 2:11, :]  # cropped: rows 36 bytes apart
    request = message("frame", (image,))
    assert request.shape == (8, 9) and request.dtype == "uint8"
    assert request.data.flags.c_contiguous and request.data.size == 8 * 9 * 3
    np.testing.assert_array_equal(request.data, image.reshape(-1))
    with strategies.get(name) as strategy:
        gray = strategy.frame(image)
    ops.check_array(gray, ops.gray_reference(image), "frame")


@pytest.mark.parametrize("name", TEXT_AND_MAP_STRATEGIES)
def test_a_reply_of_another_dtype_is_refused(name: str) -> None:
    """The reply's dtype tag must be the one asked for: never converted silently."""
    a = np.arange(4, dtype=np.int32)
    with strategies.get(name) as strategy:
        float_reply = strategy._native.call(
            strategy._encode(message("square", (a.astype(np.float64),)))
        )  # type: ignore[attr-defined]
        with pytest.raises(ValueError, match="float64"):
            strategy._finish(message("square", (a,)), float_reply)  # type: ignore[attr-defined]


def test_msgpack_bin_carries_each_dtype_as_its_own_bytes() -> None:
    """A uint8 message is an eighth of a float64 one: one byte a value in the bin."""
    with strategies.get("msgpack") as strategy:
        sizes = {
            dtype: len(strategy._encode(message("sum", (ops.make_vector(10_000, dtype=dtype),))))  # type: ignore[attr-defined]
            for dtype in ops.DTYPES
        }
    for dtype, size in sizes.items():
        assert 10_000 * ops.item_bytes(dtype) < size < 10_000 * ops.item_bytes(dtype) + 100


def test_msgpack_list_packs_integers_as_integers() -> None:
    a = np.array([0, 127, 255], dtype=np.uint8)
    with strategies.get("msgpack-list") as strategy:
        encoded = bytes(strategy._encode(message("sum", (a,))))  # type: ignore[attr-defined]
        assert msgpack.unpackb(encoded)["data"] == [0, 127, 255]
        assert b"\xcb" not in encoded  # no float64 anywhere
        total = strategy.sum(a)
        assert type(total) is int and total == 382
        assert strategy.scale(a, 3).tolist() == [0, 125, 253]  # wrapped around in uint8
