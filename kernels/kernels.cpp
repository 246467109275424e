#include "interop_bench/kernels.hpp"

#include <array>

namespace interop_bench::kernels {
namespace {

// Independent partial sums. Without -ffast-math the compiler may not reorder a
// single running sum, so one accumulator is bound by the latency of one add
// (about 4 cycles) instead of by memory. Eight lanes give the vectoriser four
// two-wide (SSE2) or two four-wide (AVX) registers of independent work, enough
// to reach read bandwidth from DRAM and close to it from cache.
constexpr std::size_t kLanes = 8;

using Lanes = std::array<double, kLanes>;

inline void accumulate(const double* data, std::size_t size, Lanes& lanes) noexcept {
  std::size_t i = 0;
  for (; i + kLanes <= size; i += kLanes) {
    for (std::size_t lane = 0; lane < kLanes; ++lane) lanes[lane] += data[i + lane];
  }
  // The tail goes to the first lanes, in order, so the result stays a fixed
  // function of the input.
  for (std::size_t lane = 0; i < size; ++i, ++lane) lanes[lane] += data[i];
}

// Pairwise combination in a fixed order: deterministic, and it keeps the
// rounding error of the final reduction at log2(kLanes) additions.
inline double combine(const Lanes& lanes) noexcept {
  const double q0 = (lanes[0] + lanes[4]) + (lanes[2] + lanes[6]);
  const double q1 = (lanes[1] + lanes[5]) + (lanes[3] + lanes[7]);
  return q0 + q1;
}

}  // namespace

double sum(span<const double> values) noexcept {
  Lanes lanes{};
  accumulate(values.data(), values.size(), lanes);
  return combine(lanes);
}

void square_inplace(span<double> values) noexcept {
  double* data = values.data();
  const std::size_t size = values.size();
  for (std::size_t i = 0; i < size; ++i) data[i] *= data[i];
}

double matrix_sum(const double* data, std::size_t rows, std::size_t cols,
                  std::size_t row_stride_elems) noexcept {
  Lanes lanes{};
  for (std::size_t r = 0; r < rows; ++r) accumulate(data + r * row_stride_elems, cols, lanes);
  return combine(lanes);
}

void scale(span<const double> in, double k, span<double> out) noexcept {
  const double* src = in.data();
  double* dst = out.data();
  const std::size_t size = in.size() < out.size() ? in.size() : out.size();
  for (std::size_t i = 0; i < size; ++i) dst[i] = src[i] * k;
}

}  // namespace interop_bench::kernels
