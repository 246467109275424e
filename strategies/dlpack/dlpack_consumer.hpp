// The consumer side of the DLPack Python protocol, unversioned (DLPack 0.x,
// the Debian header is 0.6): ask the argument for `__dlpack__()` with no
// max_version, so a 1.x producer such as NumPy 2 answers with a legacy
// "dltensor" capsule holding a DLManagedTensor (a "dltensor_versioned" capsule,
// DLManagedTensorVersioned, is what a consumer gets only if it asks for
// max_version >= (1, 0); this header has no such struct, so it never asks).
//
// Taking the capsule follows the protocol: check its name, rename it to
// "used_dltensor" (from then on the producer's capsule destructor leaves the
// tensor alone and this consumer owns it), and call the tensor's deleter
// exactly once when done, on every path, refusals included.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlpack/dlpack.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "interop_bench/element_type.hpp"
#include "interop_bench/frame_layout.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"

namespace interop_bench::dlpack {

inline constexpr const char* kCapsuleName = "dltensor";
inline constexpr const char* kUsedCapsuleName = "used_dltensor";
inline constexpr const char* kVersionedCapsuleName = "dltensor_versioned";

// The DLPack type of each element type of the dtype axis (one lane).
template <class T>
inline constexpr DLDataType dl_type_v = {
    static_cast<std::uint8_t>(std::is_floating_point_v<T> ? kDLFloat
                              : std::is_signed_v<T>       ? kDLInt
                                                          : kDLUInt),
    static_cast<std::uint8_t>(sizeof(T) * 8), 1};

// The element type of a DLPack type, or nothing for any other (float16, int64,
// bool, complex, several lanes ...).
std::optional<interop_bench::DType> element_type_of(const DLDataType& dtype);

// A DLManagedTensor taken from a producer's capsule; its deleter runs once, in
// the destructor. Every `bool` member returns false with a Python exception
// (TypeError for the wrong kind or dtype, ValueError for shape, layout, device).
class ConsumedTensor {
 public:
  ConsumedTensor() = default;
  ~ConsumedTensor();
  ConsumedTensor(const ConsumedTensor&) = delete;
  ConsumedTensor& operator=(const ConsumedTensor&) = delete;

  // Take `object.__dlpack__()` and check that it is a CPU tensor of `ndim`
  // dimensions and of one of the five element types (its dtype code, bits and
  // lanes); `what` names the operation in error messages.
  bool take(PyObject* object, int ndim, const char* what);

  interop_bench::DType type() const { return type_; }

  // A C-contiguous vector of T, type()'s C++ type (1-D, unit stride or NULL
  // strides); false otherwise.
  template <class T>
  bool as_vector(kernels::span<T>* values, const char* what) const {
    std::size_t elements = 0;
    if (!contiguous_elements(&elements, what)) return false;
    *values = {static_cast<T*>(data()), elements};
    return true;
  }

  // Any 2-D view of T; strides (in elements in DLPack) become bytes.
  template <class T>
  binding::StridedMatrixOf<T> as_matrix() const {
    const std::ptrdiff_t* strides = strides_in_elements();
    constexpr std::ptrdiff_t kItemBytes = sizeof(T);
    return {static_cast<const T*>(data()), shape(0), shape(1), strides[0] * kItemBytes,
            strides[1] * kItemBytes};
  }

  // A frame: a uint8 H x W x 3 tensor (taken with ndim 3), pixels packed
  // within rows, read in place at its row stride; false with an exception.
  bool as_frame(binding::FrameView* frame) const;

 private:
  bool take_capsule(PyObject* capsule, const char* what);
  bool check(int ndim, const char* what);
  bool contiguous_elements(std::size_t* elements, const char* what) const {
    const DLTensor& t = managed_->dl_tensor;
    // NULL strides mean compact row-major; a stride matters only past one element.
    if (t.strides != nullptr && t.shape[0] > 1 && t.strides[0] != 1) [[unlikely]] {
      return not_contiguous(what);
    }
    *elements = static_cast<std::size_t>(t.shape[0]);
    return true;
  }
  bool not_contiguous(const char* what) const;
  void* data() const {
    const DLTensor& t = managed_->dl_tensor;
    return static_cast<char*>(t.data) + t.byte_offset;
  }
  std::ptrdiff_t shape(int axis) const;
  // The tensor's strides, or the compact row-major ones for NULL strides
  // (computed here, when a matrix or a frame asks: a vector never needs them).
  const std::ptrdiff_t* strides_in_elements() const;

  DLManagedTensor* managed_ = nullptr;
  interop_bench::DType type_ = interop_bench::DType::float64;
  mutable std::ptrdiff_t compact_strides_[3] = {};
};

}  // namespace interop_bench::dlpack
