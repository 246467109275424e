// The worker's shared-memory side: it answers the requests written into the
// control block, reading and writing arrays in data arenas (other segments
// that the client asks it to map).
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "options.hpp"
#include "protocol.hpp"
#include "requests.hpp"

namespace interop_bench::ipc {

class ShmServer {
 public:
  ShmServer(Control* control, const WorkerOptions& options)
      : control_(control), options_(options) {}
  ~ShmServer();
  ShmServer(const ShmServer&) = delete;
  ShmServer& operator=(const ShmServer&) = delete;

  // Answer the handshake, then requests until kStop (returns 0) or until
  // `parent_alive` says the client is gone (returns 1).
  int serve(const std::function<bool()>& parent_alive);

  // Answer the request published as `seq`; false after kStop. Public for tests.
  bool handle(std::uint32_t seq);

  // Use `base` as data arena `index` without mapping a file (tests only).
  void attach_arena(std::uint32_t index, void* base, std::uint64_t bytes);

 private:
  struct Arena {
    void* base = nullptr;
    std::uint64_t bytes = 0;
    bool owned = false;  // mapped by us, so unmapped by us
  };

  Answer answer(const Control& request);
  Answer run(const Control& request);
  Answer map_arena(const Control& request);
  Answer unmap_arena(std::uint32_t index);
  // Where `bytes` at `offset_bytes` of `arena` are, or nullptr when they are not
  // all inside it or the offset is not a multiple of `alignment`.
  void* region(std::uint32_t arena, std::uint64_t offset_bytes, std::uint64_t bytes,
               std::uint64_t alignment);
  void respond(std::uint32_t seq, const Answer& answer);

  Control* control_;
  WorkerOptions options_;
  std::array<Arena, kMaxArenas> arenas_{};
  double empty_ = 0.0;  // where an empty array "is": never read or written
};

// Map the control segment /dev/shm/<name>; nullptr (and a message on stderr)
// when it is missing, too small or not ours.
Control* map_control(const char* name);

// True when `name` is a segment name the worker may open: the project's prefix,
// then letters, digits and underscores only, NUL-terminated within `capacity`.
bool valid_segment_name(const char* name, std::size_t capacity);

}  // namespace interop_bench::ipc
