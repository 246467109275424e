// ib_floor_timer: the kernel alone and the bandwidth probes, timed natively,
// as turns of the runner's interleaved rounds (python/interop_bench/runner/floor_turns.py).
//
// Each time_* function runs its loop `calls` times between two readings of the
// steady clock (CLOCK_MONOTONIC, the clock of time.perf_counter_ns) and
// returns the nanoseconds: no Python call is inside the timed region, so the
// kernel is measured on the very buffer the strategies are given, in the same
// machine state, without the interpreter's cost. The plain functions (sum,
// matrix_sum, square, scale, read) compute once, so the runner can check the
// answer before timing, as it does for every strategy.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <bit>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "bandwidth.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/python_capi.hpp"

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

// A buffer of the argument, released on every path by the destructor.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() {
    if (held_) PyBuffer_Release(&view_);
  }

  // False with a TypeError/ValueError naming `what`, unless `object` exports an
  // `ndim`-D buffer of `format` ('d' float64, 'B' bytes, 'Q' 64-bit words, which
  // NumPy exports as 'L' where unsigned long has 64 bits) under `flags`.
  bool acquire(PyObject* object, int flags, int ndim, char format, const char* what) {
    if (PyObject_GetBuffer(object, &view_, flags | PyBUF_FORMAT) != 0) {
      PyErr_Clear();
      PyErr_Format(PyExc_TypeError, "%s: expected a contiguous buffer, got %.200s", what,
                   Py_TYPE(object)->tp_name);
      return false;
    }
    held_ = true;
    const char* f = view_.format != nullptr ? view_.format : "B";
    if (*f == '@' || *f == '=' || (*f == '<' && std::endian::native == std::endian::little)) ++f;
    const bool word = format == 'Q' && f[0] == 'L' && view_.itemsize == 8;
    if ((f[0] != format && !word) || f[1] != '\0') {
      PyErr_Format(PyExc_TypeError, "%s: expected buffer format '%c', got '%s'", what, format, f);
      return false;
    }
    if (view_.ndim != ndim) {
      PyErr_Format(PyExc_ValueError, "%s: expected a %d-D buffer, got %d-D", what, ndim,
                   view_.ndim);
      return false;
    }
    return true;
  }

  double* doubles() const { return static_cast<double*>(view_.buf); }
  std::size_t count() const { return static_cast<std::size_t>(view_.len) / view_.itemsize; }
  std::size_t bytes() const { return static_cast<std::size_t>(view_.len); }
  const Py_buffer& view() const { return view_; }

 private:
  Py_buffer view_{};
  bool held_ = false;
};

constexpr int kRead = PyBUF_C_CONTIGUOUS;
constexpr int kWrite = PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE;

// A matrix argument: rows x cols with a row stride in elements (its columns
// must be contiguous, as the runner's matrices are).
struct Matrix {
  const double* data;
  std::size_t rows, cols, row_stride;
};

bool matrix_of(const Buffer& buffer, Matrix* m, const char* what) {
  const Py_buffer& v = buffer.view();
  if (v.strides[1] != static_cast<Py_ssize_t>(sizeof(double)) || v.strides[0] < 0 ||
      v.strides[0] % static_cast<Py_ssize_t>(sizeof(double)) != 0) {
    PyErr_Format(PyExc_ValueError, "%s: expected contiguous rows", what);
    return false;
  }
  *m = {buffer.doubles(), static_cast<std::size_t>(v.shape[0]),
        static_cast<std::size_t>(v.shape[1]),
        static_cast<std::size_t>(v.strides[0]) / sizeof(double)};
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

bool arity(Py_ssize_t nargs, Py_ssize_t expected, const char* what) {
  if (nargs == expected) return true;
  PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments, got %zd", what, expected, nargs);
  return false;
}

// -- computed once (the runner checks these against NumPy) -------------------

PyObject* sum(PyObject*, PyObject* arg) {
  Buffer a;
  if (!a.acquire(arg, kRead, 1, 'd', "sum")) return nullptr;
  return PyFloat_FromDouble(kernels::sum({a.doubles(), a.count()}));
}

PyObject* matrix_sum(PyObject*, PyObject* arg) {
  Buffer b;
  Matrix m{};
  if (!b.acquire(arg, PyBUF_STRIDES, 2, 'd', "matrix_sum") || !matrix_of(b, &m, "matrix_sum"))
    return nullptr;
  return PyFloat_FromDouble(kernels::matrix_sum(m.data, m.rows, m.cols, m.row_stride));
}

PyObject* square(PyObject*, PyObject* arg) {
  Buffer a;
  if (!a.acquire(arg, kWrite, 1, 'd', "square")) return nullptr;
  kernels::square_inplace({a.doubles(), a.count()});
  Py_RETURN_NONE;
}

PyObject* scale(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (!arity(nargs, 3, "scale")) return nullptr;
  const double k = PyFloat_AsDouble(args[1]);
  if (k == -1.0 && PyErr_Occurred()) return nullptr;
  Buffer in, out;
  if (!in.acquire(args[0], kRead, 1, 'd', "scale") ||
      !out.acquire(args[2], kWrite, 1, 'd', "scale"))
    return nullptr;
  if (in.count() != out.count()) return PyErr_Format(PyExc_ValueError, "scale: sizes differ");
  kernels::scale({in.doubles(), in.count()}, k, {out.doubles(), out.count()});
  Py_RETURN_NONE;
}

// -- timed loops ---------------------------------------------------------------

PyObject* time_sum(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  Buffer a;
  long long calls = 0;
  if (!arity(nargs, 2, "time_sum") || !a.acquire(args[0], kRead, 1, 'd', "time_sum") ||
      !calls_of(args[1], &calls))
    return nullptr;
  const kernels::span<const double> in{a.doubles(), a.count()};
  const std::int64_t begin = now_ns();
  for (long long i = 0; i < calls; ++i) keep(kernels::sum(in));
  return PyLong_FromLongLong(now_ns() - begin);
}

PyObject* time_matrix_sum(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  Buffer b;
  Matrix m{};
  long long calls = 0;
  if (!arity(nargs, 2, "time_matrix_sum") ||
      !b.acquire(args[0], PyBUF_STRIDES, 2, 'd', "time_matrix_sum") ||
      !matrix_of(b, &m, "time_matrix_sum") || !calls_of(args[1], &calls))
    return nullptr;
  const std::int64_t begin = now_ns();
  for (long long i = 0; i < calls; ++i)
    keep(kernels::matrix_sum(m.data, m.rows, m.cols, m.row_stride));
  return PyLong_FromLongLong(now_ns() - begin);
}

// Squares each row of a 2-D pool once: the rows are fresh copies of the input
// that the runner wrote just before, as it does for the strategies' square.
PyObject* time_square_rows(PyObject*, PyObject* arg) {
  Buffer pool;
  if (!pool.acquire(arg, kWrite, 2, 'd', "time_square_rows")) return nullptr;
  const auto rows = static_cast<std::size_t>(pool.view().shape[0]);
  const auto cols = static_cast<std::size_t>(pool.view().shape[1]);
  double* data = pool.doubles();
  const std::int64_t begin = now_ns();
  for (std::size_t r = 0; r < rows; ++r) {
    kernels::square_inplace({data + r * cols, cols});
    clobber_memory();
  }
  return PyLong_FromLongLong(now_ns() - begin);
}

// scale into a preallocated output: the kernel's own cost, without the
// allocation and page faults of a new result (which are the strategies' cost).
PyObject* time_scale(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (!arity(nargs, 4, "time_scale")) return nullptr;
  const double k = PyFloat_AsDouble(args[1]);
  if (k == -1.0 && PyErr_Occurred()) return nullptr;
  Buffer in, out;
  long long calls = 0;
  if (!in.acquire(args[0], kRead, 1, 'd', "time_scale") ||
      !out.acquire(args[2], kWrite, 1, 'd', "time_scale") || !calls_of(args[3], &calls))
    return nullptr;
  if (in.count() != out.count()) return PyErr_Format(PyExc_ValueError, "time_scale: sizes differ");
  const kernels::span<const double> src{in.doubles(), in.count()};
  const kernels::span<double> dst{out.doubles(), out.count()};
  const std::int64_t begin = now_ns();
  for (long long i = 0; i < calls; ++i) {
    kernels::scale(src, k, dst);
    clobber_memory();
  }
  return PyLong_FromLongLong(now_ns() - begin);
}

// -- bandwidth probes (no kernel code: the kernels are judged against them) ----

PyObject* read_words(PyObject*, PyObject* arg) {
  Buffer words;
  if (!words.acquire(arg, kRead, 1, 'Q', "read")) return nullptr;
  return PyLong_FromUnsignedLongLong(interop_bench::harness::read_all(
      static_cast<const std::uint64_t*>(words.view().buf), words.count()));
}

PyObject* time_read(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  Buffer words;
  long long calls = 0;
  if (!arity(nargs, 2, "time_read") || !words.acquire(args[0], kRead, 1, 'Q', "time_read") ||
      !calls_of(args[1], &calls))
    return nullptr;
  const auto* data = static_cast<const std::uint64_t*>(words.view().buf);
  const std::size_t count = words.count();
  const std::int64_t begin = now_ns();
  for (long long i = 0; i < calls; ++i) keep(interop_bench::harness::read_all(data, count));
  return PyLong_FromLongLong(now_ns() - begin);
}

PyObject* time_memcpy(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  Buffer src, dst;
  long long calls = 0;
  if (!arity(nargs, 3, "time_memcpy") || !src.acquire(args[0], kRead, 1, 'B', "time_memcpy") ||
      !dst.acquire(args[1], kWrite, 1, 'B', "time_memcpy") || !calls_of(args[2], &calls))
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

constexpr auto fastcall =
    interop_bench::binding::as_py_cfunction<PyObject*(PyObject*, PyObject* const*, Py_ssize_t)>;

PyMethodDef methods[] = {
    {"sum", sum, METH_O, "sum(a) -> float: kernels::sum of a float64 vector"},
    {"matrix_sum", matrix_sum, METH_O, "matrix_sum(m) -> float: kernels::matrix_sum"},
    {"square", square, METH_O, "square(a): kernels::square_inplace"},
    {"scale", fastcall(scale), METH_FASTCALL, "scale(a, k, out): kernels::scale into out"},
    {"read", read_words, METH_O, "read(words) -> int: the read probe's OR of uint64 words"},
    {"time_sum", fastcall(time_sum), METH_FASTCALL, "time_sum(a, calls) -> ns"},
    {"time_matrix_sum", fastcall(time_matrix_sum), METH_FASTCALL,
     "time_matrix_sum(m, calls) -> ns"},
    {"time_square_rows", time_square_rows, METH_O,
     "time_square_rows(pool) -> ns: squares each row of a 2-D pool once"},
    {"time_scale", fastcall(time_scale), METH_FASTCALL, "time_scale(a, k, out, calls) -> ns"},
    {"time_read", fastcall(time_read), METH_FASTCALL, "time_read(words, calls) -> ns"},
    {"time_memcpy", fastcall(time_memcpy), METH_FASTCALL, "time_memcpy(src, dst, calls) -> ns"},
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
