// nanobind, used the best honest way: nb::ndarray arguments constrained to
// C-contiguous 1-D float64 on the CPU and marked .noconvert() (a wrong dtype or
// layout is a TypeError, never a silent copy), the kernel reads the caller's
// buffer in place, the GIL is released around large kernels, and scale's result
// is a NumPy array wrapping a C++ buffer that a capsule owns.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstdint>

#include "interop_bench/gil_policy.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"
#include "interop_bench/result_buffer.hpp"

namespace nb = nanobind;
namespace kernels = interop_bench::kernels;
namespace binding = interop_bench::binding;

namespace {

using Vector = nb::ndarray<const double, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
// Non-const scalar: nanobind refuses read-only arrays for it.
using MutableVector = nb::ndarray<double, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
// Any strides: matrix_sum reads strided views itself.
using Matrix = nb::ndarray<const double, nb::ndim<2>, nb::device::cpu>;
using Result = nb::ndarray<nb::numpy, double, nb::ndim<1>>;

constexpr std::int64_t kItemBytes = sizeof(double);

template <class Kernel>
decltype(auto) run(std::size_t elements, Kernel&& kernel) {
  return binding::run_kernel<nb::gil_scoped_release>(elements, kernel);
}

kernels::span<const double> values(const Vector& a) {
  return {a.data(), a.size()};
}

double sum(const Vector& a) {
  const auto in = values(a);
  return run(in.size(), [in] { return kernels::sum(in); });
}

void square(const MutableVector& a) {
  const kernels::span<double> inout{a.data(), a.size()};
  run(inout.size(), [inout] { kernels::square_inplace(inout); });
}

// The overload nanobind tries second, for what the first refused: a read-only
// array gets an error that says so, instead of "incompatible function
// arguments"; a writable array never reaches it, so a call costs nothing more.
void square_read_only(const Vector&) {
  throw nb::value_error("square: the array is read-only, and square writes in place");
}

double matrix_sum(const Matrix& m) {
  // nanobind gives strides in elements; the shared layout code takes bytes.
  const binding::StridedMatrix view{m.data(), static_cast<std::ptrdiff_t>(m.shape(0)),
                                    static_cast<std::ptrdiff_t>(m.shape(1)),
                                    m.stride(0) * kItemBytes, m.stride(1) * kItemBytes};
  return run(m.size(), [&view] { return binding::matrix_sum(view); });
}

Result scale(const Vector& a, double k) {
  const auto in = values(a);
  binding::ResultBuffer buffer = binding::allocate_result(in.size());
  const nb::capsule owner(buffer.get(), binding::free_result);
  double* out = buffer.release();  // the capsule owns it now
  run(in.size(), [in, k, out] { kernels::scale(in, k, {out, in.size()}); });
  return Result(out, {in.size()}, owner);
}

std::uintptr_t data_address(const Vector& a) {
  return reinterpret_cast<std::uintptr_t>(values(a).data());
}

}  // namespace

NB_MODULE(ib_nanobind, m) {
  // Positional-only arguments, as the harness calls them: since nanobind 3 a
  // function whose arguments have no names, defaults or None takes the short
  // vectorcall path for one or two arguments (a named one selects the "medium"
  // dispatcher, which handles keywords). `const auto`, not constexpr: the same
  // source builds with nanobind 2.x, to measure an older release beside it.
  const auto array = nb::arg().noconvert();
  m.doc() = "interop-bench kernels through nanobind ndarrays, zero-copy";
  m.def("sum", &sum, array);
  m.def("square", &square, array);
  m.def("square", &square_read_only, array);
  m.def("matrix_sum", &matrix_sum, array);
  m.def("scale", &scale, array, nb::arg());
  m.def("data_address", &data_address, array);
  // For the tests (result_record.hpp): where scale last wrote, and the buffers alive.
  m.def("last_result_address", [] { return binding::last_result_address(); });
  m.def("result_buffers_alive", [] { return binding::result_buffers_alive.load(); });
}
