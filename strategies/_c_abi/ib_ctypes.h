/* The C ABI of the kernel core, for ctypes (strategies ctypes, ctypes-ndpointer,
 * ctypes-voidp, ctypes-list) and cffi. Plain C: pointers, sizes in elements, no
 * ownership crosses the boundary (the caller allocates every buffer, including
 * scale's output). */
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

/* The address the library received: lets the tests check that a pointer
 * argument reached C unchanged (zero-copy) or not. */
IB_CTYPES_API uintptr_t ib_data_address(const double* data);

/* Where the last ib_scale wrote its result: the tests check it is the array
 * the caller passed (zero-copy out). */
IB_CTYPES_API uintptr_t ib_last_result_address(void);

#ifdef __cplusplus
}
#endif

#endif /* INTEROP_BENCH_IB_CTYPES_H */
