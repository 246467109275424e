// One DoExchange of the arrow-flight strategy: the request is the descriptor's
// command (an operation's name, a NUL, its parameters packed little-endian), the
// array one record batch of a single float64 column without nulls; the answer
// a scalar in app_metadata (sum, matrix_sum, probe) or a batch of one float64
// column (square, scale). Everything from the client is checked before use.
#pragma once

#include <arrow/flight/server.h>

namespace interop_bench::flight {

// What a test asks the peer to do wrong (--fault=...).
enum class Fault { kNone, kDieMidCall, kStall };

arrow::Status serve_exchange(const arrow::flight::ServerCallContext& context,
                             arrow::flight::FlightMessageReader& reader,
                             arrow::flight::FlightMessageWriter& writer, Fault fault);

}  // namespace interop_bench::flight
