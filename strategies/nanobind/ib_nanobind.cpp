// nanobind, used the best honest way: nb::ndarray arguments constrained to
// C-contiguous 1-D on the CPU and marked .noconvert() (a wrong layout is a
// TypeError, never a silent copy: nanobind would otherwise convert an array to
// the declared dtype implicitly, its issue #711, and square's writes would land
// in the copy), the kernel of the array's own element type reads the caller's
// buffer in place, the GIL is released around large kernels, and scale's
// result (and a frame's gray image) is a NumPy array wrapping a C++ buffer
// that a capsule owns.
//
// The dtype axis: each op is one function over an ndarray of any dtype that
// switches on the array's nb::dlpack::dtype (float64 first) and refuses any
// other dtype naming it. One nb::ndarray<const T> overload per dtype would be
// as typed, but an overloaded function leaves nanobind's one-overload
// vectorcall path, which costs float64's call about 30 instructions (1.7 %).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstdint>
#include <optional>
#include <string>

#include "interop_bench/element_type.hpp"
#include "interop_bench/frame_layout.hpp"
#include "interop_bench/gil_policy.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"
#include "interop_bench/python_capi.hpp"
#include "interop_bench/result_buffer.hpp"

namespace nb = nanobind;
namespace kernels = interop_bench::kernels;
namespace binding = interop_bench::binding;

namespace {

using interop_bench::DType;

// Any dtype (checked by element_type): one function per op, see above.
// nb::ro: read-only arrays are accepted; square's mutable one refuses them.
using Vector = nb::ndarray<nb::ro, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using MutableVector = nb::ndarray<nb::ndim<1>, nb::c_contig, nb::device::cpu>;
// Any strides: matrix_sum reads strided views itself.
using Matrix = nb::ndarray<nb::ro, nb::ndim<2>, nb::device::cpu>;
template <class T>
using Result = nb::ndarray<nb::numpy, T, nb::ndim<1>>;
// Any strides (frame_layout.hpp checks them): a padded or cropped view is read in place.
using Image = nb::ndarray<const std::uint8_t, nb::ndim<3>, nb::device::cpu>;
using Gray = nb::ndarray<nb::numpy, std::uint8_t, nb::ndim<2>>;

template <class Kernel>
decltype(auto) run(std::size_t elements, Kernel&& kernel) {
  return binding::run_kernel<nb::gil_scoped_release>(elements, kernel);
}

// NumPy's name of a DLPack dtype that is not one of the five, for the error.
std::string dtype_name(const nb::dlpack::dtype& dtype) {
  const char* kind = "code ";
  switch (static_cast<nb::dlpack::dtype_code>(dtype.code)) {
    case nb::dlpack::dtype_code::Int:
      kind = "int";
      break;
    case nb::dlpack::dtype_code::UInt:
      kind = "uint";
      break;
    case nb::dlpack::dtype_code::Float:
      kind = "float";
      break;
    case nb::dlpack::dtype_code::Complex:
      kind = "complex";
      break;
    case nb::dlpack::dtype_code::Bool:
      kind = "bool";
      break;
    default:
      return "code " + std::to_string(dtype.code) + ", " + std::to_string(dtype.bits) + " bits";
  }
  return kind + std::to_string(dtype.bits);
}

// The element type of `a`, or a TypeError naming its dtype: never a conversion.
template <class Array>
DType element_type(const Array& a, const char* what) {
  const nb::dlpack::dtype dtype = a.dtype();
  if (dtype == nb::dtype<double>()) [[likely]] {
    return DType::float64;
  }
  std::optional<DType> type;
  interop_bench::for_each_dtype([&]<class T>(std::type_identity<T>) {
    if (dtype == nb::dtype<T>()) type = interop_bench::dtype_of<T>();
  });
  if (type) return *type;
  throw nb::type_error((std::string(what) + ": expected dtype " +
                        interop_bench::dtype_names_text() + ", got " + dtype_name(dtype) +
                        " (convert explicitly, e.g. a.astype(np.float64))")
                           .c_str());
}

template <class T, class Array>
kernels::span<T> values(const Array& a) {
  return {static_cast<T*>(const_cast<void*>(static_cast<const void*>(a.data()))), a.size()};
}

nb::object sum(const Vector& a) {
  return interop_bench::visit_dtype(element_type(a, "sum"), [&a]<class T>(std::type_identity<T>) {
    const kernels::span<const T> in = values<const T>(a);
    return nb::cast(run(in.size(), [in] { return kernels::sum(in); }));
  });
}

void square(const MutableVector& a) {
  interop_bench::visit_dtype(element_type(a, "square"), [&a]<class T>(std::type_identity<T>) {
    const kernels::span<T> inout = values<T>(a);
    run(inout.size(), [inout] { kernels::square_inplace(inout); });
  });
}

// The overload nanobind tries second, for what the first refused: a read-only
// array gets an error that says so, instead of "incompatible function
// arguments"; a writable array never reaches it, so a call costs nothing more.
void square_read_only(const Vector&) {
  throw nb::value_error("square: the array is read-only, and square writes in place");
}

nb::object matrix_sum(const Matrix& m) {
  return interop_bench::visit_dtype(
      element_type(m, "matrix_sum"), [&m]<class T>(std::type_identity<T>) {
        // nanobind gives strides in elements; the shared layout code takes bytes.
        constexpr std::int64_t kItemBytes = sizeof(T);
        const binding::StridedMatrixOf<T> view{values<const T>(m).data(),
                                               static_cast<std::ptrdiff_t>(m.shape(0)),
                                               static_cast<std::ptrdiff_t>(m.shape(1)),
                                               m.stride(0) * kItemBytes, m.stride(1) * kItemBytes};
        return nb::cast(run(m.size(), [&view] { return binding::matrix_sum(view); }));
      });
}

// Room for `elements` values of T in a C++ buffer, and the capsule that owns it.
template <class T>
std::pair<T*, nb::capsule> new_result(std::size_t elements) {
  binding::ResultBuffer<T> buffer = binding::allocate_result<T>(elements);
  nb::capsule owner(buffer.get(), binding::free_result);
  return {buffer.release(), std::move(owner)};  // the capsule owns it now
}

// k is read for a's type (factor_of: an integer that fits an integer type);
// the result wraps the capsule-owned buffer (nb::cast copies only an ndarray
// without an owner).
nb::object scale(const Vector& a, nb::handle factor) {
  return interop_bench::visit_dtype(
      element_type(a, "scale"), [&a, factor]<class T>(std::type_identity<T>) {
        T k{};
        if (!binding::factor_of(factor.ptr(), &k)) throw nb::python_error();
        const kernels::span<const T> in = values<const T>(a);
        auto [out, owner] = new_result<T>(in.size());
        run(in.size(), [in, k, out] { kernels::scale(in, k, {out, in.size()}); });
        return nb::cast(Result<T>(out, {in.size()}, owner));
      });
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

std::uintptr_t data_address(const Vector& a) {
  element_type(a, "data_address");  // the same refusals as the ops
  return reinterpret_cast<std::uintptr_t>(a.data());
}

}  // namespace

#define IB_ARRAY_OF_DTYPES \
  "numpy.ndarray[dtype=float64 | float32 | int32 | int16 | uint8, shape=(*), order='C']"

NB_MODULE(ib_nanobind, m) {
  // Positional-only arguments, as the harness calls them: since nanobind 3 a
  // function whose arguments have no names, defaults or None takes the short
  // vectorcall path for one or two arguments (a named one selects the "medium"
  // dispatcher, which handles keywords). `const auto`, not constexpr: the same
  // source builds with nanobind 2.x, to measure an older release beside it.
  const auto array = nb::arg().noconvert();
  m.doc() = "interop-bench kernels through nanobind ndarrays, zero-copy";
  // The signatures name the five dtypes (nanobind's own would say only
  // "ndarray", in the error for an array it cannot take at all, e.g. of objects).
  m.def("sum", &sum, array, nb::sig("def sum(a: " IB_ARRAY_OF_DTYPES ", /) -> float | int"));
  m.def("square", &square, array, nb::sig("def square(a: " IB_ARRAY_OF_DTYPES ", /) -> None"));
  m.def("square", &square_read_only, array,
        nb::sig("def square(a: " IB_ARRAY_OF_DTYPES " (read-only), /) -> None"));
  m.def("matrix_sum", &matrix_sum, array,
        nb::sig("def matrix_sum(m: " IB_ARRAY_OF_DTYPES " (2-D), /) -> float | int"));
  m.def("scale", &scale, array, nb::arg(),
        nb::sig("def scale(a: " IB_ARRAY_OF_DTYPES ", k: float | int, /) -> numpy.ndarray"));
  m.def("data_address", &data_address, array,
        nb::sig("def data_address(a: " IB_ARRAY_OF_DTYPES ", /) -> int"));
  m.def("frame", &frame, array);
  m.def("data_address", &data_address, array);
  // For the tests (result_record.hpp): where scale last wrote, and the buffers alive.
  m.def("last_result_address", [] { return binding::last_result_address(); });
  m.def("result_buffers_alive", [] { return binding::result_buffers_alive.load(); });
}
