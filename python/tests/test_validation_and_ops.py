"""The shared validation contract and the answer checks."""

from __future__ import annotations

import numpy as np
import pytest

from interop_bench import ops
from interop_bench.strategies import validation


def test_vector_accepts_contiguous_float64_as_is() -> None:
    a = np.arange(5.0)
    assert validation.vector(a) is a


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ([1.0], TypeError, "got list"),
        (np.arange(3, dtype=np.float16), TypeError, "float16"),
        (np.arange(3, dtype=">f8"), TypeError, ">f8"),
        (np.ones((2, 2)), ValueError, "1-D"),
        (np.arange(6.0)[::2], ValueError, "contiguous"),
    ],
)
def test_vector_refusals_name_the_problem(bad: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        validation.vector(bad)


def test_vector_refuses_read_only_when_writing() -> None:
    a = np.arange(3.0)
    a.flags.writeable = False
    validation.vector(a)
    with pytest.raises(ValueError, match="writeable"):
        validation.vector(a, writable=True)


@pytest.mark.parametrize(
    ("make", "copied"),
    [
        (lambda m: m, False),
        (np.asfortranarray, False),
        (lambda m: m.T, False),
        (lambda m: m[::2, :], False),
        (lambda m: m[:, 2:5], False),
        (lambda m: m[::2, ::3], True),
        (lambda m: m[::-1, :], True),
    ],
)
def test_row_major_copies_only_when_it_must(make, copied: bool) -> None:  # type: ignore[no-untyped-def]
    m = make(np.arange(48.0).reshape(6, 8))
    view, was_copied = validation.row_major(m)
    assert was_copied is copied
    assert view.strides[1] == 8 or view.shape[1] <= 1
    assert view.sum() == m.sum()
    assert np.shares_memory(view, m) is not copied


def test_matrix_shape_is_exact_and_square_ish() -> None:
    assert ops.matrix_shape(0) == (0, 0)
    assert ops.matrix_shape(1) == (1, 1)
    assert ops.matrix_shape(12) == (3, 4)
    assert ops.matrix_shape(1_000_000) == (1000, 1000)
    assert ops.matrix_shape(7) == (1, 7)


def test_check_sum_catches_a_float32_detour() -> None:
    a = ops.make_vector(100_000)
    with pytest.raises(ops.WrongAnswerError):
        ops.check_sum(float(a.astype(np.float32).sum(dtype=np.float64)), a)
    ops.check_sum(float(np.sum(a)), a)


def test_check_array_counts_differences() -> None:
    expected = np.arange(4.0)
    with pytest.raises(ops.WrongAnswerError, match="1 of 4"):
        ops.check_array(np.array([0.0, 1.0, 2.0, 4.0]), expected, "x")
    with pytest.raises(ops.WrongAnswerError, match="float64"):
        ops.check_array(expected.astype(np.float32), expected, "x")
