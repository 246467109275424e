// ib_floor_timer: the kernel alone and the bandwidth probes, timed natively,
// as turns of the runner's interleaved rounds (python/interop_bench/runner/floor_turns.py).
//
// Each time_* function runs its loop `calls` times between two readings of the
// steady clock (CLOCK_MONOTONIC, the clock of time.perf_counter_ns) and
// returns the nanoseconds: no Python call is inside the timed region, so the
// kernel is measured on the very buffer the strategies are given, in the same
// machine state, without the interpreter's cost. The plain functions (sum,
// matrix_sum, square, scale, frame, read) compute once, so the runner can check
// the answer before timing, as it does for every strategy. The vector ops take
// every element type of the dtype axis (interop_bench/dtype.hpp)
// and run that type's kernel, dispatched once per call outside the timed loop.
// paced_frames is the floor of a stream (interop-bench stream): the frame
// kernel alone at a fixed rate, driven by a native loop.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <type_traits>

#include "bandwidth.hpp"
#include "interop_bench/buffer_argument.hpp"
#include "interop_bench/dtype.hpp"
#include "interop_bench/kernels.hpp"
#include "paced_loop.hpp"

namespace kernels = interop_bench::kernels;

namespace {

// Keeps a value alive without a store the compiler could drop (as Google
// Benchmark's DoNotOptimize does).
template <class T>
inline void keep(T const& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

inline void clobber_memory() {
  asm volatile("" : : : "memory");
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

using interop_bench::binding::ArrayBuffer;
using interop_bench::binding::to_python;

constexpr int kRead = interop_bench::binding::kVectorFlags;
constexpr int kWrite = kRead | PyBUF_WRITABLE;
constexpr int kStrided = interop_bench::binding::kMatrixFlags;

// A matrix argument: rows x cols with a row stride in elements (its columns
// must be contiguous, as the runner's matrices are).
template <class T>
struct Matrix {
  const T* data;
  std::size_t rows, cols, row_stride;
};

template <class T>
bool matrix_of(const ArrayBuffer& buffer, Matrix<T>* m, const char* what) {
  const Py_buffer& v = buffer.view();
  const auto item = static_cast<Py_ssize_t>(sizeof(T));
  if (v.strides[1] != item || v.strides[0] < 0 || v.strides[0] % item != 0) {
    PyErr_Format(PyExc_ValueError, "%s: expected contiguous rows", what);
    return false;
  }
  *m = {static_cast<const T*>(buffer.data()), static_cast<std::size_t>(v.shape[0]),
        static_cast<std::size_t>(v.shape[1]), static_cast<std::size_t>(v.strides[0] / item)};
  return true;
}

// An RGB frame argument: rows x cols x 3 bytes, pixels packed within a row,
// rows `row_stride` bytes apart (a padded or cropped view is read in place).
struct Frame {
  const std::uint8_t* rgb;
  std::size_t rows, cols, row_stride;
};

bool frame_of(const ArrayBuffer& buffer, Frame* frame, const char* what) {
  const Py_buffer& v = buffer.view();
  if (buffer.type() != interop_bench::DType::uint8 || v.shape[2] != 3 || v.strides[2] != 1 ||
      v.strides[1] != 3 || v.strides[0] < 3 * v.shape[1]) {
    PyErr_Format(PyExc_ValueError, "%s: expected an H x W x 3 uint8 frame with packed pixels",
                 what);
    return false;
  }
  *frame = {static_cast<const std::uint8_t*>(buffer.data()), static_cast<std::size_t>(v.shape[0]),
            static_cast<std::size_t>(v.shape[1]), static_cast<std::size_t>(v.strides[0])};
  return true;
}

// The frame op's two arguments: the image and the H x W gray output it fills.
bool frame_args(PyObject* image, PyObject* gray, ArrayBuffer* in, ArrayBuffer* out, Frame* frame,
                const char* what) {
  if (!in->acquire(image, kStrided, 3, what) || !frame_of(*in, frame, what) ||
      !out->acquire(gray, kWrite, 2, what))
    return false;
  const Py_buffer& g = out->view();
  if (out->type() != interop_bench::DType::uint8 ||
      static_cast<std::size_t>(g.shape[0]) != frame->rows ||
      static_cast<std::size_t>(g.shape[1]) != frame->cols) {
    PyErr_Format(PyExc_ValueError, "%s: the gray output is not H x W of the frame (uint8)", what);
    return false;
  }
  return true;
}

// The `calls` argument: a positive count, or false with a ValueError.
bool calls_of(PyObject* object, long long* calls) {
  *calls = PyLong_AsLongLong(object);
  if (*calls == -1 && PyErr_Occurred()) return false;
  if (*calls < 1) {
    PyErr_Format(PyExc_ValueError, "calls must be at least 1, got %lld", *calls);
    return false;
  }
  return true;
}

// scale's factor, of the array's own type (a float for floats, an int that fits T otherwise).
template <class T>
bool factor_of(PyObject* object, T* k) {
  if constexpr (std::is_floating_point_v<T>) {
    const double value = PyFloat_AsDouble(object);
    if (value == -1.0 && PyErr_Occurred()) return false;
    *k = static_cast<T>(value);
  } else {
    const long long value = PyLong_AsLongLong(object);
    if (value == -1 && PyErr_Occurred()) return false;
    if (value < std::numeric_limits<T>::min() || value > std::numeric_limits<T>::max()) {
      PyErr_Format(PyExc_ValueError, "scale: factor %lld does not fit the array's type", value);
      return false;
    }
    *k = static_cast<T>(value);
  }
  return true;
}

bool arity(Py_ssize_t nargs, Py_ssize_t expected, const char* what) {
  if (nargs == expected) return true;
  PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments, got %zd", what, expected, nargs);
  return false;
}

// -- computed once (the runner checks these against NumPy) -------------------

PyObject* sum(PyObject*, PyObject* arg) {
  ArrayBuffer a;
  if (!a.acquire(arg, kRead, 1, "sum")) return nullptr;
  return interop_bench::visit_dtype(a.type(), [&]<class T>(std::type_identity<T>) {
    return to_python(kernels::sum(a.values<const T>()));
  });
}

PyObject* matrix_sum(PyObject*, PyObject* arg) {
  ArrayBuffer b;
  if (!b.acquire(arg, kStrided, 2, "matrix_sum")) return nullptr;
  return interop_bench::visit_dtype(b.type(), [&]<class T>(std::type_identity<T>) -> PyObject* {
    Matrix<T> m{};
    if (!matrix_of(b, &m, "matrix_sum")) return nullptr;
    return to_python(kernels::matrix_sum(m.data, m.rows, m.cols, m.row_stride));
  });
}

PyObject* square(PyObject*, PyObject* arg) {
  ArrayBuffer a;
  if (!a.acquire(arg, kWrite, 1, "square")) return nullptr;
  return interop_bench::visit_dtype(a.type(), [&]<class T>(std::type_identity<T>) {
    kernels::square_inplace(a.values<T>());
    Py_RETURN_NONE;
  });
}

// in and out: same element type and count, or false with the error set.
bool pair_of(PyObject* in_object, PyObject* out_object, ArrayBuffer* in, ArrayBuffer* out,
             const char* what) {
  if (!in->acquire(in_object, kRead, 1, what) || !out->acquire(out_object, kWrite, 1, what))
    return false;
  if (in->type() != out->type() || in->bytes() != out->bytes()) {
    PyErr_Format(PyExc_ValueError, "%s: input and output differ in type or size", what);
    return false;
  }
  return true;
}

PyObject* scale(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  ArrayBuffer in, out;
  if (!arity(nargs, 3, "scale") || !pair_of(args[0], args[2], &in, &out, "scale")) return nullptr;
  return interop_bench::visit_dtype(in.type(), [&]<class T>(std::type_identity<T>) -> PyObject* {
    T k{};
    if (!factor_of(args[1], &k)) return nullptr;
    kernels::scale(in.values<const T>(), k, out.values<T>());
    Py_RETURN_NONE;
  });
}

PyObject* frame(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  ArrayBuffer in, out;
  Frame f{};
  if (!arity(nargs, 2, "frame") || !frame_args(args[0], args[1], &in, &out, &f, "frame"))
    return nullptr;
  kernels::frame_to_gray(f.rgb, f.rows, f.cols, f.row_stride, out.values<std::uint8_t>().data());
  Py_RETURN_NONE;
}

// -- timed loops ---------------------------------------------------------------

PyObject* time_sum(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  ArrayBuffer a;
  long long calls = 0;
  if (!arity(nargs, 2, "time_sum") || !a.acquire(args[0], kRead, 1, "time_sum") ||
      !calls_of(args[1], &calls))
    return nullptr;
  return interop_bench::visit_dtype(a.type(), [&]<class T>(std::type_identity<T>) {
    const kernels::span<const T> in = a.values<const T>();
    const std::int64_t begin = now_ns();
    for (long long i = 0; i < calls; ++i) keep(kernels::sum(in));
    return PyLong_FromLongLong(now_ns() - begin);
  });
}

PyObject* time_matrix_sum(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  ArrayBuffer b;
  long long calls = 0;
  if (!arity(nargs, 2, "time_matrix_sum") || !b.acquire(args[0], kStrided, 2, "time_matrix_sum") ||
      !calls_of(args[1], &calls))
    return nullptr;
  return interop_bench::visit_dtype(b.type(), [&]<class T>(std::type_identity<T>) -> PyObject* {
    Matrix<T> m{};
    if (!matrix_of(b, &m, "time_matrix_sum")) return nullptr;
    const std::int64_t begin = now_ns();
    for (long long i = 0; i < calls; ++i)
      keep(kernels::matrix_sum(m.data, m.rows, m.cols, m.row_stride));
    return PyLong_FromLongLong(now_ns() - begin);
  });
}

// Squares each row of a 2-D pool once: the rows are fresh copies of the input
// that the runner wrote just before, as it does for the strategies' square.
PyObject* time_square_rows(PyObject*, PyObject* arg) {
  ArrayBuffer pool;
  if (!pool.acquire(arg, kWrite, 2, "time_square_rows")) return nullptr;
  const auto rows = static_cast<std::size_t>(pool.view().shape[0]);
  const auto cols = static_cast<std::size_t>(pool.view().shape[1]);
  return interop_bench::visit_dtype(pool.type(), [&]<class T>(std::type_identity<T>) {
    T* data = pool.values<T>().data();
    const std::int64_t begin = now_ns();
    for (std::size_t r = 0; r < rows; ++r) {
      kernels::square_inplace({data + r * cols, cols});
      clobber_memory();
    }
    return PyLong_FromLongLong(now_ns() - begin);
  });
}

// scale into a preallocated output: the kernel's own cost, without the
// allocation and page faults of a new result (which are the strategies' cost).
PyObject* time_scale(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  ArrayBuffer in, out;
  long long calls = 0;
  if (!arity(nargs, 4, "time_scale") || !pair_of(args[0], args[2], &in, &out, "time_scale") ||
      !calls_of(args[3], &calls))
    return nullptr;
  return interop_bench::visit_dtype(in.type(), [&]<class T>(std::type_identity<T>) -> PyObject* {
    T k{};
    if (!factor_of(args[1], &k)) return nullptr;
    const kernels::span<const T> src = in.values<const T>();
    const kernels::span<T> dst = out.values<T>();
    const std::int64_t begin = now_ns();
    for (long long i = 0; i < calls; ++i) {
      kernels::scale(src, k, dst);
      clobber_memory();
    }
    return PyLong_FromLongLong(now_ns() - begin);
  });
}

// frame_to_gray into a preallocated gray image, for the same reason as time_scale.
PyObject* time_frame(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  ArrayBuffer in, out;
  Frame f{};
  long long calls = 0;
  if (!arity(nargs, 3, "time_frame") ||
      !frame_args(args[0], args[1], &in, &out, &f, "time_frame") || !calls_of(args[2], &calls))
    return nullptr;
  std::uint8_t* gray = out.values<std::uint8_t>().data();
  const std::int64_t begin = now_ns();
  for (long long i = 0; i < calls; ++i) {
    kernels::frame_to_gray(f.rgb, f.rows, f.cols, f.row_stride, gray);
    clobber_memory();
  }
  return PyLong_FromLongLong(now_ns() - begin);
}

// -- bandwidth probes (no kernel code: the kernels are judged against them) ----

PyObject* read_words(PyObject*, PyObject* arg) {
  ArrayBuffer words;
  if (!words.acquire_bytes(arg, PyBUF_C_CONTIGUOUS, "read")) return nullptr;
  return PyLong_FromUnsignedLongLong(interop_bench::harness::read_all(
      static_cast<const std::uint64_t*>(words.view().buf), words.bytes() / sizeof(std::uint64_t)));
}

PyObject* time_read(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  ArrayBuffer words;
  long long calls = 0;
  if (!arity(nargs, 2, "time_read") ||
      !words.acquire_bytes(args[0], PyBUF_C_CONTIGUOUS, "time_read") || !calls_of(args[1], &calls))
    return nullptr;
  const auto* data = static_cast<const std::uint64_t*>(words.view().buf);
  const std::size_t count = words.bytes() / sizeof(std::uint64_t);
  const std::int64_t begin = now_ns();
  for (long long i = 0; i < calls; ++i) keep(interop_bench::harness::read_all(data, count));
  return PyLong_FromLongLong(now_ns() - begin);
}

PyObject* time_memcpy(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  ArrayBuffer src, dst;
  long long calls = 0;
  if (!arity(nargs, 3, "time_memcpy") ||
      !src.acquire_bytes(args[0], PyBUF_C_CONTIGUOUS, "time_memcpy") ||
      !dst.acquire_bytes(args[1], PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE, "time_memcpy") ||
      !calls_of(args[2], &calls))
    return nullptr;
  if (src.bytes() != dst.bytes())
    return PyErr_Format(PyExc_ValueError, "time_memcpy: sizes differ");
  const std::int64_t begin = now_ns();
  for (long long i = 0; i < calls; ++i) {
    std::memcpy(dst.view().buf, src.view().buf, src.bytes());
    clobber_memory();
  }
  return PyLong_FromLongLong(now_ns() - begin);
}

// -- the floor of a stream -------------------------------------------------------

// The ring of frames of a paced stream: image i and its gray output.
struct FrameRing {
  std::size_t size = 0;
  std::unique_ptr<ArrayBuffer[]> images, grays;
  std::unique_ptr<Frame[]> frames;

  bool acquire(PyObject* image_list, PyObject* gray_list) {
    if (!PyTuple_Check(image_list) || !PyTuple_Check(gray_list) ||
        PyTuple_GET_SIZE(image_list) != PyTuple_GET_SIZE(gray_list) ||
        PyTuple_GET_SIZE(image_list) < 1) {
      PyErr_SetString(PyExc_TypeError,
                      "paced_frames: images and grays must be tuples of one length, at least 1");
      return false;
    }
    size = static_cast<std::size_t>(PyTuple_GET_SIZE(image_list));
    images = std::make_unique<ArrayBuffer[]>(size);
    grays = std::make_unique<ArrayBuffer[]>(size);
    frames = std::make_unique<Frame[]>(size);
    for (std::size_t i = 0; i < size; ++i) {
      const auto at = static_cast<Py_ssize_t>(i);
      if (!frame_args(PyTuple_GET_ITEM(image_list, at), PyTuple_GET_ITEM(gray_list, at), &images[i],
                      &grays[i], &frames[i], "paced_frames"))
        return false;
    }
    return true;
  }

  void gray(std::size_t frame) {
    const Frame& f = frames[frame % size];
    kernels::frame_to_gray(f.rgb, f.rows, f.cols, f.row_stride,
                           grays[frame % size].values<std::uint8_t>().data());
  }
};

// The times array: one (due, started, done) row of int64 nanoseconds per frame,
// writable and C-contiguous (numpy.empty((frames, 3), numpy.int64)).
bool times_of(PyObject* object, ArrayBuffer* times,
              std::span<interop_bench::harness::PacedTimes>* rows) {
  using interop_bench::harness::PacedTimes;
  static_assert(sizeof(PacedTimes) == 3 * sizeof(std::int64_t));
  if (!times->acquire_bytes(object, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE | PyBUF_FORMAT,
                            "paced_frames"))
    return false;
  const Py_buffer& v = times->view();
  if (v.itemsize != sizeof(std::int64_t) || v.format == nullptr ||
      (std::strcmp(v.format, "l") != 0 && std::strcmp(v.format, "q") != 0) || v.ndim != 2 ||
      v.shape[1] != 3 || v.shape[0] < 1) {
    PyErr_SetString(PyExc_ValueError, "paced_frames: times must be an N x 3 int64 array, N >= 1");
    return false;
  }
  *rows = {static_cast<PacedTimes*>(v.buf), static_cast<std::size_t>(v.shape[0])};
  return true;
}

// paced_frames(images, grays, start_ns, period_ns, times): frame i (image
// i mod len(images)) is due at start_ns + i x period_ns on CLOCK_MONOTONIC and
// turned gray by the kernel alone in a native loop (harness/paced_loop.hpp),
// with the GIL released; times[i] gets its due, start and end times.
PyObject* paced_frames(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  FrameRing ring;
  ArrayBuffer times;
  std::span<interop_bench::harness::PacedTimes> rows;
  if (!arity(nargs, 5, "paced_frames") || !ring.acquire(args[0], args[1]) ||
      !times_of(args[4], &times, &rows))
    return nullptr;
  const long long start_ns = PyLong_AsLongLong(args[2]);
  const long long period_ns = PyLong_AsLongLong(args[3]);
  if (PyErr_Occurred()) return nullptr;
  if (start_ns < 0 || period_ns < 1)
    return PyErr_Format(PyExc_ValueError, "paced_frames: start_ns >= 0 and period_ns >= 1");
  interop_bench::harness::MonotonicClock clock;
  Py_BEGIN_ALLOW_THREADS;
  interop_bench::harness::paced_loop(clock, start_ns, period_ns, rows,
                                     [&](std::size_t i) { ring.gray(i); });
  Py_END_ALLOW_THREADS;
  Py_RETURN_NONE;
}

constexpr auto fastcall =
    interop_bench::binding::as_py_cfunction<PyObject*(PyObject*, PyObject* const*, Py_ssize_t)>;

PyMethodDef methods[] = {
    {"sum", sum, METH_O, "sum(a) -> float | int: kernels::sum of a vector of any dtype"},
    {"matrix_sum", matrix_sum, METH_O, "matrix_sum(m) -> float | int: kernels::matrix_sum"},
    {"square", square, METH_O, "square(a): kernels::square_inplace"},
    {"scale", fastcall(scale), METH_FASTCALL, "scale(a, k, out): kernels::scale into out"},
    {"frame", fastcall(frame), METH_FASTCALL,
     "frame(image, gray): kernels::frame_to_gray of an H x W x 3 image into H x W gray"},
    {"read", read_words, METH_O, "read(words) -> int: the read probe's OR of uint64 words"},
    {"time_sum", fastcall(time_sum), METH_FASTCALL, "time_sum(a, calls) -> ns"},
    {"time_matrix_sum", fastcall(time_matrix_sum), METH_FASTCALL,
     "time_matrix_sum(m, calls) -> ns"},
    {"time_square_rows", time_square_rows, METH_O,
     "time_square_rows(pool) -> ns: squares each row of a 2-D pool once"},
    {"time_scale", fastcall(time_scale), METH_FASTCALL, "time_scale(a, k, out, calls) -> ns"},
    {"time_frame", fastcall(time_frame), METH_FASTCALL, "time_frame(image, gray, calls) -> ns"},
    {"time_read", fastcall(time_read), METH_FASTCALL, "time_read(words, calls) -> ns"},
    {"time_memcpy", fastcall(time_memcpy), METH_FASTCALL, "time_memcpy(src, dst, calls) -> ns"},
    {"paced_frames", fastcall(paced_frames), METH_FASTCALL,
     "paced_frames(images, grays, start_ns, period_ns, times): the kernel alone, paced natively"},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "ib_floor_timer",
    "interop-bench: the kernel alone and the bandwidth probes, timed natively",
    0,
    methods,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

}  // namespace

PyMODINIT_FUNC PyInit_ib_floor_timer() {
  return PyModule_Create(&module_def);
}
