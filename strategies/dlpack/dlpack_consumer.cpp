#include "dlpack_consumer.hpp"

#include <cstring>

#include "interop_bench/python_capi.hpp"

namespace interop_bench::dlpack {

namespace {

constexpr const char* kProtocol =
    "an array supporting DLPack (with __dlpack__, e.g. numpy.ndarray)";

PyObject* dlpack_method_name() {
  static PyObject* name = PyUnicode_InternFromString("__dlpack__");
  return name;
}

bool is_float64(const DLDataType& dtype) {
  return dtype.code == kDLFloat && dtype.bits == 64 && dtype.lanes == 1;
}

// Why a capsule of another name is refused, for the two names a user may meet.
const char* capsule_name_hint(const char* name) {
  if (name == nullptr) return "";
  if (std::strcmp(name, kUsedCapsuleName) == 0) return " (it was already consumed)";
  if (std::strcmp(name, kVersionedCapsuleName) == 0) {
    return " (DLPack >= 1.0; this consumer speaks the unversioned protocol)";
  }
  return "";
}

}  // namespace

ConsumedTensor::~ConsumedTensor() {
  if (managed_ == nullptr || managed_->deleter == nullptr) return;
  const binding::PendingErrorSaved saved;
  managed_->deleter(managed_);
}

bool ConsumedTensor::take(PyObject* object, int ndim, const char* what) {
  // BufferError is NumPy refusing to export (read-only array, byte strides that
  // are not whole elements, a dtype DLPack has no code for): a ValueError here.
  PyObject* capsule = binding::call_protocol_method(object, dlpack_method_name(), what, kProtocol,
                                                    PyExc_ValueError);
  if (capsule == nullptr) return false;
  const bool taken = take_capsule(capsule, what);
  Py_DECREF(capsule);  // renamed "used_dltensor": its destructor leaves the tensor to us
  return taken && check(ndim, what);
}

bool ConsumedTensor::take_capsule(PyObject* capsule, const char* what) {
  if (!PyCapsule_CheckExact(capsule)) {
    PyErr_Format(PyExc_TypeError, "%s: __dlpack__() returned %.200s, not a capsule", what,
                 Py_TYPE(capsule)->tp_name);
    return false;
  }
  const char* name = PyCapsule_GetName(capsule);
  if (name == nullptr && PyErr_Occurred()) return false;
  if (name == nullptr || std::strcmp(name, kCapsuleName) != 0) {
    PyErr_Format(PyExc_TypeError, "%s: expected a DLPack capsule named '%s', got '%s'%s", what,
                 kCapsuleName, name != nullptr ? name : "(no name)", capsule_name_hint(name));
    return false;
  }
  auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, kCapsuleName));
  if (managed == nullptr) return false;
  if (PyCapsule_SetName(capsule, kUsedCapsuleName) != 0) return false;
  managed_ = managed;  // ours now: the destructor calls its deleter once
  return true;
}

bool ConsumedTensor::check(int ndim, const char* what) const {
  const DLTensor& t = managed_->dl_tensor;
  if (t.device.device_type != kDLCPU) {
    PyErr_Format(PyExc_ValueError,
                 "%s: the DLPack tensor is on device type %d (id %d), not the CPU (type %d)", what,
                 static_cast<int>(t.device.device_type), t.device.device_id,
                 static_cast<int>(kDLCPU));
    return false;
  }
  if (!is_float64(t.dtype)) {
    PyErr_Format(PyExc_TypeError,
                 "%s: expected dtype float64 (DLPack code %d, 64 bits, 1 lane), got code %d, "
                 "%d bits, %d lanes",
                 what, static_cast<int>(kDLFloat), static_cast<int>(t.dtype.code),
                 static_cast<int>(t.dtype.bits), static_cast<int>(t.dtype.lanes));
    return false;
  }
  if (t.ndim != ndim) {
    PyErr_Format(PyExc_ValueError, "%s: expected a %d-D array, got %d-D", what, ndim, t.ndim);
    return false;
  }
  for (int i = 0; i < t.ndim; ++i) {
    if (t.shape[i] < 0) {
      PyErr_Format(PyExc_ValueError, "%s: negative DLPack shape", what);
      return false;
    }
  }
  if (reinterpret_cast<std::uintptr_t>(data()) % alignof(double) != 0) {
    PyErr_Format(PyExc_ValueError, "%s: data + byte_offset is not aligned for float64", what);
    return false;
  }
  return true;
}

double* ConsumedTensor::data() const {
  const DLTensor& t = managed_->dl_tensor;
  return reinterpret_cast<double*>(static_cast<char*>(t.data) + t.byte_offset);
}

bool ConsumedTensor::as_vector(kernels::span<double>* values, const char* what) const {
  const DLTensor& t = managed_->dl_tensor;
  const int64_t elements = t.shape[0];
  // NULL strides mean compact row-major; a stride matters only past one element.
  if (t.strides != nullptr && elements > 1 && t.strides[0] != 1) {
    PyErr_Format(PyExc_ValueError,
                 "%s: array is not contiguous (stride %lld elements); pass np.ascontiguousarray(a)",
                 what, static_cast<long long>(t.strides[0]));
    return false;
  }
  *values = {data(), static_cast<std::size_t>(elements)};
  return true;
}

binding::StridedMatrix ConsumedTensor::as_matrix() const {
  const DLTensor& t = managed_->dl_tensor;
  const std::ptrdiff_t rows = t.shape[0];
  const std::ptrdiff_t cols = t.shape[1];
  const std::ptrdiff_t row_stride = t.strides != nullptr ? t.strides[0] : cols;
  const std::ptrdiff_t col_stride = t.strides != nullptr ? t.strides[1] : 1;
  constexpr std::ptrdiff_t kItemBytes = sizeof(double);
  return {data(), rows, cols, row_stride * kItemBytes, col_stride * kItemBytes};
}

}  // namespace interop_bench::dlpack
