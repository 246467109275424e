// The C ABI forwards to the kernel core unchanged.
#include "ib_ctypes.h"

#include <gtest/gtest.h>

#include <cstdint>
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

// -- the other element types: each entry point reaches its own type's kernel ----

TEST(IbCtypes, IntegerSumsAccumulateIn64Bits) {
  // Each sum overflows its element type (and int32 for the int32 one): only a
  // 64-bit accumulator gets it right.
  const std::vector<int32_t> i32{INT32_MAX, INT32_MAX, 2};
  EXPECT_EQ(ib_sum_i32(i32.data(), i32.size()), int64_t{INT32_MAX} * 2 + 2);
  const std::vector<int16_t> i16{INT16_MIN, INT16_MIN, -1};
  EXPECT_EQ(ib_sum_i16(i16.data(), i16.size()), int64_t{INT16_MIN} * 2 - 1);
  const std::vector<uint8_t> u8(1000, 255);
  EXPECT_EQ(ib_sum_u8(u8.data(), u8.size()), uint64_t{255'000});
  EXPECT_EQ(ib_sum_u8(nullptr, 0), 0U);
}

TEST(IbCtypes, Float32SumIsAFloat) {
  const std::vector<float> f{0.5F, 0.25F, 1.0F};
  EXPECT_EQ(ib_sum_f32(f.data(), f.size()), 1.75F);
}

TEST(IbCtypes, IntegerSquareAndScaleWrapAround) {
  std::vector<uint8_t> u8{16, 3};
  ib_square_u8(u8.data(), u8.size());
  EXPECT_EQ(u8, (std::vector<uint8_t>{0, 9}));  // 256 wraps to 0
  std::vector<int16_t> i16{200, -3};
  ib_square_i16(i16.data(), i16.size());
  EXPECT_EQ(i16, (std::vector<int16_t>{-25536, 9}));  // 40000 - 65536
  const std::vector<int32_t> in{1 << 30, -7};
  std::vector<int32_t> out(2, 0);
  ib_scale_i32(in.data(), in.size(), 3, out.data());
  EXPECT_EQ(out, (std::vector<int32_t>{-(1 << 30), -21}));  // 3 * 2^30 - 2^32
  std::vector<float> f{1.5F, -2.0F};
  ib_square_f32(f.data(), f.size());
  EXPECT_EQ(f, (std::vector<float>{2.25F, 4.0F}));
}

TEST(IbCtypes, TypedScaleTakesAFactorOfTheArraysType) {
  const std::vector<uint8_t> in{1, 2, 100};
  std::vector<uint8_t> out(3, 0);
  ib_scale_u8(in.data(), in.size(), 3, out.data());
  EXPECT_EQ(out, (std::vector<uint8_t>{3, 6, 44}));  // 300 mod 256
  EXPECT_EQ(ib_last_result_address(), reinterpret_cast<uintptr_t>(out.data()));
  const std::vector<float> fin{2.0F};
  std::vector<float> fout(1, 0.0F);
  ib_scale_f32(fin.data(), fin.size(), 1.75F, fout.data());
  EXPECT_EQ(fout[0], 3.5F);
}

TEST(IbCtypes, TypedMatrixSumsHonourTheRowStride) {
  const std::vector<int16_t> padded{1, 2, 1000, 3, 4, 1000};
  EXPECT_EQ(ib_matrix_sum_i16(padded.data(), 2, 2, 3), 10);
  const std::vector<uint8_t> bytes{255, 255, 7, 255, 255, 7};
  EXPECT_EQ(ib_matrix_sum_u8(bytes.data(), 2, 2, 3), uint64_t{4 * 255});
  const std::vector<int32_t> ints{INT32_MAX, 9, INT32_MAX, 9};
  EXPECT_EQ(ib_matrix_sum_i32(ints.data(), 2, 1, 2), int64_t{INT32_MAX} * 2);
  const std::vector<float> floats{0.5F, 8.0F, 0.25F, 8.0F};
  EXPECT_EQ(ib_matrix_sum_f32(floats.data(), 2, 1, 2), 0.75F);
}

TEST(IbCtypes, FrameToGrayReadsAPaddedImageInPlace) {
  // 2 x 2 pixels in rows of 8 bytes (2 bytes of padding, never read into gray).
  const std::vector<uint8_t> rgb{255, 255, 255, 0, 0,   0, 99, 99,   // row 0
                                 255, 0,   0,   0, 255, 0, 99, 99};  // row 1
  std::vector<uint8_t> gray(4, 1);
  ib_frame_to_gray(rgb.data(), 2, 2, 8, gray.data());
  // (77 R + 150 G + 29 B + 128) >> 8
  EXPECT_EQ(gray, (std::vector<uint8_t>{255, 0, (77 * 255 + 128) >> 8, (150 * 255 + 128) >> 8}));
}

TEST(IbCtypes, DataAddressTakesAnyElementType) {
  const uint8_t byte = 0;
  EXPECT_EQ(ib_data_address(&byte), reinterpret_cast<uintptr_t>(&byte));
}
