// The kernel core: the operations every strategy exposes, over plain memory.
//
// This header is the whole public face of the core. It knows nothing of Python,
// of any binding library or of I/O, so every strategy calls exactly the same code
// and the native floors measured by harness/ are the floors of every strategy.
//
// Every vector op exists for each element type of the dtype axis (float64,
// float32, int32, int16, uint8), as overloads, with NumPy's semantics so that
// answers can be checked against NumPy:
//   - sum accumulates in the float type itself, and in 64 bits for integers
//     (int64 for signed, uint64 for unsigned: np.sum's result types);
//   - square and scale compute in the array's own type, integers wrapping
//     around modulo 2^bits as NumPy's do (never signed overflow, which C++
//     leaves undefined);
//   - scale's factor has the array's own type (an integer for integer arrays).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace interop_bench::kernels {

template <class T>
using span = std::span<T>;

// What `sum` of T returns (np.sum's type): T for floats, int64 / uint64 for
// signed / unsigned integers.
template <class T>
using sum_t = std::conditional_t<std::is_floating_point_v<T>, T,
                                 std::conditional_t<std::is_signed_v<T>, std::int64_t,
                                                    std::uint64_t>>;

// Sum of all elements. The summation order is fixed (16 interleaved
// accumulators combined pairwise), so the result is deterministic for a given
// input and length; NaN and Inf propagate as IEEE 754 says.
double sum(span<const double> values) noexcept;
float sum(span<const float> values) noexcept;
std::int64_t sum(span<const std::int32_t> values) noexcept;
std::int64_t sum(span<const std::int16_t> values) noexcept;
std::uint64_t sum(span<const std::uint8_t> values) noexcept;

// values[i] = values[i] * values[i], in place.
void square_inplace(span<double> values) noexcept;
void square_inplace(span<float> values) noexcept;
void square_inplace(span<std::int32_t> values) noexcept;
void square_inplace(span<std::int16_t> values) noexcept;
void square_inplace(span<std::uint8_t> values) noexcept;

// Sum of a rows x cols matrix whose row r starts at data + r * row_stride_elems
// (row_stride_elems >= cols), so padded images and row-sliced views need no copy.
double matrix_sum(const double* data, std::size_t rows, std::size_t cols,
                  std::size_t row_stride_elems) noexcept;
float matrix_sum(const float* data, std::size_t rows, std::size_t cols,
                 std::size_t row_stride_elems) noexcept;
std::int64_t matrix_sum(const std::int32_t* data, std::size_t rows, std::size_t cols,
                        std::size_t row_stride_elems) noexcept;
std::int64_t matrix_sum(const std::int16_t* data, std::size_t rows, std::size_t cols,
                        std::size_t row_stride_elems) noexcept;
std::uint64_t matrix_sum(const std::uint8_t* data, std::size_t rows, std::size_t cols,
                         std::size_t row_stride_elems) noexcept;

// out[i] = in[i] * k. `in` and `out` must have the same size; they may be the
// same memory (exact aliasing), but must not partially overlap.
void scale(span<const double> in, double k, span<double> out) noexcept;
void scale(span<const float> in, float k, span<float> out) noexcept;
void scale(span<const std::int32_t> in, std::int32_t k, span<std::int32_t> out) noexcept;
void scale(span<const std::int16_t> in, std::int16_t k, span<std::int16_t> out) noexcept;
void scale(span<const std::uint8_t> in, std::uint8_t k, span<std::uint8_t> out) noexcept;

// The frame op: an H x W RGB image (3 bytes per pixel, R G B, pixels packed
// within a row; row r starts at rgb + r * row_stride_bytes, row_stride_bytes
// >= 3 * cols, so a padded or cropped image needs no copy) to a new H x W
// grayscale image, C-contiguous at `gray`, with ITU-R BT.601's weights in
// integer arithmetic: gray = (77 R + 150 G + 29 B + 128) >> 8.
void frame_to_gray(const std::uint8_t* rgb, std::size_t rows, std::size_t cols,
                   std::size_t row_stride_bytes, std::uint8_t* gray) noexcept;

// The BT.601 weights of frame_to_gray, for adapters and references that check it.
inline constexpr unsigned kGrayRed = 77, kGrayGreen = 150, kGrayBlue = 29;

}  // namespace interop_bench::kernels
