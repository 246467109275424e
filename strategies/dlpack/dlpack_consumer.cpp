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

// Why a capsule of another name is refused, for the two names a user may meet.
const char* capsule_name_hint(const char* name) {
  if (name == nullptr) return "";
  if (std::strcmp(name, kUsedCapsuleName) == 0) return " (it was already consumed)";
  if (std::strcmp(name, kVersionedCapsuleName) == 0) {
    return " (DLPack >= 1.0; this consumer speaks the unversioned protocol)";
  }
  return "";
}

template <class T>
bool is(const DLDataType& dtype) {
  const DLDataType want = dl_type_v<T>;
  return dtype.code == want.code && dtype.bits == want.bits && dtype.lanes == want.lanes;
}

}  // namespace

std::optional<interop_bench::DType> element_type_of(const DLDataType& dtype) {
  if (is<double>(dtype)) [[likely]]
    return interop_bench::DType::float64;
  std::optional<interop_bench::DType> type;
  interop_bench::for_each_dtype([&]<class T>(std::type_identity<T>) {
    if (is<T>(dtype)) type = interop_bench::dtype_of<T>();
  });
  return type;
}

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

bool ConsumedTensor::check(int ndim, const char* what) {
  const DLTensor& t = managed_->dl_tensor;
  if (t.device.device_type != kDLCPU) {
    PyErr_Format(PyExc_ValueError,
                 "%s: the DLPack tensor is on device type %d (id %d), not the CPU (type %d)", what,
                 static_cast<int>(t.device.device_type), t.device.device_id,
                 static_cast<int>(kDLCPU));
    return false;
  }
  const std::optional<interop_bench::DType> type = element_type_of(t.dtype);
  if (!type) {
    PyErr_Format(PyExc_TypeError,
                 "%s: expected dtype float64, float32, int32, int16 or uint8 (DLPack float 64 "
                 "or 32, int 32 or 16, uint 8 bits, 1 lane), got code %d, %d bits, %d lanes",
                 what, static_cast<int>(t.dtype.code), static_cast<int>(t.dtype.bits),
                 static_cast<int>(t.dtype.lanes));
    return false;
  }
  type_ = *type;
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
  // The item size of the five types is a power of two: alignment by mask.
  const auto alignment_mask = static_cast<std::uintptr_t>(t.dtype.bits / 8 - 1);
  if ((reinterpret_cast<std::uintptr_t>(data()) & alignment_mask) != 0) {
    PyErr_Format(PyExc_ValueError, "%s: data + byte_offset is not aligned for %s", what,
                 interop_bench::dtype_name(type_));
    return false;
  }
  return true;
}

std::ptrdiff_t ConsumedTensor::shape(int axis) const {
  return static_cast<std::ptrdiff_t>(managed_->dl_tensor.shape[axis]);
}

const std::ptrdiff_t* ConsumedTensor::strides_in_elements() const {
  const DLTensor& t = managed_->dl_tensor;
  static_assert(sizeof(std::ptrdiff_t) == sizeof(int64_t));
  if (t.strides != nullptr) return reinterpret_cast<const std::ptrdiff_t*>(t.strides);
  // NULL strides mean compact row-major.
  std::uint64_t stride = 1;  // unsigned: a producer's absurd shape wraps, it does not overflow
  for (int i = t.ndim - 1; i >= 0; --i) {
    compact_strides_[i] = static_cast<std::ptrdiff_t>(stride);
    stride *= static_cast<std::uint64_t>(t.shape[i]);
  }
  return compact_strides_;
}

bool ConsumedTensor::not_contiguous(const char* what) const {
  PyErr_Format(PyExc_ValueError,
               "%s: array is not contiguous (stride %lld elements); pass np.ascontiguousarray(a)",
               what, static_cast<long long>(managed_->dl_tensor.strides[0]));
  return false;
}

bool ConsumedTensor::as_frame(binding::FrameView* frame) const {
  if (type_ != interop_bench::DType::uint8) {
    PyErr_Format(PyExc_TypeError,
                 "frame: expected dtype uint8 (an 8-bit RGB image), got %s (convert explicitly, "
                 "e.g. a.astype(np.uint8))",
                 interop_bench::dtype_name(type_));
    return false;
  }
  const std::ptrdiff_t shape[3] = {this->shape(0), this->shape(1), this->shape(2)};
  // uint8: strides in elements are bytes.
  if (const char* problem = binding::frame_view(data(), 3, shape, strides_in_elements(), frame)) {
    PyErr_Format(PyExc_ValueError, "frame: %s", problem);
    return false;
  }
  return true;
}

}  // namespace interop_bench::dlpack
