#include "shm_server.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "sync.hpp"

namespace interop_bench::ipc {
namespace {

// How long one futex sleep lasts before the worker checks that its parent lives.
constexpr std::int64_t kIdleCheckNs = 100'000'000;
constexpr char kShmDir[] = "/dev/shm/";

// Map /dev/shm/<name> read-write; the mapping's size is the file's size.
void* map_file(const std::string& name, std::uint64_t& bytes, std::string& error) {
  const std::string path = kShmDir + name;
  const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  struct stat st {};
  void* base = MAP_FAILED;
  if (fstat(fd, &st) == 0 && st.st_size > 0) {
    bytes = static_cast<std::uint64_t>(st.st_size);
    base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  }
  close(fd);
  if (base == MAP_FAILED) {
    error = "cannot map " + path;
    return nullptr;
  }
  return base;
}

void copy_text(char* to, std::size_t capacity, const std::string& text) {
  const std::size_t n = text.size() < capacity - 1 ? text.size() : capacity - 1;
  std::memcpy(to, text.data(), n);
  to[n] = '\0';
}

}  // namespace

bool valid_segment_name(const char* name, std::size_t capacity) {
  const std::size_t length = strnlen(name, capacity);
  const std::size_t prefix = sizeof(kSegmentPrefix) - 1;
  if (length == capacity || length <= prefix || std::strncmp(name, kSegmentPrefix, prefix) != 0) {
    return false;
  }
  for (std::size_t i = 0; i < length; ++i) {
    const char c = name[i];
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) {
      return false;
    }
  }
  return true;
}

Control* map_control(const char* name) {
  if (!valid_segment_name(name, kNameBytes)) {
    std::fprintf(stderr, "ib_worker: invalid segment name '%s'\n", name);
    return nullptr;
  }
  std::uint64_t bytes = 0;
  std::string error;
  void* base = map_file(name, bytes, error);
  if (base == nullptr || bytes < sizeof(Control)) {
    std::fprintf(stderr, "ib_worker: %s\n", base ? "control segment too small" : error.c_str());
    return nullptr;
  }
  auto* control = static_cast<Control*>(base);
  if (control->magic != kMagic || control->version != kVersion) {
    std::fprintf(stderr, "ib_worker: control segment has magic %08x version %u, expected %08x %u\n",
                 control->magic, control->version, kMagic, kVersion);
    return nullptr;
  }
  return control;
}

ShmServer::~ShmServer() {
  for (std::uint32_t i = 0; i < kMaxArenas; ++i) {
    unmap_arena(i);
  }
}

int ShmServer::serve(const std::function<bool()>& parent_alive) {
  respond(0, Answer{});  // the handshake: the control segment is mapped
  std::uint32_t last = 0;
  bool just_answered = true;
  for (;;) {
    const std::int64_t spin_ns = just_answered ? options_.spin_ns : 0;
    if (wait_for_change(&control_->request_seq, last, &control_->worker_waiting, spin_ns,
                        kIdleCheckNs) == WaitResult::kTimedOut) {
      just_answered = false;
      if (!parent_alive()) {
        return 1;
      }
      continue;
    }
    last = load_acquire(&control_->request_seq);
    just_answered = true;
    if (!handle(last)) {
      return 0;
    }
  }
}

bool ShmServer::handle(std::uint32_t seq) {
  // Snapshot the request, so that the client cannot change it between the
  // checks and the use.
  Control request;
  constexpr std::size_t first = offsetof(Control, op);
  constexpr std::size_t last = offsetof(Control, response_seq);
  std::memcpy(reinterpret_cast<std::byte*>(&request) + first,
              reinterpret_cast<const std::byte*>(control_) + first, last - first);
  const bool stop = request.op == static_cast<std::uint32_t>(Op::kStop);
  respond(seq, stop ? Answer{} : answer(request));
  return !stop;
}

Answer ShmServer::answer(const Control& request) {
  if (is_kernel_op(request.op)) {
    if (options_.fault == Fault::kSlow) stall(options_);
    return run(request);
  }
  switch (static_cast<Op>(request.op)) {
    case Op::kMapArena:
      return map_arena(request);
    case Op::kUnmapArena:
      return unmap_arena(request.in_arena);
    default:
      return error_answer("unknown op " + std::to_string(request.op));
  }
}

Answer ShmServer::run(const Control& request) {
  const Shape shape{request.count, request.rows, request.cols, request.row_stride};
  std::string error;
  const auto checked = check_kernel(request.op, request.dtype, shape, error);
  if (!checked) {
    return error_answer(error);
  }
  const std::uint64_t item = element_bytes(request.dtype);
  void* in = region(request.in_arena, request.in_offset, checked->in_bytes(), item);
  if (in == nullptr) {
    return error_answer("input (arena " + std::to_string(request.in_arena) + ", offset " +
                        std::to_string(request.in_offset) + ", " +
                        std::to_string(checked->in_bytes()) +
                        " bytes) is outside the mapped arenas or misaligned");
  }
  void* out = region(request.out_arena, request.out_offset, checked->out_bytes(), item);
  if (out == nullptr) {
    return error_answer("output (arena " + std::to_string(request.out_arena) + ", offset " +
                        std::to_string(request.out_offset) + ", " +
                        std::to_string(checked->out_bytes()) +
                        " bytes) is outside the mapped arenas or misaligned");
  }
  Answer answer = run_kernel(*checked, request.factor, in, out);
  answer.detail = request.in_offset;
  return answer;
}

void* ShmServer::region(std::uint32_t arena, std::uint64_t offset_bytes, std::uint64_t bytes,
                        std::uint64_t alignment) {
  if (bytes == 0) {
    return &empty_;  // nothing is read or written there
  }
  if (arena >= kMaxArenas || arenas_[arena].base == nullptr ||
      !fits(offset_bytes, bytes, alignment, arenas_[arena].bytes)) {
    return nullptr;
  }
  return static_cast<std::byte*>(arenas_[arena].base) + offset_bytes;
}

Answer ShmServer::map_arena(const Control& request) {
  const std::uint32_t index = request.in_arena;
  if (index >= kMaxArenas) {
    return error_answer("arena index " + std::to_string(index) + " is out of range");
  }
  if (arenas_[index].base != nullptr) {
    return error_answer("arena " + std::to_string(index) + " is already mapped");
  }
  if (!valid_segment_name(request.arena_name, kNameBytes)) {
    return error_answer("invalid arena segment name");
  }
  std::string error;
  std::uint64_t bytes = 0;
  void* base = map_file(request.arena_name, bytes, error);
  if (base == nullptr) {
    return error_answer(error);
  }
  if (bytes != request.arena_bytes) {
    munmap(base, bytes);
    return error_answer("arena segment holds " + std::to_string(bytes) + " bytes, request says " +
                        std::to_string(request.arena_bytes));
  }
  arenas_[index] = Arena{base, bytes, true};
  return Answer{};
}

Answer ShmServer::unmap_arena(std::uint32_t index) {
  if (index >= kMaxArenas) {
    return error_answer("arena index " + std::to_string(index) + " is out of range");
  }
  Arena& arena = arenas_[index];
  if (arena.owned) {
    munmap(arena.base, arena.bytes);
  }
  arena = Arena{};
  return Answer{};
}

void ShmServer::attach_arena(std::uint32_t index, void* base, std::uint64_t bytes) {
  arenas_.at(index) = Arena{base, bytes, false};
}

void ShmServer::respond(std::uint32_t seq, const Answer& answer) {
  control_->status = static_cast<std::uint32_t>(answer.status);
  if (options_.fault == Fault::kBadMagic && seq != 0) {
    control_->magic = 0;  // scribbles over the client's header
  }
  if (options_.fault == Fault::kBadStatus && seq != 0) {
    control_->status = 0xBAD;
  }
  control_->result = answer.result;
  control_->integer_result = answer.integer_result;
  control_->detail = answer.detail;
  copy_text(control_->error_text, kErrorTextBytes, answer.error);
  const std::uint32_t published = options_.fault == Fault::kBadSeq && seq != 0 ? seq + 1000 : seq;
  publish(&control_->response_seq, published, &control_->client_waiting);
}

}  // namespace interop_bench::ipc
