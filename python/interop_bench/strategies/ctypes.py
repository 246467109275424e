"""`ctypes`: the classic recipe done right, on the extern "C" library libib_ctypes.so.

The library is loaded with ctypes.CDLL once at open, argtypes and restype are
declared once, and pointers are passed as ``a.ctypes.data_as(POINTER(c_double))``.
Each dtype has its own entry points (ib_sum, ib_sum_f32, ..., ib_ctypes.h)
declared with its own C types: a float32 array is passed as POINTER(c_float)
to ib_sum_f32, whose restype is c_float; an integer sum comes back as a c_int64
or c_uint64, a Python int, never through a float; scale's factor is declared
with the array's own C type. float64 is tested first (``a.dtype is FLOAT64``)
and calls the plain entry points directly: its call costs that test more than
before the other dtypes, where the others also look their entry points up by
``a.dtype.char``.
The bare recipe reads a non-contiguous array, or one of another dtype than the
pointer's, wrongly without a word, so the adapter validates with
strategies/validation.py first. ctypes.CDLL releases the GIL around every
foreign call.

ctypes has no public way to unload a library (dlclose); closing drops the
handle, and the library stays mapped until the process ends.
"""

from __future__ import annotations

from interop_bench.strategies._ctypes_library import CtypesLibraryStrategy


class CtypesStrategy(CtypesLibraryStrategy):
    name = "ctypes"
    description = (
        'ctypes.CDLL on an extern "C" library; argtypes declared once per dtype, '
        "pointers from a.ctypes.data_as(POINTER(c_double)) (c_float, c_int32, ...)"
    )
