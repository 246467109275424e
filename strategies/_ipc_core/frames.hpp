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

// Which element types a transport's worker carries: float64 alone until it
// reads and writes its arrays by the request's dtype (transitional: every
// transport carries every dtype once ported, and this goes).
enum class Carries { kFloat64Only, kEveryDType };

// The kernel request a header names, or nullopt with `error` set when its op is
// not a kernel op, its dtype is unknown (or not carried), its shape is
// impossible, or its payload_bytes do not hold exactly the bytes the shape
// reads. A row_stride of 0 means packed rows. Magic, version and kStop are the
// caller's to check first: what a transport does after them differs.
std::optional<CheckedRequest> check_request(const PipeRequest& request, std::string& error,
                                            Carries carries = Carries::kFloat64Only);

// Elements of the reply payload: square's input squared in place, else the output.
std::uint64_t reply_elements(const CheckedRequest& request) noexcept;

// Bytes of the reply payload (reply_elements of the request's dtype).
std::uint64_t reply_bytes(const CheckedRequest& request) noexcept;

// The response header to `answer`, announcing `payload_bytes` when it is an ok
// answer (none otherwise); `fault` makes it misbehave for the tests.
PipeResponse reply_header(std::uint32_t seq, const Answer& answer, std::uint64_t payload_bytes,
                          Fault fault);

// reply_header for `elements` of float64 (the transports that carry float64 only).
PipeResponse response_header(std::uint32_t seq, const Answer& answer, std::uint64_t elements,
                             Fault fault);

}  // namespace interop_bench::ipc
