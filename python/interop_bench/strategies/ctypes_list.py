"""`ctypes-list`: ctypes fed from a Python list, the slowest path people still use.

``(c_double * n)(*a.tolist())`` boxes every element as a Python float, then
unboxes it into a new C array; results come back the same way, through a list
(``out[:]``). Other dtypes go the same way with their own C types, as people
write it: ``(c_int32 * n)(*a.tolist())`` of Python ints into ib_sum_i32, and
so on; a frame is ``(c_uint8 * (3 * H * W))(*image.ravel().tolist())``. It
exists to show what that costs next to `ctypes`, which passes the array's own
pointer.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from interop_bench import ops
from interop_bench.strategies import validation
from interop_bench.strategies._ctypes_library import CtypesLibraryStrategy


def c_array(element: Any, values: list[Any]) -> ctypes.Array[Any]:
    """A new C array of `element` holding `values`, built the way the naive recipe does."""
    return (element * len(values))(*values)  # type: ignore[no-any-return]


class CtypesListStrategy(CtypesLibraryStrategy):
    name = "ctypes-list"
    description = (
        "ctypes.CDLL on the same library, fed (c_double * n)(*a.tolist()) (c_float, c_int32, "
        "... by dtype), results via lists"
    )
    copies_in = "copy"
    copies_out = "copy"
    copies_note = (
        "two copies each way: array -> list of Python numbers -> C array on the way in, "
        "C array -> list -> array on the way out (square writes the list back into the "
        "caller's array); matrix_sum and frame flatten their input first (a padded or "
        "cropped frame's rows are packed by ravel, a third copy)"
    )

    def sum(self, a: np.ndarray) -> float | int:
        a = validation.vector(a)
        typed = self._typed[a.dtype.char]
        values = c_array(typed.element, a.tolist())
        total: float | int = typed.sum(values, len(values))
        return total

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        typed = self._typed[a.dtype.char]
        values = c_array(typed.element, a.tolist())
        typed.square(values, len(values))
        a[:] = values[:]

    def matrix_sum(self, m: np.ndarray) -> float | int:
        rows, cols = validation.matrix(m).shape
        typed = self._typed[m.dtype.char]
        values = c_array(typed.element, m.ravel().tolist())
        total: float | int = typed.matrix_sum(values, rows, cols, cols)
        return total

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        a = validation.vector(a)
        typed = self._typed[a.dtype.char]
        values = c_array(typed.element, a.tolist())
        out = (typed.element * len(values))()
        typed.scale(values, len(values), validation.factor(k, typed.dtype), out)
        return np.array(out[:], dtype=a.dtype)

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, _row_stride = validation.frame(image)
        rows, cols = rgb.shape[:2]
        pixels = c_array(ctypes.c_uint8, rgb.ravel().tolist())
        gray = (ctypes.c_uint8 * (rows * cols))()
        self._lib.ib_frame_to_gray(pixels, rows, cols, cols * ops.CHANNELS, gray)
        return np.array(gray[:], dtype=np.uint8).reshape(rows, cols)

    def data_address(self, a: np.ndarray) -> int:
        a = validation.vector(a)
        typed = self._typed[a.dtype.char]
        address: int = typed.data_address(c_array(typed.element, a.tolist()))
        return address
