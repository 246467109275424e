"""`pybind11-stl`: pybind11 the naive way many people write it, through std::vector.

With pybind11/stl.h a ``const std::vector<double>&`` argument is filled element
by element from the array (a NumPy scalar, then a C double, per element), and
a returned ``std::vector<double>`` becomes a Python list, which the caller
turns back into an array with np.asarray: what the naive code does. square
returns the squared vector and the adapter writes it back into the caller's
array. The GIL stays held, as in that code. Arguments are validated with
strategies/validation.py like every strategy (stl.h would also accept lists and
other dtypes, converting them).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from interop_bench import native
from interop_bench.strategies import validation
from interop_bench.strategies._native_module import NotOpen
from interop_bench.strategies.base import Strategy


class Pybind11StlStrategy(Strategy):
    name = "pybind11-stl"
    sources = ("strategies/pybind11/ib_pybind11_stl.cpp",)
    packages = ("pybind11",)
    family = "ffi"
    description = "pybind11 extension taking and returning std::vector<double> via pybind11/stl.h"
    copies_in = "copy"
    copies_out = "copy"
    copies_note = (
        "in: element by element into a new std::vector (matrix_sum: a vector per row, then "
        "packed into one buffer); out: std::vector -> Python list -> np.asarray; square "
        "copies both ways and writes back into the caller's array"
    )

    def __init__(self) -> None:
        super().__init__()
        self._module: ModuleType | Any = NotOpen(self.name)

    def _open(self) -> None:
        self._module = native.extension("ib_pybind11_stl")

    def _close(self) -> None:
        self._module = NotOpen(self.name)

    def sum(self, a: np.ndarray) -> float:
        total: float = self._module.sum(validation.vector(a))
        return total

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        a[:] = self._module.square(a)

    def matrix_sum(self, m: np.ndarray) -> float:
        total: float = self._module.matrix_sum(validation.matrix(m))
        return total

    def scale(self, a: np.ndarray, k: float) -> np.ndarray:
        return np.asarray(
            self._module.scale(validation.vector(a), validation.factor(k)), dtype=np.float64
        )

    def data_address(self, a: np.ndarray) -> int:
        address: int = self._module.data_address(validation.vector(a))
        return address
