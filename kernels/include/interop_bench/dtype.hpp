// The element types of the dtype axis, defined once for every native part: the
// enum whose values are the wire codes (the pipe and shared-memory protocol,
// the serialization formats, the gRPC and file messages), NumPy's name, the
// size and PEP 3118 buffer format of each, and the visit that turns a DType
// known only at run time into its C++ type.
//
// A new dtype is one enumerator, one DTypeTraits and one entry of DTypes here,
// plus its kernels (kernels.hpp): whatever dispatches on a dtype known at run
// time derives from this list. A surface with one entry per type (the C ABI's
// functions, a schema's typed fields) adds the new type's entry itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace interop_bench {

// The values are wire codes: they cross process and format boundaries, so an
// existing code never changes (the static_asserts below pin them). 0 is
// float64 so that a zero-filled request means what it meant before dtypes.
enum class DType : std::uint8_t { float64 = 0, float32 = 1, int32 = 2, int16 = 3, uint8 = 4 };

// Each dtype's C++ type carries its code, NumPy's name (for messages and the
// text formats) and the PEP 3118 format character NumPy exports it with.
template <class T>
struct DTypeTraits;  // only the types of the dtype axis have one
template <>
struct DTypeTraits<double> {
  static constexpr DType dtype = DType::float64;
  static constexpr const char* name = "float64";
  static constexpr char buffer_format = 'd';
};
template <>
struct DTypeTraits<float> {
  static constexpr DType dtype = DType::float32;
  static constexpr const char* name = "float32";
  static constexpr char buffer_format = 'f';
};
template <>
struct DTypeTraits<std::int32_t> {
  static constexpr DType dtype = DType::int32;
  static constexpr const char* name = "int32";
  static constexpr char buffer_format = 'i';
};
template <>
struct DTypeTraits<std::int16_t> {
  static constexpr DType dtype = DType::int16;
  static constexpr const char* name = "int16";
  static constexpr char buffer_format = 'h';
};
template <>
struct DTypeTraits<std::uint8_t> {
  static constexpr DType dtype = DType::uint8;
  static constexpr const char* name = "uint8";
  static constexpr char buffer_format = 'B';
};

template <class... Ts>
struct DTypeList {
  static constexpr std::size_t size = sizeof...(Ts);
};
// Every dtype, in code order. float64 first: the visit tests it first, so the
// default dtype's calls pay one comparison for the dtype axis.
using DTypes = DTypeList<double, float, std::int32_t, std::int16_t, std::uint8_t>;
inline constexpr std::size_t dtype_count = DTypes::size;

// The DType of a C++ element type (const or not).
template <class T>
constexpr DType dtype_of() noexcept {
  return DTypeTraits<std::remove_cv_t<T>>::dtype;
}

namespace detail {
template <class Visitor, class T, class... Rest>
constexpr decltype(auto) visit_dtype_in(DType dtype, Visitor& visitor, DTypeList<T, Rest...>) {
  if constexpr (sizeof...(Rest) == 0) {
    return visitor(std::type_identity<T>{});
  } else {
    if (dtype == DTypeTraits<T>::dtype) return visitor(std::type_identity<T>{});
    return visit_dtype_in(dtype, visitor, DTypeList<Rest...>{});
  }
}

template <class F, class... Ts>
constexpr void for_each_in(F& f, DTypeList<Ts...>) {
  (f(std::type_identity<Ts>{}), ...);
}
}  // namespace detail

// `visitor(std::type_identity<T>{})` for the C++ type T of `dtype`, which must
// be one of the enumerators (dtype_from_code checks a code from outside); every
// branch must return the same type.
template <class Visitor>
constexpr decltype(auto) visit_dtype(DType dtype, Visitor&& visitor) {
  return detail::visit_dtype_in(dtype, visitor, DTypes{});
}

// `f(std::type_identity<T>{})` for every dtype's T, in code order.
template <class F>
constexpr void for_each_dtype(F&& f) {
  detail::for_each_in(f, DTypes{});
}

// NumPy's name of `dtype`: "float64".
constexpr const char* dtype_name(DType dtype) noexcept {
  return visit_dtype(dtype, []<class T>(std::type_identity<T>) { return DTypeTraits<T>::name; });
}

// Bytes of one element of `dtype`.
constexpr std::size_t item_bytes(DType dtype) noexcept {
  return visit_dtype(dtype, []<class T>(std::type_identity<T>) { return sizeof(T); });
}

// The PEP 3118 format character NumPy exports `dtype` with ('d', ..., 'B').
constexpr char buffer_format(DType dtype) noexcept {
  return visit_dtype(dtype,
                     []<class T>(std::type_identity<T>) { return DTypeTraits<T>::buffer_format; });
}

// The DType of a wire code, or nullopt when the code names none.
constexpr std::optional<DType> dtype_from_code(std::uint64_t code) noexcept {
  if (code >= dtype_count) return std::nullopt;
  return static_cast<DType>(code);
}

// The DType NumPy calls `name`, or nullopt.
constexpr std::optional<DType> dtype_from_name(std::string_view name) noexcept {
  std::optional<DType> found;
  for_each_dtype([&]<class T>(std::type_identity<T>) {
    if (name == DTypeTraits<T>::name) found = DTypeTraits<T>::dtype;
  });
  return found;
}

// "float64, float32, int32, int16 or uint8", for messages that list the dtypes.
inline const std::string& dtype_names_text() {
  static const std::string text = [] {
    std::string joined;
    for (std::size_t code = 0; code < dtype_count; ++code) {
      if (code != 0) joined += code + 1 == dtype_count ? " or " : ", ";
      joined += dtype_name(static_cast<DType>(code));
    }
    return joined;
  }();
  return text;
}

// The wire codes, pinned: results files, the Python mirrors and every format's
// messages hold these numbers.
static_assert(static_cast<int>(DType::float64) == 0);
static_assert(static_cast<int>(DType::float32) == 1);
static_assert(static_cast<int>(DType::int32) == 2);
static_assert(static_cast<int>(DType::int16) == 3);
static_assert(static_cast<int>(DType::uint8) == 4);
// DTypes lists the types in code order, so a code indexes it.
static_assert([] {
  std::size_t index = 0;
  bool in_order = true;
  for_each_dtype([&]<class T>(std::type_identity<T>) {
    in_order = in_order && static_cast<std::size_t>(dtype_of<T>()) == index++;
  });
  return in_order;
}());

}  // namespace interop_bench
