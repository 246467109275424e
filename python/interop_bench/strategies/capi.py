"""`capi`: a hand-written CPython extension, the floor of call overhead.

METH_O / METH_FASTCALL functions take arrays through the buffer protocol,
asking for exactly what the kernel needs (``PyBUF_C_CONTIGUOUS | PyBUF_FORMAT``,
plus ``PyBUF_WRITABLE`` for square) and checking format "d", item size and
dimensions; the buffer is released on every path. The GIL is released around
large kernels (gil_policy.hpp's threshold, which `interop-bench list`
shows). scale returns a NumPy array (built with
NumPy's C API) over a C++ buffer owned by a capsule set as the array's base.
"""

from __future__ import annotations

from interop_bench.strategies._native_module import NativeModuleStrategy


class CapiStrategy(NativeModuleStrategy):
    name = "capi"
    sources = ("strategies/capi/ib_capi.cpp",)
    packages = ("python", "numpy")
    family = "ffi"
    description = (
        "hand-written CPython extension: buffer protocol in, NumPy C API array over a "
        "capsule-owned buffer out"
    )
    copies_in = "zero-copy"
    releases_gil = "large"
    copies_out = "zero-copy"
    copies_note = (
        "any object exporting a C-contiguous float64 buffer is accepted; scale's result wraps "
        "a C++ buffer owned by a capsule; matrix_sum copies only layouts whose rows and "
        "columns are both strided"
    )
    extension_name = "ib_capi"
