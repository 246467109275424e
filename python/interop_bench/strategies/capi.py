"""`capi`: a hand-written CPython extension, the floor of call overhead.

METH_O / METH_FASTCALL functions take arrays through the buffer protocol,
asking for exactly what the kernel needs (``PyBUF_C_CONTIGUOUS | PyBUF_FORMAT``,
plus ``PyBUF_WRITABLE`` for square) and checking format, item size and
dimensions; the buffer's format ('d', 'f', 'i', 'h', 'B', alone or after '@',
'=' or '<' on this little-endian machine) picks the kernel of its element type
(float64, float32, int32, int16, uint8) and any other format is a TypeError
naming it; the buffer is released on every path. scale's factor is read for the
array's type (an integer array takes an integer that fits it). The GIL is released around
large kernels (gil_policy.hpp's threshold, which `interop-bench list`
shows). scale returns a NumPy array (built with
NumPy's C API) over a C++ buffer owned by a capsule set as the array's base.
frame takes the image's strided buffer (``PyBUF_RECORDS_RO``), checks format 'B'
and the layout (frame_layout.hpp), reads a padded or cropped view in place and
returns a new H x W uint8 array over a capsule-owned C++ buffer, like scale's.
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
        "any object exporting a C-contiguous buffer of the five formats is accepted (bytes "
        "and bytearray are uint8); scale's result and frame's gray image wrap a C++ buffer "
        "owned by a capsule; frame reads padded or cropped views in place; matrix_sum copies "
        "only layouts whose rows and columns are both strided"
    )
    extension_name = "ib_capi"
