"""`pybind11`: a pybind11 extension taking NumPy arrays without converting them.

Arguments are ``py::array_t<double, py::array::c_style>`` marked ``.noconvert()``:
a wrong dtype or a non-contiguous array is a TypeError from pybind11, never a
silent ``forcecast`` copy; the kernel reads the caller's buffer. The GIL is
released around large kernels (the threshold of
strategies/_binding_common/include/interop_bench/gil_policy.hpp, which
`interop-bench list` shows). matrix_sum
takes any 2-D float64 view and reads it in place natively when its rows or
columns are contiguous (no Python-side `validation.row_major`, which would cost a
Python frame per call), copying in C++ otherwise. scale returns a NumPy array
over a C++ buffer owned by a py::capsule.
"""

from __future__ import annotations

from interop_bench.strategies._native_module import NativeModuleStrategy


class Pybind11Strategy(NativeModuleStrategy):
    name = "pybind11"
    sources = ("strategies/pybind11/ib_pybind11.cpp",)
    packages = ("pybind11",)
    family = "ffi"
    description = (
        "pybind11 extension, py::array_t<double, c_style> arguments with .noconvert(), "
        "capsule-owned results"
    )
    copies_in = "zero-copy"
    releases_gil = "large"
    copies_out = "zero-copy"
    copies_note = (
        "scale's result wraps a C++ buffer owned by a py::capsule; matrix_sum copies only "
        "layouts whose rows and columns are both strided"
    )
    extension_name = "ib_pybind11"
