"""cffi, msgpack (+ msgpack-list) and pickle5 (+ pickle) beyond the conformance suite:
cffi hands C the array's own memory, msgpack refuses hostile bytes by name, and the
pickle worker sends arrays out-of-band, survives faults and leaves nothing behind."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import msgpack
import numpy as np
import pytest
from worker_faults import gone, stall_fifo, wait_gone, when_stalled

from interop_bench import native, ops, strategies
from interop_bench.strategies._c_abi import VECTOR_OPS, entry_point
from interop_bench.strategies._serialization import message
from interop_bench.strategies._transport.worker import WorkerError
from interop_bench.strategies.cffi import CffiStrategy
from interop_bench.strategies.msgpack import MsgpackStrategy
from interop_bench.strategies.pickle5 import Pickle5Strategy, PickleStrategy

# -- cffi ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def cffi_strategy() -> Iterator[CffiStrategy]:
    with CffiStrategy() as strategy:
        yield strategy


def test_cffi_from_buffer_is_the_arrays_own_memory(cffi_strategy: CffiStrategy) -> None:
    ffi = cffi_strategy._ffi
    a = ops.make_vector(1000)
    pointer = ffi.from_buffer("double[]", a)
    assert int(ffi.cast("uintptr_t", pointer)) == a.ctypes.data
    assert cffi_strategy._lib.ib_data_address(pointer) == a.ctypes.data
    assert cffi_strategy.data_address(a) == a.ctypes.data


def test_cffi_declarations_are_every_function_of_the_header(cffi_strategy: CffiStrategy) -> None:
    header = Path(__file__).parents[2] / "strategies" / "_c_abi" / "ib_ctypes.h"
    declared = set(re.findall(r"IB_CTYPES_API\s+[\w\s\*]+?\b(ib_\w+)\s*\(", header.read_text()))
    typed = {entry_point(op, dtype) for op in VECTOR_OPS for dtype in ops.DTYPES}
    assert {"ib_sum", "ib_sum_f32", "ib_scale_u8"} <= typed
    expected = typed | {"ib_frame_to_gray", "ib_data_address", "ib_last_result_address"}
    assert declared == expected
    assert declared <= set(dir(cffi_strategy._lib))


def test_cffi_refuses_read_only_buffers_itself(cffi_strategy: CffiStrategy) -> None:
    frozen = ops.make_vector(10)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        cffi_strategy._ffi.from_buffer("double[]", frozen, require_writable=True)
    with pytest.raises(ValueError, match="read-only"):
        cffi_strategy.square(frozen)


def test_cffi_reads_padded_rows_in_place(cffi_strategy: CffiStrategy) -> None:
    padded = ops.make_vector(40 * 16, seed=5).reshape(40, 16)[:, :10]
    ops.check_sum(cffi_strategy.matrix_sum(padded), padded)


def test_cffi_closed_says_so() -> None:
    strategy = CffiStrategy()
    with pytest.raises(RuntimeError, match="not open"):
        strategy.sum(ops.make_vector(3))


# -- msgpack: hostile bytes into the native entry point --------------------------

MSGPACK_MODULES = {"msgpack": "ib_msgpack", "msgpack-list": "ib_msgpack_list"}


def _packed(**fields: object) -> bytes:
    """A MessagePack map of `fields`, with "dtype": "float64" unless given or
    the message is missing "data"."""
    if "data" in fields:
        fields = {"dtype": "float64", **fields}
    return bytes(msgpack.packb(fields))


def _refused(name: str, payload: object) -> str:
    with pytest.raises(ValueError) as error:
        native.extension(MSGPACK_MODULES[name]).call(payload)
    assert str(error.value), "the refusal must say what is wrong"
    return str(error.value)


def _valid(name: str, size: int = 4) -> bytes:
    with strategies.get(name) as strategy:
        encoded = strategy._encode(message("sum", (ops.make_vector(size, seed=size),)))  # type: ignore[attr-defined]
        return bytes(encoded)


VALUES = np.array([1.0, 2.0])
DATA = {"msgpack": VALUES.tobytes(), "msgpack-list": VALUES.tolist()}


def wrong_messages(data: object) -> dict[str, tuple[bytes, str]]:
    """Messages that each break one rule, with `data` holding two valid values,
    and what the refusal says."""
    return {
        "empty": (b"", "truncated"),
        "not_a_map": (bytes(msgpack.packb([1, 2])), "must be a map"),
        "unknown_op": (_packed(op="cube", shape=[2], data=data), "unknown op"),
        "op_not_str": (_packed(op=1, shape=[2], data=data), '"op" must be a str, got integer'),
        "unknown_key": (_packed(op="sum", shape=[2], data=data, x=1), 'unknown key "x"'),
        "missing_data": (_packed(op="sum", shape=[2]), 'needs "op", "shape", "dtype" and "data"'),
        "shape_mismatch": (_packed(op="sum", shape=[3], data=data), "shape says 3"),
        "shape_negative": (_packed(op="sum", shape=[-2], data=data), "non-negative integer"),
        "shape_3d": (_packed(op="sum", shape=[1, 1, 2], data=data), "more than 2 dimensions"),
        "shape_nested": (_packed(op="sum", shape=[[2]], data=data), "depth"),
        "shape_huge": (_packed(op="sum", shape=[2**60], data=data), "shape says 115292150460"),
        "k_not_number": (_packed(op="scale", shape=[2], data=data, k="2"), '"k" must be a number'),
        "scale_without_k": (_packed(op="scale", shape=[2], data=data), "needs k"),
        "trailing": (_packed(op="sum", shape=[2], data=data) + b"\xc0", "1 bytes follow"),
        "ext": (bytes(msgpack.packb(msgpack.ExtType(1, b"x" * 8))), "ext size overflow"),
        "long_str": (_packed(op="s" * 40, shape=[2], data=data), "str size overflow"),
    }


@pytest.mark.parametrize("kind", list(wrong_messages(None)))
@pytest.mark.parametrize("name", list(MSGPACK_MODULES))
def test_msgpack_wrong_messages_are_refused_by_name(name: str, kind: str) -> None:
    payload, expected = wrong_messages(DATA[name])[kind]
    assert expected in _refused(name, payload)


@pytest.mark.parametrize("name", list(MSGPACK_MODULES))
def test_msgpack_every_truncation_and_random_bytes_are_refused(name: str) -> None:
    whole = _valid(name)
    for cut in range(len(whole)):
        _refused(name, whole[:cut])
    rng = np.random.default_rng(11)
    for size in (1, 7, 64, 4096, 1 << 20):
        payload = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        try:
            native.extension(MSGPACK_MODULES[name]).call(payload)
        except ValueError as error:
            assert str(error)


@pytest.mark.parametrize("header", [b"\xdd", b"\xdf", b"\xc6", b"\xdb"])  # array/map/bin/str 32
@pytest.mark.parametrize("name", list(MSGPACK_MODULES))
def test_msgpack_huge_declared_lengths_allocate_nothing(name: str, header: bytes) -> None:
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for where in (b"", b"\x81\xa4data"):  # at the root, then as "data"
        text = _refused(name, where + header + b"\xff\xff\xff\xff" + b"\x00" * 64)
        assert "overflow" in text or "truncated" in text
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kib < 64 * 1024


def test_msgpack_bin_must_hold_whole_float64s() -> None:
    text = _refused("msgpack", _packed(op="sum", shape=[1], data=b"\x00" * 7))
    assert "holds 7 bytes, not a whole number of float64" in text
    text = _refused("msgpack", _packed(op="sum", shape=[1], dtype="int32", data=b"\x00" * 6))
    assert "holds 6 bytes, not a whole number of int32 values (4 bytes each)" in text
    assert "unknown dtype" in _refused(
        "msgpack", _packed(op="sum", shape=[1], dtype="f8", data=b"")
    )
    assert "must be a bin" in _refused("msgpack", _packed(op="sum", shape=[1], data=[1.0]))
    assert "an array of numbers" in _refused(
        "msgpack-list", _packed(op="sum", shape=[1], data=VALUES[:1].tobytes())
    )
    assert '"data"[1] must be a number, got str' in _refused(
        "msgpack-list", _packed(op="sum", shape=[2], data=[1.0, "2"])
    )


def test_msgpack_what_is_not_bytes_is_a_type_error() -> None:
    for bad in (None, 12, "text"):
        with pytest.raises(TypeError):
            native.extension("ib_msgpack").call(bad)


@pytest.mark.parametrize("name", list(MSGPACK_MODULES))
def test_msgpack_carries_nan_inf_and_negative_zero(name: str) -> None:
    a = np.array([1.0, np.nan, np.inf, -np.inf, -0.0, 4.0])
    with strategies.get(name) as strategy:
        result = strategy.scale(a, 1.0)
        np.testing.assert_array_equal(result, a)
        assert np.signbit(result[4])
        assert np.isnan(strategy.sum(a))


def test_msgpack_sends_the_values_as_one_bin() -> None:
    a = ops.make_vector(1000, seed=3)
    with MsgpackStrategy() as strategy:
        encoded = bytes(strategy._encode(message("scale", (a, 2.0))))
        reply = native.extension("ib_msgpack").call(encoded)
    assert msgpack.unpackb(encoded)["data"] == a.tobytes()
    assert len(encoded) < a.nbytes + 64
    np.testing.assert_array_equal(np.frombuffer(msgpack.unpackb(reply)["data"]), a * 2.0)


# -- pickle5 and pickle: the transport ---------------------------------------------

BIG = 1_000_000
# The pickle of (seq, op, (array,)) without the array bytes: opcodes, names, shape.
SMALL_PICKLE_BYTES = 1024


@pytest.fixture(scope="module", params=[Pickle5Strategy, PickleStrategy])
def pickler(request: pytest.FixtureRequest) -> Iterator[Pickle5Strategy]:
    with request.param() as strategy:
        yield strategy


def test_pickle5_arrays_go_out_of_band_and_pickle_in_band(pickler: Pickle5Strategy) -> None:
    a = ops.make_vector(BIG, seed=1)
    ops.check_array(pickler.scale(a, 2.0), a * 2.0, "scale")
    sent, received = pickler.last_sent, pickler.last_received
    if pickler.out_of_band:
        assert sent.in_band_bytes < SMALL_PICKLE_BYTES and sent.out_of_band_bytes == a.nbytes
        assert received.in_band_bytes < SMALL_PICKLE_BYTES
        assert received.out_of_band_bytes == a.nbytes
    else:
        assert sent.in_band_bytes > a.nbytes and sent.out_of_band_bytes == 0
        assert received.in_band_bytes > a.nbytes and received.out_of_band_bytes == 0


@pytest.mark.parametrize("dtype", ["int16", "uint8", "float32"])
def test_pickle5_every_dtype_crosses_as_its_own_bytes(
    pickler: Pickle5Strategy, dtype: ops.DType
) -> None:
    """The pickle carries the dtype; the buffer, the values' own bytes (not widened)."""
    a = ops.make_vector(BIG, seed=3, dtype=dtype)
    scaled = pickler.scale(a, ops.scale_factor(dtype))
    ops.Expected.of("scale", a).check(scaled)
    assert scaled.dtype == a.dtype
    if pickler.out_of_band:
        assert pickler.last_sent.out_of_band_bytes == a.nbytes
        assert pickler.last_received.out_of_band_bytes == a.nbytes
    total = pickler.sum(a)
    ops.check_sum(total, a)
    assert isinstance(total, float if dtype == "float32" else int)


def test_pickle5_a_cropped_frame_crosses_packed(pickler: Pickle5Strategy) -> None:
    image = ops.make_frame(48, 64, seed=4)[4:40, 8:56, :]  # rows 192 of 64 * 3 bytes apart
    gray = pickler.frame(image)
    ops.check_array(gray, ops.gray_reference(image), "frame")
    if pickler.out_of_band:
        assert pickler.last_sent.out_of_band_bytes == 36 * 48 * 3  # the rows packed
        assert pickler.last_received.out_of_band_bytes == 36 * 48


def test_pickle5_square_reads_the_reply_into_the_callers_array(pickler: Pickle5Strategy) -> None:
    a = ops.make_vector(BIG, seed=2)
    expected = np.square(a)
    address = a.ctypes.data
    pickler.square(a)
    assert a.ctypes.data == address
    ops.check_array(a, expected, "square")


def test_pickle5_worker_is_this_interpreter_running_capi(pickler: Pickle5Strategy) -> None:
    (pid,) = pickler.worker_pids()
    command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert command[0].decode() == sys.executable
    assert b"interop_bench.strategies._transport.pickle_worker" in command
    maps = Path(f"/proc/{pid}/maps").read_text()
    assert "ib_capi" in maps


def test_pickle5_bad_input_is_refused_before_anything_is_sent(pickler: Pickle5Strategy) -> None:
    sent = pickler._seq
    for bad in (np.arange(10, dtype=np.float16), [1.0, 2.0], np.ones(20)[::2], None):
        with pytest.raises((TypeError, ValueError)):
            pickler.sum(bad)  # type: ignore[arg-type]
    frozen = np.ones(3)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pickler.square(frozen)
    assert pickler._seq == sent


# -- pickle5 and pickle: faults, nothing left behind --------------------------------


@pytest.fixture(params=[Pickle5Strategy, PickleStrategy])
def stalling(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Pickle5Strategy, Path]]:
    """A pickle strategy whose worker stalls every call for a minute, saying so
    through the FIFO: a call that ends at all was ended by the fault under test."""
    fifo = stall_fifo(tmp_path)
    strategy = request.param(worker_flags=(f"--stall-fifo={fifo}",))
    strategy.open()
    yield strategy, fifo
    strategy.close()


def test_pickle5_worker_killed_mid_call_raises_then_reopen_starts_afresh(
    stalling: tuple[Pickle5Strategy, Path],
) -> None:
    strategy, fifo = stalling
    pids = strategy.worker_pids()
    killer = when_stalled(fifo, lambda: os.kill(pids[0], signal.SIGKILL))
    with pytest.raises(WorkerError, match=r"pickle worker \(pid \d+\) was killed by SIGKILL"):
        strategy.sum(ops.make_vector(BIG))
    killer.join()
    assert not strategy.is_open and gone(pids[0])
    strategy.open()
    assert strategy.worker_pids() != pids


def test_pickle5_ctrl_c_during_a_call_leaves_nothing(
    stalling: tuple[Pickle5Strategy, Path],
) -> None:
    strategy, fifo = stalling
    pids = strategy.worker_pids()
    main = threading.main_thread().ident
    assert main is not None
    interrupter = when_stalled(fifo, lambda: signal.pthread_kill(main, signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):
        strategy.sum(ops.make_vector(10))
    interrupter.join()
    assert not strategy.is_open and wait_gone(pids[0])


def test_pickle5_close_leaves_nothing(pickler: Pickle5Strategy) -> None:
    strategy = type(pickler)()
    with strategy:
        pids = strategy.worker_pids()
        ops.check_sum(strategy.sum(ops.make_vector(10)), ops.make_vector(10))
    assert strategy.worker_pids() == [] and gone(pids[0])


_CHILD = """
import signal
from interop_bench.strategies.pickle5 import Pickle5Strategy
s = Pickle5Strategy()
s.open()
print(s.worker_pids()[0], flush=True)
signal.pause()  # until killed
"""


def test_pickle5_a_killed_caller_leaves_no_worker() -> None:
    child = subprocess.Popen([sys.executable, "-c", _CHILD], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    worker = int(child.stdout.readline())
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    assert wait_gone(worker)  # the kernel kills the worker (PR_SET_PDEATHSIG); init reaps it


@pytest.mark.parametrize("name", list(MSGPACK_MODULES))
def test_msgpack_phases_are_named_and_the_answer_is_right(name: str) -> None:
    a = ops.make_vector(100_000, seed=6)
    with strategies.get(name) as strategy:
        scaled, phases = strategy.call_with_phases("scale", a, 2.0)
    ops.check_array(scaled, a * 2.0, "scale")  # type: ignore[arg-type]
    assert tuple(phases) == strategy.phase_names and len(phases) == 5
    assert all(ns >= 0 for ns in phases.values()) and phases["kernel"] > 0
