"""What is specific to the in-process strategies (ctypes*, pybind11*, nanobind, capi),
beyond the conformance suite: the GIL is really released around large kernels,
capsule-owned results outlive their strategy and are freed once, refusals are
the documented exception types, the naive variants really copy."""

from __future__ import annotations

import array
import ctypes
import sys
import threading
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

from interop_bench import native, ops, strategies

# Strategies that release the GIL around a large kernel (ctypes.CDLL does it for
# every call; the extension modules from gil_policy.hpp's threshold on).
RELEASING = ["ctypes", "ctypes-ndpointer", "pybind11", "nanobind", "capi"]
# Strategies whose scale result wraps C++ memory owned by a capsule.
CAPSULE_OWNED = ["pybind11", "nanobind", "capi"]
COPYING = ["pybind11-stl", "ctypes-list"]

# Long enough (80 MB, milliseconds of kernel) for another thread to run many times.
LARGE_ELEMENTS = 10_000_000


@pytest.fixture(scope="module")
def large_vector() -> np.ndarray:
    return ops.make_vector(LARGE_ELEMENTS, seed=5)


# Longer than any call here, so the GIL changes hands only where it is released
# (the interpreter would otherwise take it from a thread after 5 ms).
SWITCH_INTERVAL_S = 1.0
# Turns of a Python loop the other thread makes per attempt: tens of
# microseconds, far less than one large kernel.
OBSERVER_TURNS = 1000


def _calls_overlapped_by_another_thread(call: Callable[[], object], attempts: int = 5) -> int:
    """In how many of `attempts` calls another Python thread ran OBSERVER_TURNS
    turns of Python code and finished while the call was still running.

    The other thread is woken just before each call; it needs the GIL to run, so
    it can finish inside the call only if the call released the GIL."""
    in_call = False
    stop = False
    overlapped = 0
    go = threading.Event()
    done = threading.Event()

    def observe() -> None:
        nonlocal overlapped
        while True:
            go.wait()
            go.clear()
            if stop:
                return
            for _ in range(OBSERVER_TURNS):
                pass
            overlapped += in_call
            done.set()

    previous_interval_s = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    thread = threading.Thread(target=observe, daemon=True)
    thread.start()
    try:
        for _ in range(attempts):
            done.clear()
            in_call = True
            go.set()
            call()
            in_call = False
            done.wait()
    finally:
        stop = True
        go.set()
        thread.join()
        sys.setswitchinterval(previous_interval_s)
    return overlapped


def _gil_holding_sum() -> Callable[[np.ndarray], float]:
    """The same C kernel called through ctypes.PyDLL, which keeps the GIL: the control."""
    lib = ctypes.PyDLL(str(native.shared_library("ib_ctypes")))
    lib.ib_sum.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    lib.ib_sum.restype = ctypes.c_double

    def held_sum(a: np.ndarray) -> float:
        total: float = lib.ib_sum(a.ctypes.data, a.size)
        return total

    return held_sum


@pytest.mark.parametrize("name", RELEASING)
def test_gil_is_released_around_a_large_sum(name: str, large_vector: np.ndarray) -> None:
    attempts = 5
    held_sum = _gil_holding_sum()
    held = _calls_overlapped_by_another_thread(lambda: held_sum(large_vector), attempts)
    with strategies.get(name) as s:
        ops.check_sum(s.sum(large_vector), large_vector)
        released = _calls_overlapped_by_another_thread(lambda: s.sum(large_vector), attempts)
    assert held == 0, "the control (ctypes.PyDLL keeps the GIL) was overlapped: the test is broken"
    assert released > attempts // 2, f"{name}: another thread ran during {released} of {attempts}"


@pytest.mark.parametrize("name", CAPSULE_OWNED)
def test_capsule_owned_result_outlives_the_strategy_and_is_freed(name: str) -> None:
    a = ops.make_vector(1_000_000, seed=2)
    expected = a * 2.0
    payload_bytes = a.nbytes
    tracemalloc.start()
    try:
        with strategies.get(name) as s:
            before_bytes = tracemalloc.get_traced_memory()[0]
            result = s.scale(a, 2.0)
            allocated_bytes = tracemalloc.get_traced_memory()[0] - before_bytes
        # The strategy is closed; the array still reads its C++ buffer.
        ops.check_array(result, expected, "scale after close")
        assert not result.flags.owndata
        # The array is the only holder of its base: when the array goes, the
        # capsule goes, once, and frees the buffer.
        base_references = sys.getrefcount(result.base)  # the array + the call argument
        assert base_references == 2
        del result
        left_bytes = tracemalloc.get_traced_memory()[0] - before_bytes
    finally:
        tracemalloc.stop()
    assert allocated_bytes >= payload_bytes, "the result's buffer was not allocated where seen"
    assert left_bytes < payload_bytes // 10, f"{left_bytes} bytes still held after the array died"


@pytest.mark.parametrize("name", COPYING)
def test_naive_variants_really_copy(name: str) -> None:
    a = ops.make_vector(1000, seed=4)
    with strategies.get(name) as s:
        assert s.data_address(a) != a.ctypes.data
        ops.check_sum(s.sum(a), a)


# -- refusals, binding by binding --------------------------------------------


def test_ctypes_argument_error_is_not_a_type_error() -> None:
    # Why ctypes-ndpointer translates: the contract promises TypeError/ValueError.
    assert not issubclass(ctypes.ArgumentError, TypeError)


@pytest.mark.parametrize(
    ("op", "bad", "words"),
    [
        ("sum", np.arange(4, dtype=np.float32), "float64"),
        ("sum", np.arange(8.0)[::2], "C_CONTIGUOUS"),
        ("sum", np.ones((2, 2)), "dimension"),
        ("sum", [1.0, 2.0], "list"),
        ("sum", None, "NoneType"),
    ],
)
def test_ctypes_ndpointer_refusals_are_type_errors(op: str, bad: object, words: str) -> None:
    with strategies.get("ctypes-ndpointer") as s, pytest.raises(TypeError, match=words):
        getattr(s, op)(bad)


def test_ctypes_ndpointer_refuses_a_read_only_square() -> None:
    a = np.arange(4.0)
    a.flags.writeable = False
    with strategies.get("ctypes-ndpointer") as s, pytest.raises(TypeError, match="WRITEABLE"):
        s.square(a)
    np.testing.assert_array_equal(a, np.arange(4.0))


@pytest.mark.parametrize("name", ["pybind11", "nanobind"])
def test_wrong_dtype_is_refused_not_force_cast(name: str) -> None:
    with strategies.get(name) as s, pytest.raises(TypeError, match="incompatible function"):
        s.sum(np.arange(4, dtype=np.float32))


@pytest.mark.parametrize(
    ("name", "error", "words"),
    [
        ("pybind11", ValueError, "not writeable"),
        ("nanobind", TypeError, "incompatible function"),
        ("capi", ValueError, "read-only"),
    ],
)
def test_read_only_square_refused_by_the_binding(
    name: str, error: type[Exception], words: str
) -> None:
    a = np.arange(4.0)
    a.flags.writeable = False
    with strategies.get(name) as s, pytest.raises(error, match=words):
        s.square(a)


def test_capi_reads_any_float64_buffer_and_checks_its_format() -> None:
    with strategies.get("capi") as s:
        assert s.sum(array.array("d", [1.0, 2.5])) == 3.5
        with pytest.raises(TypeError, match="format 'B'"):
            s.sum(bytearray(16))
        with pytest.raises(TypeError, match="format 'f'"):
            s.sum(np.ones(3, dtype=np.float32))


@pytest.mark.parametrize("name", [*RELEASING, *COPYING])
def test_a_closed_strategy_says_so(name: str) -> None:
    s = strategies.get(name)
    with pytest.raises(RuntimeError, match="not open"):
        s.sum(ops.make_vector(3))
    with s:
        ops.check_sum(s.sum(ops.make_vector(3)), ops.make_vector(3))
    with pytest.raises(RuntimeError, match="not open"):
        s.sum(ops.make_vector(3))
