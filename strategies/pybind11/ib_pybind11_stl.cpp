// pybind11 the naive way many people write it: std::vector<T> through
// pybind11/stl.h. Every call converts the argument element by element into a
// new vector (one Python scalar per element), and a returned vector becomes a
// Python list, which the caller turns back into an array. The GIL stays held,
// as in the code this stands for.
//
// One function per element type, named for it (sum_float64, sum_uint8, ...):
// stl.h's element casters convert between numbers freely (a float32 scalar
// would fill a std::vector<double>), so overloads would pick by conversion,
// not by dtype; the adapter picks the function of the array's dtype, as a
// user of this style writes one function per type.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "interop_bench/kernels.hpp"

namespace py = pybind11;
namespace kernels = interop_bench::kernels;

namespace {

template <class T>
using Vector = std::vector<T>;
template <class T>
using Rows = std::vector<std::vector<T>>;

template <class T>
kernels::sum_t<T> sum(const Vector<T>& v) {
  return kernels::sum(kernels::span<const T>{v});
}

template <class T>
Vector<T> square(Vector<T> v) {
  kernels::square_inplace(kernels::span<T>{v});
  return v;
}

// Rows arrive as separate vectors; they are packed into one buffer for the
// kernel core, as a user of matrix code would have to.
template <class T>
kernels::sum_t<T> matrix_sum(const Rows<T>& rows) {
  const std::size_t cols = rows.empty() ? 0 : rows.front().size();
  Vector<T> packed;
  packed.reserve(rows.size() * cols);
  for (const auto& row : rows) {
    if (row.size() != cols) throw py::value_error("matrix_sum: rows of different lengths");
    packed.insert(packed.end(), row.begin(), row.end());
  }
  return kernels::matrix_sum(packed.data(), rows.size(), cols, cols);
}

template <class T>
Vector<T> scale(const Vector<T>& v, T k) {
  Vector<T> out(v.size());
  kernels::scale(kernels::span<const T>{v}, k, kernels::span<T>{out});
  return out;
}

template <class T>
std::uintptr_t data_address(const Vector<T>& v) {
  return reinterpret_cast<std::uintptr_t>(v.data());
}

// The packed RGB bytes of a rows x cols image, as a list-of-numbers API takes it.
Vector<std::uint8_t> frame(const Vector<std::uint8_t>& rgb, std::size_t rows, std::size_t cols) {
  if (rows != 0 && cols > rgb.size() / 3 / rows) {
    throw py::value_error("frame: rows * cols * 3 exceeds the pixels given");
  }
  if (rgb.size() != rows * cols * 3) throw py::value_error("frame: rows * cols * 3 != pixels");
  Vector<std::uint8_t> gray(rows * cols);
  kernels::frame_to_gray(rgb.data(), rows, cols, cols * 3, gray.data());
  return gray;
}

template <class T>
void define_ops(py::module_& m, const std::string& dtype) {
  m.def(("sum_" + dtype).c_str(), &sum<T>, py::arg("a"));
  m.def(("square_" + dtype).c_str(), &square<T>, py::arg("a"));
  m.def(("matrix_sum_" + dtype).c_str(), &matrix_sum<T>, py::arg("m"));
  m.def(("scale_" + dtype).c_str(), &scale<T>, py::arg("a"), py::arg("k"));
  m.def(("data_address_" + dtype).c_str(), &data_address<T>, py::arg("a"));
}

}  // namespace

PYBIND11_MODULE(ib_pybind11_stl, m) {
  m.doc() = "interop-bench kernels through pybind11/stl.h std::vector conversions (copies)";
  define_ops<double>(m, "float64");
  define_ops<float>(m, "float32");
  define_ops<std::int32_t>(m, "int32");
  define_ops<std::int16_t>(m, "int16");
  define_ops<std::uint8_t>(m, "uint8");
  m.def("frame", &frame, py::arg("rgb"), py::arg("rows"), py::arg("cols"));
}
