"""`cppyy`: the kernel core's C++ header read by cling at run time, its shared
library loaded, NumPy arrays passed as pointers.

At open, ``cppyy.include`` reads strategies/cppyy/cppyy_adapter.hpp (which
includes kernels.hpp; the build installs them under ``_native/cppyy/include``)
and ``cppyy.load_library`` loads libib_cppyy_kernels.so, the kernel core with
its C++ symbols exported. kernels.hpp takes ``std::span``, which cppyy does not
make from an array, so the adapter is a thin layer of inline functions from
pointers and sizes to spans. cppyy hands a float64 array's buffer to a
``double*`` parameter as its own address (zero-copy); cling compiles each
function's call stub at its first call, a cost the run records apart, once, in
a fresh process (strategies.<name>.startup in the results file; see
runner/startup.py), and not in the cells.

cppyy checks the buffer's format but not its writability (it squares a
read-only array) nor, for a pointer, its dimensions, and it refuses an empty or
non-contiguous buffer with a message about "buffer or nullptr": so arguments go
through strategies/validation.py first, an empty array is passed as nullptr,
and a matrix with padded rows by address. Each function's twin in the adapter's
``released`` namespace has ``__release_gil__`` set; the adapter calls it from
gil_policy.hpp's threshold (read from the compiled header) on. scale's result
is allocated with ``np.empty`` and the kernel writes into it. Cling cannot
unload code: close() forgets the functions, and a new open() reuses what the
process compiled.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from interop_bench import native
from interop_bench.strategies import validation
from interop_bench.strategies._native_module import NotOpen
from interop_bench.strategies.base import Strategy

LIBRARY_STEM = "ib_cppyy_kernels"
ADAPTER_HEADER = "cppyy_adapter.hpp"
INCLUDE_DIR = native.NATIVE_DIR / "cppyy" / "include"
FUNCTIONS = ("sum", "square", "matrix_sum", "matrix_sum_at", "scale")


def _cppyy() -> Any:
    """cppyy, imported on first use: it starts cling (~0.5 s), which `list` need not."""
    import cppyy  # noqa: PLC0415 - see above

    return cppyy


def load_adapter() -> Any:
    """The adapter's namespace (interop_bench::cppyy_adapter), compiled by cling with
    the kernel library loaded, its `released` twins set to release the GIL."""
    header = INCLUDE_DIR / ADAPTER_HEADER
    if not header.exists():
        raise native.NativeUnavailableError(f"{header} is missing: rebuild with `make build`")
    library = native.shared_library(LIBRARY_STEM)
    cppyy = _cppyy()
    cppyy.add_include_path(str(INCLUDE_DIR))
    cppyy.include(ADAPTER_HEADER)
    cppyy.load_library(str(library))
    adapter = cppyy.gbl.interop_bench.cppyy_adapter
    for name in FUNCTIONS:
        getattr(adapter.released, name).__release_gil__ = True
    return adapter


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
        "cppyy: cppyy.include of the kernel core's header (a thin adapter from pointers to "
        "spans), cppyy.load_library of its shared library, arrays passed as double*"
    )
    copies_in = "zero-copy"
    copies_out = "zero-copy"
    scale_result_memory = "numpy"
    copies_note = (
        "scale: the adapter allocates the result with np.empty and C++ writes straight into it; "
        "arguments are validated in Python (strategies/validation.py); cling compiles each "
        "call at its first use (start-up, recorded apart by each run)"
    )
    measures_startup = True

    def __init__(self) -> None:
        super().__init__()
        self._adapter: Any = NotOpen(self.name)
        self._released: Any = NotOpen(self.name)
        self._release_from = 0
        self._null: Any = None

    def _open(self) -> None:
        adapter = load_adapter()
        self._adapter, self._released = adapter, adapter.released
        self._release_from = int(adapter.kReleaseGilMinElements)
        self._null = _cppyy().nullptr

    def _close(self) -> None:
        self._adapter = self._released = NotOpen(self.name)

    def _pick(self, elements: int) -> Any:
        """The adapter, or its GIL-releasing twin for a large array."""
        return self._adapter if elements < self._release_from else self._released

    def sum(self, a: np.ndarray) -> float:
        a = validation.vector(a)
        n = a.size
        total: float = self._pick(n).sum(a if n else self._null, n)
        return total

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        n = a.size
        self._pick(n).square(a if n else self._null, n)

    def matrix_sum(self, m: np.ndarray) -> float:
        view, _copied = validation.row_major(m)
        rows, cols = view.shape
        stride = validation.row_stride_elements(view)
        adapter = self._pick(view.size)
        total: float
        if not view.size:
            total = adapter.matrix_sum(self._null, rows, cols, stride)
        elif view.flags.c_contiguous:
            total = adapter.matrix_sum(view, rows, cols, stride)
        else:  # padded rows: `view` keeps the memory alive until the call returns
            total = adapter.matrix_sum_at(view.ctypes.data, rows, cols, stride)
        return total

    def scale(self, a: np.ndarray, k: float) -> np.ndarray:
        a = validation.vector(a)
        factor = validation.factor(k)
        n = a.size
        out = np.empty(n)
        if n:
            self._pick(n).scale(a, n, factor, out)
        else:
            self._adapter.scale(self._null, 0, factor, self._null)
        return out

    def data_address(self, a: np.ndarray) -> int:
        address: int = self._adapter.data_address(validation.vector(a))
        return address

    def last_result_address(self) -> int:
        address: int = self._adapter.last_result_address()
        return address
