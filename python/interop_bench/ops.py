"""The operations: their inputs, their NumPy reference and how answers are checked.

Both the conformance suite and the runner use this module, so "right answer"
means the same thing in the tests and in every measured cell.

The vector ops (sum, square, matrix_sum, scale) run on every dtype of DTYPES
with NumPy's semantics; `frame` turns an H x W x 3 uint8 image into H x W
gray. A measured cell names its operation by a *label*: the op alone for
float64 (so results files written before the dtype axis read unchanged) and
for frame, `op:dtype` otherwise (``sum:uint8``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np

Op = Literal["sum", "square", "matrix_sum", "scale", "frame"]
VECTOR_OPS: tuple[Op, ...] = ("sum", "square", "matrix_sum", "scale")
OPS: tuple[Op, ...] = (*VECTOR_OPS, "frame")

# The one table of the element types in Python. A dtype's place is its wire code
# (kernels/include/interop_bench/dtype.hpp's enum): a new one goes last.
DType = Literal["float64", "float32", "int32", "int16", "uint8"]
DTYPES: tuple[DType, ...] = ("float64", "float32", "int32", "int16", "uint8")
DEFAULT_DTYPE: DType = "float64"
FRAME_DTYPE: DType = "uint8"

# The factor `scale` multiplies by, of the array's kind. For floats it is not a
# power of two, so the product rounds and a strategy that computes something
# else cannot match by accident (float32 multiplies by float32(k) = 1.75, as
# NumPy does for a Python float); for integers it overflows most inputs, so a
# strategy that widens instead of wrapping around cannot match either.
SCALE_FACTOR = 1.75000000001
INTEGER_SCALE_FACTOR = 3

# Sums of floats are compared with a tolerance relative to sum(|a|): summation
# orders (NumPy's pairwise, the kernel's 16 lanes) legitimately differ, far
# below this; a float32 detour of a float64 sum, or a dropped element of a
# short one, is far above it. float32's is 1e-6 (8 of its epsilons): the
# kernel's and NumPy's float32 sums of the uniform test data differ by 6e-9
# of sum(|a|) at 1e7 elements and 1.4e-8 at 1e8 (measured). Integer sums are exact.
SUM_RELATIVE_TOLERANCE = 1e-12
FLOAT32_SUM_RELATIVE_TOLERANCE = 1e-6

# BT.601 luma in integers, as kernels::frame_to_gray computes it.
GRAY_WEIGHTS = (77, 150, 29)
GRAY_ROUNDING = 128

# Named frame sizes: (height, width) of an RGB frame.
RESOLUTIONS: dict[str, tuple[int, int]] = {
    "vga": (480, 640),
    "720p": (720, 1280),
    "1080p": (1080, 1920),
    "4k": (2160, 3840),
    "8k": (4320, 7680),
}
CHANNELS = 3

ELEMENT_BYTES = 8  # float64's, the default dtype


def label(op: Op, dtype: DType = DEFAULT_DTYPE) -> str:
    """The name a cell's operation is recorded and compared under."""
    if op == "frame" or dtype == DEFAULT_DTYPE:
        return op
    return f"{op}:{dtype}"


_LABEL = re.compile(r"(?P<op>[a-z_]+)(?::(?P<dtype>[a-z0-9]+))?")


def parse_label(text: str) -> tuple[Op, DType]:
    """(op, dtype) of a label; ValueError naming the problem for anything else."""
    match = _LABEL.fullmatch(text)
    op, dtype = (match["op"], match["dtype"] or None) if match else (text, None)
    if op not in OPS:
        raise ValueError(f"unknown op {op!r} (known: {', '.join(OPS)})")
    if op == "frame":
        if dtype not in (None, FRAME_DTYPE):
            raise ValueError(f"frame takes uint8 images only, not {dtype}")
        return "frame", FRAME_DTYPE
    return cast(Op, op), dtype_named(dtype or DEFAULT_DTYPE)


def dtype_named(name: str) -> DType:
    """`name` as a DType, or ValueError listing the known ones."""
    if name not in DTYPES:
        raise ValueError(f"unknown dtype {name!r} (known: {', '.join(DTYPES)})")
    return cast(DType, name)


def item_bytes(dtype: DType) -> int:
    return np.dtype(dtype).itemsize


def payload_bytes(size: int, dtype: DType = DEFAULT_DTYPE) -> int:
    """The bytes an input of `size` elements holds: what a call moves."""
    return size * item_bytes(dtype)


def scale_factor(dtype: DType = DEFAULT_DTYPE) -> float | int:
    """scale's factor for arrays of `dtype`: a float for floats, an int for integers."""
    return SCALE_FACTOR if np.dtype(dtype).kind == "f" else INTEGER_SCALE_FACTOR


def matrix_shape(size: int) -> tuple[int, int]:
    """An image-like shape holding exactly `size` elements: the most square one."""
    if size <= 0:
        return (0, 0)
    rows = math.isqrt(size)
    while size % rows:
        rows -= 1
    return (rows, size // rows)


def make_vector(size: int, seed: int = 0, dtype: DType = DEFAULT_DTYPE) -> np.ndarray:
    """Values of `dtype`: floats in [-1, 1) (squaring or scaling them never
    overflows), integers over the type's whole range (so square and scale wrap
    around, as NumPy's do)."""
    rng = np.random.default_rng(seed)
    kind = np.dtype(dtype)
    if kind.kind == "f":
        return rng.uniform(-1.0, 1.0, size).astype(kind, copy=False)
    info = np.iinfo(kind)
    return rng.integers(info.min, info.max, size, dtype=kind, endpoint=True)


def make_frame(height: int, width: int, seed: int = 0) -> np.ndarray:
    """An H x W x 3 uint8 RGB frame of random pixels (C-contiguous)."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, CHANNELS), dtype=np.uint8)


def frame_shape(size: int) -> tuple[int, int]:
    """(height, width) of the frame whose bytes number `size`: a named resolution's
    or, for another size, the most square image of that many pixels."""
    for height, width in RESOLUTIONS.values():
        if height * width * CHANNELS == size:
            return (height, width)
    if size % CHANNELS:
        raise ValueError(f"a frame of {size} bytes is not a whole number of RGB pixels")
    return matrix_shape(size // CHANNELS)


def make_input(op: Op, size: int, seed: int = 0, dtype: DType = DEFAULT_DTYPE) -> np.ndarray:
    """The argument array of `op` for `size` elements: a matrix for matrix_sum, an
    H x W x 3 frame of `size` bytes for frame, a vector otherwise."""
    if op == "frame":
        return make_frame(*frame_shape(size), seed=seed)
    vector = make_vector(size, seed, dtype)
    return vector.reshape(matrix_shape(size)) if op == "matrix_sum" else vector


def gray_reference(image: np.ndarray) -> np.ndarray:
    """NumPy's computation of the frame op: (77 R + 150 G + 29 B + 128) >> 8."""
    channels = image.astype(np.uint16)
    red, green, blue = (channels[..., c] for c in range(CHANNELS))
    weighted = GRAY_WEIGHTS[0] * red + GRAY_WEIGHTS[1] * green + GRAY_WEIGHTS[2] * blue
    return ((weighted + GRAY_ROUNDING) >> 8).astype(np.uint8)


def parse_size(token: str) -> int:
    """A --sizes entry as a number of elements: an integer ("1000", "1e6") or a
    resolution name (its frame's bytes, H x W x 3). ValueError naming the problem."""
    text = token.strip().lower()
    if text in RESOLUTIONS:
        height, width = RESOLUTIONS[text]
        return height * width * CHANNELS
    try:
        value = float(text)
    except ValueError:
        raise ValueError(
            f"size {token!r} is neither a number of elements nor a resolution "
            f"({', '.join(RESOLUTIONS)})"
        ) from None
    if not value.is_integer() or value < 0:
        raise ValueError(f"size {token!r} is not a whole, non-negative number of elements")
    return int(value)


def resolution_of(size: int) -> str | None:
    """The resolution name of a frame of `size` bytes, or None."""
    for name, (height, width) in RESOLUTIONS.items():
        if height * width * CHANNELS == size:
            return name
    return None


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
    total: float | int  # sum, matrix_sum: np.sum (an int for integer dtypes)
    magnitude: float  # sum of |values|: the scale of a float sum's rounding
    array: np.ndarray | None  # square, scale, frame: the element-wise result
    tolerance: float = SUM_RELATIVE_TOLERANCE  # relative to magnitude, for float sums

    @staticmethod
    def of(op: Op, values: np.ndarray) -> Expected:
        if op in ("sum", "matrix_sum"):
            total = np.sum(values)
            if values.dtype.kind in "iu":
                return Expected(op, int(total), 0.0, None)
            magnitude = float(np.sum(np.abs(values), dtype=np.float64)) if values.size else 0.0
            tolerance = (
                FLOAT32_SUM_RELATIVE_TOLERANCE
                if values.dtype == np.float32
                else SUM_RELATIVE_TOLERANCE
            )
            return Expected(op, float(total), magnitude, None, tolerance)
        if op == "frame":
            return Expected(op, math.nan, math.nan, gray_reference(values))
        if op == "square":
            return Expected(op, math.nan, math.nan, np.square(values))
        return Expected(op, math.nan, math.nan, values * scale_factor(_dtype_of(values)))

    def check(self, got: object, what: str | None = None) -> None:
        """Raise WrongAnswerError unless `got` is this answer (an array for square,
        scale and frame, a number for the sums)."""
        if self.array is not None:
            check_array(got, self.array, what or self.op)
            return
        if isinstance(self.total, int):
            _check_integer_sum(got, self.total)
            return
        if not isinstance(got, float | np.floating):
            raise WrongAnswerError(f"expected a float, got {type(got).__name__}")
        expected = self.total
        if math.isnan(expected) and math.isnan(float(got)):
            return
        tolerance = self.tolerance * self.magnitude
        if not (got == expected or abs(float(got) - expected) <= tolerance):
            raise WrongAnswerError(f"sum is {got!r}, NumPy says {expected!r}")


def _dtype_of(values: np.ndarray) -> DType:
    return dtype_named(values.dtype.name)


def _check_integer_sum(got: object, expected: int) -> None:
    # An integer sum is exact; a float cannot stand for it (it rounds above 2^53).
    if isinstance(got, bool) or not isinstance(got, int | np.integer):
        raise WrongAnswerError(f"expected an integer sum, got {type(got).__name__} {got!r}")
    if int(got) != expected:
        raise WrongAnswerError(f"sum is {int(got)}, NumPy says {expected}")


def check_sum(got: object, values: np.ndarray) -> None:
    """Raise WrongAnswerError unless `got` is NumPy's sum of `values`."""
    Expected.of("sum", values).check(got)


def check_array(got: object, expected: np.ndarray, what: str) -> None:
    """Raise WrongAnswerError unless `got` is an array of `expected`'s dtype and
    shape, equal to it element by element.

    Element-wise results are exactly rounded IEEE products (or wrapped-around
    integer ones), so any correct strategy matches bit for bit (NaN where NumPy
    has NaN).
    """
    if not isinstance(got, np.ndarray):
        raise WrongAnswerError(f"{what}: expected a numpy.ndarray, got {type(got).__name__}")
    if got.dtype != expected.dtype or got.shape != expected.shape:
        raise WrongAnswerError(
            f"{what}: expected {expected.dtype} {expected.shape}, got {got.dtype} {got.shape}"
        )
    # Bit for bit first: one vectorised pass (9 ms at 80 MB, where a NaN-aware
    # comparison takes 75 ms); the NaN-aware one only when the bits differ.
    bits = np.dtype(f"u{expected.dtype.itemsize}")
    if np.array_equal(got.reshape(-1).view(bits), expected.reshape(-1).view(bits)):
        return
    if expected.dtype.kind == "f" and np.array_equal(got, expected, equal_nan=True):
        return
    same = got == expected
    if expected.dtype.kind == "f":
        same |= np.isnan(got) & np.isnan(expected)
    bad = int(np.count_nonzero(~same))
    raise WrongAnswerError(f"{what}: {bad} of {expected.size} elements differ from NumPy")
