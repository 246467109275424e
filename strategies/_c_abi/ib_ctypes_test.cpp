// The C ABI forwards to the kernel core unchanged.
#include "ib_ctypes.h"

#include <gtest/gtest.h>

#include <vector>

TEST(IbCtypes, SumAndSquare) {
  std::vector<double> v{1.0, -2.0, 3.5};
  EXPECT_DOUBLE_EQ(ib_sum(v.data(), v.size()), 2.5);
  ib_square(v.data(), v.size());
  EXPECT_EQ(v, (std::vector<double>{1.0, 4.0, 12.25}));
  EXPECT_EQ(ib_sum(nullptr, 0), 0.0);
}

TEST(IbCtypes, MatrixSumHonoursTheRowStride) {
  // 2 x 2 matrix inside rows of 3: the padding column must not be summed.
  const std::vector<double> padded{1.0, 2.0, 100.0, 3.0, 4.0, 100.0};
  EXPECT_DOUBLE_EQ(ib_matrix_sum(padded.data(), 2, 2, 3), 10.0);
}

TEST(IbCtypes, ScaleWritesTheCallersBuffer) {
  const std::vector<double> in{1.0, 2.0};
  std::vector<double> out(2, -1.0);
  ib_scale(in.data(), in.size(), 1.5, out.data());
  EXPECT_EQ(out, (std::vector<double>{1.5, 3.0}));
}

TEST(IbCtypes, DataAddressIsThePointer) {
  const double x = 0.0;
  EXPECT_EQ(ib_data_address(&x), reinterpret_cast<uintptr_t>(&x));
}
