// What cppyy compiles at run time (cppyy.include, by cling's JIT) over the kernel
// core's own header: NumPy arrays arrive as pointers (cppyy hands a buffer's
// address to a T* parameter when its format is T's, no copy) and become the
// spans that kernels.hpp takes; the kernels themselves are the ahead-of-time
// compiled ones of libib_cppyy_kernels.so, which cppyy.load_library loads.
//
// One class template holds the functions for an element type T: the Python
// side takes Typed<T> once per dtype at open (Typed['float'], ...), each call
// inside it is to kernels.hpp's overload for T, so each dtype runs its own
// kernel and no dtype goes through another's. Released<T> is its twin whose
// Python proxies release the GIL (__release_gil__): the adapter calls that one
// from gil_policy.hpp's threshold on, as the other bindings do.
//
// The five instantiations are compiled ahead of time too, into
// libib_cppyy_kernels.so (cppyy_kernels_check.cpp), and declared `extern
// template` here: cling takes them from the library instead of instantiating
// and compiling each one at its first call (which took ~70 ms per dtype, in
// the cell's first call). No Python here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "interop_bench/gil_policy.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/result_record.hpp"

namespace interop_bench::cppyy_adapter {

template <class T>
struct Typed {
  static kernels::sum_t<T> sum(const T* data, std::size_t n);
  static void square(T* data, std::size_t n);
  // A matrix with contiguous rows, as a buffer, or (padded rows, which cppyy's
  // buffer conversion refuses) at an address.
  static kernels::sum_t<T> matrix_sum(const T* data, std::size_t rows, std::size_t cols,
                                      std::size_t row_stride_elems);
  static kernels::sum_t<T> matrix_sum_at(std::uintptr_t address, std::size_t rows, std::size_t cols,
                                         std::size_t row_stride_elems);
  static void scale(const T* in, std::size_t n, T k, T* out);
  static std::uintptr_t data_address(const T* data);
};

template <class T>
struct Released {
  static kernels::sum_t<T> sum(const T* data, std::size_t n);
  static void square(T* data, std::size_t n);
  static kernels::sum_t<T> matrix_sum(const T* data, std::size_t rows, std::size_t cols,
                                      std::size_t row_stride_elems);
  static kernels::sum_t<T> matrix_sum_at(std::uintptr_t address, std::size_t rows, std::size_t cols,
                                         std::size_t row_stride_elems);
  static void scale(const T* in, std::size_t n, T k, T* out);
};

template <class T>
kernels::sum_t<T> Typed<T>::sum(const T* data, std::size_t n) {
  return kernels::sum(kernels::span<const T>{data, n});
}

template <class T>
void Typed<T>::square(T* data, std::size_t n) {
  kernels::square_inplace(kernels::span<T>{data, n});
}

template <class T>
kernels::sum_t<T> Typed<T>::matrix_sum(const T* data, std::size_t rows, std::size_t cols,
                                       std::size_t row_stride_elems) {
  return kernels::matrix_sum(data, rows, cols, row_stride_elems);
}

template <class T>
kernels::sum_t<T> Typed<T>::matrix_sum_at(std::uintptr_t address, std::size_t rows,
                                          std::size_t cols, std::size_t row_stride_elems) {
  return matrix_sum(reinterpret_cast<const T*>(address), rows, cols, row_stride_elems);
}

template <class T>
void Typed<T>::scale(const T* in, std::size_t n, T k, T* out) {
  binding::note_result(out);
  kernels::scale(kernels::span<const T>{in, n}, k, kernels::span<T>{out, n});
}

template <class T>
std::uintptr_t Typed<T>::data_address(const T* data) {
  return reinterpret_cast<std::uintptr_t>(data);
}

template <class T>
kernels::sum_t<T> Released<T>::sum(const T* data, std::size_t n) {
  return Typed<T>::sum(data, n);
}

template <class T>
void Released<T>::square(T* data, std::size_t n) {
  Typed<T>::square(data, n);
}

template <class T>
kernels::sum_t<T> Released<T>::matrix_sum(const T* data, std::size_t rows, std::size_t cols,
                                          std::size_t row_stride_elems) {
  return Typed<T>::matrix_sum(data, rows, cols, row_stride_elems);
}

template <class T>
kernels::sum_t<T> Released<T>::matrix_sum_at(std::uintptr_t address, std::size_t rows,
                                             std::size_t cols, std::size_t row_stride_elems) {
  return Typed<T>::matrix_sum_at(address, rows, cols, row_stride_elems);
}

template <class T>
void Released<T>::scale(const T* in, std::size_t n, T k, T* out) {
  Typed<T>::scale(in, n, k, out);
}

// Compiled ahead of time into libib_cppyy_kernels.so (cppyy_kernels_check.cpp).
extern template struct Typed<double>;
extern template struct Typed<float>;
extern template struct Typed<std::int32_t>;
extern template struct Typed<std::int16_t>;
extern template struct Typed<std::uint8_t>;
extern template struct Released<double>;
extern template struct Released<float>;
extern template struct Released<std::int32_t>;
extern template struct Released<std::int16_t>;
extern template struct Released<std::uint8_t>;

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
