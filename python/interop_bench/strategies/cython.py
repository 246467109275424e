"""`cython`: a Cython module (strategies/cython/ib_cython.pyx) with typed
memoryview arguments calling the C++ kernel core through ``cdef extern``.

``const double[::1]`` for what is read, ``double[::1]`` for what square writes
(Cython refuses a read-only buffer for it), ``const double[:, :]`` for a matrix
of any strides; each ``not None``. Cython acquires each argument's buffer
(PEP 3118) once per call and checks dtype, dimensions and layout itself, so
nothing is copied in and a wrong argument is a ValueError/TypeError from
Cython's own checks. The GIL is released around large kernels (gil_policy.hpp's
threshold, which `interop-bench list` shows). scale allocates its result with
``np.empty`` inside the module and the kernel writes into it: no copy out, but
the memory is NumPy's.
"""

from __future__ import annotations

from interop_bench.strategies._native_module import NativeModuleStrategy


class CythonStrategy(NativeModuleStrategy):
    name = "cython"
    sources = ("strategies/cython/ib_cython.pyx",)
    packages = ("cython",)
    family = "ffi"
    description = (
        "Cython module: typed memoryviews (const double[::1], double[:, :]) and cdef extern kernels"
    )
    copies_in = "zero-copy"
    releases_gil = "large"
    copies_out = "zero-copy"
    scale_result_memory = "numpy"
    copies_note = (
        "scale: the module allocates the result with np.empty and the kernel writes into it; "
        "matrix_sum copies only layouts whose rows and columns are both strided"
    )
    extension_name = "ib_cython"
