// nanobind, used the best honest way: nb::ndarray<T> arguments constrained to
// C-contiguous 1-D on the CPU and marked .noconvert() (a wrong dtype or layout
// is a TypeError, never a silent copy: nanobind would otherwise convert the
// dtype implicitly, its issue #711, and square's writes would land in the
// copy), the kernel reads the caller's buffer in place, the GIL is released
// around large kernels, and scale's result (and a frame's gray image) is a
// NumPy array wrapping a C++ buffer that a capsule owns.
//
// The dtype axis is one overload per element type, float64's registered first:
// nanobind tries overloads in order, so a float64 call matches at its first try.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstdint>
#include <string>

#include "interop_bench/frame_layout.hpp"
#include "interop_bench/gil_policy.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"
#include "interop_bench/result_buffer.hpp"

namespace nb = nanobind;
namespace kernels = interop_bench::kernels;
namespace binding = interop_bench::binding;

namespace {

template <class T>
using Vector = nb::ndarray<const T, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
// Non-const scalar: nanobind refuses read-only arrays for it.
template <class T>
using MutableVector = nb::ndarray<T, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
// Any strides: matrix_sum reads strided views itself.
template <class T>
using Matrix = nb::ndarray<const T, nb::ndim<2>, nb::device::cpu>;
template <class T>
using Result = nb::ndarray<nb::numpy, T, nb::ndim<1>>;
// Any strides (frame_layout.hpp checks them): a padded or cropped view is read in place.
using Image = nb::ndarray<const std::uint8_t, nb::ndim<3>, nb::device::cpu>;
using Gray = nb::ndarray<nb::numpy, std::uint8_t, nb::ndim<2>>;

template <class Kernel>
decltype(auto) run(std::size_t elements, Kernel&& kernel) {
  return binding::run_kernel<nb::gil_scoped_release>(elements, kernel);
}

template <class T>
kernels::span<const T> values(const Vector<T>& a) {
  return {a.data(), a.size()};
}

template <class T>
kernels::sum_t<T> sum(const Vector<T>& a) {
  const auto in = values(a);
  return run(in.size(), [in] { return kernels::sum(in); });
}

template <class T>
void square(const MutableVector<T>& a) {
  const kernels::span<T> inout{a.data(), a.size()};
  run(inout.size(), [inout] { kernels::square_inplace(inout); });
}

// The overload nanobind tries after every typed one, for what they refused: a
// read-only array gets an error that says so, instead of "incompatible function
// arguments"; a writable array never reaches it, so a call costs nothing more.
template <class T>
void square_read_only(const Vector<T>&) {
  throw nb::value_error("square: the array is read-only, and square writes in place");
}

template <class T>
kernels::sum_t<T> matrix_sum(const Matrix<T>& m) {
  // nanobind gives strides in elements; the shared layout code takes bytes.
  constexpr std::int64_t kItemBytes = sizeof(T);
  const binding::StridedMatrixOf<T> view{m.data(), static_cast<std::ptrdiff_t>(m.shape(0)),
                                         static_cast<std::ptrdiff_t>(m.shape(1)),
                                         m.stride(0) * kItemBytes, m.stride(1) * kItemBytes};
  return run(m.size(), [&view] { return binding::matrix_sum(view); });
}

// Room for `elements` values of T in a C++ buffer, and the capsule that owns it.
template <class T>
std::pair<T*, nb::capsule> new_result(std::size_t elements) {
  binding::ResultBuffer<T> buffer = binding::allocate_result<T>(elements);
  nb::capsule owner(buffer.get(), binding::free_result);
  return {buffer.release(), std::move(owner)};  // the capsule owns it now
}

// k has a's type: nanobind's caster for an integer T refuses a float and an int
// out of T's range (the overload does not match: a TypeError).
template <class T>
Result<T> scale(const Vector<T>& a, T k) {
  const auto in = values(a);
  auto [out, owner] = new_result<T>(in.size());
  run(in.size(), [in, k, out] { kernels::scale(in, k, {out, in.size()}); });
  return Result<T>(out, {in.size()}, owner);
}

Gray frame(const Image& image) {
  // nanobind gives strides in elements, which for uint8 are bytes.
  const std::ptrdiff_t shape[3] = {static_cast<std::ptrdiff_t>(image.shape(0)),
                                   static_cast<std::ptrdiff_t>(image.shape(1)),
                                   static_cast<std::ptrdiff_t>(image.shape(2))};
  const std::ptrdiff_t strides[3] = {image.stride(0), image.stride(1), image.stride(2)};
  binding::FrameView rgb{};
  if (const char* problem = binding::frame_view(image.data(), 3, shape, strides, &rgb)) {
    throw nb::value_error((std::string("frame: ") + problem).c_str());
  }
  auto [gray, owner] = new_result<std::uint8_t>(rgb.rows * rgb.cols);
  run(rgb.rows * rgb.cols, [&rgb, gray] {
    kernels::frame_to_gray(rgb.rgb, rgb.rows, rgb.cols, rgb.row_stride_bytes, gray);
  });
  return Gray(gray, {rgb.rows, rgb.cols}, owner);
}

template <class T>
std::uintptr_t data_address(const Vector<T>& a) {
  return reinterpret_cast<std::uintptr_t>(values(a).data());
}

// One overload of each op for T; `array` is how an array argument is declared.
template <class T, class Arg>
void define_ops(nb::module_& m, const Arg& array) {
  m.def("sum", &sum<T>, array);
  m.def("square", &square<T>, array);
  m.def("matrix_sum", &matrix_sum<T>, array);
  m.def("scale", &scale<T>, array, nb::arg());
  m.def("data_address", &data_address<T>, array);
}

template <class... T, class Arg>
void define_read_only_squares(nb::module_& m, const Arg& array) {
  (m.def("square", &square_read_only<T>, array), ...);
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
  define_ops<double>(m, array);  // first: float64 matches at the first try
  define_ops<float>(m, array);
  define_ops<std::int32_t>(m, array);
  define_ops<std::int16_t>(m, array);
  define_ops<std::uint8_t>(m, array);
  define_read_only_squares<double, float, std::int32_t, std::int16_t, std::uint8_t>(m, array);
  m.def("frame", &frame, array);
  // For the tests (result_record.hpp): where scale last wrote, and the buffers alive.
  m.def("last_result_address", [] { return binding::last_result_address(); });
  m.def("result_buffers_alive", [] { return binding::result_buffers_alive.load(); });
}
