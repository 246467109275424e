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

#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"

namespace interop_bench::dlpack {

inline constexpr const char* kCapsuleName = "dltensor";
inline constexpr const char* kUsedCapsuleName = "used_dltensor";
inline constexpr const char* kVersionedCapsuleName = "dltensor_versioned";

// A DLManagedTensor taken from a producer's capsule; its deleter runs once, in
// the destructor. Every `bool` member returns false with a Python exception
// (TypeError for the wrong kind or dtype, ValueError for shape, layout, device).
class ConsumedTensor {
 public:
  ConsumedTensor() = default;
  ~ConsumedTensor();
  ConsumedTensor(const ConsumedTensor&) = delete;
  ConsumedTensor& operator=(const ConsumedTensor&) = delete;

  // Take `object.__dlpack__()` and check that it is a CPU float64 tensor of
  // `ndim` dimensions; `what` names the operation in error messages.
  bool take(PyObject* object, int ndim, const char* what);

  // A C-contiguous vector (1-D, unit stride or NULL strides); false otherwise.
  bool as_vector(kernels::span<double>* values, const char* what) const;

  // Any 2-D view; strides (in elements in DLPack) become bytes.
  binding::StridedMatrix as_matrix() const;

 private:
  bool take_capsule(PyObject* capsule, const char* what);
  bool check(int ndim, const char* what) const;
  double* data() const;

  DLManagedTensor* managed_ = nullptr;
};

}  // namespace interop_bench::dlpack
