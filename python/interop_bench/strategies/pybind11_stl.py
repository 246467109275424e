"""`pybind11-stl`: pybind11 the naive way many people write it, through std::vector.

With pybind11/stl.h a ``const std::vector<T>&`` argument is filled element by
element from the array (a NumPy scalar, then a C value, per element), and a
returned ``std::vector<T>`` becomes a Python list, which the caller turns back
into an array with np.asarray(..., dtype): what the naive code does. square
returns the squared vector and the adapter writes it back into the caller's
array. The GIL stays held, as in that code. Arguments are validated with
strategies/validation.py like every strategy (stl.h would also accept lists and
other dtypes, converting them). Each dtype has its own functions (``sum_int16``
...: stl.h's casters convert numbers freely, so overloads could not pick by
dtype); the adapter calls the one of the array's dtype. frame flattens the
image (a copy for a padded or cropped view), passes its bytes as a
``std::vector<uint8_t>`` with rows and cols, and gets the gray image back as a
list.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from interop_bench import native, ops
from interop_bench.strategies import validation
from interop_bench.strategies._native_module import NotOpen
from interop_bench.strategies.base import Strategy, not_open_error

# The module's functions that exist once per dtype (`sum_int16`...).
_TYPED_OPS = ("sum", "square", "matrix_sum", "scale", "data_address")


class Pybind11StlStrategy(Strategy):
    name = "pybind11-stl"
    sources = ("strategies/pybind11/ib_pybind11_stl.cpp",)
    packages = ("pybind11",)
    family = "ffi"
    description = "pybind11 extension taking and returning std::vector<double> via pybind11/stl.h"
    copies_in = "copy"
    copies_out = "copy"
    copies_note = (
        "in: element by element into a new std::vector<T> (matrix_sum: a vector per row, then "
        "packed into one buffer); out: std::vector -> Python list -> np.asarray; square "
        "copies both ways and writes back into the caller's array; frame: the image flattened "
        "(packed first if padded), a byte vector in, a list of gray bytes out"
    )

    def __init__(self) -> None:
        super().__init__()
        self._module: ModuleType | Any = NotOpen(self.name)
        self._functions: dict[np.dtype, dict[str, Any]] = {}

    def _open(self) -> None:
        self._module = native.extension("ib_pybind11_stl")
        # By NumPy dtype object: a dict lookup, where formatting the name from
        # a.dtype.name would cost microseconds of NumPy's Python code per call.
        self._functions = {
            np.dtype(dtype): {op: getattr(self._module, f"{op}_{dtype}") for op in _TYPED_OPS}
            for dtype in ops.DTYPES
        }

    def _close(self) -> None:
        self._module = NotOpen(self.name)
        self._functions = {}

    def _function(self, op: str, a: np.ndarray) -> Any:
        """The module's `op` for a's dtype (validated)."""
        functions = self._functions.get(a.dtype)
        if functions is None:  # every validated dtype is there while open
            raise not_open_error(self.name)
        return functions[op]

    def sum(self, a: np.ndarray) -> float | int:
        a = validation.vector(a)
        total: float | int = self._function("sum", a)(a)
        return total

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        a[:] = self._function("square", a)(a)

    def matrix_sum(self, m: np.ndarray) -> float | int:
        m = validation.matrix(m)
        total: float | int = self._function("matrix_sum", m)(m)
        return total

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        a = validation.vector(a)
        result = self._function("scale", a)(a, validation.factor(k, a.dtype))
        return np.asarray(result, dtype=a.dtype)

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, _ = validation.frame(image)
        height, width, _ = rgb.shape
        gray = self._module.frame(rgb.reshape(-1), height, width)
        return np.asarray(gray, dtype=np.uint8).reshape(height, width)

    def data_address(self, a: np.ndarray) -> int:
        a = validation.vector(a)
        address: int = self._function("data_address", a)(a)
        return address
