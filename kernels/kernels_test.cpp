#include "interop_bench/kernels.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

namespace k = interop_bench::kernels;

namespace {

k::span<const double> view(const std::vector<double>& v) {
  return {v.data(), v.size()};
}
k::span<double> view(std::vector<double>& v) {
  return {v.data(), v.size()};
}

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

TEST(Sum, EmptyIsZero) {
  EXPECT_EQ(k::sum(k::span<const double>{}), 0.0);
}

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
  const double bound =
      1e-2 * static_cast<double>(v.size()) * std::numeric_limits<double>::epsilon() * absolute_sum;
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

// -- the dtype axis: NumPy's semantics for every element type ----------------

TEST(Sum, IntegersAccumulateInSixtyFourBits) {
  std::vector<std::int32_t> big(1000, 2'000'000'000);  // 2e12: overflows any 32-bit sum
  EXPECT_EQ(k::sum(k::span<const std::int32_t>{big}), std::int64_t{2'000'000'000'000});
  std::vector<std::uint8_t> bytes(70'001, 255);  // past 2^16 elements and 2^24 total
  EXPECT_EQ(k::sum(k::span<const std::uint8_t>{bytes}), std::uint64_t{255} * 70'001);
  std::vector<std::int16_t> shorts{-32768, 32767, -1, 5};
  EXPECT_EQ(k::sum(k::span<const std::int16_t>{shorts}), std::int64_t{3});
}

TEST(Sum, Float32AccumulatesInFloat32) {
  // 2^24 + 1 is not a float: a float accumulator drops the 1s, a double one would not.
  std::vector<float> v(17, 1.0f);
  v[0] = 16777216.0f;
  const float got = k::sum(k::span<const float>{v});
  static_assert(std::is_same_v<decltype(k::sum(k::span<const float>{})), float>);
  EXPECT_EQ(got, 16777216.0f + 16.0f);  // the 16 lanes' ones combine before the big value
}

TEST(SquareInplace, IntegersWrapAroundLikeNumPy) {
  std::vector<std::int32_t> ints{46341, -46341, 3, std::numeric_limits<std::int32_t>::min()};
  k::square_inplace(k::span<std::int32_t>{ints});
  EXPECT_EQ(ints[0], -2147479015);  // 46341^2 = 2147488281 = 2^31 + 4633
  EXPECT_EQ(ints[1], -2147479015);
  EXPECT_EQ(ints[2], 9);
  EXPECT_EQ(ints[3], 0);
  std::vector<std::uint8_t> bytes{16, 255, 3};
  k::square_inplace(k::span<std::uint8_t>{bytes});
  EXPECT_EQ(bytes, (std::vector<std::uint8_t>{0, 1, 9}));
  std::vector<std::int16_t> shorts{-32768, 181, 182};
  k::square_inplace(k::span<std::int16_t>{shorts});
  EXPECT_EQ(shorts, (std::vector<std::int16_t>{0, 32761, -32412}));
}

TEST(Scale, IntegerFactorWrapsAround) {
  const std::vector<std::int16_t> in{-20000, 20000, 7};
  std::vector<std::int16_t> out(3);
  k::scale(k::span<const std::int16_t>{in}, std::int16_t{3}, k::span<std::int16_t>{out});
  EXPECT_EQ(out, (std::vector<std::int16_t>{5536, -5536, 21}));
  const std::vector<std::uint8_t> bytes{100, 1};
  std::vector<std::uint8_t> scaled(2);
  k::scale(k::span<const std::uint8_t>{bytes}, std::uint8_t{3}, k::span<std::uint8_t>{scaled});
  EXPECT_EQ(scaled, (std::vector<std::uint8_t>{44, 3}));
}

TEST(MatrixSum, EveryElementType) {
  const std::vector<std::uint8_t> image{255, 255, 0, 9, 255, 255, 0, 9};  // 2 x 2 of stride 4
  EXPECT_EQ(k::matrix_sum(image.data(), 2, 2, 4), std::uint64_t{255 * 4});
  const std::vector<float> floats{1.5f, 2.5f, 3.0f};
  EXPECT_EQ(k::matrix_sum(floats.data(), 1, 3, 3), 7.0f);
}

// -- frame_to_gray --------------------------------------------------------------

namespace {
std::uint8_t gray_of(unsigned r, unsigned g, unsigned b) {
  return static_cast<std::uint8_t>((77 * r + 150 * g + 29 * b + 128) >> 8);
}
}  // namespace

TEST(FrameToGray, KnownPixels) {
  const std::vector<std::uint8_t> rgb{0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255};
  std::vector<std::uint8_t> gray(5, 7);
  k::frame_to_gray(rgb.data(), 1, 5, 15, gray.data());
  EXPECT_EQ(gray, (std::vector<std::uint8_t>{0, 255, 77, 149, 29}));
}

TEST(FrameToGray, PaddedRowsAreSkipped) {
  // 3 rows of 17 pixels in rows of 60 bytes: the padding holds 0xEE and must not be read.
  const std::size_t rows = 3, cols = 17, stride = 60;
  std::vector<std::uint8_t> rgb(rows * stride, 0xEE);
  std::vector<std::uint8_t> expected(rows * cols);
  std::mt19937 rng(3);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      std::uint8_t* p = &rgb[r * stride + 3 * c];
      for (int channel = 0; channel < 3; ++channel) p[channel] = static_cast<std::uint8_t>(rng());
      expected[r * cols + c] = gray_of(p[0], p[1], p[2]);
    }
  std::vector<std::uint8_t> gray(rows * cols);
  k::frame_to_gray(rgb.data(), rows, cols, stride, gray.data());
  EXPECT_EQ(gray, expected);
}

TEST(Sum, NarrowIntegersAcrossTheirBlocks) {
  // 8- and 16-bit sums run in blocks of 65,536 through 32-bit lanes: lengths
  // around a block's end, all at the extreme value, must still be exact.
  for (std::size_t n : {65'535u, 65'536u, 65'537u, 131'073u, 1'000'003u}) {
    std::vector<std::int16_t> low(n, std::numeric_limits<std::int16_t>::min());
    EXPECT_EQ(k::sum(k::span<const std::int16_t>{low}), -32768 * static_cast<std::int64_t>(n));
    std::vector<std::uint8_t> high(n, 255);
    EXPECT_EQ(k::sum(k::span<const std::uint8_t>{high}), 255 * static_cast<std::uint64_t>(n));
    EXPECT_EQ(k::matrix_sum(high.data(), 1, n, n), 255 * static_cast<std::uint64_t>(n));
  }
}
