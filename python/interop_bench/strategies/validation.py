"""Validation shared by the adapters that cannot rely on their binding to check.

The contract every strategy follows: arrays are float64 NumPy arrays; 1-D
operations need a C-contiguous vector (a strided view would be read wrongly by
a raw pointer, so it is refused, never silently copied); `square` needs a
writable one; `matrix_sum` takes any 2-D float64 view and reads it in place
when its rows (or, transposed, its columns) are contiguous, copying only
otherwise. Errors are TypeError for the wrong kind of object or dtype and
ValueError for the wrong shape, layout or writability, and name the problem.
"""

from __future__ import annotations

import numpy as np

FLOAT64 = np.dtype(np.float64)
ITEMSIZE = FLOAT64.itemsize


def _array(a: object, what: str) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{what}: expected a numpy.ndarray of float64, got {type(a).__name__}")
    if a.dtype != FLOAT64:
        raise TypeError(
            f"{what}: expected dtype float64, got {a.dtype} "
            "(convert explicitly, e.g. a.astype(np.float64))"
        )
    return a


def vector(a: object, *, writable: bool = False, what: str = "array") -> np.ndarray:
    """`a` itself if it is a C-contiguous 1-D float64 array, else a clear error."""
    array = _array(a, what)
    if array.ndim != 1:
        raise ValueError(f"{what}: expected a 1-D array, got {array.ndim}-D")
    if not array.flags.c_contiguous:
        raise ValueError(
            f"{what}: array is not contiguous (strides {array.strides}); "
            "pass np.ascontiguousarray(a)"
        )
    if writable and not array.flags.writeable:
        raise ValueError(f"{what}: array is read-only (not writeable), but it is changed in place")
    return array


def matrix(m: object, what: str = "matrix") -> np.ndarray:
    """`m` itself if it is a 2-D float64 array of any layout, else a clear error."""
    array = _array(m, what)
    if array.ndim != 2:
        raise ValueError(f"{what}: expected a 2-D array, got {array.ndim}-D")
    return array


def row_major(m: object, what: str = "matrix") -> tuple[np.ndarray, bool]:
    """A 2-D view of `m` whose rows are contiguous, and whether it had to be copied.

    The sum of a matrix does not depend on its orientation, so a Fortran-ordered
    matrix or a transposed view is read in place through its transpose. Row
    stride is free: a padded image or a row-sliced view needs no copy.
    """
    array = matrix(m, what)
    for candidate in (array, array.T):
        if _rows_are_contiguous(candidate):
            return candidate, False
    return np.ascontiguousarray(array), True


def _rows_are_contiguous(m: np.ndarray) -> bool:
    rows, cols = m.shape
    row_stride, col_stride = m.strides
    unit_columns = col_stride == ITEMSIZE or cols <= 1
    rows_apart = rows <= 1 or (row_stride >= cols * ITEMSIZE and row_stride % ITEMSIZE == 0)
    return unit_columns and rows_apart


def row_stride_elements(m: np.ndarray) -> int:
    """Elements between the starts of consecutive rows of a row-contiguous view."""
    if m.shape[0] <= 1:
        return m.shape[1]
    return m.strides[0] // ITEMSIZE


def factor(k: object) -> float:
    """The scale factor as a Python float, refusing what is not a real number."""
    if isinstance(k, bool) or not isinstance(k, int | float | np.integer | np.floating):
        raise TypeError(f"scale factor: expected a real number, got {type(k).__name__}")
    return float(k)
