"""`swig`: a SWIG module (strategies/swig/ib_swig.i) over the kernel core, with
typemaps of its own on the buffer protocol instead of numpy.i.

SWIG runs at build time (CMake's UseSWIG) with ``-builtin``, so ``sum`` and the
others are the extension module's own METH_O / METH_VARARGS functions and no
Python proxy function runs per call. Each typemap asks ``PyObject_GetBuffer``
for exactly what its kernel needs (``PyBUF_C_CONTIGUOUS | PyBUF_FORMAT``, plus
``PyBUF_WRITABLE`` for square; ``PyBUF_RECORDS_RO`` for a matrix of any
strides), checks format "d" and the dimension count, and releases the buffer on
every path: nothing is copied in, and a wrong argument is a TypeError or
ValueError naming the operation. The GIL is released around large kernels
(gil_policy.hpp's threshold, which `interop-bench list` shows). scale's typemap
allocates the result with NumPy's C API (``PyArray_EMPTY``) and the kernel
writes into it: no copy out, and the memory is NumPy's.
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
        "strategies/swig/CMakeLists.txt",
    )
    packages = ("swig",)
    family = "ffi"
    description = (
        "SWIG -builtin module, typemaps of its own on the buffer protocol (C-contiguous, "
        "format 'd', writable for square), results allocated by NumPy"
    )
    copies_in = "zero-copy"
    releases_gil = "large"
    copies_out = "zero-copy"
    scale_result_memory = "numpy"
    copies_note = (
        "scale: the typemap allocates the result with PyArray_EMPTY and the kernel writes into "
        "it; matrix_sum copies only layouts whose rows and columns are both strided"
    )
    extension_name = "ib_swig"
