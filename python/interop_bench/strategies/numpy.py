"""`numpy`: no boundary crossed at all. The baseline a strategy must beat to be worth it."""

from __future__ import annotations

import numpy as np

from interop_bench.strategies import validation
from interop_bench.strategies.base import Strategy


class NumpyStrategy(Strategy):
    name = "numpy"
    packages = ("numpy",)
    family = "reference"
    releases_gil = "large"  # NumPy's loops release it for large arrays (NPY_BEGIN_THREADS)
    description = "pure NumPy (a.sum(), np.square(a, out=a), a * k): no C++ call at all"
    copies_in = "zero-copy"
    copies_out = "zero-copy"
    copies_note = "NumPy allocates scale's result itself"

    def sum(self, a: np.ndarray) -> float:
        return float(validation.vector(a).sum())

    def square(self, a: np.ndarray) -> None:
        np.square(validation.vector(a, writable=True), out=a)

    def matrix_sum(self, m: np.ndarray) -> float:
        # NumPy reads any layout in place.
        return float(validation.matrix(m).sum())

    def scale(self, a: np.ndarray, k: float) -> np.ndarray:
        return validation.vector(a) * validation.factor(k)

    def data_address(self, a: np.ndarray) -> int:
        return int(validation.vector(a).ctypes.data)
