"""`ctypes-ndpointer`: the same library, with NumPy's ndpointer argtypes doing the checks.

``np.ctypeslib.ndpointer(dtype=float64, ndim=1, flags="C_CONTIGUOUS")`` makes
ctypes itself refuse a wrong dtype, dimension count or layout (and, with
"WRITEABLE", a read-only array) at every call, in Python code of NumPy's. ctypes
reports a refusal as ctypes.ArgumentError, which is not a TypeError (it derives
from Exception only), so the adapter translates it into the TypeError the
project's contract promises, keeping ctypes' own words.
"""

from __future__ import annotations

import ctypes

import numpy as np

from interop_bench.strategies import validation
from interop_bench.strategies.ctypes import CtypesStrategy, load_library

VECTOR = np.ctypeslib.ndpointer(dtype=np.float64, ndim=1, flags="C_CONTIGUOUS")
MUTABLE_VECTOR = np.ctypeslib.ndpointer(
    dtype=np.float64, ndim=1, flags=("C_CONTIGUOUS", "WRITEABLE")
)
# Any layout passes: matrix_sum hands it a row-contiguous view (validation.row_major)
# and passes the row stride, so only dtype and ndim are ndpointer's to check.
MATRIX = np.ctypeslib.ndpointer(dtype=np.float64, ndim=2)


def refusal(op: str, argument: object, error: Exception) -> TypeError:
    """The TypeError for an argument that ctypes (or `.size`) refused."""
    if isinstance(error, AttributeError):  # no .size: not an array at all
        return TypeError(
            f"{op}: expected a numpy.ndarray of float64, got {type(argument).__name__}"
        )
    return TypeError(f"{op}: {error}")


class CtypesNdpointerStrategy(CtypesStrategy):
    name = "ctypes-ndpointer"
    packages = ("python", "numpy")
    description = (
        "ctypes.CDLL on the same library, np.ctypeslib.ndpointer argtypes checking "
        "dtype, ndim and flags at each call"
    )
    copies_note = (
        "scale: the adapter allocates the result with np.empty and C++ writes straight into it; "
        "ndpointer checks the arguments (ctypes.ArgumentError translated into TypeError)"
    )

    def _open(self) -> None:
        self._lib = load_library(VECTOR, MUTABLE_VECTOR, MATRIX)

    def sum(self, a: np.ndarray) -> float:
        try:
            total: float = self._lib.ib_sum(a, a.size)
        except (ctypes.ArgumentError, AttributeError) as error:
            raise refusal("sum", a, error) from None
        return total

    def square(self, a: np.ndarray) -> None:
        try:
            self._lib.ib_square(a, a.size)
        except (ctypes.ArgumentError, AttributeError) as error:
            raise refusal("square", a, error) from None

    def matrix_sum(self, m: np.ndarray) -> float:
        view, _copied = validation.row_major(m)
        rows, cols = view.shape
        total: float = self._lib.ib_matrix_sum(
            view, rows, cols, validation.row_stride_elements(view)
        )
        return total

    def scale(self, a: np.ndarray, k: float) -> np.ndarray:
        try:
            out = np.empty(a.size)
            self._lib.ib_scale(a, a.size, k, out)
        except (ctypes.ArgumentError, AttributeError) as error:
            raise refusal("scale", a, error) from None
        return out

    def data_address(self, a: np.ndarray) -> int:
        try:
            address: int = self._lib.ib_data_address(a)
        except ctypes.ArgumentError as error:
            raise refusal("data_address", a, error) from None
        return address
