"""Every registered strategy gives NumPy's answers, keeps its copy promises and
refuses bad input clearly, for every dtype of ops.DTYPES and for frames.
Parametrized over the registry (see conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from interop_bench import ops
from interop_bench.strategies import Strategy

SIZES = [0, 1, 7, 1000, 1_000_000]
# Other dtypes than float64 at smaller large sizes: 65,537 elements cross every
# power-of-two chunk up to 64 Ki, which is what a dtype changes in a transport.
SIZES_OTHER_DTYPES = [0, 1, 7, 1000, 65_537]


def _cases() -> list[tuple[ops.DType, int]]:
    return [
        (dtype, size)
        for dtype in ops.DTYPES
        for size in (SIZES if dtype == ops.DEFAULT_DTYPE else SIZES_OTHER_DTYPES)
    ]


CASES = pytest.mark.parametrize(("dtype", "size"), _cases())


def _vector(strategy: Strategy, size: int, dtype: ops.DType) -> np.ndarray:
    return strategy.prepare(ops.make_vector(size, seed=size, dtype=dtype))


@CASES
def test_sum(strategy: Strategy, dtype: ops.DType, size: int) -> None:
    a = _vector(strategy, size, dtype)
    ops.check_sum(strategy.sum(a), a)


@CASES
def test_square_changes_the_callers_array_in_place(
    strategy: Strategy, dtype: ops.DType, size: int
) -> None:
    a = _vector(strategy, size, dtype)
    expected = np.square(a)
    assert strategy.square(a) is None
    ops.check_array(a, expected, "square (the caller's array)")


@CASES
def test_matrix_sum(strategy: Strategy, dtype: ops.DType, size: int) -> None:
    m = strategy.prepare(ops.make_input("matrix_sum", size, seed=size, dtype=dtype))
    ops.check_sum(strategy.matrix_sum(m), m)


@CASES
def test_scale_returns_a_new_array(strategy: Strategy, dtype: ops.DType, size: int) -> None:
    a = _vector(strategy, size, dtype)
    before = a.copy()
    k = ops.scale_factor(dtype)
    result = strategy.scale(a, k)
    ops.check_array(result, a * k, "scale")
    ops.check_array(a, before, "scale's input")
    if size:
        assert not np.shares_memory(result, a)


def test_scale_result_outlives_the_call(strategy: Strategy) -> None:
    results = [
        strategy.scale(strategy.prepare(ops.make_vector(1000, seed=i)), 2.0) for i in range(20)
    ]
    for i, result in enumerate(results):
        ops.check_array(result, ops.make_vector(1000, seed=i) * 2.0, "scale")


def _layouts(dtype: ops.DType) -> dict[str, np.ndarray]:
    base = ops.make_vector(60 * 70, seed=3, dtype=dtype).reshape(60, 70)
    return {
        "c_contiguous": base,
        "fortran": np.asfortranarray(base),
        "sliced": base[::2, 1::3],
        "transposed": base.T,
        "row_sliced": base[5:40:3, :],
        "column_sliced": base[:, 10:20],
        "reversed": base[::-1, ::-1],
        "one_row": base[:1, :],
        "one_column": base[:, :1],
        "empty": base[:0, :],
    }


# One layout of each class that a strategy reads differently, for the dtypes
# other than float64 (which runs every layout): what a dtype changes is the
# element size in the strides and the code that reads them, the same within a
# class. The classes: rows packed; rows at a larger stride (row_sliced and
# one_column too); columns contiguous, read through the transpose (transposed
# too); neither, copied first (sliced too); no rows at all (one_row reads as
# rows packed).
LAYOUT_PER_CLASS = ("c_contiguous", "column_sliced", "fortran", "reversed", "empty")


def _layout_cases() -> list[tuple[str, ops.DType]]:
    every = [(layout, ops.DEFAULT_DTYPE) for layout in _layouts(ops.DEFAULT_DTYPE)]
    others = [d for d in ops.DTYPES if d != ops.DEFAULT_DTYPE]
    return every + [(layout, dtype) for dtype in others for layout in LAYOUT_PER_CLASS]


@pytest.mark.parametrize(("layout", "dtype"), _layout_cases())
def test_matrix_sum_any_layout(strategy: Strategy, layout: str, dtype: ops.DType) -> None:
    m = _layouts(dtype)[layout]
    ops.check_sum(strategy.matrix_sum(m), m)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_special_values_propagate(strategy: Strategy, dtype: ops.DType) -> None:
    for special in (np.nan, np.inf, -np.inf):
        a = ops.make_vector(100, seed=1, dtype=dtype)
        a[37] = special
        try:
            got = strategy.sum(a)
        except ValueError as error:  # allowed for formats without NaN/Inf, if said clearly
            assert "nan" in str(error).lower() or "inf" in str(error).lower()
            continue
        ops.check_sum(got, a)


@pytest.mark.parametrize("dtype", ["float16", "int64", ">f8"])
def test_dtypes_outside_the_contract_are_refused_by_every_op(
    strategy: Strategy, dtype: str
) -> None:
    """A dtype outside ops.DTYPES (a byte-swapped float64 too) is refused by every
    op, naming the problem, never converted: a converted square would leave the
    caller's array as it was while saying it squared it."""
    a = np.arange(10, dtype=dtype)
    before = a.copy()
    for op in ops.VECTOR_OPS:
        arg = a.reshape(2, 5) if op == "matrix_sum" else a
        args = (arg, 2) if op == "scale" else (arg,)
        with pytest.raises((TypeError, ValueError)) as refused:
            getattr(strategy, op)(*args)
        message = str(refused.value).lower()
        words = PROBLEM_WORDS["byte_order" if dtype.startswith(">") else "float16"]
        assert any(w in message for w in words), f"{op} of {dtype}: {refused.value!r}"
    np.testing.assert_array_equal(a, before)


# -- zero-copy is a tested claim ---------------------------------------------


@pytest.mark.parametrize("dtype", ops.DTYPES)
def test_zero_copy_in_is_what_is_declared(strategy: Strategy, dtype: ops.DType) -> None:
    # Inputs are placed as the runner places them (Strategy.prepare, outside timing).
    a = strategy.prepare(ops.make_vector(1000, dtype=dtype))
    seen = strategy.data_address(a)
    if strategy.copies_in == "zero-copy":
        assert seen == a.ctypes.data, "declared zero-copy, but the native side saw other memory"
    else:
        assert seen != a.ctypes.data, f"declared {strategy.copies_in}, but no copy was made"


def test_zero_copy_out_is_what_is_declared(strategy: Strategy) -> None:
    """Checked by address, natively: where the native side wrote the result is the
    returned array's memory. (A worker process's own addresses mean nothing here:
    shm reports the block in this process's mapping; pipe and pickle copy.)"""
    result = strategy.scale(strategy.prepare(ops.make_vector(1000)), 3.0)
    if strategy.copies_out != "zero-copy" or strategy.family == "reference":
        return
    assert strategy.last_result_address() == result.ctypes.data, (
        "declared zero-copy out, but the native side wrote elsewhere"
    )
    if strategy.scale_result_memory == "numpy":
        assert result.flags.owndata  # NumPy allocated it; the native side wrote into it
    else:
        assert not result.flags.owndata and result.base is not None  # it wraps native memory


# -- bad input: a clear refusal or a right answer, never a crash --------------

REFUSED = object()

# A refusal's message must name the problem in words a user can act on: one of
# these for each kind of bad argument (bindings word it their own way; a
# binding's signature listing the expected dtype, shape or layout counts).
PROBLEM_WORDS: dict[str, tuple[str, ...]] = {
    "float16": ("float64", "dtype", "format"),
    "uint64": ("float64", "dtype", "format"),
    "int64": ("float64", "dtype", "format"),
    "complex": ("float64", "dtype", "format"),
    "byte_order": ("float64", "dtype", "format", "byte order", "endian"),
    "object": ("float64", "dtype", "format", "object"),
    "list": ("list", "ndarray", "array", "buffer"),
    "zero_d": ("dimension", "1-d", "0-d", "ndim", "shape"),
    "three_d": ("dimension", "1-d", "2-d", "3-d", "ndim", "shape"),
    "one_d": ("dimension", "2-d", "1-d", "ndim", "shape"),
    "strided": ("contiguous", "strided", "stride", "layout"),
    "none": ("none", "ndarray", "array"),
    "read_only": ("read-only", "writable", "writeable", "readonly"),
}


def _call(fn: Callable[..., object], *args: object, kind: str | None = None) -> object:
    try:
        return fn(*args)
    except (TypeError, ValueError) as error:
        message = str(error).lower()
        assert message, "the error must say what is wrong"
        if kind is not None:
            words = PROBLEM_WORDS[kind]
            assert any(w in message for w in words), f"{kind}: {error!r} names none of {words}"
        return REFUSED


# Dtypes outside ops.DTYPES: no strategy carries them.
BAD_VECTORS: dict[str, object] = {
    "float16": np.arange(10, dtype=np.float16),
    "uint64": np.arange(10, dtype=np.uint64),
    "int64": np.arange(10, dtype=np.int64),
    "complex": np.arange(10, dtype=np.complex128),
    "object": np.array([1.0, "x", None], dtype=object),
    "list": [1.0, 2.0, 3.0],
    "zero_d": np.array(5.0),
    "three_d": np.ones((2, 3, 4)),
    "strided": np.arange(20, dtype=np.float64)[::2],
    "none": None,
}


@pytest.mark.parametrize("kind", list(BAD_VECTORS))
@pytest.mark.parametrize("op", ["sum", "scale", "square"])
def test_bad_vectors(strategy: Strategy, op: str, kind: str) -> None:
    bad = BAD_VECTORS[kind]
    arg = bad.copy() if isinstance(bad, np.ndarray | list) else bad
    args = (arg, 2.0) if op == "scale" else (arg,)
    got = _call(getattr(strategy, op), *args, kind=kind)
    if got is REFUSED:
        return
    # Accepted: then it must be an explicit conversion that is still right.
    values = np.asarray(bad, dtype=np.float64)
    assert values.ndim == 1, f"{kind} accepted by {op} although it is not 1-D"
    if op == "sum":
        ops.check_sum(got, values)
    elif op == "scale":
        ops.check_array(got, values * 2.0, "scale")
    else:
        assert isinstance(arg, np.ndarray)
        np.testing.assert_array_equal(arg, np.square(np.asarray(bad)))


BAD_MATRICES: dict[str, object] = {
    "float16": np.ones((3, 4), dtype=np.float16),
    "int64": np.ones((3, 4), dtype=np.int64),
    "one_d": np.ones(5),
    "three_d": np.ones((2, 3, 4)),
    "list": [[1.0, 2.0], [3.0, 4.0]],
    "none": None,
}


@pytest.mark.parametrize("kind", list(BAD_MATRICES))
def test_bad_matrices(strategy: Strategy, kind: str) -> None:
    bad = BAD_MATRICES[kind]
    got = _call(strategy.matrix_sum, bad, kind=kind)
    if got is not REFUSED:
        values = np.asarray(bad, dtype=np.float64)
        assert values.ndim == 2, f"{kind} accepted by matrix_sum although it is not 2-D"
        ops.check_sum(got, values)


def test_read_only_array_is_not_squared(strategy: Strategy) -> None:
    a = ops.make_vector(10)
    a.flags.writeable = False
    before = a.copy()
    assert _call(strategy.square, a, kind="read_only") is REFUSED
    np.testing.assert_array_equal(a, before)


@pytest.mark.parametrize("k", ["2", None, [2.0]])
def test_bad_scale_factor(strategy: Strategy, k: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        strategy.scale(ops.make_vector(10), k)  # type: ignore[arg-type]


def test_strategy_survives_refusals(strategy: Strategy) -> None:
    for bad in BAD_VECTORS.values():
        _call(strategy.sum, bad)
    a = ops.make_vector(1000, seed=9)
    ops.check_sum(strategy.sum(a), a)


# -- frames --------------------------------------------------------------------


def _frames() -> dict[str, np.ndarray]:
    big = ops.make_frame(60, 100, seed=4)
    return {
        "one_pixel": ops.make_frame(1, 1, seed=1),
        "odd": ops.make_frame(7, 5, seed=2),
        "vga": ops.make_input("frame", ops.parse_size("vga"), seed=3),
        "padded_rows": big[:, :70, :],  # row stride 300 bytes for 210 of pixels
        "cropped": big[5:40, 10:80, :],
        "one_row": big[7:8, 3:90, :],
        "empty": big[:0, :, :],
        "no_columns": big[:, :0, :],
        "new_empty": np.zeros((2, 0, 3), dtype=np.uint8),  # NumPy's strides for it: (0, 0, 0)
    }


@pytest.mark.parametrize("layout", list(_frames()))
def test_frame_is_numpys_gray(strategy: Strategy, layout: str) -> None:
    image = _frames()[layout]
    before = image.copy()
    gray = strategy.frame(image)
    ops.check_array(gray, ops.gray_reference(image), f"frame ({layout})")
    assert gray.flags.c_contiguous
    ops.check_array(image, before, "frame's input")
    if gray.size:
        assert not np.shares_memory(gray, image)


def test_frame_results_outlive_the_call(strategy: Strategy) -> None:
    images = [ops.make_frame(31, 17, seed=i) for i in range(10)]
    grays = [strategy.frame(image) for image in images]
    for image, gray in zip(images, grays, strict=True):
        ops.check_array(gray, ops.gray_reference(image), "frame")


BAD_FRAMES: dict[str, tuple[object, tuple[str, ...]]] = {
    "float": (np.zeros((4, 5, 3)), ("uint8", "dtype")),
    "gray": (np.zeros((4, 5), dtype=np.uint8), ("h x w x 3", "shape", "3-d", "dimension")),
    "rgba": (np.zeros((4, 5, 4), dtype=np.uint8), ("h x w x 3", "shape", "channel")),
    "planar": (
        np.asfortranarray(np.zeros((4, 5, 3), dtype=np.uint8)),
        ("channel", "contiguous"),
    ),
    "strided_pixels": (np.zeros((4, 10, 3), dtype=np.uint8)[:, ::2, :], ("packed", "contiguous")),
    "list": ([[[1, 2, 3]]], ("ndarray", "array")),
    "none": (None, ("ndarray", "none", "array")),
}


@pytest.mark.parametrize("kind", list(BAD_FRAMES))
def test_bad_frames_are_refused(strategy: Strategy, kind: str) -> None:
    bad, words = BAD_FRAMES[kind]
    with pytest.raises((TypeError, ValueError)) as refused:
        strategy.frame(bad)  # type: ignore[arg-type]
    message = str(refused.value).lower()
    assert any(w in message for w in words), f"{kind}: {refused.value!r} names none of {words}"
    ops.check_sum(strategy.sum(ops.make_vector(10)), ops.make_vector(10))  # still usable
