"""`nanobind`: a nanobind extension taking NumPy arrays as nb::ndarray, zero-copy.

Arguments are ``nb::ndarray<nb::ro, nb::ndim<1>, nb::c_contig,
nb::device::cpu>`` marked ``.noconvert()`` (a mutable one for square, which
nanobind refuses for read-only arrays), of any dtype: each function switches on
the array's DLPack dtype (float64 first, then float32, int32, int16, uint8) and
runs that element type's kernel; any other dtype is a TypeError naming it, and
a wrong dimension count or layout is nanobind's TypeError, never a silent
conversion (nanobind converts to a declared dtype implicitly when allowed, its
issue #711, and square would write into the converted copy). One
``nb::ndarray<const T>`` overload per dtype would be as typed, but an
overloaded function leaves nanobind's one-overload vectorcall path (about 30
instructions more per float64 call). The arguments are
positional-only (no names), which nanobind 3 dispatches on its shortest path;
the harness never passes them by keyword. The GIL is released around
large kernels (gil_policy.hpp's threshold, which `interop-bench list`
shows). scale returns an ``nb::ndarray<nb::numpy,
T>`` over a C++ buffer owned by an ``nb::capsule``. frame takes an
``nb::ndarray<const uint8_t, nb::ndim<3>>`` of any strides, checks the layout
natively (frame_layout.hpp), reads a padded or cropped view in place and
returns a new H x W uint8 array over a capsule-owned C++ buffer, like scale's.
"""

from __future__ import annotations

from interop_bench.strategies._native_module import NativeModuleStrategy


class NanobindStrategy(NativeModuleStrategy):
    name = "nanobind"
    sources = ("strategies/nanobind/ib_nanobind.cpp",)
    packages = ("nanobind",)
    family = "ffi"
    description = (
        "nanobind extension, nb::ndarray<ndim<1>, c_contig> arguments with .noconvert(), "
        "switching on their dtype, capsule-owned results"
    )
    copies_in = "zero-copy"
    releases_gil = "large"
    copies_out = "zero-copy"
    copies_note = (
        "scale's result and frame's gray image wrap a C++ buffer owned by an nb::capsule; "
        "frame reads padded or cropped views in place; matrix_sum copies only layouts whose "
        "rows and columns are both strided"
    )
    extension_name = "ib_nanobind"
