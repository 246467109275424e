"""`ctypes-ndpointer`: the same library, with NumPy's ndpointer argtypes doing the checks.

``np.ctypeslib.ndpointer(dtype=float64, ndim=1, flags="C_CONTIGUOUS")`` makes
ctypes itself refuse a wrong dtype, dimension count or layout (and, with
"WRITEABLE", a read-only array) at every call, in Python code of NumPy's. Each
dtype's entry points (ib_sum_f32, ...) have ndpointers of that dtype; the
adapter picks them by the array's dtype (float64 first, on the plain entry
points), and a dtype that has none is refused with a TypeError naming it.
ctypes reports a refusal as ctypes.ArgumentError, which is not a TypeError (it
derives from Exception only), so the adapter translates it into the TypeError
the project's contract promises, keeping ctypes' own words.

frame: ndpointer checks the image's dtype and dimensions, not that its pixels
are packed within a row, so validation.frame comes first; the image is read in
place at its row stride.
"""

from __future__ import annotations

import ctypes
from typing import Literal

import numpy as np

from interop_bench import ops
from interop_bench.strategies import validation
from interop_bench.strategies._c_abi import FLOAT64
from interop_bench.strategies._ctypes_library import (
    CtypesLibraryStrategy,
    EntryPoints,
    PointerKind,
    load_library,
)

# Any layout passes for a matrix: matrix_sum hands it a row-contiguous view
# (validation.row_major) and passes the row stride, so only dtype and ndim are
# ndpointer's to check; an image, likewise, is checked by validation.frame.
Flag = Literal["C_CONTIGUOUS", "WRITEABLE"]
NDPOINTER_ARGUMENTS: dict[PointerKind, tuple[int, tuple[Flag, ...] | None]] = {
    "vector": (1, ("C_CONTIGUOUS",)),
    "mutable_vector": (1, ("C_CONTIGUOUS", "WRITEABLE")),
    "matrix": (2, None),
    "image": (3, None),
    "gray": (2, ("C_CONTIGUOUS", "WRITEABLE")),
}


def ndpointer(kind: PointerKind, dtype: ops.DType) -> type:
    """The ndpointer argtype of one pointer argument."""
    ndim, flags = NDPOINTER_ARGUMENTS[kind]
    pointer: type = np.ctypeslib.ndpointer(dtype=dtype, ndim=ndim, flags=flags)
    return pointer


def refusal(op: str, argument: object, error: Exception) -> TypeError:
    """The TypeError for an argument that ctypes (or `.size`) refused."""
    if isinstance(error, AttributeError):  # no .size / .dtype: not an array at all
        return TypeError(
            f"{op}: expected a numpy.ndarray of float64, got {type(argument).__name__}"
        )
    return TypeError(f"{op}: {error}")


class CtypesNdpointerStrategy(CtypesLibraryStrategy):
    name = "ctypes-ndpointer"
    packages = ("python", "numpy")
    description = (
        "ctypes.CDLL on the same library, np.ctypeslib.ndpointer argtypes (one set per dtype) "
        "checking dtype, ndim and flags at each call"
    )
    copies_note = (
        "scale and frame: the adapter allocates the result with np.empty and C++ writes "
        "straight into it; frame reads the (padded or cropped) image in place at its row "
        "stride; ndpointer checks the arguments (ctypes.ArgumentError translated into TypeError)"
    )

    def _open(self) -> None:
        self._lib, self._typed = load_library(ndpointer)

    def _entry_points(self, a: np.ndarray, op: str) -> EntryPoints:
        """The entry points of a's dtype, or a TypeError naming it when there are none."""
        try:
            return self._typed[a.dtype.char]
        except KeyError:
            raise TypeError(
                f"{op}: expected dtype {' or '.join(ops.DTYPES)}, got {a.dtype} "
                "(convert explicitly, e.g. a.astype(np.float64))"
            ) from None

    def sum(self, a: np.ndarray) -> float | int:
        total: float | int
        try:
            if a.dtype is FLOAT64:
                total = self._lib.ib_sum(a, a.size)
            else:
                total = self._entry_points(a, "sum").sum(a, a.size)
        except (ctypes.ArgumentError, AttributeError) as error:
            raise refusal("sum", a, error) from None
        return total

    def square(self, a: np.ndarray) -> None:
        try:
            if a.dtype is FLOAT64:
                self._lib.ib_square(a, a.size)
            else:
                self._entry_points(a, "square").square(a, a.size)
        except (ctypes.ArgumentError, AttributeError) as error:
            raise refusal("square", a, error) from None

    def matrix_sum(self, m: np.ndarray) -> float | int:
        view, _copied = validation.row_major(m)
        rows, cols = view.shape
        stride = validation.row_stride_elements(view)
        total: float | int
        if view.dtype is FLOAT64:
            total = self._lib.ib_matrix_sum(view, rows, cols, stride)
        else:
            total = self._typed[view.dtype.char].matrix_sum(view, rows, cols, stride)
        return total

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        try:
            if a.dtype is FLOAT64:
                out = np.empty(a.size)
                self._lib.ib_scale(a, a.size, k, out)
            else:
                typed = self._entry_points(a, "scale")
                out = np.empty(a.size, dtype=a.dtype)
                typed.scale(a, a.size, validation.factor(k, typed.dtype), out)
        except (ctypes.ArgumentError, AttributeError) as error:
            raise refusal("scale", a, error) from None
        return out

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, row_stride = validation.frame(image)
        gray = validation.new_gray(rgb)
        rows, cols = gray.shape
        self._lib.ib_frame_to_gray(rgb, rows, cols, row_stride, gray)
        return gray

    def data_address(self, a: np.ndarray) -> int:
        try:
            address: int = self._entry_points(a, "data_address").data_address(a)
        except (ctypes.ArgumentError, AttributeError) as error:
            raise refusal("data_address", a, error) from None
        return address
