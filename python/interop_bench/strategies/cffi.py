"""`cffi`: cffi in ABI mode on the same extern "C" library as ctypes, libib_ctypes.so.

``ffi.cdef`` reads the declarations of strategies/_c_abi/ib_ctypes.h, which the
build preprocesses into ``ib_cffi.cdef`` next to the library (see
strategies/cffi/CMakeLists.txt), and ``ffi.dlopen`` loads the library once at
open. Arrays cross as ``ffi.from_buffer("double[]", a)``: a cdata pointing at
the array's own memory (zero-copy), writable only when asked with
``require_writable=True`` (square and scale's output), so a read-only array
is refused by cffi as well as by the validation of strategies/validation.py, which
runs first because a raw pointer would read a strided array, or one of another
dtype than the pointer's, wrongly. Each dtype has its own entry points
(ib_sum_f32, ...; ib_ctypes.h) and crosses as a cdata of its own C type
(``"float[]"``, ``"int32_t[]"``, ...): cdef gives every function its C types,
so an integer sum comes back as an int64_t / uint64_t (a Python int, never
through a float) and scale's factor is converted to the array's own type by cffi
(which range-checks it; validation.factor has done so first). float64 is tested
first (``a.dtype is FLOAT64``) and calls the plain entry points as before the
other dtypes, which look theirs up by ``a.dtype.char``. frame reads the
(padded or cropped) image in place: from_buffer when it is contiguous, ffi.cast
of its address otherwise, as for matrix_sum. cffi releases the GIL around every
call.

Why ABI mode rather than API mode (a C extension that cffi generates and a
compiler builds): the comparison with ctypes is then binding against binding on
one and the same library, and the build needs no out-of-line module that CMake
would have to drive through cffi's setuptools integration. API mode would make
calls cheaper (a direct C call instead of libffi's generic one), at the cost of
becoming one more compiled extension module like the capi strategy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cffi
import numpy as np

from interop_bench import native, ops
from interop_bench.strategies import validation
from interop_bench.strategies._c_abi import (
    ELEMENT_C_TYPES,
    FLOAT64,
    VECTOR_OPS,
    ClosedEntryPoints,
    TypedFunctions,
    dtype_key,
    entry_point,
    library_path,
)
from interop_bench.strategies._native_module import NotOpen
from interop_bench.strategies.base import Strategy

CDEF_FILE = "ib_cffi.cdef"  # installed beside the library by strategies/cffi/CMakeLists.txt


def declarations() -> str:
    """The C declarations of ib_ctypes.h as the build preprocessed them for cdef."""
    path = library_path().with_name(CDEF_FILE)
    if not path.exists():
        raise native.NativeUnavailableError(f"{path} is missing: rebuild with `make build`")
    return path.read_text()


@dataclass(frozen=True)
class EntryPoints(TypedFunctions):
    """One dtype's functions of the library and the cdata types its arrays cross as."""

    array: str  # "float[]": what ffi.from_buffer makes of an array of this dtype
    pointer: str  # "float *": what ffi.cast makes of its address


def entry_points(lib: Any, dtype: ops.DType) -> EntryPoints:
    """The entry points of `dtype` in the library `lib` (ffi.dlopen's)."""
    c_type = ELEMENT_C_TYPES[dtype]
    functions = {op: getattr(lib, entry_point(op, dtype)) for op in VECTOR_OPS}
    return EntryPoints(dtype, **functions, array=f"{c_type}[]", pointer=f"{c_type} *")


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
        'cdef from its header, arrays as ffi.from_buffer("double[]", a) ("float[]", ... by dtype)'
    )
    copies_in = "zero-copy"
    copies_out = "zero-copy"
    scale_result_memory = "numpy"
    copies_note = (
        "scale and frame: the adapter allocates the result with np.empty and C++ writes "
        "straight into it; arguments are validated in Python (strategies/validation.py); "
        "a matrix with padded rows and a padded or cropped frame are passed as ffi.cast of "
        "their address and read in place"
    )

    def __init__(self) -> None:
        super().__init__()
        self._ffi = cffi.FFI()
        self._lib: Any = NotOpen(self.name)
        self._typed: dict[str, EntryPoints] = ClosedEntryPoints(self.name)

    def _open(self) -> None:
        ffi = cffi.FFI()  # a fresh one each time: cdef refuses to declare a function twice
        ffi.cdef(declarations())
        self._lib = ffi.dlopen(str(library_path()))
        self._ffi = ffi
        self._typed = {dtype_key(dtype): entry_points(self._lib, dtype) for dtype in ops.DTYPES}

    def _close(self) -> None:
        lib, self._lib = self._lib, NotOpen(self.name)
        self._typed = ClosedEntryPoints(self.name)
        self._ffi.dlclose(lib)  # the library stays mapped while ctypes holds it too

    def sum(self, a: np.ndarray) -> float | int:
        a = validation.vector(a)
        total: float | int
        if a.dtype is FLOAT64:
            total = self._lib.ib_sum(self._ffi.from_buffer("double[]", a), a.size)
        else:
            typed = self._typed[a.dtype.char]
            total = typed.sum(self._ffi.from_buffer(typed.array, a), a.size)
        return total

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        if a.dtype is FLOAT64:
            data = self._ffi.from_buffer("double[]", a, require_writable=True)
            self._lib.ib_square(data, a.size)
        else:
            typed = self._typed[a.dtype.char]
            typed.square(self._ffi.from_buffer(typed.array, a, require_writable=True), a.size)

    def matrix_sum(self, m: np.ndarray) -> float | int:
        view, _copied = validation.row_major(m)
        rows, cols = view.shape
        stride = validation.row_stride_elements(view)
        typed = self._typed[view.dtype.char]
        total: float | int = typed.matrix_sum(
            self._in_place(view, typed.array, typed.pointer), rows, cols, stride
        )
        return total

    def _in_place(self, view: np.ndarray, array: str, pointer: str) -> Any:
        """A cdata for `view`'s memory: from_buffer needs a contiguous buffer, so
        padded rows are reached by address (`view` stays alive, and with it the
        memory, until the call returns)."""
        if view.flags.c_contiguous:
            return self._ffi.from_buffer(array, view)
        return self._ffi.cast(pointer, view.ctypes.data)

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        a = validation.vector(a)
        ffi = self._ffi
        if a.dtype is FLOAT64:
            factor = validation.factor(k)
            out = np.empty(a.size)
            self._lib.ib_scale(
                ffi.from_buffer("double[]", a),
                a.size,
                factor,
                ffi.from_buffer("double[]", out, require_writable=True),
            )
            return out
        typed = self._typed[a.dtype.char]
        factor = validation.factor(k, typed.dtype)
        out = np.empty(a.size, dtype=a.dtype)
        typed.scale(
            ffi.from_buffer(typed.array, a),
            a.size,
            factor,
            ffi.from_buffer(typed.array, out, require_writable=True),
        )
        return out

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, row_stride = validation.frame(image)
        gray = validation.new_gray(rgb)
        rows, cols = gray.shape
        self._lib.ib_frame_to_gray(
            self._in_place(rgb, "uint8_t[]", "uint8_t *"),
            rows,
            cols,
            row_stride,
            self._ffi.from_buffer("uint8_t[]", gray, require_writable=True),
        )
        return gray

    def data_address(self, a: np.ndarray) -> int:
        a = validation.vector(a)
        address: int = self._lib.ib_data_address(
            self._ffi.from_buffer(self._typed[a.dtype.char].array, a)
        )
        return address

    def last_result_address(self) -> int:
        address: int = self._lib.ib_last_result_address()
        return address
