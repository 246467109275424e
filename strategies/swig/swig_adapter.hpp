// What the SWIG module wraps: ib_swig.i %includes this header, so SWIG writes one
// wrapper per declaration, and its typemaps turn each Python argument into the
// typed view declared here (buffer protocol, no copy: the element type is read
// from the buffer's format). The functions run the kernel of that element type
// (float64, float32, int32, int16, uint8), releasing the GIL around large
// kernels as every binding does (gil_policy.hpp). No Python object crosses this
// header; a factor that does not fit the array is a C++ exception that the
// module's %exception turns into TypeError or ValueError.
#pragma once

#include <cstddef>
#include <cstdint>

#include "interop_bench/element_type.hpp"
#include "interop_bench/frame_layout.hpp"
#include "interop_bench/kernels.hpp"

namespace interop_bench::swig_adapter {

// A C-contiguous 1-D array of `type`: `size` elements at `data`.
struct Vector {
  interop_bench::DType type;
  void* data;
  std::size_t size;
};

// A 2-D view of `type`, strides in bytes (matrix_layout.hpp reads it).
struct Matrix {
  interop_bench::DType type;
  const void* data;
  std::ptrdiff_t rows;
  std::ptrdiff_t cols;
  std::ptrdiff_t row_stride_bytes;
  std::ptrdiff_t col_stride_bytes;
};

// A sum as np.sum returns it: a float (the float types) or an int (the 64-bit
// accumulators of the integer types); the out typemap makes it a Python number.
// (16 bytes: returned in registers.)
struct Sum {
  enum class Kind { real, signed_integer, unsigned_integer } kind;
  union {
    double real;
    std::int64_t signed_integer;
    std::uint64_t unsigned_integer;
  };
};

Sum sum(Vector values);

// `inout` is writable (its typemap asks for PyBUF_WRITABLE).
void square(Vector inout);

// Any strided view: in place when its rows or columns are contiguous (matrix_layout.hpp).
Sum matrix_sum(Matrix matrix);

// out[i] = in[i] * k. `out` follows `in` (not the kernel's order) because one
// multi-argument typemap makes both from the one Python array: `out` is the new
// result array, of in's type and length; Python calls scale(a, k). Throws
// std::invalid_argument (a float factor for an integer array) or
// std::out_of_range (an integer factor outside the type's range).
void scale(Vector in, Vector out, interop_bench::binding::Factor k);

// The gray image of `rgb` (read in place at its row stride) into `gray`, a new
// rows x cols uint8 array that the same multi-argument typemap allocates.
void frame(interop_bench::binding::FrameView rgb, std::uint8_t* gray);

// The address the wrapper passed for `values` (the conformance suite compares it
// with the array's own) and where scale last wrote its result.
unsigned long long data_address(Vector values);
unsigned long long last_result_address();

}  // namespace interop_bench::swig_adapter
