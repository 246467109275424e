// The consumer side of the Arrow PyCapsule interface: ask the argument for
// `__arrow_c_array__()`, which returns (schema capsule "arrow_schema", array
// capsule "arrow_array"), move the two C Data Interface structs out of their
// capsules (copy them and mark the source released, release = NULL, so the
// capsules' destructors do nothing), check them, read the values in place and
// release each struct exactly once, in the destructor, on every path.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "arrow_c_data.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"

namespace interop_bench::arrow {

inline constexpr const char* kSchemaCapsuleName = "arrow_schema";
inline constexpr const char* kArrayCapsuleName = "arrow_array";

// Every `bool` member returns false with a Python exception (TypeError for the
// wrong kind or type, ValueError for nulls, lengths, layout).
class ImportedArray {
 public:
  ImportedArray() = default;
  ~ImportedArray();
  ImportedArray(const ImportedArray&) = delete;
  ImportedArray& operator=(const ImportedArray&) = delete;

  // Move the structs out of `object.__arrow_c_array__()`.
  bool take(PyObject* object, const char* what);

  // A float64 array (format "g") without nulls: its values, offset applied.
  // The C Data Interface hands buffers out as const; `values` is writable only
  // for square, whose caller's NumPy memory is what the Arrow buffer wraps.
  bool as_vector(kernels::span<double>* values, const char* what) const;

  // A fixed-size list of float64 (format "+w:N", Arrow's fixed_shape_tensor
  // layout) without nulls: `length` rows of N contiguous values.
  bool as_matrix(binding::RowMajorView* view, const char* what) const;

 private:
  ArrowSchema schema_{};
  ArrowArray array_{};
};

}  // namespace interop_bench::arrow
