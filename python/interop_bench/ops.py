"""The four operations: their inputs, their NumPy reference and how answers are checked.

Both the conformance suite and the runner use this module, so "right answer"
means the same thing in the tests and in every measured cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

Op = Literal["sum", "square", "matrix_sum", "scale"]
OPS: tuple[Op, ...] = ("sum", "square", "matrix_sum", "scale")

# The factor `scale` multiplies by: not a power of two, so the product rounds
# and a strategy that computes something else cannot match by accident.
SCALE_FACTOR = 1.75000000001

# Sums are compared with a tolerance relative to sum(|a|): different summation
# orders legitimately differ by a few ulps per element in the worst case, far
# below this; a float32 detour or a dropped element is far above it.
SUM_RELATIVE_TOLERANCE = 1e-12


ELEMENT_BYTES = 8  # float64


def payload_bytes(size: int) -> int:
    """The bytes an input of `size` elements holds: what a call moves."""
    return size * ELEMENT_BYTES


def matrix_shape(size: int) -> tuple[int, int]:
    """An image-like shape holding exactly `size` elements: the most square one."""
    if size <= 0:
        return (0, 0)
    rows = math.isqrt(size)
    while size % rows:
        rows -= 1
    return (rows, size // rows)


def make_vector(size: int, seed: int = 0) -> np.ndarray:
    """Float64 values in [-1, 1): squaring or scaling them never overflows."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size)


def make_input(op: Op, size: int, seed: int = 0) -> np.ndarray:
    """The argument array of `op` for `size` elements (a matrix for matrix_sum)."""
    vector = make_vector(size, seed)
    return vector.reshape(matrix_shape(size)) if op == "matrix_sum" else vector


@dataclass(frozen=True)
class WrongAnswerError(AssertionError):
    """A strategy's answer differs from NumPy's; the message says how."""

    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Expected:
    """NumPy's answer to one op on one input, computed once and compared with
    the answers of every strategy (and of every process's check of it)."""

    op: Op
    total: float  # sum, matrix_sum: np.sum
    magnitude: float  # sum of |values|: the scale of a sum's rounding
    array: np.ndarray | None  # square, scale: the element-wise result

    @staticmethod
    def of(op: Op, values: np.ndarray) -> Expected:
        if op in ("sum", "matrix_sum"):
            magnitude = float(np.sum(np.abs(values))) if values.size else 0.0
            return Expected(op, float(np.sum(values)), magnitude, None)
        array = np.square(values) if op == "square" else values * SCALE_FACTOR
        return Expected(op, math.nan, math.nan, array)

    def check(self, got: object, what: str | None = None) -> None:
        """Raise WrongAnswerError unless `got` is this answer (an array for square
        and scale, a float for the sums)."""
        if self.array is not None:
            check_array(got, self.array, what or self.op)
            return
        if not isinstance(got, float | np.floating):
            raise WrongAnswerError(f"expected a float, got {type(got).__name__}")
        expected = self.total
        if math.isnan(expected) and math.isnan(float(got)):
            return
        tolerance = SUM_RELATIVE_TOLERANCE * self.magnitude
        if not (got == expected or abs(float(got) - expected) <= tolerance):
            raise WrongAnswerError(f"sum is {got!r}, NumPy says {expected!r}")


def check_sum(got: object, values: np.ndarray) -> None:
    """Raise WrongAnswerError unless `got` is NumPy's sum of `values`."""
    Expected.of("sum", values).check(got)


def check_array(got: object, expected: np.ndarray, what: str) -> None:
    """Raise WrongAnswerError unless `got` is an array equal, element by element, to `expected`.

    Element-wise results are exactly rounded IEEE products, so any correct
    strategy matches bit for bit (NaN where NumPy has NaN).
    """
    if not isinstance(got, np.ndarray):
        raise WrongAnswerError(f"{what}: expected a numpy.ndarray, got {type(got).__name__}")
    if got.dtype != np.float64 or got.shape != expected.shape:
        raise WrongAnswerError(
            f"{what}: expected float64 {expected.shape}, got {got.dtype} {got.shape}"
        )
    # Bit for bit first: one vectorised pass (9 ms at 80 MB, where a NaN-aware
    # comparison takes 75 ms); the NaN-aware one only when the bits differ.
    if np.array_equal(got.reshape(-1).view(np.uint64), expected.reshape(-1).view(np.uint64)):
        return
    if not np.array_equal(got, expected, equal_nan=True):
        bad = int(np.count_nonzero(~((got == expected) | (np.isnan(got) & np.isnan(expected)))))
        raise WrongAnswerError(f"{what}: {bad} of {expected.size} elements differ from NumPy")
