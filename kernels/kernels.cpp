#include "interop_bench/kernels.hpp"

#include <array>

#include "test_hook.hpp"

// Each kernel is compiled twice, for AVX2 and for the x86-64 baseline (SSE2),
// and the loader picks the clone the CPU runs (an ifunc), as NumPy dispatches
// its own loops at run time: without it NumPy's AVX2 loops would beat the
// "floor" from cache. The lane count below is fixed in the source, so both
// clones add in the same order and give bit-identical results.
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#define IB_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define IB_KERNEL
#endif

namespace interop_bench::kernels {
namespace {

// Independent partial sums. Without -ffast-math the compiler may not reorder a
// single running sum, so one accumulator is bound by the latency of one add
// (about 4 cycles) instead of by memory. Sixteen lanes give the vectoriser
// four four-wide AVX registers (or eight two-wide SSE2 ones) of independent
// work: enough to keep two loads a cycle busy from cache. Integer sums use the
// same order (it does not matter to them: 64-bit integer addition is exact).
constexpr std::size_t kLanes = 16;

template <class T>
using Lanes = std::array<sum_t<T>, kLanes>;

// Adds data[0, size) into the lanes, returns the sum of the tail that does not
// fill a whole row of lanes. The tail has its own scalar accumulator: adding
// it into the lanes would read back single values just stored as vectors,
// a store-forwarding stall that made a 1-element sum ten times slower.
template <class T>
inline sum_t<T> accumulate(const T* data, std::size_t size, Lanes<T>& lanes) noexcept {
  std::size_t i = 0;
  for (; i + kLanes <= size; i += kLanes) {
    for (std::size_t lane = 0; lane < kLanes; ++lane) lanes[lane] += data[i + lane];
  }
  sum_t<T> tail = 0;
  for (; i < size; ++i) tail += data[i];
  return tail;
}

// Pairwise combination in a fixed order: deterministic, and it keeps the
// rounding error of the final reduction at log2(kLanes) additions.
template <class T>
inline sum_t<T> combine(Lanes<T> lanes) noexcept {
  for (std::size_t width = kLanes / 2; width > 0; width /= 2) {
    for (std::size_t lane = 0; lane < width; ++lane) lanes[lane] += lanes[lane + width];
  }
  return lanes[0];
}

// 8- and 16-bit integers are summed in blocks into 32-bit lanes first, then
// the block's lanes into the 64-bit ones: widening a byte to 32 bits fits
// eight to a vector where widening it to 64 fits four, so this doubles the
// floor's speed. A block is short enough that no 32-bit lane can overflow
// (4,096 values of at most 2^15 or 255 per lane), and integer addition is
// exact, so the result is the same as the direct sum's.
template <class T>
inline constexpr bool kBlockSummed = std::is_integral_v<T> && sizeof(T) <= 2;
constexpr std::size_t kBlockElements = kLanes * 4096;

template <class T>
inline sum_t<T> block_accumulate(const T* data, std::size_t size, Lanes<T>& lanes) noexcept {
  using Narrow = std::conditional_t<std::is_signed_v<T>, std::int32_t, std::uint32_t>;
  std::size_t start = 0;
  for (; start + kBlockElements <= size; start += kBlockElements) {
    std::array<Narrow, kLanes> block{};
    for (std::size_t i = start; i < start + kBlockElements; i += kLanes) {
      for (std::size_t lane = 0; lane < kLanes; ++lane) block[lane] += data[i + lane];
    }
    for (std::size_t lane = 0; lane < kLanes; ++lane) lanes[lane] += block[lane];
  }
  return accumulate(data + start, size - start, lanes);
}

template <class T>
inline sum_t<T> accumulate_any(const T* data, std::size_t size, Lanes<T>& lanes) noexcept {
  if constexpr (kBlockSummed<T>) {
    return block_accumulate(data, size, lanes);
  } else {
    return accumulate(data, size, lanes);
  }
}

template <class T>
inline sum_t<T> sum_of(span<const T> values) noexcept {
  Lanes<T> lanes{};
  const sum_t<T> tail = accumulate_any(values.data(), values.size(), lanes);
  return combine<T>(lanes) + tail;
}

template <class T>
inline sum_t<T> matrix_sum_of(const T* data, std::size_t rows, std::size_t cols,
                              std::size_t row_stride_elems) noexcept {
  Lanes<T> lanes{};
  sum_t<T> tails = 0;  // narrow rows (cols < 16) are summed here alone, one add at a time
  for (std::size_t r = 0; r < rows; ++r)
    tails += accumulate_any(data + r * row_stride_elems, cols, lanes);
  return combine<T>(lanes) + tails;
}

// a * b in T with NumPy's wrap-around for integers: the product is taken in
// the unsigned type of the same width (modular by definition; C++20 makes the
// conversion back to a signed type modular too), never as a signed overflow.
template <class T>
inline T multiply(T a, T b) noexcept {
  if constexpr (std::is_floating_point_v<T>) {
    return a * b;
  } else {
    using U = std::make_unsigned_t<T>;
    // Narrow types promote to int; their product fits it (255^2, 32768^2 = 2^30).
    if constexpr (sizeof(T) < sizeof(int)) {
      return static_cast<T>(static_cast<U>(static_cast<unsigned>(static_cast<U>(a)) *
                                           static_cast<unsigned>(static_cast<U>(b))));
    } else {
      return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
    }
  }
}

template <class T>
inline void square_of(span<T> values) noexcept {
  T* data = values.data();
  const std::size_t size = values.size();
  for (std::size_t i = 0; i < size; ++i) data[i] = multiply(data[i], data[i]);
}

template <class T>
inline void scale_of(span<const T> in, T k, span<T> out) noexcept {
  const T* src = in.data();
  T* dst = out.data();
  const std::size_t size = in.size() < out.size() ? in.size() : out.size();
  for (std::size_t i = 0; i < size; ++i) dst[i] = multiply(src[i], k);
}

}  // namespace

// One definition per element type, each its own ifunc (target_clones cannot
// be put on a template).
#define IB_VECTOR_KERNELS(T)                                                       \
  IB_KERNEL sum_t<T> sum(span<const T> values) noexcept {                          \
    announce_entry();                                                              \
    return sum_of<T>(values);                                                      \
  }                                                                                \
  IB_KERNEL void square_inplace(span<T> values) noexcept {                         \
    announce_entry();                                                              \
    square_of<T>(values);                                                          \
  }                                                                                \
  IB_KERNEL sum_t<T> matrix_sum(const T* data, std::size_t rows, std::size_t cols, \
                                std::size_t row_stride_elems) noexcept {           \
    announce_entry();                                                              \
    return matrix_sum_of<T>(data, rows, cols, row_stride_elems);                   \
  }                                                                                \
  IB_KERNEL void scale(span<const T> in, T k, span<T> out) noexcept {              \
    announce_entry();                                                              \
    scale_of<T>(in, k, out);                                                       \
  }

IB_VECTOR_KERNELS(double)
IB_VECTOR_KERNELS(float)
IB_VECTOR_KERNELS(std::int32_t)
IB_VECTOR_KERNELS(std::int16_t)
IB_VECTOR_KERNELS(std::uint8_t)

#undef IB_VECTOR_KERNELS

// 16-bit arithmetic is enough: 255 * (77 + 150 + 29) + 128 = 65408 < 2^16, so
// the compiler can work on eight or sixteen pixels per vector.
IB_KERNEL void frame_to_gray(const std::uint8_t* rgb, std::size_t rows, std::size_t cols,
                             std::size_t row_stride_bytes, std::uint8_t* gray) noexcept {
  announce_entry();
  for (std::size_t r = 0; r < rows; ++r) {
    const std::uint8_t* pixel = rgb + r * row_stride_bytes;
    std::uint8_t* out = gray + r * cols;
    for (std::size_t c = 0; c < cols; ++c) {
      const auto weighted =
          static_cast<std::uint16_t>(kGrayRed * pixel[3 * c] + kGrayGreen * pixel[3 * c + 1] +
                                     kGrayBlue * pixel[3 * c + 2] + 128u);
      out[c] = static_cast<std::uint8_t>(weighted >> 8);
    }
  }
}

}  // namespace interop_bench::kernels
