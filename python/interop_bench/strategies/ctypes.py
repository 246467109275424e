"""`ctypes`: the classic recipe done right, on the extern "C" library libib_ctypes.so.

The library is loaded with ctypes.CDLL once at open, argtypes and restype are
declared once, and pointers are passed as ``a.ctypes.data_as(POINTER(c_double))``.
The bare recipe reads a non-contiguous, float32 or int array wrongly without a
word, so the adapter validates with strategies/validation.py first. ctypes.CDLL
releases the GIL around every foreign call.

ctypes has no public way to unload a library (dlclose); closing drops the
handle, and the library stays mapped until the process ends.
"""

from __future__ import annotations

import ctypes
from typing import Any, ClassVar

import numpy as np

from interop_bench.strategies import validation
from interop_bench.strategies._c_abi import library_path
from interop_bench.strategies._native_module import NotOpen
from interop_bench.strategies.base import CopyKind, Strategy

DOUBLE_P = ctypes.POINTER(ctypes.c_double)
# uintptr_t: ctypes has no name for it; size_t has its width on every platform we build for.
UINTPTR = ctypes.c_size_t


def load_library(
    vector: Any = DOUBLE_P, mutable_vector: Any = DOUBLE_P, matrix: Any = DOUBLE_P
) -> ctypes.CDLL:
    """A new handle on libib_ctypes.so with every function's argtypes and restype
    declared, pointer arguments of the given types. Each CDLL object has its own
    function objects, so variants with other argtypes do not disturb each other."""
    lib = ctypes.CDLL(str(library_path()))
    size = ctypes.c_size_t
    declarations: dict[str, tuple[list[Any], Any]] = {
        "ib_sum": ([vector, size], ctypes.c_double),
        "ib_square": ([mutable_vector, size], None),
        "ib_matrix_sum": ([matrix, size, size, size], ctypes.c_double),
        "ib_scale": ([vector, size, ctypes.c_double, mutable_vector], None),
        "ib_data_address": ([vector], UINTPTR),
        "ib_last_result_address": ([], UINTPTR),
    }
    for name, (argtypes, restype) in declarations.items():
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = restype
    return lib


class CtypesStrategy(Strategy):
    name = "ctypes"
    sources = (
        "strategies/_c_abi/ib_ctypes.cpp",
        "strategies/_c_abi/ib_ctypes.h",
    )
    packages: ClassVar[tuple[str, ...]] = ("python",)
    family = "ffi"
    releases_gil = "always"
    description = (
        'ctypes.CDLL on an extern "C" library; argtypes declared once, '
        "pointers from a.ctypes.data_as(POINTER(c_double))"
    )
    # Typed wide: the ctypes-list variant overrides them with "copy".
    copies_in: ClassVar[CopyKind] = "zero-copy"
    copies_out: ClassVar[CopyKind] = "zero-copy"
    scale_result_memory = "numpy"
    copies_note = (
        "scale: the adapter allocates the result with np.empty and C++ writes straight into it; "
        "arguments are validated in Python (strategies/validation.py)"
    )

    def __init__(self) -> None:
        super().__init__()
        self._lib: Any = NotOpen(self.name)

    def _open(self) -> None:
        self._lib = load_library()

    def _close(self) -> None:
        self._lib = NotOpen(self.name)

    def sum(self, a: np.ndarray) -> float:
        a = validation.vector(a)
        total: float = self._lib.ib_sum(a.ctypes.data_as(DOUBLE_P), a.size)
        return total

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        self._lib.ib_square(a.ctypes.data_as(DOUBLE_P), a.size)

    def matrix_sum(self, m: np.ndarray) -> float:
        view, _copied = validation.row_major(m)
        rows, cols = view.shape
        stride = validation.row_stride_elements(view)
        total: float = self._lib.ib_matrix_sum(view.ctypes.data_as(DOUBLE_P), rows, cols, stride)
        return total

    def scale(self, a: np.ndarray, k: float) -> np.ndarray:
        a = validation.vector(a)
        factor = validation.factor(k)
        out = np.empty(a.size)
        self._lib.ib_scale(a.ctypes.data_as(DOUBLE_P), a.size, factor, out.ctypes.data_as(DOUBLE_P))
        return out

    def data_address(self, a: np.ndarray) -> int:
        address: int = self._lib.ib_data_address(validation.vector(a).ctypes.data_as(DOUBLE_P))
        return address

    def last_result_address(self) -> int:
        address: int = self._lib.ib_last_result_address()
        return address
