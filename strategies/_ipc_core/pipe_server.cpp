#include "pipe_server.hpp"

#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>

#include "frames.hpp"
#include "protocol.hpp"
#include "requests.hpp"
#include "stream_io.hpp"

namespace interop_bench::ipc {
namespace {

// A buffer that grows and is never zero-filled (it is always overwritten by a
// read before use); held as doubles, so aligned for every dtype.
class Buffer {
 public:
  void* reserve(std::uint64_t bytes) {
    const std::uint64_t elements = (bytes + sizeof(double) - 1) / sizeof(double);
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
    while (read_frame_start(in_fd_, &request, sizeof request)) {
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
    if (request.payload_bytes > options_.max_payload_bytes) {
      // Too much to receive, and too much to read past: refuse and end the stream.
      respond(request.seq,
              error_answer("payload of " + std::to_string(request.payload_bytes) +
                           " bytes is over this worker's limit of " +
                           std::to_string(options_.max_payload_bytes) + " (--max-bytes)"),
              nullptr, 0);
      return false;
    }
    std::string error;
    const auto checked = check_request(request, error, Carries::kEveryDType);
    if (!checked) {
      return discard(in_fd_, request.payload_bytes) &&
             respond(request.seq, error_answer(error), nullptr, 0);
    }
    void* in = nullptr;
    void* out = nullptr;
    try {
      in = input_.reserve(checked->in_bytes());
      out = output_.reserve(checked->out_bytes());
    } catch (const std::bad_alloc&) {
      return discard(in_fd_, request.payload_bytes) &&
             respond(request.seq, error_answer("out of memory for the request's arrays"), nullptr,
                     0);
    }
    if (!read_all(in_fd_, in, request.payload_bytes)) {
      return false;
    }
    if (options_.fault == Fault::kSlow) stall(options_);
    Answer answer = run_kernel(*checked, request.factor, in, out);
    answer.detail = reinterpret_cast<std::uintptr_t>(in);
    const void* reply = checked->op == Op::kSquare ? in : out;
    return respond(request.seq, answer, reply, reply_bytes(*checked));
  }

  bool respond(std::uint32_t seq, const Answer& answer, const void* data, std::uint64_t bytes) {
    const PipeResponse response = reply_header(seq, answer, bytes, options_.fault);
    if (!write_all(out_fd_, &response, sizeof response)) {
      return false;
    }
    const std::uint64_t payload_bytes = answer.status == Status::kOk ? bytes : 0;
    const bool mid_reply_fault =
        options_.fault == Fault::kStallReply || options_.fault == Fault::kDieMidReply;
    if (mid_reply_fault && payload_bytes > 0) {
      // Half the reply, then a stall (the tests kill the worker) or an exit:
      // a worker that goes away mid-transfer.
      const std::uint64_t half = payload_bytes / 2;
      if (!write_all(out_fd_, data, half)) {
        return false;
      }
      if (options_.fault == Fault::kDieMidReply) {
        std::_Exit(3);
      }
      stall(options_);
      return write_all(out_fd_, static_cast<const std::byte*>(data) + half, payload_bytes - half);
    }
    return write_all(out_fd_, data, payload_bytes);
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
