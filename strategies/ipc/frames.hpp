// The pipe frames' request checks and response headers, shared by every
// transport that carries them (the pipe server's byte stream, the zmq worker's
// messages): what a request header asks for, checked before anything is
// allocated for it, and the header that answers it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "options.hpp"
#include "protocol.hpp"
#include "requests.hpp"

namespace interop_bench::ipc {

// A request header that passed check_request: the kernel op, its shape, and the
// elements of its input (the payload) and of its separate output.
struct CheckedRequest {
  Op op = Op::kSum;
  Shape shape;
  std::uint64_t in_elements = 0;
  std::uint64_t out_elements = 0;
};

// The kernel request a header names, or nullopt with `error` set when its op is
// not a kernel op, its shape is impossible, or its payload_bytes do not hold
// exactly the elements the shape reads. Magic, version and kStop are the
// caller's to check first: what a transport does after them differs.
std::optional<CheckedRequest> check_request(const PipeRequest& request, std::string& error);

// Elements of the reply payload: square's input squared in place, else the output.
std::uint64_t reply_elements(const CheckedRequest& request) noexcept;

// The response header to `answer`, announcing `elements` of payload when it is
// an ok answer (none otherwise); `fault` makes it misbehave for the tests.
PipeResponse response_header(std::uint32_t seq, const Answer& answer, std::uint64_t elements,
                             Fault fault);

}  // namespace interop_bench::ipc
