"""`pybind11`: a pybind11 extension taking NumPy arrays without converting them.

Arguments are taken by pybind11's own caster of a noconvert
``py::array_t<T, py::array::c_style>``, tried for each dtype in turn (float64,
float32, int32, int16, uint8; float64 first): what one ``.noconvert()``
overload per dtype does, without pybind11's two-pass overload dispatch, which
would cost float64's call about 90 instructions. A wrong dtype is a TypeError
naming it and a non-contiguous array a ValueError, never a silent
``forcecast`` copy (which would also lose square's writes in the copy); the
kernel of the array's own element type reads the caller's buffer. scale's
factor is read for the array's type (an integer array refuses a float factor). The GIL is
released around large kernels (the threshold of
strategies/_binding_common/include/interop_bench/gil_policy.hpp, which
`interop-bench list` shows). matrix_sum
takes any 2-D float64 view and reads it in place natively when its rows or
columns are contiguous (no Python-side `validation.row_major`, which would cost a
Python frame per call), copying in C++ otherwise. scale returns a NumPy array
over a C++ buffer owned by a py::capsule. frame takes ``py::array_t<uint8_t>``
of any strides (noconvert), checks the layout natively (frame_layout.hpp),
reads a padded or cropped view in place, and returns a new H x W uint8 array
over a capsule-owned C++ buffer, like scale's.
"""

from __future__ import annotations

from interop_bench.strategies._native_module import NativeModuleStrategy


class Pybind11Strategy(NativeModuleStrategy):
    name = "pybind11"
    sources = ("strategies/pybind11/ib_pybind11.cpp",)
    packages = ("pybind11",)
    family = "ffi"
    description = (
        "pybind11 extension, py::array_t<T, c_style> noconvert casters per dtype, "
        "capsule-owned results"
    )
    copies_in = "zero-copy"
    releases_gil = "large"
    copies_out = "zero-copy"
    copies_note = (
        "scale's result and frame's gray image wrap a C++ buffer owned by a py::capsule; "
        "frame reads padded or cropped views in place; matrix_sum copies only layouts whose "
        "rows and columns are both strided"
    )
    extension_name = "ib_pybind11"
