"""`numpy`: no boundary crossed at all. The baseline a strategy must beat to be worth it."""

from __future__ import annotations

import numpy as np

from interop_bench import ops
from interop_bench.strategies import validation
from interop_bench.strategies.base import Strategy

# BT.601's integer weights as one uint16 vector: a frame's gray is the product of
# each pixel with it. uint16 holds the weighted sum (at most 65,408).
_GRAY_WEIGHTS = np.array(ops.GRAY_WEIGHTS, dtype=np.uint16)


def _number(total: np.generic) -> float | int:
    """np.sum's scalar as the Python number a strategy returns."""
    return int(total) if isinstance(total, np.integer) else float(total)


class NumpyStrategy(Strategy):
    name = "numpy"
    packages = ("numpy",)
    family = "reference"
    releases_gil = "large"  # NumPy's loops release it for large arrays (NPY_BEGIN_THREADS)
    description = "pure NumPy (a.sum(), np.square(a, out=a), a * k): no C++ call at all"
    copies_in = "zero-copy"
    copies_out = "zero-copy"
    copies_note = (
        "NumPy allocates scale's result itself; frame is a uint16 matrix product of each "
        "pixel with the weights, then a shift"
    )

    def sum(self, a: np.ndarray) -> float | int:
        return _number(validation.vector(a).sum())

    def square(self, a: np.ndarray) -> None:
        np.square(validation.vector(a, writable=True), out=a)

    def matrix_sum(self, m: np.ndarray) -> float | int:
        # NumPy reads any layout in place.
        return _number(validation.matrix(m).sum())

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        values = validation.vector(a)
        return values * validation.factor(k, values.dtype)

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, _ = validation.frame(image)
        weighted = rgb.astype(np.uint16) @ _GRAY_WEIGHTS
        weighted += ops.GRAY_ROUNDING
        return (weighted >> 8).astype(np.uint8)

    def data_address(self, a: np.ndarray) -> int:
        return int(validation.vector(a).ctypes.data)
