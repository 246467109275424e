"""What is specific to the in-process strategies (ctypes*, pybind11*, nanobind, capi),
beyond the conformance suite: native results outlive their strategy and are freed
once, refusals are the documented exception types, the naive variants really copy.
(GIL release: test_gil.py, over every strategy's `releases_gil`.)"""

from __future__ import annotations

import array
import ctypes
import gc
import tracemalloc
from typing import Any

import numpy as np
import pytest

from interop_bench import ops, strategies

COPYING = ["pybind11-stl", "ctypes-list"]


def _native_result_owners() -> list[str]:
    """The strategies whose scale result wraps memory their native side allocated."""
    return [
        name
        for name in strategies.names()
        if (cls := strategies.strategy_class(name)).family == "ffi"
        and cls.copies_out == "zero-copy"
        and cls.scale_result_memory == "native"
    ]


@pytest.mark.parametrize("name", _native_result_owners())
def test_a_native_result_outlives_the_strategy_and_is_freed_once(name: str) -> None:
    # Counted natively (result_record.hpp), as nanobind's tests count destructors.
    a = ops.make_vector(100_000, seed=2)
    expected = a * 2.0
    with strategies.get(name) as s:
        before = s.result_buffers_alive()
        assert before is not None, f"{name} claims native result memory but does not count it"
        result = s.scale(a, 2.0)
        assert s.result_buffers_alive() == before + 1
    # The strategy is closed; the array still reads its native buffer.
    ops.check_array(result, expected, "scale after close")
    assert not result.flags.owndata
    del result
    gc.collect()
    with strategies.get(name) as again:  # the count is the module's, across opens
        assert again.result_buffers_alive() == before  # freed, once: twice would go below


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
        ("sum", np.arange(4, dtype=np.float16), "got float16"),
        ("sum", np.arange(4, dtype=">f4"), "float32"),  # a carried dtype, byte-swapped
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
@pytest.mark.parametrize("dtype", ["int64", "float16", "uint16"])
def test_wrong_dtype_is_refused_not_force_cast(name: str, dtype: str) -> None:
    words = f"sum: expected dtype float64, float32, int32, int16 or uint8, got {dtype}"
    with strategies.get(name) as s, pytest.raises(TypeError, match=words):
        s.sum(np.arange(4, dtype=dtype))


# Without noconvert, pybind11 (forcecast) and nanobind (its issue #711) convert an
# array of another dtype into a temporary copy: square would then write into the
# copy and the caller's array would silently stay as it was. Each dtype outside
# the axis must be refused by square, and each on it squared in the caller's array.
IN_PLACE_BINDINGS = ["pybind11", "nanobind", "capi", "swig", "dlpack"]


@pytest.mark.parametrize("name", IN_PLACE_BINDINGS)
@pytest.mark.parametrize("dtype", ["int64", "float16", "uint16", "int8", "complex64"])
def test_square_of_another_dtype_is_refused_not_converted(name: str, dtype: str) -> None:
    a = np.arange(1, 5, dtype=dtype)
    before = a.copy()
    with strategies.get(name) as s, pytest.raises(TypeError):
        s.square(a)
    np.testing.assert_array_equal(a, before)


@pytest.mark.parametrize("name", IN_PLACE_BINDINGS)
@pytest.mark.parametrize("dtype", [">f8", ">f4", ">i4", ">i2"])
def test_a_byte_swapped_dtype_is_refused_not_swapped(name: str, dtype: str) -> None:
    # The right element size, the wrong byte order: read as native it would be
    # garbage, converted it would be a copy. (DLPack's producer refuses it
    # itself: a ValueError, "native byte order".)
    a = np.arange(1, 5, dtype=dtype)
    before = a.copy()
    with strategies.get(name) as s, pytest.raises((TypeError, ValueError), match=r"byte order|>"):
        s.square(a)
    np.testing.assert_array_equal(a, before)


@pytest.mark.parametrize("name", IN_PLACE_BINDINGS)
@pytest.mark.parametrize("dtype", ops.DTYPES)
def test_square_writes_the_callers_array_of_every_dtype(name: str, dtype: ops.DType) -> None:
    a = np.arange(1, 5, dtype=dtype)
    with strategies.get(name) as s:
        s.square(a)
    np.testing.assert_array_equal(a, np.square(np.arange(1, 5, dtype=dtype)))
    assert a.dtype == np.dtype(dtype)


@pytest.mark.parametrize("name", IN_PLACE_BINDINGS)
def test_integer_sums_are_exact_ints(name: str) -> None:
    # Past 2**53 a float accumulator rounds: int64 accumulation of int32 does not.
    a = np.full(5, np.iinfo(np.int32).max, dtype=np.int32)
    with strategies.get(name) as s:
        total = s.sum(a)
        assert type(total) is int and total == 5 * int(np.iinfo(np.int32).max)
        assert s.sum(np.full(3, 255, dtype=np.uint8)) == 765  # no uint8 wrap-around


@pytest.mark.parametrize("name", IN_PLACE_BINDINGS)
def test_integer_scale_refuses_a_float_factor(name: str) -> None:
    with strategies.get(name) as s, pytest.raises(TypeError):
        s.scale(np.arange(4, dtype=np.int32), 2.5)


@pytest.mark.parametrize("name", IN_PLACE_BINDINGS)
def test_frame_reads_a_padded_view_in_place(name: str) -> None:
    # A 1080p image inside a wider, taller buffer: a binding that packed it first
    # would allocate (traced) another 6 MB; only the 2 MB gray image is new.
    padded = ops.make_frame(1100, 1950, seed=5)
    view = padded[10:1090, 15:1935]
    with strategies.get(name) as s:
        tracemalloc.start()
        try:
            gray = s.frame(view)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    ops.check_array(gray, ops.gray_reference(view), "frame of a padded view")
    assert peak < gray.nbytes + view[..., 0].nbytes, f"{name} copied the view ({peak} B traced)"


@pytest.mark.parametrize(
    ("name", "error", "words"),
    [
        ("pybind11", ValueError, "not writeable"),
        ("nanobind", ValueError, "read-only"),
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


def test_capi_reads_any_buffer_of_the_five_formats_and_names_others() -> None:
    with strategies.get("capi") as s:
        assert s.sum(array.array("d", [1.0, 2.5])) == 3.5
        assert s.sum(bytearray(b"\x01\x02\xff")) == 258  # a buffer of bytes is uint8
        # ctypes exports '<d', '<h', '<B' ...: the byte order prefix of this machine.
        assert s.sum((ctypes.c_double * 3)(1.0, 2.0, 3.5)) == 6.5
        assert s.sum((ctypes.c_int16 * 3)(-1, 2, -300)) == -299
        assert s.sum((ctypes.c_int32 * 2)(2**31 - 1, 2**31 - 1)) == 2 * (2**31 - 1)
        with pytest.raises(TypeError, match="format 'q'"):
            s.sum(array.array("q", [1, 2]))
        with pytest.raises(TypeError, match="format 'b'"):
            s.sum(array.array("b", [1, 2]))
        with pytest.raises(TypeError, match="format '>d'"):
            s.sum(np.ones(3, dtype=">f8"))


@pytest.mark.parametrize(
    "name", [n for n in strategies.names() if strategies.strategy_class(n).family != "reference"]
)
def test_a_closed_strategy_says_so(name: str) -> None:
    # (numpy, the reference, has nothing to open: it works closed.)
    s = strategies.get(name)
    with pytest.raises(RuntimeError, match="not open"):
        s.sum(ops.make_vector(3))
    with s:
        ops.check_sum(s.sum(ops.make_vector(3)), ops.make_vector(3))
    with pytest.raises(RuntimeError, match="not open"):
        s.sum(ops.make_vector(3))


# -- Cython ---------------------------------------------------------------------


def test_cython_refuses_a_numpy_dtype_outside_the_axis_by_name() -> None:
    # Read from the dtype code in C, before any buffer is acquired.
    with strategies.get("cython") as s, pytest.raises(TypeError, match="got int64"):
        s.sum(np.arange(3))


@pytest.mark.parametrize(
    ("op", "bad", "error", "words"),
    [
        ("sum", None, TypeError, "must not be None"),
        ("sum", array.array("f", [1.0]), ValueError, "dtype mismatch"),  # not NumPy's: float64's
        ("sum", np.arange(8.0)[::2], ValueError, "not C-contiguous"),
        ("sum", np.arange(8, dtype=np.int16)[::2], ValueError, "not C-contiguous"),
        ("sum", np.ones(3, dtype=">f4"), ValueError, "endian"),
        ("square", np.arange(3.0), None, ""),
    ],
)
def test_cython_refusals_are_cythons_own(
    op: str, bad: Any, error: type[Exception] | None, words: str
) -> None:
    with strategies.get("cython") as s:
        if error is None:
            bad.flags.writeable = False
            error, words = ValueError, "read-only"
        with pytest.raises(error, match=words):
            getattr(s, op)(bad)


def test_nanobind_arguments_are_positional_only() -> None:
    # Unnamed arguments keep nanobind 3 on its short dispatch path (ib_nanobind.cpp).
    with strategies.get("nanobind") as s, pytest.raises(TypeError, match="incompatible function"):
        s.sum(a=np.ones(2))


def test_ctypes_voidp_passes_plain_addresses() -> None:
    # What sets it apart from `ctypes`: c_void_p argtypes fed the integer a.ctypes.data.
    a = ops.make_vector(10, seed=5)
    with strategies.get("ctypes-voidp") as s:
        assert s._lib.ib_sum.argtypes[0] is ctypes.c_void_p
        assert s.data_address(a) == a.ctypes.data
        ops.check_sum(s.sum(a), a)
