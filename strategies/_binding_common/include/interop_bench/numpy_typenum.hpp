// NumPy's type number of each element type of the dtype axis, for the modules
// that build result arrays with NumPy's C API (capi, swig). Include after
// <numpy/arrayobject.h>, which the module includes with its own import_array().
#pragma once

#include <cstdint>

#include "interop_bench/element_type.hpp"

namespace interop_bench::binding {

template <class T>
inline constexpr int numpy_typenum_v = element_type_v<T> == ElementType::float64   ? NPY_FLOAT64
                                       : element_type_v<T> == ElementType::float32 ? NPY_FLOAT32
                                       : element_type_v<T> == ElementType::int32   ? NPY_INT32
                                       : element_type_v<T> == ElementType::int16   ? NPY_INT16
                                                                                   : NPY_UINT8;

}  // namespace interop_bench::binding
