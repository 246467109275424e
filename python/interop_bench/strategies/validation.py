"""Validation shared by the adapters that cannot rely on their binding to check.

The contract every strategy follows: arrays are NumPy arrays of a dtype the
strategy carries (ops.DTYPES: every strategy carries them all); 1-D operations need a
C-contiguous vector (a strided view would be read wrongly by a raw pointer, so
it is refused, never silently copied); `square` needs a writable one;
`matrix_sum` takes any 2-D view and reads it in place when its rows (or,
transposed, its columns) are contiguous, copying only otherwise; `frame`
takes an H x W x 3 uint8 image whose pixels are packed within each row (any
row stride: a padded or cropped image is read in place). A dtype is never
converted silently. Errors are TypeError for the wrong kind of object or dtype
and ValueError for the wrong shape, layout or writability, and name the problem.
"""

from __future__ import annotations

import numpy as np

from interop_bench import ops

FLOAT64 = np.dtype(np.float64)
ITEMSIZE = FLOAT64.itemsize
UINT8 = np.dtype(np.uint8)

# The carried dtypes by NumPy dtype object, the one table of their names: a
# dict lookup costs ~50 ns where reading `a.dtype.name` costs ~2 µs (it is
# Python code in NumPy 2), and a byte-swapped dtype is a different object,
# absent, so refused.
DTYPE_NAMES: dict[np.dtype, ops.DType] = {np.dtype(name): name for name in ops.DTYPES}
_DTYPE_LIST = " or ".join(ops.DTYPES)


def _array(a: object, what: str) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise TypeError(
            f"{what}: expected a numpy.ndarray of {_DTYPE_LIST}, got {type(a).__name__}"
        )
    if a.dtype is not FLOAT64 and a.dtype not in DTYPE_NAMES:
        raise TypeError(
            f"{what}: expected dtype {_DTYPE_LIST}, got {a.dtype} "
            f"(convert explicitly, e.g. a.astype(np.{ops.DTYPES[0]}))"
        )
    return a


def vector(a: object, *, writable: bool = False, what: str = "array") -> np.ndarray:
    """`a` itself if it is a C-contiguous 1-D array of a carried dtype, else a clear error."""
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
    """`m` itself if it is a 2-D array of a carried dtype in any layout, else a clear error."""
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
    item = m.itemsize
    unit_columns = col_stride == item or cols <= 1
    rows_apart = rows <= 1 or (row_stride >= cols * item and row_stride % item == 0)
    return unit_columns and rows_apart


def row_stride_elements(m: np.ndarray) -> int:
    """Elements between the starts of consecutive rows of a row-contiguous view."""
    if m.shape[0] <= 1:
        return m.shape[1]
    return m.strides[0] // m.itemsize


def factor(k: object, dtype: str | np.dtype = FLOAT64) -> float | int:
    """The scale factor for an array of `dtype`: a Python float for floats, a Python
    int that fits `dtype` for integers (NumPy's own rule), else a clear error."""
    if isinstance(k, bool) or not isinstance(k, int | float | np.integer | np.floating):
        raise TypeError(f"scale factor: expected a real number, got {type(k).__name__}")
    kind = dtype if isinstance(dtype, np.dtype) else np.dtype(dtype)
    if kind is FLOAT64 or kind.kind == "f":
        return float(k)
    if not isinstance(k, int | np.integer):
        raise TypeError(
            f"scale factor: an {kind} array is scaled by an integer, got {type(k).__name__} {k}"
        )
    info = np.iinfo(kind)
    if not info.min <= int(k) <= info.max:
        raise ValueError(f"scale factor: {k} does not fit {kind} [{info.min}, {info.max}]")
    return int(k)


def frame(image: object, what: str = "frame") -> tuple[np.ndarray, int]:
    """`image` itself and its row stride in bytes if it is an H x W x 3 uint8 image
    whose pixels are packed within each row (3 bytes apart, channels 1 byte apart),
    rows in memory order at any stride; else a clear error. Never copies."""
    if not isinstance(image, np.ndarray):
        raise TypeError(
            f"{what}: expected a numpy.ndarray of uint8 (H x W x 3), got {type(image).__name__}"
        )
    if image.dtype != UINT8:
        raise TypeError(
            f"{what}: expected dtype uint8 (an 8-bit RGB image), got {image.dtype} "
            "(convert explicitly, e.g. a.astype(np.uint8))"
        )
    if image.ndim != 3 or image.shape[2] != ops.CHANNELS:
        raise ValueError(f"{what}: expected an H x W x 3 (RGB) image, got shape {image.shape}")
    height, width, _ = image.shape
    if image.size == 0:  # NumPy gives empty arrays any strides (often 0): nothing to read
        return image, width * ops.CHANNELS
    row_stride, pixel_stride, channel_stride = image.strides
    if channel_stride != 1:
        raise ValueError(
            f"{what}: the channel axis is not contiguous (strides {image.strides}); "
            "pass np.ascontiguousarray(image)"
        )
    if pixel_stride != ops.CHANNELS and width > 1:
        raise ValueError(
            f"{what}: pixels are not packed within a row (strides {image.strides}); "
            "pass np.ascontiguousarray(image)"
        )
    if height <= 1:
        return image, width * ops.CHANNELS
    if row_stride < width * ops.CHANNELS:
        raise ValueError(
            f"{what}: rows overlap or run backwards (strides {image.strides}); "
            "pass np.ascontiguousarray(image)"
        )
    return image, row_stride


def new_gray(image: np.ndarray) -> np.ndarray:
    """An uninitialised H x W uint8 array for the gray image of `image`."""
    return np.empty(image.shape[:2], dtype=UINT8)
