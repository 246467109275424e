// The .npy header parser against what np.save writes and against every way a
// hostile file can lie: each refusal names its problem.
#include "npy_header.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace npy = interop_bench::file_mmap;

namespace {

constexpr char kDict1D[] = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";

// A .npy file: the prelude of `major`.0, `dict` padded to 64 bytes with a
// final '\n' (as np.save pads it), then `data_bytes` zero bytes.
std::string npy_file(const std::string& dict, int major = 1, std::size_t data_bytes = 24) {
  const std::size_t prelude = major == 1 ? 10 : 12;
  std::string header = dict;
  header.append((64 - (prelude + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string file("\x93NUMPY", 6);
  file += static_cast<char>(major);
  file += '\0';
  const std::size_t length = header.size();
  for (std::size_t i = 0; i < prelude - 8; ++i) {
    file += static_cast<char>((length >> (8 * i)) & 0xff);
  }
  return file + header + std::string(data_bytes, '\0');
}

struct Parsed {
  std::optional<npy::NpyHeader> header;
  std::string error;
};

Parsed parse(const std::string& file) {
  Parsed parsed;
  parsed.header =
      npy::parse_npy({reinterpret_cast<const std::byte*>(file.data()), file.size()}, parsed.error);
  return parsed;
}

void expect_refused(const std::string& file, const std::string& words) {
  const Parsed parsed = parse(file);
  EXPECT_FALSE(parsed.header.has_value());
  EXPECT_NE(parsed.error.find(words), std::string::npos) << "error: " << parsed.error;
}

TEST(NpyHeader, ReadsWhatNpSaveWrites) {
  // np.save(f, np.zeros(3)) with NumPy 2.4, byte for byte (growth padding included).
  std::string saved("\x93NUMPY\x01\x00\x76\x00", 10);
  saved += kDict1D;
  saved.append(118 - std::strlen(kDict1D) - 1, ' ');
  saved += '\n';
  saved.append(24, '\0');
  const Parsed parsed = parse(saved);
  ASSERT_TRUE(parsed.header) << parsed.error;
  EXPECT_EQ(parsed.header->ndim, 1u);
  EXPECT_EQ(parsed.header->shape[0], 3u);
  EXPECT_EQ(parsed.header->elements, 3u);
  EXPECT_EQ(parsed.header->data_offset, 128u);
}

TEST(NpyHeader, ReadsVersions2And3AndMatrices) {
  for (int major : {2, 3}) {
    const Parsed parsed = parse(npy_file(kDict1D, major));
    ASSERT_TRUE(parsed.header) << parsed.error;
    EXPECT_EQ(parsed.header->data_offset % 64, 0u);
  }
  const Parsed matrix =
      parse(npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 5), }", 1, 80));
  ASSERT_TRUE(matrix.header) << matrix.error;
  EXPECT_EQ(matrix.header->ndim, 2u);
  EXPECT_EQ(matrix.header->shape[1], 5u);
  const Parsed empty =
      parse(npy_file("{\"shape\": (0,), \"fortran_order\": False, \"descr\": \"<f8\"}", 1, 0));
  ASSERT_TRUE(empty.header) << empty.error;
  EXPECT_EQ(empty.header->elements, 0u);
  const Parsed scalar =
      parse(npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': ()}", 1, 8));
  ASSERT_TRUE(scalar.header) << scalar.error;
  EXPECT_EQ(scalar.header->ndim, 0u);
}

TEST(NpyHeader, RefusesBadMagic) {
  std::string file = npy_file(kDict1D);
  file[1] = 'M';
  expect_refused(file, "bad magic");
  expect_refused("PK\x03\x04 a zip file, not a .npy", "bad magic");
}

TEST(NpyHeader, RefusesUnsupportedVersions) {
  for (const auto& [major, minor] : {std::pair{0, 0}, {4, 0}, {1, 1}, {255, 0}}) {
    std::string file = npy_file(kDict1D);
    file[6] = static_cast<char>(major);
    file[7] = static_cast<char>(minor);
    expect_refused(file, "unsupported .npy version");
  }
}

TEST(NpyHeader, RefusesTruncation) {
  const std::string file = npy_file(kDict1D);
  expect_refused(file.substr(0, 0), "truncated");
  expect_refused(file.substr(0, 7), "truncated");
  expect_refused(file.substr(0, 9), "truncated: the file ends inside the header length");
  expect_refused(file.substr(0, 40), "truncated: the header says");
  expect_refused(file.substr(0, file.size() - 1), "is truncated");
  expect_refused(npy_file(kDict1D, 2).substr(0, 11), "inside the header length");
}

TEST(NpyHeader, RefusesShapesThatLie) {
  // More data than the file holds, less, and products that overflow.
  expect_refused(npy_file(kDict1D, 1, 16),
                 "the shape says 24 bytes of data, the file is truncated");
  expect_refused(npy_file(kDict1D, 1, 32), "the shape says 24 bytes of data, the file holds 32");
  expect_refused(
      npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }"),
      "overflows");
  expect_refused(
      npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
      "overflows");
  expect_refused(
      npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }"),
      "does not fit in 64 bits");
  expect_refused(npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (-3,), }"),
                 "non-negative integers");
  expect_refused(npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (3), }"),
                 "is not a tuple");
  expect_refused(npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': 3, }"),
                 "'shape' is not a tuple");
  std::string many = "{'descr': '<f8', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < 65; ++i) many += "1,";
  expect_refused(npy_file(many + "), }", 1, 8), "more than 64 dimensions");
}

TEST(NpyHeader, ReadsEachDtypeWithItsElementSize) {
  const struct {
    const char* descr;
    interop_bench::DType dtype;
    std::size_t bytes;
  } cases[] = {{"<f8", interop_bench::DType::float64, 8},
               {"<f4", interop_bench::DType::float32, 4},
               {"<i4", interop_bench::DType::int32, 4},
               {"<i2", interop_bench::DType::int16, 2},
               {"|u1", interop_bench::DType::uint8, 1}};
  for (const auto& c : cases) {
    const std::string dict =
        std::string("{'descr': '") + c.descr + "', 'fortran_order': False, 'shape': (2, 3, 3), }";
    const Parsed parsed = parse(npy_file(dict, 1, 18 * c.bytes));
    ASSERT_TRUE(parsed.header) << c.descr << ": " << parsed.error;
    EXPECT_EQ(parsed.header->dtype, c.dtype);
    EXPECT_EQ(parsed.header->item_bytes, c.bytes);
    EXPECT_EQ(parsed.header->elements, 18u);
    // The same shape with one element's bytes too few is refused.
    expect_refused(npy_file(dict, 1, 18 * c.bytes - 1), "is truncated");
  }
}

TEST(NpyHeader, RefusesOtherDtypesAndByteOrders) {
  expect_refused(npy_file("{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }"),
                 "big-endian");
  expect_refused(npy_file("{'descr': '>i2', 'fortran_order': False, 'shape': (3,), }"),
                 "dtype '>i2' is big-endian: little-endian '<i2' expected");
  expect_refused(npy_file("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }"),
                 "dtype '<f2' is not one of");
  expect_refused(npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }"),
                 "dtype '<i8' is not one of");
  expect_refused(npy_file("{'descr': '<u1', 'fortran_order': False, 'shape': (3,), }"),
                 "dtype '<u1' is not one of");
  expect_refused(npy_file("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }"),
                 "dtype '|b1' is not one of");
  expect_refused(npy_file("{'descr': '<U3', 'fortran_order': False, 'shape': (3,), }"),
                 "dtype '<U3' is not one of");
  expect_refused(npy_file("{'descr': [('x', '<f8')], 'fortran_order': False, 'shape': (3,), }"),
                 "'descr' is not a quoted string");
}

TEST(NpyHeader, RefusesFortranOrder) {
  expect_refused(npy_file("{'descr': '<f8', 'fortran_order': True, 'shape': (3,), }"), "Fortran");
  expect_refused(npy_file("{'descr': '<f8', 'fortran_order': 0, 'shape': (3,), }"),
                 "neither True nor False");
}

TEST(NpyHeader, RefusesMalformedDicts) {
  expect_refused(npy_file("{'descr': '<f8', 'shape': (3,), }"), "lacks");
  expect_refused(
      npy_file("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (3,)}"),
      "appears twice");
  expect_refused(npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'x': 1}"),
                 "unexpected key 'x'");
  expect_refused(npy_file("['descr', '<f8']"), "not a dict");
  expect_refused(npy_file("{'descr' '<f8'}"), "':' expected");
  expect_refused(npy_file("{'descr': '<f8' 'fortran_order': False}"), "',' or '}' expected");
  expect_refused(npy_file("{'descr': '<f8\\x'}"), "'descr' is not a quoted string");
  expect_refused(npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), } junk"),
                 "followed by something other than spaces");
  expect_refused(npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\xc3\xa9"),
                 "not printable ASCII");
}

TEST(NpyHeader, RefusesMisalignedDataAndHugeHeaders) {
  // A header of 7 bytes: the data would start at byte 17.
  std::string file("\x93NUMPY\x01\x00\x07\x00{}    \n", 17);
  expect_refused(file + std::string(8, '\0'), "not aligned");
  std::string huge("\x93NUMPY\x02\x00\x00\x00\x01\x00", 12);  // 65536 bytes of header
  expect_refused(huge + std::string(65536, ' '), "longer than the 10000 allowed");
}

TEST(NpyHeader, WritesHeadersItReadsAndNumpyAligns) {
  for (std::uint64_t count : {0ull, 1ull, 3ull, 10000000ull, 18446744073709551615ull / 16}) {
    const std::uint64_t shape[] = {count};
    const std::string header = npy::npy_header(interop_bench::DType::float64, shape);
    EXPECT_EQ(header.size() % 64, 0u);
    EXPECT_EQ(header.back(), '\n');
    const std::string file = header + std::string(count <= 3 ? count * 8 : 0, '\0');
    const Parsed parsed = parse(file);
    if (count <= 3) {
      ASSERT_TRUE(parsed.header) << parsed.error;
      EXPECT_EQ(parsed.header->elements, count);
      EXPECT_EQ(parsed.header->data_offset, header.size());
    } else {
      EXPECT_NE(parsed.error.find("is truncated"), std::string::npos) << parsed.error;
    }
  }
  const std::uint64_t gray[] = {480, 640};  // a frame's gray image
  const std::string header = npy::npy_header(interop_bench::DType::uint8, gray);
  EXPECT_NE(header.find("'descr': '|u1'"), std::string::npos) << header;
  EXPECT_NE(header.find("'shape': (480, 640), }"), std::string::npos) << header;
  const Parsed parsed = parse(header + std::string(480 * 640, '\0'));
  ASSERT_TRUE(parsed.header) << parsed.error;
  EXPECT_EQ(parsed.header->ndim, 2u);
  EXPECT_EQ(parsed.header->dtype, interop_bench::DType::uint8);
}

}  // namespace
