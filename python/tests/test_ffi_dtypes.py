"""The dtype axis and frames through the ffi strategies that hand C++ the array's own
pointer (the ctypes family and cffi on libib_ctypes.so, cython, cppyy), beyond the
conformance suite: every dtype reaches its own typed kernel in place (scale writes
the caller's result array; an integer sum is exact past 2^53, where a float would
round), a padded or cropped frame is read in place, and the GIL is released for
every dtype and for frames as for float64 (test_gil.py)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import numpy as np
import pytest
from gil_probe import released_at_kernel_entry

from interop_bench import ops, strategies
from interop_bench.strategies import Strategy

POINTER_STRATEGIES = ["ctypes", "ctypes-ndpointer", "ctypes-voidp", "cffi", "cython", "cppyy"]
FFI_STRATEGIES = [*POINTER_STRATEGIES, "ctypes-list"]
OTHER_DTYPES = [dtype for dtype in ops.DTYPES if dtype != ops.DEFAULT_DTYPE]
# Elements of int32's largest value whose sum, odd and above 2^53, no float64 holds:
# (2^22 + 1) * (2^31 - 1) = 2^53 + 2^31 - 2^22 - 1.
EXACT_SUM_ELEMENTS = (1 << 22) + 1
LARGE_ELEMENTS = 1 << 17  # above gil_policy.hpp's threshold, as test_gil.py's calls


@pytest.fixture(params=FFI_STRATEGIES)
def ffi(request: pytest.FixtureRequest) -> Iterator[Strategy]:
    with strategies.get(request.param) as strategy:
        yield strategy


@pytest.fixture(params=POINTER_STRATEGIES)
def pointer(request: pytest.FixtureRequest) -> Iterator[Strategy]:
    with strategies.get(request.param) as strategy:
        yield strategy


@pytest.mark.parametrize("dtype", OTHER_DTYPES)
def test_scale_writes_the_result_in_place_for_every_dtype(
    pointer: Strategy, dtype: ops.DType
) -> None:
    # (Conformance checks it for float64.) The typed kernel wrote the returned
    # array itself: no result of another dtype was converted on the way back.
    a = ops.make_vector(1000, seed=6, dtype=dtype)
    result = pointer.scale(a, ops.scale_factor(dtype))
    assert result.dtype == a.dtype
    assert pointer.last_result_address() == result.ctypes.data


def test_an_integer_sum_never_goes_through_a_float(ffi: Strategy) -> None:
    if ffi.name == "ctypes-list":
        pytest.skip("4 Mi Python ints: the naive variant is too slow for this size")
    a = np.full(EXACT_SUM_ELEMENTS, np.iinfo(np.int32).max, dtype=np.int32)
    expected = EXACT_SUM_ELEMENTS * int(np.iinfo(np.int32).max)
    assert float(expected) != expected  # a float64 would round it
    total = ffi.sum(a)
    assert isinstance(total, int)
    assert total == expected
    assert ffi.matrix_sum(a.reshape(1, -1)) == expected


def _cropped_frame(height: int = 720, width: int = 1280) -> np.ndarray:
    row_margin, column_margin = height // 72, width // 32
    frame = ops.make_frame(height, width, seed=8)
    image = frame[row_margin : height - row_margin, column_margin : width - column_margin, :]
    assert not image.flags.c_contiguous
    return image


def test_a_cropped_frame_is_read_in_place(pointer: Strategy) -> None:
    # NumPy reports its allocations to tracemalloc: reading the view in place
    # allocates the gray result only, where packing its rows would allocate
    # three times as much again.
    image = _cropped_frame()
    pointer.frame(image)  # first call outside the measure (cppyy compiles it)
    tracemalloc.start()
    try:
        gray = pointer.frame(image)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    ops.check_array(gray, ops.gray_reference(image), "frame")
    assert peak < gray.nbytes + image[..., 0].size, f"{peak} bytes allocated"


def test_the_naive_variant_packs_the_frame() -> None:
    # The control of the test above: ctypes-list copies, and the measure sees it.
    # A list of Python ints outweighs the frame at any size: a small one does.
    image = _cropped_frame(72, 128)
    with strategies.get("ctypes-list") as s:
        tracemalloc.start()
        try:
            s.frame(image)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak > image.size


@pytest.mark.parametrize("dtype", OTHER_DTYPES)
def test_a_long_call_of_every_dtype_lets_other_threads_run(
    pointer: Strategy, dtype: ops.DType
) -> None:
    a = ops.make_vector(LARGE_ELEMENTS, seed=5, dtype=dtype)
    ops.check_sum(pointer.sum(a), a)
    assert released_at_kernel_entry(lambda: pointer.sum(a)), "no other thread ran during the kernel"


def test_a_long_frame_lets_other_threads_run(pointer: Strategy) -> None:
    image = ops.make_input("frame", ops.parse_size("1080p"), seed=5)
    assert released_at_kernel_entry(lambda: pointer.frame(image)), "no other thread ran"
