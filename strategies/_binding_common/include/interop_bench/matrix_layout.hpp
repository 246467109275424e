// How a strided 2-D view of any element type of the dtype axis reaches
// kernels::matrix_sum, the same for every binding: in place when its rows (or, transposed, its
// columns) are contiguous, through one contiguous copy otherwise. Mirrors
// python/interop_bench/strategies/validation.py.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "interop_bench/kernels.hpp"

namespace interop_bench::binding {

// A 2-D view as NumPy and the buffer protocol describe it: strides in bytes,
// possibly negative, `data` pointing at element [0, 0].
template <class T>
struct StridedMatrixOf {
  const T* data;
  std::ptrdiff_t rows;
  std::ptrdiff_t cols;
  std::ptrdiff_t row_stride_bytes;
  std::ptrdiff_t col_stride_bytes;
};

// What kernels::matrix_sum reads: row r starts at data + r * row_stride_elems.
template <class T>
struct RowMajorViewOf {
  const T* data;
  std::size_t rows;
  std::size_t cols;
  std::size_t row_stride_elems;
};

// float64, the default dtype: the names the bindings used before the dtype axis.
using StridedMatrix = StridedMatrixOf<double>;
using RowMajorView = RowMajorViewOf<double>;

namespace detail {

template <class T>
std::optional<RowMajorViewOf<T>> rows_contiguous(const T* data, std::ptrdiff_t rows,
                                                 std::ptrdiff_t cols, std::ptrdiff_t row_stride,
                                                 std::ptrdiff_t col_stride) {
  constexpr std::ptrdiff_t kItemBytes = sizeof(T);
  const bool unit_columns = col_stride == kItemBytes || cols <= 1;
  const bool rows_apart =
      rows <= 1 || (row_stride >= cols * kItemBytes && row_stride % kItemBytes == 0);
  if (!unit_columns || !rows_apart) return std::nullopt;
  const std::ptrdiff_t stride_elems = rows <= 1 ? cols : row_stride / kItemBytes;
  return RowMajorViewOf<T>{data, static_cast<std::size_t>(rows), static_cast<std::size_t>(cols),
                           static_cast<std::size_t>(stride_elems)};
}

}  // namespace detail

// The view read in place (the sum does not depend on orientation, so a
// Fortran-ordered or transposed matrix is read through its transpose), or
// nothing when neither rows nor columns are contiguous, or the data is not
// aligned for loads of T.
template <class T>
std::optional<RowMajorViewOf<T>> row_major_view(const StridedMatrixOf<T>& m) {
  if (reinterpret_cast<std::uintptr_t>(m.data) % alignof(T) != 0) return std::nullopt;
  if (auto view =
          detail::rows_contiguous(m.data, m.rows, m.cols, m.row_stride_bytes, m.col_stride_bytes)) {
    return view;
  }
  return detail::rows_contiguous(m.data, m.cols, m.rows, m.col_stride_bytes, m.row_stride_bytes);
}

// A contiguous row-major copy of any strided view (memcpy per element: the
// source may be unaligned).
template <class T>
std::vector<T> contiguous_copy(const StridedMatrixOf<T>& m) {
  std::vector<T> copy(static_cast<std::size_t>(m.rows * m.cols));
  const char* base = reinterpret_cast<const char*>(m.data);
  std::size_t i = 0;
  for (std::ptrdiff_t r = 0; r < m.rows; ++r) {
    for (std::ptrdiff_t c = 0; c < m.cols; ++c, ++i) {
      std::memcpy(&copy[i], base + r * m.row_stride_bytes + c * m.col_stride_bytes, sizeof(T));
    }
  }
  return copy;
}

// kernels::matrix_sum of any strided view: in place when possible, else through a copy.
template <class T>
kernels::sum_t<T> matrix_sum(const StridedMatrixOf<T>& m) {
  if (auto view = row_major_view(m)) {
    return kernels::matrix_sum(view->data, view->rows, view->cols, view->row_stride_elems);
  }
  const std::vector<T> copy = contiguous_copy(m);
  const auto rows = static_cast<std::size_t>(m.rows);
  const auto cols = static_cast<std::size_t>(m.cols);
  return kernels::matrix_sum(copy.data(), rows, cols, cols);
}

}  // namespace interop_bench::binding
