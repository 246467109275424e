// How a strided 2-D float64 view reaches kernels::matrix_sum, the same for every
// binding: in place when its rows (or, transposed, its columns) are contiguous,
// through one contiguous copy otherwise. Mirrors python/interop_bench/strategies/validation.py.
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
struct StridedMatrix {
  const double* data;
  std::ptrdiff_t rows;
  std::ptrdiff_t cols;
  std::ptrdiff_t row_stride_bytes;
  std::ptrdiff_t col_stride_bytes;
};

// What kernels::matrix_sum reads: row r starts at data + r * row_stride_elems.
struct RowMajorView {
  const double* data;
  std::size_t rows;
  std::size_t cols;
  std::size_t row_stride_elems;
};

namespace detail {

inline constexpr std::ptrdiff_t kItemBytes = sizeof(double);

inline std::optional<RowMajorView> rows_contiguous(const double* data, std::ptrdiff_t rows,
                                                   std::ptrdiff_t cols, std::ptrdiff_t row_stride,
                                                   std::ptrdiff_t col_stride) {
  const bool unit_columns = col_stride == kItemBytes || cols <= 1;
  const bool rows_apart =
      rows <= 1 || (row_stride >= cols * kItemBytes && row_stride % kItemBytes == 0);
  if (!unit_columns || !rows_apart) return std::nullopt;
  const std::ptrdiff_t stride_elems = rows <= 1 ? cols : row_stride / kItemBytes;
  return RowMajorView{data, static_cast<std::size_t>(rows), static_cast<std::size_t>(cols),
                      static_cast<std::size_t>(stride_elems)};
}

}  // namespace detail

// The view read in place (the sum does not depend on orientation, so a
// Fortran-ordered or transposed matrix is read through its transpose), or
// nothing when neither rows nor columns are contiguous, or the data is not
// aligned for double loads.
inline std::optional<RowMajorView> row_major_view(const StridedMatrix& m) {
  if (reinterpret_cast<std::uintptr_t>(m.data) % alignof(double) != 0) return std::nullopt;
  if (auto view =
          detail::rows_contiguous(m.data, m.rows, m.cols, m.row_stride_bytes, m.col_stride_bytes)) {
    return view;
  }
  return detail::rows_contiguous(m.data, m.cols, m.rows, m.col_stride_bytes, m.row_stride_bytes);
}

// A contiguous row-major copy of any strided view (memcpy per element: the
// source may be unaligned).
inline std::vector<double> contiguous_copy(const StridedMatrix& m) {
  std::vector<double> copy(static_cast<std::size_t>(m.rows * m.cols));
  const char* base = reinterpret_cast<const char*>(m.data);
  std::size_t i = 0;
  for (std::ptrdiff_t r = 0; r < m.rows; ++r) {
    for (std::ptrdiff_t c = 0; c < m.cols; ++c, ++i) {
      std::memcpy(&copy[i], base + r * m.row_stride_bytes + c * m.col_stride_bytes, sizeof(double));
    }
  }
  return copy;
}

// kernels::matrix_sum of any strided view: in place when possible, else through a copy.
inline double matrix_sum(const StridedMatrix& m) {
  if (auto view = row_major_view(m)) {
    return kernels::matrix_sum(view->data, view->rows, view->cols, view->row_stride_elems);
  }
  const std::vector<double> copy = contiguous_copy(m);
  const auto rows = static_cast<std::size_t>(m.rows);
  const auto cols = static_cast<std::size_t>(m.cols);
  return kernels::matrix_sum(copy.data(), rows, cols, cols);
}

}  // namespace interop_bench::binding
