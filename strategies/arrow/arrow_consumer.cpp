#include "arrow_consumer.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>

#include "interop_bench/python_capi.hpp"

namespace interop_bench::arrow {

namespace {

constexpr const char* kProtocol = "an Arrow array (with __arrow_c_array__, e.g. pyarrow.Array)";
constexpr const char* kFixedSizeListPrefix = "+w:";
constexpr const char* kFormats = "float64 'g', float32 'f', int32 'i', int16 's' or uint8 'C'";

PyObject* arrow_method_name() {
  static PyObject* name = PyUnicode_InternFromString("__arrow_c_array__");
  return name;
}

// Move the struct a capsule named `name` holds into `target`.
template <class Struct>
bool move_out_of(PyObject* capsule, const char* name, Struct* target, const char* what) {
  if (!PyCapsule_IsValid(capsule, name)) {
    const char* got = PyCapsule_CheckExact(capsule) ? PyCapsule_GetName(capsule) : nullptr;
    PyErr_Format(PyExc_TypeError, "%s: expected a capsule named '%s', got %s%s%s", what, name,
                 got != nullptr ? "'" : Py_TYPE(capsule)->tp_name, got != nullptr ? got : "",
                 got != nullptr ? "'" : "");
    return false;
  }
  auto* source = static_cast<Struct*>(PyCapsule_GetPointer(capsule, name));
  if (source->release == nullptr) {
    PyErr_Format(PyExc_ValueError, "%s: the '%s' capsule was already consumed (released)", what,
                 name);
    return false;
  }
  *target = *source;
  source->release = nullptr;  // moved: the producer's capsule destructor leaves it alone
  return true;
}

bool check_no_nulls(const ArrowArray& array, const char* what) {
  // -1 means "not computed"; without a validity bitmap there are no nulls.
  if (array.null_count == 0 || (array.null_count == -1 && array.buffers[0] == nullptr)) {
    return true;
  }
  PyErr_Format(PyExc_ValueError,
               "%s: the Arrow array has nulls (null_count %lld); nulls are not supported, "
               "fill them first (e.g. pyarrow.compute.fill_null)",
               what, static_cast<long long>(array.null_count));
  return false;
}

bool check_layout(const ArrowArray& array, int64_t n_buffers, int64_t n_children,
                  const char* what) {
  if (array.length < 0 || array.offset < 0) {
    PyErr_Format(PyExc_ValueError, "%s: negative Arrow length or offset", what);
    return false;
  }
  if (array.n_buffers != n_buffers || array.n_children != n_children) {
    PyErr_Format(PyExc_ValueError, "%s: expected %lld buffers and %lld children, got %lld and %lld",
                 what, static_cast<long long>(n_buffers), static_cast<long long>(n_children),
                 static_cast<long long>(array.n_buffers), static_cast<long long>(array.n_children));
    return false;
  }
  if (n_buffers > 0 && array.buffers == nullptr) {
    PyErr_Format(PyExc_ValueError, "%s: the Arrow array has no buffer list", what);
    return false;
  }
  return check_no_nulls(array, what);
}

// a * b, or false when it overflows int64 (lengths are the producer's to choose).
bool multiply(int64_t a, int64_t b, int64_t* product) {
  return !__builtin_mul_overflow(a, b, product);
}

// The values of a primitive `array` from its offset on, at least `needed` of
// them (its length when negative), of one of the five types.
bool primitive_values(const ArrowSchema& schema, const ArrowArray& array, int64_t needed,
                      TypedValues* values, const char* what) {
  const std::optional<interop_bench::DType> type = element_type_of_format(schema.format);
  if (!type) {
    PyErr_Format(PyExc_TypeError, "%s: expected Arrow type %s, got format '%s'", what, kFormats,
                 schema.format != nullptr ? schema.format : "(null)");
    return false;
  }
  if (!check_layout(array, 2, 0, what)) return false;
  if (needed < 0) needed = array.length;
  if (array.length < needed) {
    PyErr_Format(PyExc_ValueError, "%s: the Arrow values are too short", what);
    return false;
  }
  const void* buffer = array.buffers[1];
  if (buffer == nullptr && array.length + array.offset > 0) {
    PyErr_Format(PyExc_ValueError, "%s: the Arrow data buffer (buffers[1]) is NULL", what);
    return false;
  }
  const std::size_t size = interop_bench::item_bytes(*type);
  int64_t offset_bytes = 0;
  if (!multiply(array.offset, static_cast<int64_t>(size), &offset_bytes)) {
    PyErr_Format(PyExc_ValueError, "%s: the Arrow offset overflows", what);
    return false;
  }
  // const_cast: square writes; see as_vector.
  char* bytes = static_cast<char*>(const_cast<void*>(buffer));
  if (reinterpret_cast<std::uintptr_t>(bytes) % size != 0) {
    PyErr_Format(PyExc_ValueError, "%s: the Arrow data buffer is not aligned for %s", what,
                 interop_bench::dtype_name(*type));
    return false;
  }
  *values = {*type, bytes != nullptr ? bytes + offset_bytes : nullptr,
             static_cast<std::size_t>(needed)};
  return true;
}

// N of a fixed-size list format "+w:N", or 0 when `format` is not one.
int64_t fixed_size_list_size(const char* format) {
  if (format == nullptr) return 0;
  const std::size_t prefix = std::strlen(kFixedSizeListPrefix);
  if (std::strncmp(format, kFixedSizeListPrefix, prefix) != 0) return 0;
  const char* digits = format + prefix;
  const char* end = digits + std::strlen(digits);
  int64_t size = 0;
  const auto [stop, error] = std::from_chars(digits, end, size);
  return error == std::errc() && stop == end && size > 0 ? size : 0;
}

// The one child of a fixed-size list of `size` (0: any) elements, with its
// schema, checked: the list's own layout (validity only) and no nulls.
bool list_child(const ArrowSchema& schema, const ArrowArray& array, int64_t size,
                const ArrowSchema** child_schema, const ArrowArray** child_array, int64_t* cols,
                const char* expected, const char* what) {
  *cols = fixed_size_list_size(schema.format);
  if (*cols == 0 || (size != 0 && *cols != size) || schema.n_children != 1 ||
      schema.children == nullptr || schema.children[0] == nullptr) {
    PyErr_Format(PyExc_TypeError, "%s: expected %s, got format '%s'", what, expected,
                 schema.format != nullptr ? schema.format : "(null)");
    return false;
  }
  if (!check_layout(array, 1, 1, what)) return false;
  if (array.children == nullptr || array.children[0] == nullptr) {
    PyErr_Format(PyExc_ValueError, "%s: the fixed-size list has no child array", what);
    return false;
  }
  *child_schema = schema.children[0];
  *child_array = array.children[0];
  return true;
}

}  // namespace

const char* arrow_format(interop_bench::DType type) {
  switch (type) {
    case interop_bench::DType::float64:
      return "g";
    case interop_bench::DType::float32:
      return "f";
    case interop_bench::DType::int32:
      return "i";
    case interop_bench::DType::int16:
      return "s";
    case interop_bench::DType::uint8:
      return "C";
  }
  return "";
}

std::optional<interop_bench::DType> element_type_of_format(const char* format) {
  if (format == nullptr) return std::nullopt;
  std::optional<interop_bench::DType> type;
  interop_bench::for_each_dtype([&]<class T>(std::type_identity<T>) {
    const interop_bench::DType candidate = interop_bench::dtype_of<T>();
    if (std::strcmp(format, arrow_format(candidate)) == 0) type = candidate;
  });
  return type;
}

ImportedArray::~ImportedArray() {
  const binding::PendingErrorSaved saved;
  if (array_.release != nullptr) array_.release(&array_);
  if (schema_.release != nullptr) schema_.release(&schema_);
}

bool ImportedArray::take(PyObject* object, const char* what) {
  PyObject* pair =
      binding::call_protocol_method(object, arrow_method_name(), what, kProtocol, PyExc_ValueError);
  if (pair == nullptr) return false;
  bool taken = false;
  if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
    PyErr_Format(PyExc_TypeError,
                 "%s: __arrow_c_array__() must return (schema capsule, array capsule), got %.200s",
                 what, Py_TYPE(pair)->tp_name);
  } else {
    taken = move_out_of(PyTuple_GET_ITEM(pair, 0), kSchemaCapsuleName, &schema_, what) &&
            move_out_of(PyTuple_GET_ITEM(pair, 1), kArrayCapsuleName, &array_, what);
  }
  Py_DECREF(pair);
  return taken;
}

bool ImportedArray::as_vector(TypedValues* values, const char* what) const {
  return primitive_values(schema_, array_, -1, values, what);
}

bool ImportedArray::as_matrix(TypedRows* rows, const char* what) const {
  const ArrowSchema* child_schema = nullptr;
  const ArrowArray* child = nullptr;
  int64_t cols = 0;
  if (!list_child(schema_, array_, 0, &child_schema, &child, &cols,
                  "a fixed-size list of a number type (format '+w:N')", what)) {
    return false;
  }
  // Row r of the list is child values [(offset + r) * cols, ... + cols).
  int64_t first = 0, count = 0, needed = 0;
  if (!multiply(array_.offset, cols, &first) || !multiply(array_.length, cols, &count) ||
      __builtin_add_overflow(first, count, &needed)) {
    PyErr_Format(PyExc_ValueError, "%s: the fixed-size list's length overflows", what);
    return false;
  }
  TypedValues values{};
  if (!primitive_values(*child_schema, *child, needed, &values, what)) return false;
  const char* data = static_cast<const char*>(values.data);
  *rows = {values.type,
           data != nullptr ? data + first * interop_bench::item_bytes(values.type) : nullptr,
           static_cast<std::size_t>(array_.length), static_cast<std::size_t>(cols)};
  return true;
}

bool ImportedArray::as_frame(binding::FrameView* frame) const {
  constexpr const char* kWhat = "frame";
  constexpr const char* kExpected =
      "an H x W x 3 uint8 image as a fixed-size list of W pixels of 3 uint8 "
      "(format '+w:W' of '+w:3' of 'C')";
  const ArrowSchema* pixel_schema = nullptr;
  const ArrowArray* pixels = nullptr;
  const ArrowSchema* byte_schema = nullptr;
  const ArrowArray* bytes = nullptr;
  int64_t cols = 0, channels = 0;
  if (!list_child(schema_, array_, 0, &pixel_schema, &pixels, &cols, kExpected, kWhat) ||
      !list_child(*pixel_schema, *pixels, binding::kChannels, &byte_schema, &bytes, &channels,
                  kExpected, kWhat)) {
    return false;
  }
  // Row r is pixel slots [(offset + r) * cols, ... + cols) of the pixel list,
  // which must hold them all; its own offset comes on top, and pixel p is bytes
  // [3 p, 3 p + 3) of the byte array. Every length is the producer's: checked.
  int64_t top_first = 0, pixel_count = 0, pixels_needed = 0, first_pixel = 0;
  int64_t first_byte = 0, byte_count = 0, bytes_needed = 0;
  if (!multiply(array_.offset, cols, &top_first) || !multiply(array_.length, cols, &pixel_count) ||
      __builtin_add_overflow(top_first, pixel_count, &pixels_needed) ||
      pixels->length < pixels_needed ||
      __builtin_add_overflow(top_first, pixels->offset, &first_pixel) ||
      !multiply(first_pixel, channels, &first_byte) ||
      !multiply(pixel_count, channels, &byte_count) ||
      __builtin_add_overflow(first_byte, byte_count, &bytes_needed)) {
    PyErr_Format(PyExc_ValueError, "%s: the pixel list is too short or its length overflows",
                 kWhat);
    return false;
  }
  TypedValues values{};
  if (!primitive_values(*byte_schema, *bytes, bytes_needed, &values, kWhat)) return false;
  if (values.type != interop_bench::DType::uint8) {
    PyErr_Format(PyExc_TypeError, "frame: expected %s, got channels of %s", kExpected,
                 interop_bench::dtype_name(values.type));
    return false;
  }
  const auto* data = static_cast<const std::uint8_t*>(values.data);
  *frame = {data != nullptr ? data + first_byte : nullptr, static_cast<std::size_t>(array_.length),
            static_cast<std::size_t>(cols), static_cast<std::size_t>(cols * channels)};
  return true;
}

}  // namespace interop_bench::arrow
