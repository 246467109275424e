// The extern "C" face of the kernel core: no logic beyond turning pointers and
// sizes into spans, so a ctypes call costs ctypes plus the kernel. Each element
// type's entry points are one instantiation of the same four templates below,
// which call the kernels.hpp overload of that type.
#include "ib_ctypes.h"

#include "interop_bench/kernels.hpp"
#include "interop_bench/result_record.hpp"

namespace kernels = interop_bench::kernels;
namespace binding = interop_bench::binding;

namespace {

template <class T>
kernels::sum_t<T> sum_of(const T* data, size_t n) {
  return kernels::sum(kernels::span<const T>{data, n});
}

template <class T>
void square_of(T* data, size_t n) {
  kernels::square_inplace(kernels::span<T>{data, n});
}

template <class T>
kernels::sum_t<T> matrix_sum_of(const T* data, size_t rows, size_t cols, size_t row_stride_elems) {
  return kernels::matrix_sum(data, rows, cols, row_stride_elems);
}

template <class T>
void scale_of(const T* in, size_t n, T k, T* out) {
  binding::note_result(out);
  kernels::scale(kernels::span<const T>{in, n}, k, kernels::span<T>{out, n});
}

}  // namespace

extern "C" {

double ib_sum(const double* data, size_t n) {
  return sum_of(data, n);
}
float ib_sum_f32(const float* data, size_t n) {
  return sum_of(data, n);
}
int64_t ib_sum_i32(const int32_t* data, size_t n) {
  return sum_of(data, n);
}
int64_t ib_sum_i16(const int16_t* data, size_t n) {
  return sum_of(data, n);
}
uint64_t ib_sum_u8(const uint8_t* data, size_t n) {
  return sum_of(data, n);
}

void ib_square(double* data, size_t n) {
  square_of(data, n);
}
void ib_square_f32(float* data, size_t n) {
  square_of(data, n);
}
void ib_square_i32(int32_t* data, size_t n) {
  square_of(data, n);
}
void ib_square_i16(int16_t* data, size_t n) {
  square_of(data, n);
}
void ib_square_u8(uint8_t* data, size_t n) {
  square_of(data, n);
}

double ib_matrix_sum(const double* data, size_t rows, size_t cols, size_t row_stride_elems) {
  return matrix_sum_of(data, rows, cols, row_stride_elems);
}
float ib_matrix_sum_f32(const float* data, size_t rows, size_t cols, size_t row_stride_elems) {
  return matrix_sum_of(data, rows, cols, row_stride_elems);
}
int64_t ib_matrix_sum_i32(const int32_t* data, size_t rows, size_t cols, size_t row_stride_elems) {
  return matrix_sum_of(data, rows, cols, row_stride_elems);
}
int64_t ib_matrix_sum_i16(const int16_t* data, size_t rows, size_t cols, size_t row_stride_elems) {
  return matrix_sum_of(data, rows, cols, row_stride_elems);
}
uint64_t ib_matrix_sum_u8(const uint8_t* data, size_t rows, size_t cols, size_t row_stride_elems) {
  return matrix_sum_of(data, rows, cols, row_stride_elems);
}

void ib_scale(const double* in, size_t n, double k, double* out) {
  scale_of(in, n, k, out);
}
void ib_scale_f32(const float* in, size_t n, float k, float* out) {
  scale_of(in, n, k, out);
}
void ib_scale_i32(const int32_t* in, size_t n, int32_t k, int32_t* out) {
  scale_of(in, n, k, out);
}
void ib_scale_i16(const int16_t* in, size_t n, int16_t k, int16_t* out) {
  scale_of(in, n, k, out);
}
void ib_scale_u8(const uint8_t* in, size_t n, uint8_t k, uint8_t* out) {
  scale_of(in, n, k, out);
}

void ib_frame_to_gray(const uint8_t* rgb, size_t rows, size_t cols, size_t row_stride_bytes,
                      uint8_t* gray) {
  kernels::frame_to_gray(rgb, rows, cols, row_stride_bytes, gray);
}

uintptr_t ib_last_result_address(void) {
  return binding::last_result_address();
}

uintptr_t ib_data_address(const void* data) {
  return reinterpret_cast<uintptr_t>(data);
}

}  // extern "C"
