// How an H x W x 3 uint8 image (a NumPy array, a buffer, a tensor: shape and
// byte strides) reaches kernels::frame_to_gray, the same for every binding:
// pixels packed within each row (channels 1 byte apart, pixels 3), rows at any
// stride of at least 3 * W bytes, so a padded or cropped view is read in
// place. Mirrors validation.frame in python/interop_bench/strategies/validation.py.
// No Python: the messages are for the binding to raise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace interop_bench::binding {

inline constexpr std::ptrdiff_t kChannels = 3;

struct FrameView {
  const std::uint8_t* rgb;
  std::size_t rows;
  std::size_t cols;
  std::size_t row_stride_bytes;
};

// What is wrong with the layout (a message for a ValueError), or nullptr with
// `*view` set. `shape` and `strides` (bytes) have `ndim` entries.
inline const char* frame_view(const void* data, std::ptrdiff_t ndim, const std::ptrdiff_t* shape,
                              const std::ptrdiff_t* strides, FrameView* view) {
  if (ndim != 3 || shape[2] != kChannels) {
    return "expected an H x W x 3 (RGB) image: 3-D with 3 channels";
  }
  const std::ptrdiff_t rows = shape[0];
  const std::ptrdiff_t cols = shape[1];
  if (rows == 0 || cols == 0) {  // NumPy gives an empty array any strides (often 0)
    *view = {static_cast<const std::uint8_t*>(data), static_cast<std::size_t>(rows),
             static_cast<std::size_t>(cols), static_cast<std::size_t>(cols * kChannels)};
    return nullptr;
  }
  if (strides[2] != 1) {
    return "the channel axis is not contiguous; pass np.ascontiguousarray(image)";
  }
  if (cols > 1 && strides[1] != kChannels) {
    return "pixels are not packed within a row; pass np.ascontiguousarray(image)";
  }
  if (rows > 1 && strides[0] < cols * kChannels) {
    return "rows overlap or run backwards; pass np.ascontiguousarray(image)";
  }
  const std::ptrdiff_t row_stride = rows > 1 ? strides[0] : cols * kChannels;
  *view = {static_cast<const std::uint8_t*>(data), static_cast<std::size_t>(rows),
           static_cast<std::size_t>(cols), static_cast<std::size_t>(row_stride)};
  return nullptr;
}

}  // namespace interop_bench::binding
