// The consumer side of the Arrow PyCapsule interface: ask the argument for
// `__arrow_c_array__()`, which returns (schema capsule "arrow_schema", array
// capsule "arrow_array"), move the two C Data Interface structs out of their
// capsules (copy them and mark the source released, release = NULL, so the
// capsules' destructors do nothing), check them, read the values in place and
// release each struct exactly once, in the destructor, on every path.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstddef>
#include <optional>

#include "arrow_c_data.hpp"
#include "interop_bench/element_type.hpp"
#include "interop_bench/frame_layout.hpp"

namespace interop_bench::arrow {

inline constexpr const char* kSchemaCapsuleName = "arrow_schema";
inline constexpr const char* kArrayCapsuleName = "arrow_array";

// The Arrow format string of each element type of the dtype axis: float64 "g",
// float32 "f", int32 "i", int16 "s", uint8 "C".
const char* arrow_format(interop_bench::DType type);
std::optional<interop_bench::DType> element_type_of_format(const char* format);

// Values of an Arrow primitive array: `count` of `type` at `data` (offset applied).
struct TypedValues {
  interop_bench::DType type;
  void* data;
  std::size_t count;
};

// A fixed-size list of a primitive type: `rows` lists of `cols` contiguous values.
struct TypedRows {
  interop_bench::DType type;
  const void* data;
  std::size_t rows;
  std::size_t cols;
};

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

  // A primitive array of one of the five types without nulls: its values,
  // offset applied. The C Data Interface hands buffers out as const; `values`
  // is writable only for square, whose caller's NumPy memory is what the Arrow
  // buffer wraps.
  bool as_vector(TypedValues* values, const char* what) const;

  // A fixed-size list of one of the five types (format "+w:N", Arrow's
  // fixed_shape_tensor layout) without nulls: `length` rows of N contiguous values.
  bool as_matrix(TypedRows* rows, const char* what) const;

  // A frame: a fixed-size list of W pixels, each a fixed-size list of 3 uint8
  // ("+w:W" of "+w:3" of "C"), one list per row, without nulls; the H x W x 3
  // bytes are contiguous (a fixed-size list has no row stride).
  bool as_frame(binding::FrameView* frame) const;

 private:
  ArrowSchema schema_{};
  ArrowArray array_{};
};

}  // namespace interop_bench::arrow
