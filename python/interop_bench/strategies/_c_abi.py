"""Where the C ABI library of strategies/_c_abi lives: libib_ctypes.so, shared
by the ctypes family (ctypes, ctypes-ndpointer, ctypes-voidp, ctypes-list) and cffi;
how its entry points are named for each dtype (ib_ctypes.h); and how the ffi
adapters (those two and cppyy) find a dtype's entry points cheaply at each call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from interop_bench import native, ops
from interop_bench.strategies.base import not_open_error

LIBRARY_STEM = "ib_ctypes"

# The suffix of each dtype's entry points (ib_sum, ib_sum_f32, ...): float64 keeps
# the plain names.
SUFFIXES: dict[ops.DType, str] = {
    "float64": "",
    "float32": "_f32",
    "int32": "_i32",
    "int16": "_i16",
    "uint8": "_u8",
}
# The C type of each dtype's elements, as ib_ctypes.h spells them.
ELEMENT_C_TYPES: dict[ops.DType, str] = {
    "float64": "double",
    "float32": "float",
    "int32": "int32_t",
    "int16": "int16_t",
    "uint8": "uint8_t",
}
VECTOR_OPS = ("sum", "square", "matrix_sum", "scale")
FLOAT64 = np.dtype(np.float64)


def entry_point(op: str, dtype: ops.DType) -> str:
    """The C name of `op` for elements of `dtype`: ib_sum, ib_scale_u8, ..."""
    return f"ib_{op}{SUFFIXES[dtype]}"


def dtype_key(dtype: ops.DType) -> str:
    """The key the adapters find a dtype's entry points by: its one-character code
    (``a.dtype.char``, tens of nanoseconds to read, where ``a.dtype.name`` is
    NumPy's Python code and costs microseconds)."""
    return np.dtype(dtype).char


# The DType of each key (for validation.factor, without reading a.dtype.name).
DTYPE_OF_KEY: dict[str, ops.DType] = {dtype_key(dtype): dtype for dtype in ops.DTYPES}


@dataclass(frozen=True)
class TypedFunctions:
    """One dtype's four entry points, as a binding declared them (ctypes, cffi)."""

    dtype: ops.DType
    sum: Any
    square: Any
    matrix_sum: Any
    scale: Any


def library_path() -> Path:
    """libib_ctypes.so as the build installed it; NativeUnavailableError when it was not built."""
    return native.shared_library(LIBRARY_STEM)


class ClosedEntryPoints(dict[str, Any]):
    """The entry points by dtype_key of a closed strategy: any lookup says it is not open."""

    def __init__(self, strategy_name: str) -> None:
        super().__init__()
        self._strategy_name = strategy_name

    def __missing__(self, key: str) -> NoReturn:
        raise not_open_error(self._strategy_name)
