// The memory of a result array that C++ allocates and NumPy then wraps without
// copying (owned through a capsule), the same for every in-process binding;
// counted and recorded (result_record.hpp) for the tests.
#pragma once

#include <Python.h>

#include <cstddef>
#include <memory>
#include <new>

#include "interop_bench/huge_pages.hpp"
#include "interop_bench/result_record.hpp"

namespace interop_bench::binding {

// Python's raw allocator is malloc underneath, but tracemalloc sees it, so the
// tests can watch the buffer being freed; it needs no GIL, and a request for
// zero bytes still returns a distinct pointer.
inline void free_result(void* memory) noexcept {
  if (memory != nullptr) result_buffers_alive.fetch_sub(1, std::memory_order_relaxed);
  PyMem_RawFree(memory);
}

struct FreeResult {
  void operator()(void* memory) const noexcept { free_result(memory); }
};

// Owns the buffer until a capsule takes it over (release() it then).
template <class T = double>
using ResultBuffer = std::unique_ptr<T, FreeResult>;

// Room for `elements` values of T (scale's result of a T array, a frame's gray
// image); throws std::bad_alloc when there is none.
template <class T = double>
ResultBuffer<T> allocate_result(std::size_t elements) {
  if (elements > PY_SSIZE_T_MAX / sizeof(T)) throw std::bad_alloc();
  ResultBuffer<T> buffer{static_cast<T*>(PyMem_RawMalloc(elements * sizeof(T)))};
  if (!buffer) throw std::bad_alloc();
  result_buffers_alive.fetch_add(1, std::memory_order_relaxed);
  note_result(buffer.get());
  // NumPy gives its own large arrays huge pages; a result allocated here is
  // compared with NumPy's `a * k`, so it gets the same.
  advise_huge_pages(buffer.get(), elements * sizeof(T));
  return buffer;
}

}  // namespace interop_bench::binding
