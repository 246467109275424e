#include "pipe_server.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>

#include "frames.hpp"
#include "protocol.hpp"
#include "requests.hpp"

namespace interop_bench::ipc {
namespace {

// Discarded payloads are read through a buffer of this size.
constexpr std::size_t kDiscardChunkBytes = 1 << 16;

// Move exactly `bytes` with `io` (read or write), resuming after partial
// transfers and signals; false on end of input or error.
template <class Byte, class Io>
bool transfer_all(Io io, int fd, Byte* p, std::size_t bytes) {
  while (bytes > 0) {
    const ssize_t n = io(fd, p, bytes);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    p += n;
    bytes -= static_cast<std::size_t>(n);
  }
  return true;
}

bool read_all(int fd, void* to, std::size_t bytes) {
  return transfer_all(::read, fd, static_cast<std::byte*>(to), bytes);
}

bool write_all(int fd, const void* from, std::size_t bytes) {
  return transfer_all(::write, fd, static_cast<const std::byte*>(from), bytes);
}

bool discard(int fd, std::uint64_t bytes) {
  std::byte sink[kDiscardChunkBytes];
  while (bytes > 0) {
    const std::size_t n = bytes < sizeof sink ? bytes : sizeof sink;
    if (!read_all(fd, sink, n)) {
      return false;
    }
    bytes -= n;
  }
  return true;
}

// A buffer of doubles that grows and is never zero-filled (it is always
// overwritten by a read before use).
class Buffer {
 public:
  double* reserve(std::uint64_t elements) {
    if (elements > capacity_) {
      data_.reset(new double[elements]);
      capacity_ = elements;
    }
    return data_.get();
  }

 private:
  std::unique_ptr<double[]> data_;
  std::uint64_t capacity_ = 0;
};

class PipeServer {
 public:
  PipeServer(int in_fd, int out_fd, const WorkerOptions& options)
      : in_fd_(in_fd), out_fd_(out_fd), options_(options) {}

  int serve() {
    PipeRequest request{};
    while (read_all(in_fd_, &request, sizeof request)) {
      if (request.magic != kMagic || request.version != kVersion) {
        // The stream cannot be trusted to be in step any more: say so and stop.
        respond(request.seq, error_answer("bad frame: wrong magic or version"), nullptr, 0);
        return 2;
      }
      if (request.op == static_cast<std::uint32_t>(Op::kStop)) {
        respond(request.seq, Answer{}, nullptr, 0);
        return 0;
      }
      if (!handle(request)) {
        return 2;
      }
    }
    return 0;
  }

 private:
  // Answer one request whose header is valid; false when the stream broke.
  bool handle(const PipeRequest& request) {
    std::string error;
    const auto checked = check_request(request, error);
    if (!checked) {
      return discard(in_fd_, request.payload_bytes) &&
             respond(request.seq, error_answer(error), nullptr, 0);
    }
    double* in = nullptr;
    double* out = nullptr;
    try {
      in = input_.reserve(checked->in_elements);
      out = output_.reserve(checked->out_elements);
    } catch (const std::bad_alloc&) {
      return discard(in_fd_, request.payload_bytes) &&
             respond(request.seq, error_answer("out of memory for the request's arrays"), nullptr,
                     0);
    }
    if (!read_all(in_fd_, in, request.payload_bytes)) {
      return false;
    }
    if (options_.fault == Fault::kSlow) stall(options_);
    Answer answer = run_kernel(checked->op, checked->shape, request.factor,
                               {in, checked->in_elements}, {out, checked->out_elements});
    answer.detail = reinterpret_cast<std::uintptr_t>(in);
    const double* reply = checked->op == Op::kSquare ? in : out;
    return respond(request.seq, answer, reply, reply_elements(*checked));
  }

  bool respond(std::uint32_t seq, const Answer& answer, const double* data,
               std::uint64_t elements) {
    const PipeResponse response = response_header(seq, answer, elements, options_.fault);
    return write_all(out_fd_, &response, sizeof response) &&
           write_all(out_fd_, data, response.payload_bytes);
  }

  int in_fd_;
  int out_fd_;
  WorkerOptions options_;
  Buffer input_;
  Buffer output_;
};

}  // namespace

int serve_pipe(int in_fd, int out_fd, const WorkerOptions& options) {
  return PipeServer(in_fd, out_fd, options).serve();
}

}  // namespace interop_bench::ipc
