// One DoExchange of the arrow-flight strategy: the request is the descriptor's
// command (an operation's name, a NUL, its parameters packed little-endian), the
// array one record batch of a single column without nulls, of one of the dtype
// axis's types (float64, float32, int32, int16, uint8: Arrow's own typed
// columns, so the dtype travels with the data); the answer a scalar in
// app_metadata (sum, matrix_sum, probe) or a batch of one column (square,
// scale, frame). A frames exchange carries frame after frame, each answered in
// order with its number. Everything from the client is checked before use.
#pragma once

#include <arrow/api.h>
#include <arrow/flight/server.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace interop_bench::flight {

struct Request {
  std::string_view op;
  std::string_view params;  // packed little-endian, as the op says
};

// The descriptor's command: the op's name up to the first NUL, its parameters after it.
arrow::Result<Request> parse_command(std::string_view command);

// One frame of a frames exchange (the command "frames", the stream's frames
// pipelined): its number and its request, from its batch's app_metadata (the
// number, then the frame's rows and cols, each 8 bytes little-endian).
struct FrameRequest {
  std::uint64_t seq = 0;
  Request request;
};
arrow::Result<FrameRequest> frame_request(std::string_view metadata);

// The request's column, checked: one column of a type the kernels carry, no
// nulls, buffers as large as its length and offset say, at most `max_bytes` of
// values (the peer's --max-bytes); copied to an aligned buffer when misaligned.
arrow::Result<std::shared_ptr<arrow::Array>> checked_column(const arrow::RecordBatch& batch,
                                                            std::uint64_t max_bytes);

// What an exchange answers: the 8-byte scalar of sum, matrix_sum and probe
// (a double for float columns, an int64 for signed ones, a uint64 for uint8:
// np.sum's types), or the column of square, scale and frame.
struct Reply {
  std::string scalar;
  std::shared_ptr<arrow::Array> column;
};

// The answer to `request` over a column that checked_column accepted; every
// parameter is hostile (the fuzz target's entry point with checked_column).
arrow::Result<Reply> answer(const Request& request, const arrow::Array& column);

// What a test asks the peer to do wrong (--fault=...).
enum class Fault { kNone, kDieMidCall, kStall };

struct ExchangeOptions {
  Fault fault = Fault::kNone;
  std::uint64_t max_bytes = 0;  // the largest column accepted, in bytes of values
};

arrow::Status serve_exchange(const arrow::flight::ServerCallContext& context,
                             arrow::flight::FlightMessageReader& reader,
                             arrow::flight::FlightMessageWriter& writer,
                             const ExchangeOptions& options);

}  // namespace interop_bench::flight
