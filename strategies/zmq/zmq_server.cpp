#include "zmq_server.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "requests.hpp"

namespace interop_bench::zmq_ipc {
namespace {

// How often an idle worker asks whether its parent still lives (PR_SET_PDEATHSIG
// normally kills it first; this catches a parent that died before prctl ran).
constexpr std::chrono::milliseconds kIdleCheck{1000};

void free_buffer(void* data, void* /*hint*/) {
  std::free(data);
}

// The frame's bytes where the kernel may read them as elements of
// `element_bytes`, or nullptr when libzmq placed them unaligned for that (a
// small message left where it arrived in libzmq's receive batch).
void* aligned_elements(zmq::message_t& frame, std::uint64_t element_bytes) {
  void* data = frame.data();
  return reinterpret_cast<std::uintptr_t>(data) % element_bytes == 0 ? data : nullptr;
}

// An output of `bytes` as a message over a buffer of our own (malloc: aligned
// for every element type), handed to libzmq without a copy (zmq_msg_init_data,
// freed by libzmq when sent).
zmq::message_t output_message(std::uint64_t bytes) {
  if (bytes == 0) {
    return zmq::message_t();
  }
  void* buffer = std::malloc(bytes);
  if (buffer == nullptr) {
    throw std::bad_alloc();
  }
  return zmq::message_t(buffer, bytes, free_buffer, nullptr);
}

zmq::message_t header_message(const ipc::PipeResponse& response) {
  return zmq::message_t(&response, sizeof response);
}

// Receive the frames of one message, keeping at most kKeptFrames; how many there were.
std::size_t receive(zmq::socket_t& socket, std::vector<zmq::message_t>& frames) {
  frames.clear();
  std::size_t count = 0;
  zmq::message_t frame;
  do {
    frame = zmq::message_t();
    if (!socket.recv(frame, zmq::recv_flags::none)) {
      return count;
    }
    if (count++ < kKeptFrames) {
      frames.push_back(std::move(frame));
    }
  } while (socket.get(zmq::sockopt::rcvmore) != 0);
  return count;
}

}  // namespace

Reply ZmqServer::error_reply(std::uint32_t seq, std::string text) const {
  Reply reply;
  reply.header =
      header_message(ipc::reply_header(seq, ipc::error_answer(std::move(text)), 0, options_.fault));
  return reply;
}

void* ZmqServer::scratch(std::uint64_t bytes) {
  if (bytes > scratch_bytes_) {
    // Whole doubles: aligned for every element type.
    scratch_.reset(new double[(bytes + sizeof(double) - 1) / sizeof(double)]);
    scratch_bytes_ = bytes;
  }
  return scratch_.get();
}

Reply ZmqServer::answer(std::span<zmq::message_t> frames, std::size_t frame_count) {
  ipc::PipeRequest request{};
  if (frames.empty() || frames[0].size() != sizeof request) {
    return error_reply(0, "a request header is " + std::to_string(sizeof request) + " bytes, got " +
                              std::to_string(frames.empty() ? 0 : frames[0].size()));
  }
  std::memcpy(&request, frames[0].data(), sizeof request);  // the frame may be unaligned
  if (frame_count != 2) {
    return error_reply(
        request.seq, "a request is 2 frames (header, payload), got " + std::to_string(frame_count));
  }
  if (request.magic != ipc::kMagic || request.version != ipc::kVersion) {
    return error_reply(request.seq, "bad frame: wrong magic or version");
  }
  if (request.op == static_cast<std::uint32_t>(ipc::Op::kStop)) {
    Reply reply;
    reply.header = header_message(ipc::reply_header(request.seq, {}, 0, options_.fault));
    reply.stop = true;
    return reply;
  }
  std::string error;
  const auto checked = ipc::check_request(request, error, ipc::Carries::kEveryDType);
  if (!checked) {
    return error_reply(request.seq, error);
  }
  if (frames[1].size() != request.payload_bytes) {
    return error_reply(request.seq, "payload frame of " + std::to_string(frames[1].size()) +
                                        " bytes, the header says " +
                                        std::to_string(request.payload_bytes));
  }
  try {
    return run(request, *checked, frames[1]);
  } catch (const std::bad_alloc&) {
    return error_reply(request.seq, "out of memory for the request's arrays");
  } catch (const zmq::error_t& failure) {
    return error_reply(request.seq, std::string("zmq: ") + failure.what());
  }
}

Reply ZmqServer::run(const ipc::PipeRequest& request, const ipc::CheckedRequest& checked,
                     zmq::message_t& payload) {
  void* in = aligned_elements(payload, interop_bench::item_bytes(checked.dtype));
  const bool in_place = in != nullptr;
  if (!in_place && payload.size() > 0) {
    in = scratch(payload.size());
    std::memcpy(in, payload.data(), payload.size());
  }
  Reply reply;
  reply.payload = output_message(checked.out_bytes());
  if (options_.fault == ipc::Fault::kSlow) ipc::stall(options_);
  ipc::Answer answer = ipc::run_kernel(checked, request.factor, in, reply.payload.data());
  answer.detail = reinterpret_cast<std::uintptr_t>(in);
  if (answer.status != ipc::Status::kOk) {
    // Refused by the kernel's own check (scale's factor that the integer type
    // does not hold): the reply carries no payload.
    reply.payload = zmq::message_t();
  } else if (checked.op == ipc::Op::kSquare) {
    // Squared where it was read: the request's own message goes back (no copy),
    // or the aligned copy does.
    reply.payload = in_place ? std::move(payload) : zmq::message_t(in, payload.size());
  }
  reply.header = header_message(
      ipc::reply_header(request.seq, answer, ipc::reply_bytes(checked), options_.fault));
  return reply;
}

int ZmqServer::serve(zmq::socket_t& socket, const std::function<bool()>& parent_alive,
                     bool exit_on_stop) {
  std::vector<zmq::message_t> frames;
  frames.reserve(kKeptFrames);
  while (true) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, kIdleCheck) == 0) {
      if (!parent_alive()) {
        return 1;
      }
      continue;
    }
    const std::size_t count = receive(socket, frames);
    if (count == 0) {
      return 2;
    }
    Reply reply = answer(frames, count);
    if (!socket.send(reply.header, zmq::send_flags::sndmore) ||
        !socket.send(reply.payload, zmq::send_flags::none)) {
      return 2;
    }
    if (reply.stop && exit_on_stop) {
      return 0;
    }
  }
}

}  // namespace interop_bench::zmq_ipc
