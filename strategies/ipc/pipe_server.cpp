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

#include "protocol.hpp"
#include "requests.hpp"
#include "stream_io.hpp"

namespace interop_bench::ipc {
namespace {

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
    const Op op = static_cast<Op>(request.op);
    const Shape shape{request.count, request.rows, request.cols, request.cols};
    std::string error;
    const auto elements = is_kernel_op(request.op) ? input_elements(op, shape, error)
                                                   : std::optional<std::uint64_t>{};
    if (!elements) {
      const std::string text =
          is_kernel_op(request.op) ? error : "unknown op " + std::to_string(request.op);
      return discard(in_fd_, request.payload_bytes) &&
             respond(request.seq, error_answer(text), nullptr, 0);
    }
    if (request.payload_bytes / kElementBytes != *elements ||
        request.payload_bytes % kElementBytes != 0) {
      return discard(in_fd_, request.payload_bytes) &&
             respond(
                 request.seq,
                 error_answer("payload of " + std::to_string(request.payload_bytes) +
                              " bytes does not hold " + std::to_string(*elements) + " elements"),
                 nullptr, 0);
    }
    double* in = nullptr;
    double* out = nullptr;
    const std::uint64_t out_elements = output_elements(op, shape);
    try {
      in = input_.reserve(*elements);
      out = output_.reserve(out_elements);
    } catch (const std::bad_alloc&) {
      return discard(in_fd_, request.payload_bytes) &&
             respond(request.seq, error_answer("out of memory for the request's arrays"), nullptr,
                     0);
    }
    if (!read_all(in_fd_, in, request.payload_bytes)) {
      return false;
    }
    if (options_.fault == Fault::kSlow) stall(options_);
    Answer answer = run_kernel(op, shape, request.factor, {in, *elements}, {out, out_elements});
    answer.detail = reinterpret_cast<std::uintptr_t>(in);
    const double* reply = op == Op::kSquare ? in : out;
    const std::uint64_t reply_elements = op == Op::kSquare ? *elements : out_elements;
    return respond(request.seq, answer, reply, reply_elements);
  }

  bool respond(std::uint32_t seq, const Answer& answer, const double* data,
               std::uint64_t elements) {
    PipeResponse response{};
    response.magic = options_.fault == Fault::kBadMagic ? ~kMagic : kMagic;
    response.seq = options_.fault == Fault::kBadSeq ? seq + 1000 : seq;
    response.status =
        options_.fault == Fault::kBadStatus ? 0xBAD : static_cast<std::uint32_t>(answer.status);
    response.result = answer.result;
    response.detail = answer.detail;
    const std::uint64_t payload_bytes = answer.status == Status::kOk ? elements * kElementBytes : 0;
    response.payload_bytes =
        options_.fault == Fault::kLyingLength ? kLyingLengthBytes : payload_bytes;
    answer.error.copy(response.error_text, kErrorTextBytes - 1);
    if (!write_all(out_fd_, &response, sizeof response)) {
      return false;
    }
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
      return write_all(out_fd_, reinterpret_cast<const std::byte*>(data) + half,
                       payload_bytes - half);
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
