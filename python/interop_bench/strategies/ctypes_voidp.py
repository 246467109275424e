"""`ctypes-voidp`: the same library, pointers passed as plain integers to c_void_p argtypes.

``a.ctypes.data`` is the address of the array's first element as a Python int,
and a ``c_void_p`` argtype turns an int into a pointer with no object built on
the way; the classic ``data_as(POINTER(c_double))`` builds a ctypes pointer
object (a cast through ctypes) at every call, which is most of what the
`ctypes` strategy pays at one element. An int carries no dtype, shape or
layout, and a wrong one would be read wrongly without a word, so the adapter
validates with strategies/validation.py first, exactly as `ctypes` does. The
methods are written out rather than shared with `ctypes` through a helper that
makes the pointer: the helper's call would be timed too.
"""

from __future__ import annotations

import ctypes

import numpy as np

from interop_bench.strategies import validation
from interop_bench.strategies.ctypes import CtypesStrategy, load_library

VOIDP = ctypes.c_void_p


class CtypesVoidpStrategy(CtypesStrategy):
    name = "ctypes-voidp"
    description = (
        'ctypes.CDLL on the same extern "C" library; c_void_p argtypes declared once, '
        "pointers passed as the integer a.ctypes.data"
    )

    def _open(self) -> None:
        self._lib = load_library(VOIDP, VOIDP, VOIDP)

    def sum(self, a: np.ndarray) -> float:
        a = validation.vector(a)
        total: float = self._lib.ib_sum(a.ctypes.data, a.size)
        return total

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        self._lib.ib_square(a.ctypes.data, a.size)

    def matrix_sum(self, m: np.ndarray) -> float:
        view, _copied = validation.row_major(m)
        rows, cols = view.shape
        stride = validation.row_stride_elements(view)
        total: float = self._lib.ib_matrix_sum(view.ctypes.data, rows, cols, stride)
        return total

    def scale(self, a: np.ndarray, k: float) -> np.ndarray:
        a = validation.vector(a)
        factor = validation.factor(k)
        out = np.empty(a.size)
        self._lib.ib_scale(a.ctypes.data, a.size, factor, out.ctypes.data)
        return out

    def data_address(self, a: np.ndarray) -> int:
        address: int = self._lib.ib_data_address(validation.vector(a).ctypes.data)
        return address
