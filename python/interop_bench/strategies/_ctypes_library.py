"""What the ctypes strategies share (`ctypes`, `ctypes-ndpointer`, `ctypes-voidp`,
`ctypes-list`): libib_ctypes.so loaded with ctypes.CDLL, argtypes and restype
declared once per dtype (load_library, with the pointer argtypes a variant
chooses), and CtypesLibraryStrategy, the classic recipe done right, which the
variants change where their recipe differs. ctypes.py says how the recipe goes.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from interop_bench import ops
from interop_bench.strategies import validation
from interop_bench.strategies._c_abi import (
    FLOAT64,
    ClosedEntryPoints,
    TypedFunctions,
    dtype_key,
    entry_point,
    library_path,
)
from interop_bench.strategies._native_module import NotOpen
from interop_bench.strategies.base import CopyKind, Strategy

# The ctypes type of each dtype's elements and of its sum (np.sum's type).
C_TYPES: dict[ops.DType, Any] = {
    "float64": ctypes.c_double,
    "float32": ctypes.c_float,
    "int32": ctypes.c_int32,
    "int16": ctypes.c_int16,
    "uint8": ctypes.c_uint8,
}
SUM_TYPES: dict[ops.DType, Any] = {
    "float64": ctypes.c_double,
    "float32": ctypes.c_float,
    "int32": ctypes.c_int64,
    "int16": ctypes.c_int64,
    "uint8": ctypes.c_uint64,
}
DOUBLE_P = ctypes.POINTER(ctypes.c_double)
UINT8_P = ctypes.POINTER(ctypes.c_uint8)
# uintptr_t: ctypes has no name for it; size_t has its width on every platform we build for.
UINTPTR = ctypes.c_size_t

# The pointer arguments of the library: a vector read, a vector written, a
# matrix (its rows at a stride), an RGB image (rows at a stride) and a gray one.
PointerKind = Literal["vector", "mutable_vector", "matrix", "image", "gray"]


def typed_pointer(kind: PointerKind, dtype: ops.DType) -> Any:
    """POINTER(c_double) and the like: the argtype of the classic recipe."""
    return ctypes.POINTER(C_TYPES[dtype])


@dataclass(frozen=True)
class EntryPoints(TypedFunctions):
    """One dtype's functions of libib_ctypes.so, argtypes and restype declared."""

    data_address: Any  # ib_data_address, taking this dtype's vector argtype
    element: Any  # the ctypes type of an element (c_float, ...)
    pointer: Any  # POINTER(element), for a.ctypes.data_as


def _declare(function: Any, argtypes: list[Any], restype: Any) -> Any:
    function.argtypes = argtypes
    function.restype = restype
    return function


def _entry_points(lib: ctypes.CDLL, dtype: ops.DType, argtype: Callable[..., Any]) -> EntryPoints:
    size = ctypes.c_size_t
    vector, mutable = argtype("vector", dtype), argtype("mutable_vector", dtype)
    element, total = C_TYPES[dtype], SUM_TYPES[dtype]
    return EntryPoints(
        dtype=dtype,
        sum=_declare(getattr(lib, entry_point("sum", dtype)), [vector, size], total),
        square=_declare(getattr(lib, entry_point("square", dtype)), [mutable, size], None),
        matrix_sum=_declare(
            getattr(lib, entry_point("matrix_sum", dtype)),
            [argtype("matrix", dtype), size, size, size],
            total,
        ),
        scale=_declare(
            getattr(lib, entry_point("scale", dtype)), [vector, size, element, mutable], None
        ),
        # lib[name] is a new function object each time: one per dtype's argtypes.
        data_address=_declare(lib["ib_data_address"], [vector], UINTPTR),
        element=element,
        pointer=ctypes.POINTER(element),
    )


def load_library(
    argtype: Callable[[PointerKind, ops.DType], Any] = typed_pointer,
) -> tuple[ctypes.CDLL, dict[str, EntryPoints]]:
    """A new handle on libib_ctypes.so with every function's argtypes and restype
    declared, pointer arguments of the types `argtype` gives, and each dtype's
    entry points by dtype_key. The float64 ones are also the library's attributes
    (lib.ib_sum, ...), which the float64 fast paths call. Each CDLL object has
    its own function objects, so variants with other argtypes do not disturb
    each other."""
    lib = ctypes.CDLL(str(library_path()))
    typed = {dtype_key(dtype): _entry_points(lib, dtype, argtype) for dtype in ops.DTYPES}
    size = ctypes.c_size_t
    image, gray = argtype("image", "uint8"), argtype("gray", "uint8")
    _declare(lib.ib_frame_to_gray, [image, size, size, size, gray], None)
    _declare(lib.ib_last_result_address, [], UINTPTR)
    return lib, typed


class CtypesLibraryStrategy(Strategy):
    """libib_ctypes.so through typed pointers, validated in Python first."""

    sources = (
        "strategies/_c_abi/ib_ctypes.cpp",
        "strategies/_c_abi/ib_ctypes.h",
    )
    packages: ClassVar[tuple[str, ...]] = ("python",)
    family = "ffi"
    releases_gil = "always"
    # Typed wide: the ctypes-list variant overrides them with "copy".
    copies_in: ClassVar[CopyKind] = "zero-copy"
    copies_out: ClassVar[CopyKind] = "zero-copy"
    scale_result_memory = "numpy"
    copies_note = (
        "scale and frame: the adapter allocates the result with np.empty and C++ writes "
        "straight into it; frame reads the (padded or cropped) image in place through its "
        "pointer and row stride; arguments are validated in Python (strategies/validation.py)"
    )

    def __init__(self) -> None:
        super().__init__()
        self._lib: Any = NotOpen(self.name)
        self._typed: dict[str, EntryPoints] = ClosedEntryPoints(self.name)

    def _open(self) -> None:
        self._lib, self._typed = load_library()

    def _close(self) -> None:
        self._lib, self._typed = NotOpen(self.name), ClosedEntryPoints(self.name)

    def sum(self, a: np.ndarray) -> float | int:
        a = validation.vector(a)
        total: float | int
        if a.dtype is FLOAT64:
            total = self._lib.ib_sum(a.ctypes.data_as(DOUBLE_P), a.size)
        else:
            typed = self._typed[a.dtype.char]
            total = typed.sum(a.ctypes.data_as(typed.pointer), a.size)
        return total

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        if a.dtype is FLOAT64:
            self._lib.ib_square(a.ctypes.data_as(DOUBLE_P), a.size)
        else:
            typed = self._typed[a.dtype.char]
            typed.square(a.ctypes.data_as(typed.pointer), a.size)

    def matrix_sum(self, m: np.ndarray) -> float | int:
        view, _copied = validation.row_major(m)
        rows, cols = view.shape
        stride = validation.row_stride_elements(view)
        total: float | int
        if view.dtype is FLOAT64:
            total = self._lib.ib_matrix_sum(view.ctypes.data_as(DOUBLE_P), rows, cols, stride)
        else:
            typed = self._typed[view.dtype.char]
            total = typed.matrix_sum(view.ctypes.data_as(typed.pointer), rows, cols, stride)
        return total

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        a = validation.vector(a)
        if a.dtype is FLOAT64:
            factor = validation.factor(k)
            out = np.empty(a.size)
            self._lib.ib_scale(
                a.ctypes.data_as(DOUBLE_P), a.size, factor, out.ctypes.data_as(DOUBLE_P)
            )
            return out
        typed = self._typed[a.dtype.char]
        factor = validation.factor(k, typed.dtype)
        out = np.empty(a.size, dtype=a.dtype)
        pointer = typed.pointer
        typed.scale(a.ctypes.data_as(pointer), a.size, factor, out.ctypes.data_as(pointer))
        return out

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, row_stride = validation.frame(image)
        gray = validation.new_gray(rgb)
        rows, cols = gray.shape
        self._lib.ib_frame_to_gray(
            rgb.ctypes.data_as(UINT8_P), rows, cols, row_stride, gray.ctypes.data_as(UINT8_P)
        )
        return gray

    def data_address(self, a: np.ndarray) -> int:
        a = validation.vector(a)
        typed = self._typed[a.dtype.char]
        address: int = typed.data_address(a.ctypes.data_as(typed.pointer))
        return address

    def last_result_address(self) -> int:
        address: int = self._lib.ib_last_result_address()
        return address
