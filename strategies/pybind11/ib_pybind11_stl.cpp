// pybind11 the naive way many people write it: std::vector<double> through
// pybind11/stl.h. Every call converts the argument element by element into a
// new vector (one Python float per element), and a returned vector becomes a
// Python list, which the caller turns back into an array. The GIL stays held,
// as in the code this stands for.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <vector>

#include "interop_bench/kernels.hpp"

namespace py = pybind11;
namespace kernels = interop_bench::kernels;

namespace {

using Vector = std::vector<double>;
using Rows = std::vector<std::vector<double>>;

double sum(const Vector& v) {
  return kernels::sum(v);
}

Vector square(Vector v) {
  kernels::square_inplace(v);
  return v;
}

// Rows arrive as separate vectors; they are packed into one buffer for the
// kernel core, as a user of matrix code would have to.
double matrix_sum(const Rows& rows) {
  const std::size_t cols = rows.empty() ? 0 : rows.front().size();
  Vector packed;
  packed.reserve(rows.size() * cols);
  for (const auto& row : rows) {
    if (row.size() != cols) throw py::value_error("matrix_sum: rows of different lengths");
    packed.insert(packed.end(), row.begin(), row.end());
  }
  return kernels::matrix_sum(packed.data(), rows.size(), cols, cols);
}

Vector scale(const Vector& v, double k) {
  Vector out(v.size());
  kernels::scale(v, k, out);
  return out;
}

std::uintptr_t data_address(const Vector& v) {
  return reinterpret_cast<std::uintptr_t>(v.data());
}

}  // namespace

PYBIND11_MODULE(ib_pybind11_stl, m) {
  m.doc() = "interop-bench kernels through pybind11/stl.h std::vector conversions (copies)";
  m.def("sum", &sum, py::arg("a"));
  m.def("square", &square, py::arg("a"));
  m.def("matrix_sum", &matrix_sum, py::arg("m"));
  m.def("scale", &scale, py::arg("a"), py::arg("k"));
  m.def("data_address", &data_address, py::arg("a"));
}
