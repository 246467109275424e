"""`cffi`: cffi in ABI mode on the same extern "C" library as ctypes, libib_ctypes.so.

``ffi.cdef`` reads the declarations of strategies/_c_abi/ib_ctypes.h, which the
build preprocesses into ``ib_cffi.cdef`` next to the library (see
strategies/cffi/CMakeLists.txt), and ``ffi.dlopen`` loads the library once at
open. Arrays cross as ``ffi.from_buffer("double[]", a)``: a cdata pointing at
the array's own memory (zero-copy), writable only when asked with
``require_writable=True`` (square and scale's output), so a read-only array
is refused by cffi as well as by the validation of strategies/validation.py, which
runs first because a raw pointer would read a strided or float32 array wrongly.
cffi releases the GIL around every call.

Why ABI mode rather than API mode (a C extension that cffi generates and a
compiler builds): the comparison with ctypes is then binding against binding on
one and the same library, and the build needs no out-of-line module that CMake
would have to drive through cffi's setuptools integration. API mode would make
calls cheaper (a direct C call instead of libffi's generic one), at the cost of
becoming one more compiled extension module like the capi strategy.
"""

from __future__ import annotations

from typing import Any

import cffi
import numpy as np

from interop_bench import native
from interop_bench.strategies import validation
from interop_bench.strategies._c_abi import library_path
from interop_bench.strategies._native_module import NotOpen
from interop_bench.strategies.base import Strategy

CDEF_FILE = "ib_cffi.cdef"  # installed beside the library by strategies/cffi/CMakeLists.txt


def declarations() -> str:
    """The C declarations of ib_ctypes.h as the build preprocessed them for cdef."""
    path = library_path().with_name(CDEF_FILE)
    if not path.exists():
        raise native.NativeUnavailableError(f"{path} is missing: rebuild with `make build`")
    return path.read_text()


class CffiStrategy(Strategy):
    name = "cffi"
    sources = (
        "strategies/_c_abi/ib_ctypes.cpp",
        "strategies/_c_abi/ib_ctypes.h",
        "strategies/cffi/CMakeLists.txt",
    )
    packages = ("cffi",)
    family = "ffi"
    releases_gil = "always"
    description = (
        'cffi ABI mode: ffi.dlopen of the ctypes strategy\'s extern "C" library, '
        'cdef from its header, arrays as ffi.from_buffer("double[]", a)'
    )
    copies_in = "zero-copy"
    copies_out = "zero-copy"
    scale_result_memory = "numpy"
    copies_note = (
        "scale: the adapter allocates the result with np.empty and C++ writes straight into it; "
        "arguments are validated in Python (strategies/validation.py); a matrix with padded "
        "rows is passed as ffi.cast of its address"
    )

    def __init__(self) -> None:
        super().__init__()
        self._ffi = cffi.FFI()
        self._lib: Any = NotOpen(self.name)

    def _open(self) -> None:
        ffi = cffi.FFI()  # a fresh one each time: cdef refuses to declare a function twice
        ffi.cdef(declarations())
        self._lib = ffi.dlopen(str(library_path()))
        self._ffi = ffi

    def _close(self) -> None:
        lib, self._lib = self._lib, NotOpen(self.name)
        self._ffi.dlclose(lib)  # the library stays mapped while ctypes holds it too

    def sum(self, a: np.ndarray) -> float:
        a = validation.vector(a)
        total: float = self._lib.ib_sum(self._ffi.from_buffer("double[]", a), a.size)
        return total

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        data = self._ffi.from_buffer("double[]", a, require_writable=True)
        self._lib.ib_square(data, a.size)

    def matrix_sum(self, m: np.ndarray) -> float:
        view, _copied = validation.row_major(m)
        rows, cols = view.shape
        stride = validation.row_stride_elements(view)
        # from_buffer needs a contiguous buffer; padded rows are reached by address
        # (`view` stays alive, and with it the memory, until the call returns).
        data = (
            self._ffi.from_buffer("double[]", view)
            if view.flags.c_contiguous
            else self._ffi.cast("double *", view.ctypes.data)
        )
        total: float = self._lib.ib_matrix_sum(data, rows, cols, stride)
        return total

    def scale(self, a: np.ndarray, k: float) -> np.ndarray:
        a = validation.vector(a)
        factor = validation.factor(k)
        out = np.empty(a.size)
        ffi = self._ffi
        self._lib.ib_scale(
            ffi.from_buffer("double[]", a),
            a.size,
            factor,
            ffi.from_buffer("double[]", out, require_writable=True),
        )
        return out

    def data_address(self, a: np.ndarray) -> int:
        address: int = self._lib.ib_data_address(
            self._ffi.from_buffer("double[]", validation.vector(a))
        )
        return address

    def last_result_address(self) -> int:
        address: int = self._lib.ib_last_result_address()
        return address
