"""Every registered strategy gives NumPy's answers, keeps its copy promises and
refuses bad input clearly. Parametrized over the registry (see conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from interop_bench import ops
from interop_bench.strategies import Strategy

SIZES = [0, 1, 7, 1000, 1_000_000]


@pytest.mark.parametrize("size", SIZES)
def test_sum(strategy: Strategy, size: int) -> None:
    a = strategy.prepare(ops.make_vector(size, seed=size))
    ops.check_sum(strategy.sum(a), a)


@pytest.mark.parametrize("size", SIZES)
def test_square_changes_the_callers_array_in_place(strategy: Strategy, size: int) -> None:
    a = strategy.prepare(ops.make_vector(size, seed=size))
    expected = np.square(a)
    assert strategy.square(a) is None
    ops.check_array(a, expected, "square (the caller's array)")


@pytest.mark.parametrize("size", SIZES)
def test_matrix_sum(strategy: Strategy, size: int) -> None:
    m = strategy.prepare(ops.make_input("matrix_sum", size, seed=size))
    ops.check_sum(strategy.matrix_sum(m), m)


@pytest.mark.parametrize("size", SIZES)
def test_scale_returns_a_new_array(strategy: Strategy, size: int) -> None:
    a = strategy.prepare(ops.make_vector(size, seed=size))
    before = a.copy()
    result = strategy.scale(a, ops.SCALE_FACTOR)
    ops.check_array(result, a * ops.SCALE_FACTOR, "scale")
    ops.check_array(a, before, "scale's input")
    if size:
        assert not np.shares_memory(result, a)


def test_scale_result_outlives_the_call(strategy: Strategy) -> None:
    results = [
        strategy.scale(strategy.prepare(ops.make_vector(1000, seed=i)), 2.0) for i in range(20)
    ]
    for i, result in enumerate(results):
        ops.check_array(result, ops.make_vector(1000, seed=i) * 2.0, "scale")


def _layouts() -> dict[str, np.ndarray]:
    base = ops.make_vector(60 * 70, seed=3).reshape(60, 70)
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


@pytest.mark.parametrize("layout", list(_layouts()))
def test_matrix_sum_any_layout(strategy: Strategy, layout: str) -> None:
    m = _layouts()[layout]
    ops.check_sum(strategy.matrix_sum(m), m)


def test_special_values_propagate(strategy: Strategy) -> None:
    for special in (np.nan, np.inf, -np.inf):
        a = ops.make_vector(100, seed=1)
        a[37] = special
        try:
            got = strategy.sum(a)
        except ValueError as error:  # allowed for formats without NaN/Inf, if said clearly
            assert "nan" in str(error).lower() or "inf" in str(error).lower()
            continue
        ops.check_sum(got, a)


# -- zero-copy is a tested claim ---------------------------------------------


def test_zero_copy_in_is_what_is_declared(strategy: Strategy) -> None:
    # Inputs are placed as the runner places them (Strategy.prepare, outside timing).
    a = strategy.prepare(ops.make_vector(1000))
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
    "float32": ("float64", "dtype", "format"),
    "int64": ("float64", "dtype", "format"),
    "complex": ("float64", "dtype", "format"),
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


BAD_VECTORS: dict[str, object] = {
    "float32": np.arange(10, dtype=np.float32),
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
    "float32": np.ones((3, 4), dtype=np.float32),
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
