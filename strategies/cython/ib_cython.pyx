# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
# distutils: language = c++
"""interop-bench kernels through Cython typed memoryviews.

Arguments are typed memoryviews (``const T[::1]`` for what is read, ``T[::1]``
for what square writes, ``const T[:, :]`` for a matrix of any strides, T each
element type of the dtype axis: one fused type, ``element``): Cython acquires
each argument's buffer with exactly the flags the type asks for, so a wrong
dimension count, layout or a read-only array for square is refused by Cython's
own checks (ValueError / TypeError) and nothing is copied in. Which T is the
array's own dtype code (``PyArray_TYPE``, read in C: a NumPy array of a dtype
outside the axis is a TypeError naming it); float64 is tested first, and any
other buffer than a NumPy array goes the float64 way, where Cython checks its
format. ``not None`` refuses None, which a memoryview argument would otherwise
accept. The kernels are the C++ core's overloads, called through ``cdef
extern``: each specialisation of a fused function calls its own type's. The GIL
is released around kernels of at least ``kReleaseGilMinElements`` elements
(``with nogil`` in one branch: Cython's ``with nogil(condition)`` takes only
compile-time conditions). scale's result and frame's gray image are NumPy
arrays (``np.empty``) that the kernel writes in place.
"""

cimport cython
cimport numpy as cnp
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint64_t

import numpy as np

cnp.import_array()

ctypedef fused element:
    double
    float
    int32_t
    int16_t
    uint8_t

# The kernels take spans, which Cython cannot spell in an expression of a fused
# function (span[const element](...)): these templates make them from a pointer
# and a size, T deduced by the C++ compiler, and call the kernels.hpp overload of
# T. Cython sees one overload per element type, below.
cdef extern from *:
    """
    #include <cstddef>
    #include <span>

    #include "interop_bench/kernels.hpp"

    template <class T>
    auto ib_cython_sum(const T* data, std::size_t n) noexcept {
      return interop_bench::kernels::sum(std::span<const T>{data, n});
    }
    template <class T>
    void ib_cython_square(T* data, std::size_t n) noexcept {
      interop_bench::kernels::square_inplace(std::span<T>{data, n});
    }
    template <class T>
    void ib_cython_scale(const T* in, std::size_t n, T k, T* out) noexcept {
      interop_bench::kernels::scale(std::span<const T>{in, n}, k, std::span<T>{out, n});
    }
    """

cdef extern from * nogil:
    double kernel_sum "ib_cython_sum"(const double* data, size_t n) noexcept
    float kernel_sum "ib_cython_sum"(const float* data, size_t n) noexcept
    int64_t kernel_sum "ib_cython_sum"(const int32_t* data, size_t n) noexcept
    int64_t kernel_sum "ib_cython_sum"(const int16_t* data, size_t n) noexcept
    uint64_t kernel_sum "ib_cython_sum"(const uint8_t* data, size_t n) noexcept
    void kernel_square "ib_cython_square"(double* data, size_t n) noexcept
    void kernel_square "ib_cython_square"(float* data, size_t n) noexcept
    void kernel_square "ib_cython_square"(int32_t* data, size_t n) noexcept
    void kernel_square "ib_cython_square"(int16_t* data, size_t n) noexcept
    void kernel_square "ib_cython_square"(uint8_t* data, size_t n) noexcept
    void kernel_scale "ib_cython_scale"(const double* a, size_t n, double k, double* out) noexcept
    void kernel_scale "ib_cython_scale"(const float* a, size_t n, float k, float* out) noexcept
    void kernel_scale "ib_cython_scale"(
        const int32_t* a, size_t n, int32_t k, int32_t* out) noexcept
    void kernel_scale "ib_cython_scale"(
        const int16_t* a, size_t n, int16_t k, int16_t* out) noexcept
    void kernel_scale "ib_cython_scale"(
        const uint8_t* a, size_t n, uint8_t k, uint8_t* out) noexcept

# The kernels that take pointers already, one overload per element type.
cdef extern from "interop_bench/kernels.hpp" nogil:
    double kernel_matrix_sum "interop_bench::kernels::matrix_sum"(
        const double* data, size_t rows, size_t cols, size_t row_stride_elems) noexcept
    float kernel_matrix_sum "interop_bench::kernels::matrix_sum"(
        const float* data, size_t rows, size_t cols, size_t row_stride_elems) noexcept
    int64_t kernel_matrix_sum "interop_bench::kernels::matrix_sum"(
        const int32_t* data, size_t rows, size_t cols, size_t row_stride_elems) noexcept
    int64_t kernel_matrix_sum "interop_bench::kernels::matrix_sum"(
        const int16_t* data, size_t rows, size_t cols, size_t row_stride_elems) noexcept
    uint64_t kernel_matrix_sum "interop_bench::kernels::matrix_sum"(
        const uint8_t* data, size_t rows, size_t cols, size_t row_stride_elems) noexcept
    void kernel_frame_to_gray "interop_bench::kernels::frame_to_gray"(
        const uint8_t* rgb, size_t rows, size_t cols, size_t row_stride_bytes,
        uint8_t* gray) noexcept

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

DTYPES = "float64, float32, int32, int16 or uint8"
# The dtypes scale allocates its results with (module constants: no lookup per call).
cdef object FLOAT64 = np.dtype(np.float64)
cdef object FLOAT32 = np.dtype(np.float32)
cdef object INT32 = np.dtype(np.int32)
cdef object INT16 = np.dtype(np.int16)
cdef object UINT8 = np.dtype(np.uint8)


cdef inline int dtype_code(object a, str op) except -1:
    """The NumPy type number that picks a's specialisation: a's own for a NumPy
    array (TypeError for a dtype outside the axis), float64's for any other
    object, whose buffer format Cython then checks."""
    if not cnp.PyArray_Check(a):
        return cnp.NPY_FLOAT64
    cdef int code = cnp.PyArray_TYPE(<cnp.ndarray>a)
    if (code == cnp.NPY_FLOAT64 or code == cnp.NPY_FLOAT32 or code == cnp.NPY_INT32
            or code == cnp.NPY_INT16 or code == cnp.NPY_UINT8):
        return code
    return refuse_dtype(a, op)


cdef int refuse_dtype(object a, str op) except -1:
    raise TypeError(f"{op}: expected dtype {DTYPES}, got {a.dtype} "
                    "(convert explicitly, e.g. a.astype(np.float64))")


# Each op is a fused cdef function of (the argument as an object, a null pointer
# of the element type, which only picks the specialisation) that acquires the
# typed memoryview itself, and a def function that calls the specialisation of
# the argument's dtype code, float64 first. (Acquiring the views in the def
# function instead would give it one memoryview temporary per dtype, each
# zeroed at every call: float64 would pay for the other four.)

# -- sum --------------------------------------------------------------------------

@cython.infer_types(True)
cdef object sum_of(object array, const element* of_type):
    cdef const element[::1] a = array
    cdef size_t n = a.shape[0]
    cdef const element* data = &a[0]
    if n < kReleaseGilMinElements:
        return kernel_sum(data, n)
    with nogil:
        total = kernel_sum(data, n)
    return total


def sum(a not None):
    """Sum of a C-contiguous 1-D array: a float for floats, an int for integers."""
    cdef int code = dtype_code(a, "sum")
    if code == cnp.NPY_FLOAT64:
        return sum_of[double](a, NULL)
    if code == cnp.NPY_FLOAT32:
        return sum_of[float](a, NULL)
    if code == cnp.NPY_INT32:
        return sum_of[int32_t](a, NULL)
    if code == cnp.NPY_INT16:
        return sum_of[int16_t](a, NULL)
    return sum_of[uint8_t](a, NULL)


# -- square -----------------------------------------------------------------------

cdef square_of(object array, element* of_type):
    cdef element[::1] a = array
    cdef size_t n = a.shape[0]
    cdef element* data = &a[0]
    if n < kReleaseGilMinElements:
        kernel_square(data, n)
        return
    with nogil:
        kernel_square(data, n)


def square(a not None) -> None:
    """a[i] = a[i] * a[i], in place (integers wrap around); a must be writable."""
    cdef int code = dtype_code(a, "square")
    if code == cnp.NPY_FLOAT64:
        square_of[double](a, NULL)
    elif code == cnp.NPY_FLOAT32:
        square_of[float](a, NULL)
    elif code == cnp.NPY_INT32:
        square_of[int32_t](a, NULL)
    elif code == cnp.NPY_INT16:
        square_of[int16_t](a, NULL)
    else:
        square_of[uint8_t](a, NULL)


# -- matrix_sum ---------------------------------------------------------------------

cdef double float64_matrix_sum(const double[:, :] m):
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


cdef bint rows_contiguous(const element[:, :] m):
    # As matrix_layout.hpp's rows_contiguous and validation.py's _rows_are_contiguous.
    cdef Py_ssize_t item = sizeof(element)
    cdef Py_ssize_t rows = m.shape[0], cols = m.shape[1]
    unit_columns = m.strides[1] == item or cols <= 1
    rows_apart = rows <= 1 or (m.strides[0] >= cols * item and m.strides[0] % item == 0)
    return unit_columns and rows_apart


@cython.infer_types(True)
cdef object row_major_sum(const element[:, :] m):
    cdef size_t rows = m.shape[0], cols = m.shape[1]
    cdef size_t stride = cols if rows <= 1 else <size_t>(m.strides[0] // sizeof(element))
    cdef const element* data = &m[0, 0]
    if rows * cols < kReleaseGilMinElements:
        return kernel_matrix_sum(data, rows, cols, stride)
    with nogil:
        total = kernel_matrix_sum(data, rows, cols, stride)
    return total


cdef object matrix_sum_of(object matrix, const element* of_type):
    """In place when the rows (or, transposed, the columns) are contiguous, as
    float64's matrix_layout.hpp does; through one contiguous copy otherwise."""
    cdef const element[:, :] m = matrix
    if rows_contiguous(m):
        return row_major_sum(m)
    if rows_contiguous(m.T):
        return row_major_sum(m.T)
    cdef const element[:, :] packed = np.ascontiguousarray(matrix)
    return row_major_sum(packed)


def matrix_sum(m not None):
    """Sum of a 2-D array of any strides: a float for floats, an int for integers."""
    cdef int code = dtype_code(m, "matrix_sum")
    if code == cnp.NPY_FLOAT64:
        return float64_matrix_sum(m)
    if code == cnp.NPY_FLOAT32:
        return matrix_sum_of[float](m, NULL)
    if code == cnp.NPY_INT32:
        return matrix_sum_of[int32_t](m, NULL)
    if code == cnp.NPY_INT16:
        return matrix_sum_of[int16_t](m, NULL)
    return matrix_sum_of[uint8_t](m, NULL)


# -- scale --------------------------------------------------------------------------

cdef object scale_of(object array, element k, object dtype):
    cdef const element[::1] a = array
    cdef size_t n = a.shape[0]
    result = np.empty(n, dtype)
    cdef element[::1] out = result
    cdef const element* data = &a[0]
    cdef element* written = &out[0]
    note_result(written)
    if n < kReleaseGilMinElements:
        kernel_scale(data, n, k, written)
        return result
    with nogil:
        kernel_scale(data, n, k, written)
    return result


cdef object integer_factor(object k, str dtype):
    """k for an integer array: an int (a float is refused), range-checked by Cython's
    conversion, whose OverflowError becomes the ValueError of the contract."""
    if isinstance(k, float):
        raise TypeError(f"scale factor: an {dtype} array is scaled by an integer, got float {k}")
    return k


def scale(a not None, k):
    """A new NumPy array of a's dtype holding a * k (NumPy allocates it, the kernel
    fills it); k is converted to a's element type (an integer for integers)."""
    cdef int code = dtype_code(a, "scale")
    if code == cnp.NPY_FLOAT64:
        return scale_of[double](a, k, FLOAT64)
    if code == cnp.NPY_FLOAT32:
        return scale_of[float](a, k, FLOAT32)
    try:
        if code == cnp.NPY_INT32:
            return scale_of[int32_t](a, integer_factor(k, "int32"), INT32)
        if code == cnp.NPY_INT16:
            return scale_of[int16_t](a, integer_factor(k, "int16"), INT16)
        return scale_of[uint8_t](a, integer_factor(k, "uint8"), UINT8)
    except OverflowError as error:
        raise ValueError(f"scale factor: {k} does not fit {a.dtype} ({error})") from None


# -- frame ----------------------------------------------------------------------------

def frame_to_gray(const uint8_t[:, :, :] rgb not None, size_t row_stride_bytes):
    """A new H x W uint8 gray image of an H x W x 3 RGB image whose pixels are
    packed within rows `row_stride_bytes` apart, read in place. The layout is
    validation.frame's to check (the view is strided: ``::1`` would demand a
    C-contiguous image, and refuse a padded or cropped one)."""
    cdef size_t rows = rgb.shape[0], cols = rgb.shape[1]
    result = np.empty((rows, cols), UINT8)
    cdef uint8_t[:, ::1] gray = result
    cdef const uint8_t* pixels = &rgb[0, 0, 0]
    cdef uint8_t* written = &gray[0, 0]
    if rows * cols < kReleaseGilMinElements:
        kernel_frame_to_gray(pixels, rows, cols, row_stride_bytes, written)
        return result
    with nogil:
        kernel_frame_to_gray(pixels, rows, cols, row_stride_bytes, written)
    return result


# -- for the tests -----------------------------------------------------------------------

def last_result_address() -> int:
    """Where scale last wrote its result (result_record.hpp), for the tests."""
    return recorded_result()


cdef size_t address_of(object array, const element* of_type) except? 0:
    cdef const element[::1] a = array
    if a.shape[0] == 0:
        return 0
    return <size_t>&a[0]


def data_address(a not None) -> int:
    """The address the kernels would read (0 for an empty array)."""
    cdef int code = dtype_code(a, "data_address")
    if code == cnp.NPY_FLOAT64:
        return address_of[double](a, NULL)
    if code == cnp.NPY_FLOAT32:
        return address_of[float](a, NULL)
    if code == cnp.NPY_INT32:
        return address_of[int32_t](a, NULL)
    if code == cnp.NPY_INT16:
        return address_of[int16_t](a, NULL)
    return address_of[uint8_t](a, NULL)
