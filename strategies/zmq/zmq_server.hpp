// The zmq worker's side of the `zmq` and `zmq-copy` strategies: each request is
// one message of two frames (a PipeRequest header, then the payload of its dtype)
// on a REP socket, each reply one message of two frames (a PipeResponse header,
// then the reply payload). The header and its checks are the pipe protocol's
// (strategies/_ipc_core/frames.hpp); only the framing is zmq's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <zmq.hpp>

#include "frames.hpp"
#include "options.hpp"

namespace interop_bench::zmq_ipc {

// The frames of a request the server keeps: the header and the payload, and a
// third to know that there were too many (the rest are received and dropped).
inline constexpr std::size_t kKeptFrames = 3;

struct Reply {
  zmq::message_t header;
  zmq::message_t payload;
  bool stop = false;  // answering kStop: the worker exits once this is sent
};

class ZmqServer {
 public:
  explicit ZmqServer(const ipc::WorkerOptions& options) : options_(options) {}

  // The reply to one request: `frames` as received (at most kKeptFrames of them,
  // `frame_count` in all). Every field is hostile; bad input gets an error reply.
  Reply answer(std::span<zmq::message_t> frames, std::size_t frame_count);

  // Serve on `socket` until kStop (returns 0; unless `exit_on_stop` is false,
  // as for a network peer serving client after client: kStop is then only
  // answered), the parent's death (1) or a broken socket (2); `parent_alive` is
  // asked whenever the socket stays idle.
  int serve(zmq::socket_t& socket, const std::function<bool()>& parent_alive,
            bool exit_on_stop = true);

 private:
  Reply run(const ipc::PipeRequest& request, const ipc::CheckedRequest& checked,
            zmq::message_t& payload);
  Reply error_reply(std::uint32_t seq, std::string text) const;
  void* scratch(std::uint64_t bytes);

  ipc::WorkerOptions options_;
  // Where a payload that libzmq left unaligned for its element type is copied.
  std::unique_ptr<double[]> scratch_;
  std::uint64_t scratch_bytes_ = 0;
};

}  // namespace interop_bench::zmq_ipc
