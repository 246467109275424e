# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
# distutils: language = c++
"""interop-bench kernels through Cython typed memoryviews.

Arguments are typed memoryviews (``const double[::1]`` for what is read,
``double[::1]`` for what square writes, ``const double[:, :]`` for a matrix of
any strides): Cython acquires each argument's buffer with exactly the flags
the type asks for, so a wrong dtype, dimension count, layout or a read-only
array for square is refused by Cython's own checks (ValueError / TypeError)
and nothing is copied in. ``not None`` refuses None, which a memoryview
argument would otherwise accept. The kernels are the C++ core, called through
``cdef extern``; the GIL is released around kernels of at least
``kReleaseGilMinElements`` elements (``with nogil`` in one branch: Cython's
``with nogil(condition)`` takes only compile-time conditions). scale's result
is a NumPy array (``np.empty``) that the kernel writes in place.
"""

import numpy as np

cdef extern from "<span>" namespace "std" nogil:
    cdef cppclass span[T]:
        span()
        span(T* data, size_t size)

# Template arguments cannot be written in expressions: name the two spans.
ctypedef span[const double] ConstSpan
ctypedef span[double] MutableSpan

cdef extern from "interop_bench/kernels.hpp" nogil:
    double kernel_sum "interop_bench::kernels::sum"(span[const double] values) noexcept
    void kernel_square "interop_bench::kernels::square_inplace"(span[double] values) noexcept
    void kernel_scale "interop_bench::kernels::scale"(
        span[const double] values, double k, span[double] out) noexcept

cdef extern from "interop_bench/result_record.hpp" nogil:
    void note_result "interop_bench::binding::note_result"(const void* out) noexcept
    size_t recorded_result "interop_bench::binding::last_result_address"() noexcept

cdef extern from "interop_bench/gil_policy.hpp" nogil:
    const size_t kReleaseGilMinElements "interop_bench::binding::kReleaseGilMinElements"

cdef extern from "interop_bench/matrix_layout.hpp" nogil:
    cdef cppclass StridedMatrix "interop_bench::binding::StridedMatrix":
        const double* data
        ptrdiff_t rows
        ptrdiff_t cols
        ptrdiff_t row_stride_bytes
        ptrdiff_t col_stride_bytes
    # In place when rows or columns are contiguous, through a copy otherwise
    # (which may raise std::bad_alloc: MemoryError).
    double strided_matrix_sum "interop_bench::binding::matrix_sum"(const StridedMatrix& m) except +


def sum(const double[::1] a not None) -> float:
    """Sum of a C-contiguous 1-D float64 array."""
    cdef size_t n = a.shape[0]
    cdef ConstSpan values = ConstSpan(&a[0], n)
    if n < kReleaseGilMinElements:
        return kernel_sum(values)
    cdef double total
    with nogil:
        total = kernel_sum(values)
    return total


def square(double[::1] a not None) -> None:
    """a[i] = a[i] * a[i], in place; a must be writable."""
    cdef size_t n = a.shape[0]
    cdef MutableSpan values = MutableSpan(&a[0], n)
    if n < kReleaseGilMinElements:
        kernel_square(values)
        return
    with nogil:
        kernel_square(values)


def matrix_sum(const double[:, :] m not None) -> float:
    """Sum of a 2-D float64 array of any strides."""
    cdef StridedMatrix view
    view.data = &m[0, 0]
    view.rows = m.shape[0]
    view.cols = m.shape[1]
    view.row_stride_bytes = m.strides[0]
    view.col_stride_bytes = m.strides[1]
    if <size_t>(view.rows * view.cols) < kReleaseGilMinElements:
        return strided_matrix_sum(view)
    cdef double total
    with nogil:
        total = strided_matrix_sum(view)
    return total


def scale(const double[::1] a not None, double k):
    """A new NumPy array holding a * k (NumPy allocates it, the kernel fills it)."""
    cdef size_t n = a.shape[0]
    result = np.empty(n)
    cdef double[::1] out = result
    cdef ConstSpan values = ConstSpan(&a[0], n)
    cdef MutableSpan written = MutableSpan(&out[0], n)
    note_result(&out[0])
    if n < kReleaseGilMinElements:
        kernel_scale(values, k, written)
        return result
    with nogil:
        kernel_scale(values, k, written)
    return result


def last_result_address() -> int:
    """Where scale last wrote its result (result_record.hpp), for the tests."""
    return recorded_result()


def data_address(const double[::1] a not None) -> int:
    """The address the kernels would read (0 for an empty array)."""
    if a.shape[0] == 0:
        return 0
    return <size_t>&a[0]
