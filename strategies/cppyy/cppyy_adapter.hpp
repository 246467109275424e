// What cppyy compiles at run time (cppyy.include, by cling's JIT) over the kernel
// core's own header: NumPy arrays arrive as pointers (cppyy hands a buffer's
// address to a T* parameter when its format is T's, no copy) and become the
// spans that kernels.hpp takes; the kernels themselves are the ahead-of-time
// compiled ones of libib_cppyy_kernels.so, which cppyy.load_library loads.
//
// One class template holds the functions for an element type T: the Python
// side instantiates Typed<T> once per dtype at open (Typed['float'], ...), and
// cling resolves each call inside it to kernels.hpp's overload for T, so each
// dtype runs its own kernel and no dtype goes through another's. Released<T>
// is its twin whose Python proxies release the GIL (__release_gil__): the
// adapter calls that one from gil_policy.hpp's threshold on, as the other
// bindings do. No Python here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "interop_bench/gil_policy.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/result_record.hpp"

namespace interop_bench::cppyy_adapter {

template <class T>
struct Typed {
  static kernels::sum_t<T> sum(const T* data, std::size_t n) {
    return kernels::sum(kernels::span<const T>{data, n});
  }

  static void square(T* data, std::size_t n) { kernels::square_inplace(kernels::span<T>{data, n}); }

  // A matrix with contiguous rows, as a buffer, or (padded rows, which cppyy's
  // buffer conversion refuses) at an address.
  static kernels::sum_t<T> matrix_sum(const T* data, std::size_t rows, std::size_t cols,
                                      std::size_t row_stride_elems) {
    return kernels::matrix_sum(data, rows, cols, row_stride_elems);
  }

  static kernels::sum_t<T> matrix_sum_at(std::uintptr_t address, std::size_t rows, std::size_t cols,
                                         std::size_t row_stride_elems) {
    return matrix_sum(reinterpret_cast<const T*>(address), rows, cols, row_stride_elems);
  }

  static void scale(const T* in, std::size_t n, T k, T* out) {
    binding::note_result(out);
    kernels::scale(kernels::span<const T>{in, n}, k, kernels::span<T>{out, n});
  }

  static std::uintptr_t data_address(const T* data) {
    return reinterpret_cast<std::uintptr_t>(data);
  }
};

template <class T>
struct Released {
  static kernels::sum_t<T> sum(const T* data, std::size_t n) { return Typed<T>::sum(data, n); }

  static void square(T* data, std::size_t n) { Typed<T>::square(data, n); }

  static kernels::sum_t<T> matrix_sum(const T* data, std::size_t rows, std::size_t cols,
                                      std::size_t row_stride_elems) {
    return Typed<T>::matrix_sum(data, rows, cols, row_stride_elems);
  }

  static kernels::sum_t<T> matrix_sum_at(std::uintptr_t address, std::size_t rows, std::size_t cols,
                                         std::size_t row_stride_elems) {
    return Typed<T>::matrix_sum_at(address, rows, cols, row_stride_elems);
  }

  static void scale(const T* in, std::size_t n, T k, T* out) { Typed<T>::scale(in, n, k, out); }
};

// The frame op (uint8 only): the RGB image as a buffer when it is contiguous, at
// an address when its rows are padded or cropped (cppyy refuses a
// non-contiguous buffer); read in place either way, at its row stride.
struct Frames {
  static void to_gray(const std::uint8_t* rgb, std::size_t rows, std::size_t cols,
                      std::size_t row_stride_bytes, std::uint8_t* gray) {
    kernels::frame_to_gray(rgb, rows, cols, row_stride_bytes, gray);
  }

  static void to_gray_at(std::uintptr_t rgb_address, std::size_t rows, std::size_t cols,
                         std::size_t row_stride_bytes, std::uint8_t* gray) {
    to_gray(reinterpret_cast<const std::uint8_t*>(rgb_address), rows, cols, row_stride_bytes, gray);
  }
};

struct ReleasedFrames {
  static void to_gray(const std::uint8_t* rgb, std::size_t rows, std::size_t cols,
                      std::size_t row_stride_bytes, std::uint8_t* gray) {
    Frames::to_gray(rgb, rows, cols, row_stride_bytes, gray);
  }

  static void to_gray_at(std::uintptr_t rgb_address, std::size_t rows, std::size_t cols,
                         std::size_t row_stride_bytes, std::uint8_t* gray) {
    Frames::to_gray_at(rgb_address, rows, cols, row_stride_bytes, gray);
  }
};

inline std::uintptr_t last_result_address() {
  return binding::last_result_address();
}

inline constexpr std::size_t kReleaseGilMinElements = binding::kReleaseGilMinElements;

}  // namespace interop_bench::cppyy_adapter
