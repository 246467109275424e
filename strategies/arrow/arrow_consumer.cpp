#include "arrow_consumer.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>

#include "interop_bench/python_capi.hpp"

namespace interop_bench::arrow {

namespace {

constexpr const char* kProtocol = "an Arrow array (with __arrow_c_array__, e.g. pyarrow.Array)";
constexpr const char* kFloat64Format = "g";
constexpr const char* kFixedSizeListPrefix = "+w:";

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

bool check_format(const ArrowSchema& schema, const char* expected, const char* what) {
  if (schema.format != nullptr && std::strcmp(schema.format, expected) == 0) return true;
  PyErr_Format(PyExc_TypeError, "%s: expected Arrow type float64 (format '%s'), got format '%s'",
               what, expected, schema.format != nullptr ? schema.format : "(null)");
  return false;
}

// The float64 values of `array` from its offset on, at least `needed` of them
// (its length when negative).
bool float64_values(const ArrowSchema& schema, const ArrowArray& array, int64_t needed,
                    double** data, std::size_t* count, const char* what) {
  if (!check_format(schema, kFloat64Format, what) || !check_layout(array, 2, 0, what)) {
    return false;
  }
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
  // const_cast: square writes; see as_vector.
  double* values = buffer != nullptr ? static_cast<double*>(const_cast<void*>(buffer)) : nullptr;
  if (reinterpret_cast<std::uintptr_t>(values) % alignof(double) != 0) {
    PyErr_Format(PyExc_ValueError, "%s: the Arrow data buffer is not aligned for float64", what);
    return false;
  }
  *data = values != nullptr ? values + array.offset : nullptr;
  *count = static_cast<std::size_t>(needed);
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

}  // namespace

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

bool ImportedArray::as_vector(kernels::span<double>* values, const char* what) const {
  double* data = nullptr;
  std::size_t count = 0;
  if (!float64_values(schema_, array_, -1, &data, &count, what)) return false;
  *values = {data, count};
  return true;
}

bool ImportedArray::as_matrix(binding::RowMajorView* view, const char* what) const {
  const int64_t cols = fixed_size_list_size(schema_.format);
  if (cols == 0 || schema_.n_children != 1 || schema_.children == nullptr ||
      schema_.children[0] == nullptr) {
    PyErr_Format(PyExc_TypeError,
                 "%s: expected a fixed-size list of float64 (format '+w:N'), got format '%s'", what,
                 schema_.format != nullptr ? schema_.format : "(null)");
    return false;
  }
  if (!check_layout(array_, 1, 1, what)) return false;
  if (array_.children == nullptr || array_.children[0] == nullptr) {
    PyErr_Format(PyExc_ValueError, "%s: the fixed-size list has no child array", what);
    return false;
  }
  // Row r of the list is child values [(offset + r) * cols, ... + cols).
  const int64_t first = array_.offset * cols;
  double* data = nullptr;
  std::size_t count = 0;
  if (!float64_values(*schema_.children[0], *array_.children[0], first + array_.length * cols,
                      &data, &count, what)) {
    return false;
  }
  *view = {data != nullptr ? data + first : nullptr, static_cast<std::size_t>(array_.length),
           static_cast<std::size_t>(cols), static_cast<std::size_t>(cols)};
  return true;
}

}  // namespace interop_bench::arrow
