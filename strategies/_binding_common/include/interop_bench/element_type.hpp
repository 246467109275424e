// The element type of an array the bindings are given, with no Python: the
// DType (interop_bench/dtype.hpp) of a PEP 3118 buffer's format, and the scale
// factor checked against the array's type as NumPy does.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

#include "interop_bench/dtype.hpp"

namespace interop_bench::binding {

// The DType of a PEP 3118 buffer, from its format string and item size: a
// dtype's format character (dtype.hpp: 'd' 'f' 'i' 'h' 'B'), alone or after
// '@' (native), '=' (native order, standard size) or '<' on a little-endian
// machine, with the item size of its C++ type; nothing for any other format
// (int8 'b', int64 'q'/'l', '>' ...). A buffer without a format is unsigned
// bytes, as PEP 3118 says.
inline std::optional<DType> element_type_from_format(const char* format, std::size_t itemsize) {
  // NumPy's own float64 format first: the default dtype's test is this one.
  if (format != nullptr && format[0] == 'd' && format[1] == '\0') [[likely]] {
    if (itemsize == sizeof(double)) return DType::float64;
    return std::nullopt;
  }
  if (format == nullptr) format = "B";
  const bool little = std::endian::native == std::endian::little;
  if (*format == '@' || *format == '=' || (*format == '<' && little)) ++format;
  if (format[0] == '\0' || format[1] != '\0') return std::nullopt;
  std::optional<DType> type;
  for_each_dtype([&]<class T>(std::type_identity<T>) {
    if (format[0] == DTypeTraits<T>::buffer_format && itemsize == sizeof(T)) type = dtype_of<T>();
  });
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
