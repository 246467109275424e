"""`cppyy`: the kernel core's C++ header read by cling at run time, its shared
library loaded, NumPy arrays passed as pointers.

At open, ``cppyy.include`` reads strategies/cppyy/cppyy_adapter.hpp (which
includes kernels.hpp; the build installs them under ``_native/cppyy/include``)
and ``cppyy.load_library`` loads libib_cppyy_kernels.so, the kernel core with
its C++ symbols exported. kernels.hpp takes ``std::span``, which cppyy does not
make from an array, so the adapter is a thin class template of static functions
from pointers and sizes to spans, ``Typed<T>``, whose calls are to
kernels.hpp's overload for T. Its five instantiations are compiled ahead of
time into the library and declared ``extern template`` in the header, so cling
takes them from there instead of compiling one at the first call of each dtype.
The adapter takes them once per dtype at open (``Typed['float']``,
``Typed['std::uint8_t']``, ...), and a call goes to the instantiation of the
array's own dtype, found by its dtype code (no overload resolution per call,
no conversion). cppyy hands the array's
buffer to a ``T*`` parameter as its own address when the buffer's format is
T's (zero-copy; another format is refused); integer sums come back as int64 /
uint64, Python ints; scale's factor is converted to T by cppyy, which
range-checks it (validation.factor has, first). cling compiles each function's
call stub at its first call, a cost the run records apart, once, in a fresh
process (strategies.<name>.startup in the results file; see runner/startup.py),
and not in the cells.

cppyy checks the buffer's format but not its writability (it squares a
read-only array) nor, for a pointer, its dimensions, and it refuses an empty or
non-contiguous buffer with a message about "buffer or nullptr": so arguments go
through strategies/validation.py first, an empty array is passed as nullptr,
and a matrix with padded rows, or a padded or cropped frame, by address (read in
place at its row stride). Each function's twin in ``Released<T>`` (and
``ReleasedFrames``) has ``__release_gil__`` set; the adapter calls it from
gil_policy.hpp's threshold (read from the compiled header) on. scale's and
frame's results are allocated with ``np.empty`` and the kernel writes into them.
Cling cannot unload code: close() forgets the functions, and a new open() reuses
what the process compiled.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from interop_bench import native, ops
from interop_bench.strategies import validation
from interop_bench.strategies._c_abi import DTYPE_OF_KEY, FLOAT64, ClosedEntryPoints, dtype_key
from interop_bench.strategies._native_module import NotOpen
from interop_bench.strategies.base import Strategy

LIBRARY_STEM = "ib_cppyy_kernels"
ADAPTER_HEADER = "cppyy_adapter.hpp"
INCLUDE_DIR = native.NATIVE_DIR / "cppyy" / "include"
# The functions of Released<T> and ReleasedFrames, each set to release the GIL.
FUNCTIONS = ("sum", "square", "matrix_sum", "matrix_sum_at", "scale")
FRAME_FUNCTIONS = ("to_gray", "to_gray_at")
# The C++ type each dtype instantiates the adapter's templates with.
CPP_TYPES: dict[ops.DType, str] = {
    "float64": "double",
    "float32": "float",
    "int32": "std::int32_t",
    "int16": "std::int16_t",
    "uint8": "std::uint8_t",
}


def _cppyy() -> Any:
    """cppyy, imported on first use: it starts cling (~0.5 s), which `list` need not."""
    import cppyy  # noqa: PLC0415 - see above

    return cppyy


def load_adapter() -> Any:
    """The adapter's namespace (interop_bench::cppyy_adapter), compiled by cling with
    the kernel library loaded."""
    header = INCLUDE_DIR / ADAPTER_HEADER
    if not header.exists():
        raise native.NativeUnavailableError(f"{header} is missing: rebuild with `make build`")
    library = native.shared_library(LIBRARY_STEM)
    cppyy = _cppyy()
    cppyy.add_include_path(str(INCLUDE_DIR))
    cppyy.include(ADAPTER_HEADER)
    cppyy.load_library(str(library))
    return cppyy.gbl.interop_bench.cppyy_adapter


def releasing(proxy: Any, functions: tuple[str, ...]) -> Any:
    """`proxy` (a class of the adapter) with each of its `functions` set to release the GIL."""
    for name in functions:
        getattr(proxy, name).__release_gil__ = True
    return proxy


def instantiate(adapter: Any, dtype: ops.DType) -> tuple[Any, Any]:
    """Typed<T> and Released<T> of `dtype`'s C++ type (the latter releasing the GIL),
    indexed by whether a call releases it."""
    cpp_type = CPP_TYPES[dtype]
    return adapter.Typed[cpp_type], releasing(adapter.Released[cpp_type], FUNCTIONS)


class CppyyStrategy(Strategy):
    name = "cppyy"
    sources = (
        "strategies/cppyy/cppyy_adapter.hpp",
        "strategies/cppyy/CMakeLists.txt",
        "kernels/include/interop_bench/kernels.hpp",
    )
    packages = ("cppyy", "cppyy-cling")
    family = "ffi"
    releases_gil = "large"
    description = (
        "cppyy: cppyy.include of the kernel core's header (a thin class template from "
        "pointers to spans, instantiated per dtype), cppyy.load_library of its shared "
        "library, arrays passed as double* (float*, ...)"
    )
    copies_in = "zero-copy"
    copies_out = "zero-copy"
    scale_result_memory = "numpy"
    copies_note = (
        "scale and frame: the adapter allocates the result with np.empty and C++ writes "
        "straight into it; frame reads the (padded or cropped) image in place at its row "
        "stride; arguments are validated in Python (strategies/validation.py); cling "
        "compiles each call at its first use (start-up, recorded apart by each run)"
    )
    measures_startup = True

    def __init__(self) -> None:
        super().__init__()
        self._adapter: Any = NotOpen(self.name)
        # dtype_key -> (Typed<T>, Released<T>); (Frames, ReleasedFrames).
        self._typed: dict[str, tuple[Any, Any]] = ClosedEntryPoints(self.name)
        self._frames: tuple[Any, Any] = (NotOpen(self.name), NotOpen(self.name))
        self._release_from = 0
        self._null: Any = None

    def _open(self) -> None:
        adapter = load_adapter()
        self._adapter = adapter
        self._typed = {dtype_key(dtype): instantiate(adapter, dtype) for dtype in ops.DTYPES}
        self._frames = (adapter.Frames, releasing(adapter.ReleasedFrames, FRAME_FUNCTIONS))
        self._release_from = int(adapter.kReleaseGilMinElements)
        self._null = _cppyy().nullptr

    def _close(self) -> None:
        self._adapter = NotOpen(self.name)
        self._typed = ClosedEntryPoints(self.name)
        self._frames = (self._adapter, self._adapter)

    # Each op indexes its dtype's pair with `size >= threshold`: Released<T> for a
    # large array. (Written out in each op: a helper's call would be timed too.)

    def sum(self, a: np.ndarray) -> float | int:
        a = validation.vector(a)
        n = a.size
        typed = self._typed[a.dtype.char][n >= self._release_from]
        total: float | int = typed.sum(a if n else self._null, n)
        return total

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        n = a.size
        self._typed[a.dtype.char][n >= self._release_from].square(a if n else self._null, n)

    def matrix_sum(self, m: np.ndarray) -> float | int:
        view, _copied = validation.row_major(m)
        rows, cols = view.shape
        stride = validation.row_stride_elements(view)
        typed = self._typed[view.dtype.char][view.size >= self._release_from]
        total: float | int
        if not view.size:
            total = typed.matrix_sum(self._null, rows, cols, stride)
        elif view.flags.c_contiguous:
            total = typed.matrix_sum(view, rows, cols, stride)
        else:  # padded rows: `view` keeps the memory alive until the call returns
            total = typed.matrix_sum_at(view.ctypes.data, rows, cols, stride)
        return total

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        a = validation.vector(a)
        n = a.size
        if a.dtype is FLOAT64:
            factor = validation.factor(k)
            out = np.empty(n)
        else:
            factor = validation.factor(k, DTYPE_OF_KEY[a.dtype.char])
            out = np.empty(n, dtype=a.dtype)
        typed = self._typed[a.dtype.char][n >= self._release_from]
        if n:
            typed.scale(a, n, factor, out)
        else:
            typed.scale(self._null, 0, factor, self._null)
        return out

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, row_stride = validation.frame(image)
        gray = validation.new_gray(rgb)
        rows, cols = gray.shape
        frames = self._frames[gray.size >= self._release_from]
        if not gray.size:
            frames.to_gray(self._null, rows, cols, row_stride, self._null)
        elif rgb.flags.c_contiguous:
            frames.to_gray(rgb, rows, cols, row_stride, gray)
        else:  # padded or cropped rows: `rgb` keeps the memory alive until the call returns
            frames.to_gray_at(rgb.ctypes.data, rows, cols, row_stride, gray)
        return gray

    def data_address(self, a: np.ndarray) -> int:
        a = validation.vector(a)
        address: int = self._typed[a.dtype.char][0].data_address(a)
        return address

    def last_result_address(self) -> int:
        address: int = self._adapter.last_result_address()
        return address
