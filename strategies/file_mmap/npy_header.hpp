// The .npy format (NumPy's np.save) for the arrays of the dtype axis: reading
// the header of a file that another process wrote, as hostile input, and
// writing one.
//
// Only what np.save writes for a C-order array of a dtype of dtype.hpp
// is accepted: magic "\x93NUMPY", version 1.0, 2.0 or 3.0, a header dict with
// exactly 'descr': one of '<f8', '<f4', '<i4', '<i2', '|u1' (little-endian
// float64, float32, int32, int16; uint8), 'fortran_order': False and 'shape':
// a tuple of integers, data aligned for a double and exactly as long as the
// shape and the element size say.
// Everything else is refused with a sentence naming the problem; nothing is
// allocated before the bounds are checked and nothing is read out of bounds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "interop_bench/dtype.hpp"

namespace interop_bench::file_mmap {

// NumPy 2's NPY_MAXDIMS: no array it can save has more dimensions.
inline constexpr std::size_t kMaxDims = 64;
// NumPy refuses longer headers by default (np.load's max_header_size); a 1-D
// or 2-D float64 header is 128 bytes.
inline constexpr std::uint64_t kMaxHeaderBytes = 10000;
// np.save pads the header so that the data starts at a multiple of 64 (16
// before NumPy 1.14); a double needs 8, which every version gives.
inline constexpr std::uint64_t kDataAlignBytes = 8;

struct NpyHeader {
  interop_bench::DType dtype = interop_bench::DType::float64;  // what 'descr' names
  std::uint64_t item_bytes = 0;                                // ... and its element size
  std::size_t ndim = 0;
  std::array<std::uint64_t, kMaxDims> shape{};
  std::uint64_t elements = 0;     // the product of the shape
  std::uint64_t data_offset = 0;  // bytes from the file's start to the first element
};

// The header of the .npy file whose bytes are `file` (the whole file), or
// nullopt with `error` set to what is wrong with it.
std::optional<NpyHeader> parse_npy(std::span<const std::byte> file, std::string& error);

// The 'descr' np.save writes for `dtype` ('<f8', ..., '|u1').
std::string_view npy_descr(interop_bench::DType dtype);

// A version 1.0 header for a C-order array of `dtype` and `shape`, as np.save
// writes it (padded with spaces to a multiple of 64 bytes, ending in '\n').
std::string npy_header(interop_bench::DType dtype, std::span<const std::uint64_t> shape);

}  // namespace interop_bench::file_mmap
