/* The C ABI of the kernel core, for ctypes (strategies ctypes, ctypes-ndpointer,
 * ctypes-voidp, ctypes-list) and cffi. Plain C: pointers, sizes in elements, no
 * ownership crosses the boundary (the caller allocates every buffer, including
 * scale's and frame's outputs).
 *
 * C has no overloads, so every op has one entry point per element type: the
 * float64 ones keep their plain names (ib_sum, ...), the others carry a suffix
 * (_f32 float, _i32 int32_t, _i16 int16_t, _u8 uint8_t). Semantics are NumPy's
 * (kernels.hpp): integer sums are 64-bit (int64_t, uint64_t for uint8), integer
 * square and scale wrap around, scale's k has the array's own type. */
#ifndef INTEROP_BENCH_IB_CTYPES_H
#define INTEROP_BENCH_IB_CTYPES_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define IB_CTYPES_API __declspec(dllexport)
#else
#define IB_CTYPES_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Sum of data[0..n). */
IB_CTYPES_API double ib_sum(const double* data, size_t n);

/* data[i] = data[i] * data[i] for i in [0, n), in place. */
IB_CTYPES_API void ib_square(double* data, size_t n);

/* Sum of a rows x cols matrix whose row r starts at data + r * row_stride_elems. */
IB_CTYPES_API double ib_matrix_sum(const double* data, size_t rows, size_t cols,
                                   size_t row_stride_elems);

/* out[i] = in[i] * k for i in [0, n); `out` is the caller's buffer of n doubles. */
IB_CTYPES_API void ib_scale(const double* in, size_t n, double k, double* out);

/* The other element types, the same four ops each. */
IB_CTYPES_API float ib_sum_f32(const float* data, size_t n);
IB_CTYPES_API int64_t ib_sum_i32(const int32_t* data, size_t n);
IB_CTYPES_API int64_t ib_sum_i16(const int16_t* data, size_t n);
IB_CTYPES_API uint64_t ib_sum_u8(const uint8_t* data, size_t n);

IB_CTYPES_API void ib_square_f32(float* data, size_t n);
IB_CTYPES_API void ib_square_i32(int32_t* data, size_t n);
IB_CTYPES_API void ib_square_i16(int16_t* data, size_t n);
IB_CTYPES_API void ib_square_u8(uint8_t* data, size_t n);

IB_CTYPES_API float ib_matrix_sum_f32(const float* data, size_t rows, size_t cols,
                                      size_t row_stride_elems);
IB_CTYPES_API int64_t ib_matrix_sum_i32(const int32_t* data, size_t rows, size_t cols,
                                        size_t row_stride_elems);
IB_CTYPES_API int64_t ib_matrix_sum_i16(const int16_t* data, size_t rows, size_t cols,
                                        size_t row_stride_elems);
IB_CTYPES_API uint64_t ib_matrix_sum_u8(const uint8_t* data, size_t rows, size_t cols,
                                        size_t row_stride_elems);

IB_CTYPES_API void ib_scale_f32(const float* in, size_t n, float k, float* out);
IB_CTYPES_API void ib_scale_i32(const int32_t* in, size_t n, int32_t k, int32_t* out);
IB_CTYPES_API void ib_scale_i16(const int16_t* in, size_t n, int16_t k, int16_t* out);
IB_CTYPES_API void ib_scale_u8(const uint8_t* in, size_t n, uint8_t k, uint8_t* out);

/* An H x W RGB image (row r at rgb + r * row_stride_bytes, row_stride_bytes >=
 * 3 * cols: a padded or cropped image is read in place) to its BT.601 gray
 * image, written to the caller's C-contiguous rows * cols bytes at `gray`. */
IB_CTYPES_API void ib_frame_to_gray(const uint8_t* rgb, size_t rows, size_t cols,
                                    size_t row_stride_bytes, uint8_t* gray);

/* The address the library received: lets the tests check that a pointer
 * argument (of any element type) reached C unchanged (zero-copy) or not. */
IB_CTYPES_API uintptr_t ib_data_address(const void* data);

/* Where the last ib_scale (of any element type) wrote its result: the tests
 * check it is the array the caller passed (zero-copy out). */
IB_CTYPES_API uintptr_t ib_last_result_address(void);

#ifdef __cplusplus
}
#endif

#endif /* INTEROP_BENCH_IB_CTYPES_H */
