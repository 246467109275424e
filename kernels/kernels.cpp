#include "interop_bench/kernels.hpp"

#include <array>

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
// work: enough to keep two loads a cycle busy from cache.
constexpr std::size_t kLanes = 16;

using Lanes = std::array<double, kLanes>;

// Adds data[0, size) into the lanes, returns the sum of the tail that does not
// fill a whole row of lanes. The tail has its own scalar accumulator: adding
// it into the lanes would read back single doubles just stored as vectors,
// a store-forwarding stall that made a 1-element sum ten times slower.
inline double accumulate(const double* data, std::size_t size, Lanes& lanes) noexcept {
  std::size_t i = 0;
  for (; i + kLanes <= size; i += kLanes) {
    for (std::size_t lane = 0; lane < kLanes; ++lane) lanes[lane] += data[i + lane];
  }
  double tail = 0.0;
  for (; i < size; ++i) tail += data[i];
  return tail;
}

// Pairwise combination in a fixed order: deterministic, and it keeps the
// rounding error of the final reduction at log2(kLanes) additions.
inline double combine(Lanes lanes) noexcept {
  for (std::size_t width = kLanes / 2; width > 0; width /= 2) {
    for (std::size_t lane = 0; lane < width; ++lane) lanes[lane] += lanes[lane + width];
  }
  return lanes[0];
}

}  // namespace

IB_KERNEL double sum(span<const double> values) noexcept {
  Lanes lanes{};
  const double tail = accumulate(values.data(), values.size(), lanes);
  return combine(lanes) + tail;
}

IB_KERNEL void square_inplace(span<double> values) noexcept {
  double* data = values.data();
  const std::size_t size = values.size();
  for (std::size_t i = 0; i < size; ++i) data[i] *= data[i];
}

IB_KERNEL double matrix_sum(const double* data, std::size_t rows, std::size_t cols,
                            std::size_t row_stride_elems) noexcept {
  Lanes lanes{};
  double tails = 0.0;  // narrow rows (cols < 16) are summed here alone, one add at a time
  for (std::size_t r = 0; r < rows; ++r)
    tails += accumulate(data + r * row_stride_elems, cols, lanes);
  return combine(lanes) + tails;
}

IB_KERNEL void scale(span<const double> in, double k, span<double> out) noexcept {
  const double* src = in.data();
  double* dst = out.data();
  const std::size_t size = in.size() < out.size() ? in.size() : out.size();
  for (std::size_t i = 0; i < size; ++i) dst[i] = src[i] * k;
}

}  // namespace interop_bench::kernels
