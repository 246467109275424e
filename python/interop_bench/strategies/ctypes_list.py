"""`ctypes-list`: ctypes fed from a Python list, the slowest path people still use.

``(c_double * n)(*a.tolist())`` boxes every element as a Python float, then
unboxes it into a new C array; results come back the same way, through a list
(``out[:]``). It exists to show what that costs next to `ctypes`, which passes
the array's own pointer.
"""

from __future__ import annotations

import ctypes

import numpy as np

from interop_bench.strategies import validation
from interop_bench.strategies.ctypes import CtypesStrategy


def c_array(values: list[float]) -> ctypes.Array[ctypes.c_double]:
    """A new C array holding `values`, built the way the naive recipe does."""
    return (ctypes.c_double * len(values))(*values)


class CtypesListStrategy(CtypesStrategy):
    name = "ctypes-list"
    description = (
        "ctypes.CDLL on the same library, fed (c_double * n)(*a.tolist()), results via lists"
    )
    copies_in = "copy"
    copies_out = "copy"
    copies_note = (
        "two copies each way: array -> list of Python floats -> C array on the way in, "
        "C array -> list -> array on the way out (square writes the list back into the "
        "caller's array); matrix_sum flattens the matrix first"
    )

    def sum(self, a: np.ndarray) -> float:
        values = c_array(validation.vector(a).tolist())
        total: float = self._lib.ib_sum(values, len(values))
        return total

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        values = c_array(a.tolist())
        self._lib.ib_square(values, len(values))
        a[:] = values[:]

    def matrix_sum(self, m: np.ndarray) -> float:
        rows, cols = validation.matrix(m).shape
        values = c_array(m.ravel().tolist())
        total: float = self._lib.ib_matrix_sum(values, rows, cols, cols)
        return total

    def scale(self, a: np.ndarray, k: float) -> np.ndarray:
        values = c_array(validation.vector(a).tolist())
        out = (ctypes.c_double * len(values))()
        self._lib.ib_scale(values, len(values), validation.factor(k), out)
        return np.array(out[:], dtype=np.float64)

    def data_address(self, a: np.ndarray) -> int:
        address: int = self._lib.ib_data_address(c_array(validation.vector(a).tolist()))
        return address
