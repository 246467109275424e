#include "interop_bench/kernels.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

namespace k = interop_bench::kernels;

namespace {

k::span<const double> view(const std::vector<double>& v) { return {v.data(), v.size()}; }
k::span<double> view(std::vector<double>& v) { return {v.data(), v.size()}; }

std::vector<double> iota(std::size_t n) {
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), 1.0);
  return v;
}

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST(Sum, KnownValues) {
  EXPECT_EQ(k::sum(view(std::vector<double>{1.5})), 1.5);
  EXPECT_EQ(k::sum(view(std::vector<double>{1, 2, 3})), 6.0);
  EXPECT_EQ(k::sum(view(iota(100))), 5050.0);
}

TEST(Sum, EmptyIsZero) { EXPECT_EQ(k::sum(k::span<const double>{}), 0.0); }

TEST(Sum, LengthsAroundTheUnrollWidth) {
  // Every length from 0 to 40 crosses the 16-lane unroll and its tail.
  for (std::size_t n = 0; n <= 40; ++n) {
    EXPECT_EQ(k::sum(view(iota(n))), static_cast<double>(n * (n + 1) / 2)) << "n=" << n;
  }
}

TEST(Sum, NaNAndInfPropagate) {
  for (std::size_t at : {0u, 5u, 16u}) {
    std::vector<double> v(17, 1.0);
    v[at] = kNaN;
    EXPECT_TRUE(std::isnan(k::sum(view(v)))) << "NaN at " << at;
    v[at] = kInf;
    EXPECT_EQ(k::sum(view(v)), kInf) << "+Inf at " << at;
    v[at] = -kInf;
    EXPECT_EQ(k::sum(view(v)), -kInf) << "-Inf at " << at;
  }
  EXPECT_TRUE(std::isnan(k::sum(view(std::vector<double>{kInf, 1, -kInf}))));
}

TEST(Sum, IsDeterministic) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> v(10007);
  for (double& x : v) x = dist(rng);
  const double first = k::sum(view(v));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(k::sum(view(v)), first);
}

TEST(Sum, AccurateAgainstLongDoubleReference) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> v(1'000'000);
  long double reference = 0;
  double absolute_sum = 0;
  for (double& x : v) {
    x = dist(rng);
    reference += x;
    absolute_sum += std::fabs(x);
  }
  // Recursive summation over n/16 terms per lane: error bound ~ (n/16) eps sum|x|;
  // demand a hundred times better than the naive single-accumulator bound.
  const double bound = 1e-2 * static_cast<double>(v.size()) *
                       std::numeric_limits<double>::epsilon() * absolute_sum;
  EXPECT_NEAR(k::sum(view(v)), static_cast<double>(reference), bound);
}

TEST(SquareInplace, SquaresEveryElement) {
  for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 33u}) {
    std::vector<double> v = iota(n);
    k::square_inplace(view(v));
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(v[i], (i + 1.0) * (i + 1.0));
  }
}

TEST(SquareInplace, SpecialValues) {
  std::vector<double> v{kNaN, -kInf, -3.0, -0.0};
  k::square_inplace(view(v));
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], kInf);
  EXPECT_EQ(v[2], 9.0);
  EXPECT_EQ(v[3], 0.0);
}

TEST(MatrixSum, ContiguousMatchesSum) {
  std::vector<double> m = iota(12);
  EXPECT_EQ(k::matrix_sum(m.data(), 3, 4, 4), 78.0);
  EXPECT_EQ(k::matrix_sum(m.data(), 0, 4, 4), 0.0);
  EXPECT_EQ(k::matrix_sum(m.data(), 3, 0, 4), 0.0);
}

TEST(MatrixSum, StridedRowsSkipPadding) {
  // A 3 x 2 view of a 3 x 5 buffer: the padding holds NaN and must not be read.
  std::vector<double> buffer(15, kNaN);
  for (std::size_t r = 0; r < 3; ++r) {
    buffer[r * 5 + 0] = 1.0 + r;
    buffer[r * 5 + 1] = 10.0 * (1.0 + r);
  }
  EXPECT_EQ(k::matrix_sum(buffer.data(), 3, 2, 5), 66.0);
}

TEST(MatrixSum, WideRowsCrossTheUnrollWidth) {
  const std::size_t rows = 5, cols = 19, stride = 23;
  std::vector<double> buffer(rows * stride, kInf);
  double expected = 0;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) expected += buffer[r * stride + c] = r * 100.0 + c;
  EXPECT_EQ(k::matrix_sum(buffer.data(), rows, cols, stride), expected);
}

TEST(Scale, OutOfPlace) {
  std::vector<double> in = iota(11), out(11, -1.0);
  k::scale(view(static_cast<const std::vector<double>&>(in)), 2.5, view(out));
  for (std::size_t i = 0; i < in.size(); ++i) EXPECT_EQ(out[i], 2.5 * (i + 1.0));
}

TEST(Scale, AliasedInAndOut) {
  std::vector<double> v = iota(13);
  k::scale(k::span<const double>{v.data(), v.size()}, -2.0, view(v));
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i], -2.0 * (i + 1.0));
}

TEST(Scale, EmptyAndSpecialValues) {
  k::scale(k::span<const double>{}, 3.0, k::span<double>{});
  std::vector<double> in{kInf, kNaN, 1.0}, out(3);
  k::scale(view(static_cast<const std::vector<double>&>(in)), 0.0, view(out));
  EXPECT_TRUE(std::isnan(out[0]));  // Inf * 0 is NaN in IEEE 754
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(out[2], 0.0);
}
