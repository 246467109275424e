"""`cython`: a Cython module (strategies/cython/ib_cython.pyx) with typed
memoryview arguments calling the C++ kernel core through ``cdef extern``.

``const T[::1]`` for what is read, ``T[::1]`` for what square writes (Cython
refuses a read-only buffer for it), ``const T[:, :]`` for a matrix of any
strides, T a fused type of the five element types: each def function reads the
array's dtype code in C (``PyArray_TYPE``; float64 first) and calls the
specialisation of that type, which calls the kernel overload of that type.
Cython acquires each argument's buffer (PEP 3118) once per call and checks its
format, dimensions and layout itself, so nothing is copied in and a wrong
argument is a ValueError/TypeError from Cython's own checks (a NumPy dtype
outside the axis: the module's TypeError naming it). The GIL is released around
large kernels (gil_policy.hpp's threshold, which `interop-bench list` shows).
scale and frame allocate their results with ``np.empty`` inside the module and
the kernel writes into them: no copy out, but the memory is NumPy's. frame is
validation.frame in Python, then the module's frame_to_gray, which reads the
(padded or cropped) image in place through a ``const uint8_t[:, :, :]`` view
at its row stride.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from interop_bench import native
from interop_bench.strategies import validation
from interop_bench.strategies._native_module import NativeModuleStrategy, NotOpen


class CythonStrategy(NativeModuleStrategy):
    name = "cython"
    sources = ("strategies/cython/ib_cython.pyx",)
    packages = ("cython",)
    family = "ffi"
    description = (
        "Cython module: typed memoryviews of a fused element type (const double[::1], "
        "float[:, :], ...) picked by the array's dtype code, and cdef extern kernels"
    )
    copies_in = "zero-copy"
    releases_gil = "large"
    copies_out = "zero-copy"
    scale_result_memory = "numpy"
    copies_note = (
        "scale and frame: the module allocates the result with np.empty and the kernel writes "
        "into it; frame reads the (padded or cropped) image in place at its row stride; "
        "matrix_sum copies only layouts whose rows and columns are both strided"
    )
    extension_name = "ib_cython"

    def __init__(self) -> None:
        super().__init__()
        self._module: Any = NotOpen(self.name)  # for frame, not among the bound functions

    def _open(self) -> None:
        super()._open()
        self._module = native.extension(self.extension_name)

    def _close(self) -> None:
        super()._close()
        self._module = NotOpen(self.name)

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, row_stride = validation.frame(image)
        gray: np.ndarray = self._module.frame_to_gray(rgb, row_stride)
        return gray
