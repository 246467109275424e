#include "frames.hpp"

namespace interop_bench::ipc {

std::optional<CheckedRequest> check_request(const PipeRequest& request, std::string& error) {
  if (!is_kernel_op(request.op)) {
    error = "unknown op " + std::to_string(request.op);
    return std::nullopt;
  }
  CheckedRequest checked;
  checked.op = static_cast<Op>(request.op);
  checked.shape = Shape{request.count, request.rows, request.cols, request.cols};
  const auto elements = input_elements(checked.op, checked.shape, error);
  if (!elements) {
    return std::nullopt;
  }
  if (request.payload_bytes / kElementBytes != *elements ||
      request.payload_bytes % kElementBytes != 0) {
    error = "payload of " + std::to_string(request.payload_bytes) + " bytes does not hold " +
            std::to_string(*elements) + " elements";
    return std::nullopt;
  }
  checked.in_elements = *elements;
  checked.out_elements = output_elements(checked.op, checked.shape);
  return checked;
}

std::uint64_t reply_elements(const CheckedRequest& request) noexcept {
  return request.op == Op::kSquare ? request.in_elements : request.out_elements;
}

PipeResponse response_header(std::uint32_t seq, const Answer& answer, std::uint64_t elements,
                             Fault fault) {
  PipeResponse response{};
  response.magic = fault == Fault::kBadMagic ? ~kMagic : kMagic;
  response.seq = fault == Fault::kBadSeq ? seq + 1000 : seq;
  response.status = fault == Fault::kBadStatus ? 0xBAD : static_cast<std::uint32_t>(answer.status);
  response.result = answer.result;
  response.detail = answer.detail;
  response.payload_bytes = fault == Fault::kLyingLength   ? kLyingLengthBytes
                           : answer.status == Status::kOk ? elements * kElementBytes
                                                          : 0;
  answer.error.copy(response.error_text, kErrorTextBytes - 1);
  return response;
}

}  // namespace interop_bench::ipc
