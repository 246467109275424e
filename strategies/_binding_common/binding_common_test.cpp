// The Python-free parts of the shared binding code: which buffer formats are
// which element type, how a scale factor is checked against a type, which
// frame layouts reach the kernel and how, and matrix views of each type.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "interop_bench/element_type.hpp"
#include "interop_bench/frame_layout.hpp"
#include "interop_bench/matrix_layout.hpp"

namespace binding = interop_bench::binding;
using interop_bench::DType;

TEST(ElementTypeFromFormat, TheFiveFormatsWithTheirPrefixes) {
  EXPECT_EQ(binding::element_type_from_format("d", 8), DType::float64);
  EXPECT_EQ(binding::element_type_from_format("<d", 8), DType::float64);
  EXPECT_EQ(binding::element_type_from_format("=f", 4), DType::float32);
  EXPECT_EQ(binding::element_type_from_format("@i", 4), DType::int32);
  EXPECT_EQ(binding::element_type_from_format("<h", 2), DType::int16);
  EXPECT_EQ(binding::element_type_from_format("B", 1), DType::uint8);
  EXPECT_EQ(binding::element_type_from_format(nullptr, 1), DType::uint8);  // PEP 3118
}

TEST(ElementTypeFromFormat, EverythingElseIsRefused) {
  for (const char* format : {"e", "q", "l", "b", "H", "I", "?", "Zd", ">d", "!d", "dd", "", "<"}) {
    EXPECT_FALSE(binding::element_type_from_format(format, 8)) << format;
  }
  EXPECT_FALSE(binding::element_type_from_format("d", 4));  // an item size that lies
  EXPECT_FALSE(binding::element_type_from_format("i", 8));
}

TEST(DType, VisitGivesTheCppTypeOfEachDtype) {
  const auto size_of = [](DType type) {
    return interop_bench::visit_dtype(type, []<class T>(std::type_identity<T>) {
      return std::pair{sizeof(T), interop_bench::dtype_of<T>()};
    });
  };
  for (const auto& [type, size] : {std::pair{DType::float64, 8},
                                   {DType::float32, 4},
                                   {DType::int32, 4},
                                   {DType::int16, 2},
                                   {DType::uint8, 1}}) {
    EXPECT_EQ(size_of(type), (std::pair<std::size_t, DType>{size, type}))
        << interop_bench::dtype_name(type);
  }
}

TEST(FactorProblem, IntegersMustBeIntegralAndFit) {
  bool type_error = false;
  std::int16_t k16 = 0;
  EXPECT_EQ(binding::factor_problem({true, true, 3, 3.0}, &k16, &type_error), nullptr);
  EXPECT_EQ(k16, 3);
  EXPECT_NE(binding::factor_problem({false, true, 0, 2.5}, &k16, &type_error), nullptr);
  EXPECT_TRUE(type_error);
  EXPECT_NE(binding::factor_problem({true, true, 40000, 40000.0}, &k16, &type_error), nullptr);
  EXPECT_FALSE(type_error);
  std::uint8_t k8 = 0;
  EXPECT_NE(binding::factor_problem({true, true, -1, -1.0}, &k8, &type_error), nullptr);
  EXPECT_EQ(binding::factor_problem({true, true, 255, 255.0}, &k8, &type_error), nullptr);
  EXPECT_EQ(k8, 255);
  std::int32_t k32 = 0;
  EXPECT_NE(binding::factor_problem({true, false, 0, 1e30}, &k32, &type_error), nullptr);
  float kf = 0;
  EXPECT_EQ(binding::factor_problem({false, true, 0, 1.75}, &kf, &type_error), nullptr);
  EXPECT_EQ(kf, 1.75f);
}

namespace {

const char* layout(std::ptrdiff_t ndim, std::vector<std::ptrdiff_t> shape,
                   std::vector<std::ptrdiff_t> strides, binding::FrameView* view) {
  static const std::uint8_t pixels[1] = {};
  return binding::frame_view(pixels, ndim, shape.data(), strides.data(), view);
}

}  // namespace

TEST(FrameView, PackedAndPaddedRowsAreReadInPlace) {
  binding::FrameView view{};
  ASSERT_EQ(layout(3, {4, 5, 3}, {15, 3, 1}, &view), nullptr);
  EXPECT_EQ(view.rows, 4u);
  EXPECT_EQ(view.cols, 5u);
  EXPECT_EQ(view.row_stride_bytes, 15u);
  ASSERT_EQ(layout(3, {4, 5, 3}, {64, 3, 1}, &view), nullptr);  // padded
  EXPECT_EQ(view.row_stride_bytes, 64u);
  ASSERT_EQ(layout(3, {1, 5, 3}, {-7, 3, 1}, &view), nullptr);  // one row: its stride is moot
  EXPECT_EQ(view.row_stride_bytes, 15u);
  ASSERT_EQ(layout(3, {4, 1, 3}, {3, 99, 1}, &view), nullptr);  // one column: pixel stride moot
}

TEST(FrameView, OtherLayoutsAreRefused) {
  binding::FrameView view{};
  EXPECT_NE(layout(2, {4, 5, 3}, {15, 3, 1}, &view), nullptr);   // not 3-D
  EXPECT_NE(layout(3, {4, 5, 4}, {20, 4, 1}, &view), nullptr);   // RGBA
  EXPECT_NE(layout(3, {4, 5, 3}, {1, 4, 20}, &view), nullptr);   // planar
  EXPECT_NE(layout(3, {4, 5, 3}, {30, 6, 1}, &view), nullptr);   // strided pixels
  EXPECT_NE(layout(3, {4, 5, 3}, {-15, 3, 1}, &view), nullptr);  // rows backwards
  EXPECT_NE(layout(3, {4, 5, 3}, {14, 3, 1}, &view), nullptr);   // rows overlap
  EXPECT_NE(layout(3, {4, 5, 3}, {15, -3, 1}, &view), nullptr);  // pixels backwards
}

TEST(MatrixLayout, EachTypeIsReadInPlaceOrCopied) {
  std::vector<std::int16_t> values(12);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::int16_t>(i * 1000);
  const binding::StridedMatrixOf<std::int16_t> rows{values.data(), 3, 4, 8, 2};
  ASSERT_TRUE(binding::row_major_view(rows));
  EXPECT_EQ(binding::matrix_sum(rows), 66000);  // int64: no int16 wrap-around
  const binding::StridedMatrixOf<std::int16_t> strided{values.data(), 3, 2, 8, 4};
  EXPECT_FALSE(binding::row_major_view(strided));
  EXPECT_EQ(binding::matrix_sum(strided), 0 + 2000 + 4000 + 6000 + 8000 + 10000);
  std::vector<std::uint8_t> bytes(6, 255);
  const binding::StridedMatrixOf<std::uint8_t> transposed{bytes.data(), 3, 2, 1, 3};
  EXPECT_EQ(binding::matrix_sum(transposed), 6u * 255u);
}
