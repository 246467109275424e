// One DoExchange of the arrow-flight strategy: the request is the descriptor's
// command (an operation's name, a NUL, its parameters packed little-endian), the
// array one record batch of a single float64 column without nulls; the answer
// a scalar in app_metadata (sum, matrix_sum, probe) or a batch of one float64
// column (square, scale). Everything from the client is checked before use.
#pragma once

#include <arrow/api.h>
#include <arrow/flight/server.h>

#include <memory>
#include <string_view>

namespace interop_bench::flight {

struct Request {
  std::string_view op;
  std::string_view params;  // packed little-endian, as the op says
};

// The descriptor's command: the op's name up to the first NUL, its parameters after it.
arrow::Result<Request> parse_command(std::string_view command);

// The request's column, checked: one float64 column, no nulls, buffers as large
// as its length and offset say; copied to an aligned buffer when misaligned.
arrow::Result<std::shared_ptr<arrow::DoubleArray>> checked_column(const arrow::RecordBatch& batch);

// matrix_sum's answer: its rows x cols (the parameters) must be the column's length.
arrow::Result<double> matrix_total(const Request& request, const arrow::DoubleArray& column);

// What a test asks the peer to do wrong (--fault=...).
enum class Fault { kNone, kDieMidCall, kStall };

arrow::Status serve_exchange(const arrow::flight::ServerCallContext& context,
                             arrow::flight::FlightMessageReader& reader,
                             arrow::flight::FlightMessageWriter& writer, Fault fault);

}  // namespace interop_bench::flight
