"""`nanobind`: a nanobind extension taking NumPy arrays as nb::ndarray, zero-copy.

Arguments are ``nb::ndarray<const double, nb::ndim<1>, nb::c_contig,
nb::device::cpu>`` marked ``.noconvert()`` (a mutable ``double`` one for square,
which nanobind refuses for read-only arrays): a wrong dtype, dimension count or
layout is a TypeError, never a silent conversion. The arguments are
positional-only (no names), which nanobind 3 dispatches on its shortest path;
the harness never passes them by keyword. The GIL is released around
large kernels (gil_policy.hpp's threshold, which `interop-bench list`
shows). scale returns an ``nb::ndarray<nb::numpy,
double>`` over a C++ buffer owned by an ``nb::capsule``.
"""

from __future__ import annotations

from interop_bench.strategies._native_module import NativeModuleStrategy


class NanobindStrategy(NativeModuleStrategy):
    name = "nanobind"
    sources = ("strategies/nanobind/ib_nanobind.cpp",)
    packages = ("nanobind",)
    family = "ffi"
    description = (
        "nanobind extension, nb::ndarray<const double, ndim<1>, c_contig> arguments with "
        ".noconvert(), capsule-owned results"
    )
    copies_in = "zero-copy"
    releases_gil = "large"
    copies_out = "zero-copy"
    copies_note = (
        "scale's result wraps a C++ buffer owned by an nb::capsule; matrix_sum copies only "
        "layouts whose rows and columns are both strided"
    )
    extension_name = "ib_nanobind"
