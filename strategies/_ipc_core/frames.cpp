#include "frames.hpp"

namespace interop_bench::ipc {

std::optional<CheckedRequest> check_request(const PipeRequest& request, std::string& error,
                                            Carries carries) {
  if (carries == Carries::kFloat64Only && is_kernel_op(request.op) &&
      (request.dtype != static_cast<std::uint32_t>(DType::float64) ||
       request.op == static_cast<std::uint32_t>(Op::kFrame))) {
    error = "this worker carries float64 vectors and matrices only (dtype code " +
            std::to_string(request.dtype) + ", op " + std::to_string(request.op) + ")";
    return std::nullopt;
  }
  const bool frame = request.op == static_cast<std::uint32_t>(Op::kFrame);
  Shape shape{request.count, request.rows, request.cols, request.row_stride};
  if (shape.row_stride == 0) {  // packed rows (a frame's cols overflowing is check_kernel's)
    shape.row_stride = frame ? request.cols * kPixelBytes : request.cols;
  }
  auto checked = check_kernel(request.op, request.dtype, shape, error);
  if (!checked) {
    return std::nullopt;
  }
  if (request.payload_bytes != checked->in_bytes()) {
    error = "payload of " + std::to_string(request.payload_bytes) + " bytes does not hold " +
            std::to_string(checked->in_elements) + " elements of dtype code " +
            std::to_string(request.dtype);
    return std::nullopt;
  }
  return checked;
}

std::uint64_t reply_elements(const CheckedRequest& request) noexcept {
  return request.op == Op::kSquare ? request.in_elements : request.out_elements;
}

std::uint64_t reply_bytes(const CheckedRequest& request) noexcept {
  return request.op == Op::kSquare ? request.in_bytes() : request.out_bytes();
}

PipeResponse reply_header(std::uint32_t seq, const Answer& answer, std::uint64_t payload_bytes,
                          Fault fault) {
  PipeResponse response{};
  response.magic = fault == Fault::kBadMagic ? ~kMagic : kMagic;
  response.seq = fault == Fault::kBadSeq ? seq + 1000 : seq;
  response.status = fault == Fault::kBadStatus ? 0xBAD : static_cast<std::uint32_t>(answer.status);
  response.result = answer.result;
  response.integer_result = answer.integer_result;
  response.detail = answer.detail;
  response.payload_bytes = fault == Fault::kLyingLength   ? kLyingLengthBytes
                           : answer.status == Status::kOk ? payload_bytes
                                                          : 0;
  answer.error.copy(response.error_text, kErrorTextBytes - 1);
  return response;
}

PipeResponse response_header(std::uint32_t seq, const Answer& answer, std::uint64_t elements,
                             Fault fault) {
  return reply_header(seq, answer, elements * kElementBytes, fault);
}

}  // namespace interop_bench::ipc
