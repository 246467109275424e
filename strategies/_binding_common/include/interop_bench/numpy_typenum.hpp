// NumPy's type number of each element type of the dtype axis, for the modules
// that build or check arrays with NumPy's C API (capi, swig, the shm client).
// Include after <numpy/arrayobject.h>, which the module includes with its own
// import_array().
#pragma once

#include <optional>
#include <type_traits>

#include "interop_bench/dtype.hpp"

namespace interop_bench::binding {

// NumPy's sized type numbers, chosen by the kind and size of T, so that a new
// dtype needs no entry here.
template <class T>
constexpr int numpy_typenum() {
  if constexpr (std::is_floating_point_v<T>) {
    static_assert(sizeof(T) == 4 || sizeof(T) == 8);
    return sizeof(T) == 4 ? NPY_FLOAT32 : NPY_FLOAT64;
  } else if constexpr (std::is_signed_v<T>) {
    static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);
    return sizeof(T) == 1   ? NPY_INT8
           : sizeof(T) == 2 ? NPY_INT16
           : sizeof(T) == 4 ? NPY_INT32
                            : NPY_INT64;
  } else {
    static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);
    return sizeof(T) == 1   ? NPY_UINT8
           : sizeof(T) == 2 ? NPY_UINT16
           : sizeof(T) == 4 ? NPY_UINT32
                            : NPY_UINT64;
  }
}

template <class T>
inline constexpr int numpy_typenum_v = numpy_typenum<T>();

// The DType of a NumPy type number (an array's PyArray_TYPE), or nullopt for a
// type outside the dtype axis.
inline std::optional<DType> dtype_of_numpy_typenum(int typenum) {
  std::optional<DType> found;
  for_each_dtype([&]<class T>(std::type_identity<T>) {
    if (typenum == numpy_typenum_v<T>) found = dtype_of<T>();
  });
  return found;
}

}  // namespace interop_bench::binding
