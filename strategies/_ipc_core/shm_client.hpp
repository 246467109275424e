// The client's half of one shared-memory exchange, without Python: writing a
// request into the control block and publishing it, reading the response, and
// finding which data arena holds an array. The extension module ib_shm_client
// (shm_client_module.cpp) wraps these with the waiting, the GIL and errors.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "protocol.hpp"

namespace interop_bench::ipc {

// The request fields of the control block (everything but the arena name).
struct Request {
  std::uint32_t op = 0;
  std::uint32_t dtype = 0;  // a DType
  std::uint32_t in_arena = 0;
  std::uint64_t in_offset = 0;
  std::uint32_t out_arena = 0;
  std::uint64_t out_offset = 0;
  std::uint64_t count = 0;
  std::uint64_t rows = 0;
  std::uint64_t cols = 0;
  std::uint64_t row_stride = 0;
  double factor = 0.0;
  std::uint64_t arena_bytes = 0;
};

struct Response {
  std::uint32_t seq = 0;
  std::uint32_t status = 0;
  double result = 0.0;
  std::uint64_t integer_result = 0;
  std::uint64_t detail = 0;
};

// Write `request` with plain stores, then publish it as number `seq` (release;
// wakes the worker if it sleeps). Returns response_seq as it was before the
// publish: the value the caller waits to see change.
std::uint32_t send(Control* control, const Request& request, std::uint32_t seq) noexcept;

// The response fields, read after the change of response_seq was seen (acquire).
Response read_response(const Control* control) noexcept;

// Where an array's bytes are for the worker.
struct Place {
  std::uint32_t arena = 0;
  std::uint64_t offset = 0;
};

// This process's addresses of the data arenas the worker has mapped, by index.
class ArenaTable {
 public:
  void set(std::uint32_t index, const void* base, std::uint64_t bytes) noexcept;
  void clear(std::uint32_t index) noexcept;
  // The arena holding all of [data, data + bytes), if one does (bytes > 0).
  std::optional<Place> find(const void* data, std::uint64_t bytes) const noexcept;
  // This process's address of `bytes` at `place`, or nullptr when they are not
  // inside a set arena.
  void* address(const Place& place, std::uint64_t bytes) const noexcept;

 private:
  struct Range {
    std::uintptr_t base = 0;
    std::uint64_t bytes = 0;  // 0: no arena at this index
  };
  std::array<Range, kMaxArenas> ranges_{};
  std::uint32_t end_ = 0;  // one past the highest index set: find looks no further
};

}  // namespace interop_bench::ipc
