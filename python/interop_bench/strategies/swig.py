"""`swig`: a SWIG module (strategies/swig/ib_swig.i) over the kernel core, with
typemaps of its own on the buffer protocol instead of numpy.i.

SWIG runs at build time (CMake's UseSWIG) with ``-builtin``, so ``sum`` and the
others are the extension module's own METH_O / METH_VARARGS functions and no
Python proxy function runs per call. Each typemap asks ``PyObject_GetBuffer``
for exactly what its kernel needs (``PyBUF_C_CONTIGUOUS | PyBUF_FORMAT``, plus
``PyBUF_WRITABLE`` for square; ``PyBUF_RECORDS_RO`` for a matrix of any
strides), reads the element type from the buffer's format and item size
(float64, float32, int32, int16, uint8: it travels with the pointer to the
adapter, which runs that type's kernel; any other format is a TypeError naming
it), checks the dimension count, and releases the buffer on every path: nothing
is copied in, and a wrong argument is a TypeError or ValueError naming the
operation. The GIL is released around large kernels
(gil_policy.hpp's threshold, which `interop-bench list` shows). scale's typemap
allocates the result with NumPy's C API (``PyArray_EMPTY``) and the kernel
writes into it: no copy out, and the memory is NumPy's; the factor is checked
against the array's type by the adapter (a C++ exception the module's
``%exception`` turns into TypeError or ValueError). frame's typemap takes the
image's strided buffer, checks the layout (frame_layout.hpp), allocates the
H x W uint8 result with ``PyArray_EMPTY`` and the kernel reads the (padded or
cropped) view in place.
"""

from __future__ import annotations

from interop_bench.strategies._native_module import NativeModuleStrategy


class SwigStrategy(NativeModuleStrategy):
    name = "swig"
    sources = (
        "strategies/swig/ib_swig.i",
        "strategies/swig/swig_adapter.hpp",
        "strategies/swig/swig_adapter.cpp",
        "strategies/_binding_common/include/interop_bench/buffer_argument.hpp",
        "strategies/_binding_common/include/interop_bench/element_type.hpp",
        "strategies/swig/CMakeLists.txt",
    )
    packages = ("swig",)
    family = "ffi"
    description = (
        "SWIG -builtin module, typemaps of its own on the buffer protocol (C-contiguous, "
        "element type from the format, writable for square), results allocated by NumPy"
    )
    copies_in = "zero-copy"
    releases_gil = "large"
    copies_out = "zero-copy"
    scale_result_memory = "numpy"
    copies_note = (
        "scale and frame: the typemap allocates the result with PyArray_EMPTY and the kernel "
        "writes into it; frame reads padded or cropped views in place; matrix_sum copies only "
        "layouts whose rows and columns are both strided"
    )
    extension_name = "ib_swig"
