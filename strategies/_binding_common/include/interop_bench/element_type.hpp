// The element types of the dtype axis as the bindings see them, with no Python:
// an enum for an element type known only at run time (a buffer's format, a
// DLPack or Arrow type code), the visit that turns it into the kernel's C++
// type, and the scale factor checked against the array's type as NumPy does.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <type_traits>

namespace interop_bench::binding {

enum class ElementType { float64, float32, int32, int16, uint8 };

template <class T>
struct ElementTag {
  using type = T;
};

// NumPy's name of the dtype, for error messages.
constexpr const char* element_name(ElementType type) {
  switch (type) {
    case ElementType::float64:
      return "float64";
    case ElementType::float32:
      return "float32";
    case ElementType::int32:
      return "int32";
    case ElementType::int16:
      return "int16";
    case ElementType::uint8:
      return "uint8";
  }
  return "?";
}

// The ElementType of a C++ element type (one of the five, const or not).
template <class T>
constexpr ElementType element_type_of() {
  using U = std::remove_cv_t<T>;
  static_assert(std::is_same_v<U, double> || std::is_same_v<U, float> ||
                    std::is_same_v<U, std::int32_t> || std::is_same_v<U, std::int16_t> ||
                    std::is_same_v<U, std::uint8_t>,
                "not an element type of the dtype axis");
  if constexpr (std::is_same_v<U, double>) return ElementType::float64;
  if constexpr (std::is_same_v<U, float>) return ElementType::float32;
  if constexpr (std::is_same_v<U, std::int32_t>) return ElementType::int32;
  if constexpr (std::is_same_v<U, std::int16_t>) return ElementType::int16;
  return ElementType::uint8;
}

template <class T>
inline constexpr ElementType element_type_v = element_type_of<T>();

// `visitor(ElementTag<T>{})` for the C++ type T of `type`; every branch must
// return the same type. float64, the default dtype, is one test and a branch
// ahead of the switch: its calls cost what they cost before the dtype axis.
template <class Visitor>
decltype(auto) visit_element_type(ElementType type, Visitor&& visitor) {
  if (type == ElementType::float64) [[likely]] {
    return visitor(ElementTag<double>{});
  }
  switch (type) {
    case ElementType::float32:
      return visitor(ElementTag<float>{});
    case ElementType::int32:
      return visitor(ElementTag<std::int32_t>{});
    case ElementType::int16:
      return visitor(ElementTag<std::int16_t>{});
    case ElementType::uint8:
      return visitor(ElementTag<std::uint8_t>{});
    case ElementType::float64:
      break;
  }
  return visitor(ElementTag<double>{});
}

// The element type of a PEP 3118 buffer, from its format string and item size:
// one of 'd' 'f' 'i' 'h' 'B', alone or after '@' (native), '=' (native order,
// standard size) or '<' on a little-endian machine, with the item size of the
// C++ type; nothing for any other format (int8 'b', int64 'q'/'l', '>' ...).
// A buffer without a format is unsigned bytes, as PEP 3118 says.
inline std::optional<ElementType> element_type_from_format(const char* format,
                                                           std::size_t itemsize) {
  // NumPy's own float64 format first: the default dtype's test is this one.
  if (format != nullptr && format[0] == 'd' && format[1] == '\0') [[likely]] {
    if (itemsize == sizeof(double)) return ElementType::float64;
    return std::nullopt;
  }
  if (format == nullptr) format = "B";
  const bool little = std::endian::native == std::endian::little;
  if (*format == '@' || *format == '=' || (*format == '<' && little)) ++format;
  if (format[0] == '\0' || format[1] != '\0') return std::nullopt;
  std::optional<ElementType> type;
  std::size_t size = 0;
  switch (format[0]) {
    case 'd':
      type = ElementType::float64, size = sizeof(double);
      break;
    case 'f':
      type = ElementType::float32, size = sizeof(float);
      break;
    case 'i':
      type = ElementType::int32, size = sizeof(std::int32_t);
      break;
    case 'h':
      type = ElementType::int16, size = sizeof(std::int16_t);
      break;
    case 'B':
      type = ElementType::uint8, size = sizeof(std::uint8_t);
      break;
    default:
      return std::nullopt;
  }
  if (itemsize != size) return std::nullopt;
  return type;
}

// scale's factor as the caller gave it: an integer (a Python int or anything
// with __index__) or a real number.
struct Factor {
  bool integral = false;
  bool fits_int64 = true;  // for an integral factor
  std::int64_t integer = 0;
  double real = 0.0;
};

// Why a factor cannot scale an array of T (nullptr: it can, in `*k`): NumPy's
// rule, an integer that fits T for an integer array, any real for a float one.
// `*type_error` tells a TypeError (the wrong kind) from a ValueError (range).
template <class T>
const char* factor_problem(const Factor& factor, T* k, bool* type_error) {
  if constexpr (std::is_floating_point_v<T>) {
    *k = static_cast<T>(factor.real);
    return nullptr;
  } else {
    *type_error = !factor.integral;
    if (!factor.integral) return "scale factor: an integer array is scaled by an integer";
    if (!factor.fits_int64 || factor.integer < std::numeric_limits<T>::min() ||
        factor.integer > std::numeric_limits<T>::max()) {
      return "scale factor: the integer does not fit the array's dtype";
    }
    *k = static_cast<T>(factor.integer);
    return nullptr;
  }
}

}  // namespace interop_bench::binding
