"""`ctypes-voidp`: the same library, pointers passed as plain integers to c_void_p argtypes.

``a.ctypes.data`` is the address of the array's first element as a Python int,
and a ``c_void_p`` argtype turns an int into a pointer with no object built on
the way; the classic ``data_as(POINTER(c_double))`` builds a ctypes pointer
object (a cast through ctypes) at every call, which is most of what the
`ctypes` strategy pays at one element. An int carries no dtype, shape or
layout, and a wrong one would be read wrongly without a word, so the adapter
validates with strategies/validation.py first, exactly as `ctypes` does, and
calls the entry points of the array's dtype (ib_sum_f32, ...; float64 first,
on the plain ones), whose restype and factor argtype are that dtype's own C
types. The methods are written out rather than shared with `ctypes` through a
helper that makes the pointer: the helper's call would be timed too.
"""

from __future__ import annotations

import ctypes

import numpy as np

from interop_bench import ops
from interop_bench.strategies import validation
from interop_bench.strategies._c_abi import FLOAT64
from interop_bench.strategies._ctypes_library import (
    CtypesLibraryStrategy,
    PointerKind,
    load_library,
)


def void_pointer(kind: PointerKind, dtype: ops.DType) -> type:
    """c_void_p for every pointer argument: the adapter passes addresses."""
    return ctypes.c_void_p


class CtypesVoidpStrategy(CtypesLibraryStrategy):
    name = "ctypes-voidp"
    description = (
        'ctypes.CDLL on the same extern "C" library; c_void_p argtypes declared once, '
        "pointers passed as the integer a.ctypes.data, entry points by dtype"
    )

    def _open(self) -> None:
        self._lib, self._typed = load_library(void_pointer)

    def sum(self, a: np.ndarray) -> float | int:
        a = validation.vector(a)
        total: float | int
        if a.dtype is FLOAT64:
            total = self._lib.ib_sum(a.ctypes.data, a.size)
        else:
            total = self._typed[a.dtype.char].sum(a.ctypes.data, a.size)
        return total

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        if a.dtype is FLOAT64:
            self._lib.ib_square(a.ctypes.data, a.size)
        else:
            self._typed[a.dtype.char].square(a.ctypes.data, a.size)

    def matrix_sum(self, m: np.ndarray) -> float | int:
        view, _copied = validation.row_major(m)
        rows, cols = view.shape
        stride = validation.row_stride_elements(view)
        total: float | int
        if view.dtype is FLOAT64:
            total = self._lib.ib_matrix_sum(view.ctypes.data, rows, cols, stride)
        else:
            total = self._typed[view.dtype.char].matrix_sum(view.ctypes.data, rows, cols, stride)
        return total

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        a = validation.vector(a)
        if a.dtype is FLOAT64:
            factor = validation.factor(k)
            out = np.empty(a.size)
            self._lib.ib_scale(a.ctypes.data, a.size, factor, out.ctypes.data)
            return out
        typed = self._typed[a.dtype.char]
        factor = validation.factor(k, typed.dtype)
        out = np.empty(a.size, dtype=a.dtype)
        typed.scale(a.ctypes.data, a.size, factor, out.ctypes.data)
        return out

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, row_stride = validation.frame(image)
        gray = validation.new_gray(rgb)
        rows, cols = gray.shape
        self._lib.ib_frame_to_gray(rgb.ctypes.data, rows, cols, row_stride, gray.ctypes.data)
        return gray

    def data_address(self, a: np.ndarray) -> int:
        a = validation.vector(a)
        address: int = self._typed[a.dtype.char].data_address(a.ctypes.data)
        return address
