#include "flight_exchange.hpp"

#include <arrow/api.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include "interop_bench/kernels.hpp"

namespace interop_bench::flight {
namespace {

using arrow::Status;
namespace kernels = interop_bench::kernels;

// How long a stalling peer (--fault=stall) waits for the client to give up.
constexpr auto kStallLimit = std::chrono::seconds(60);

arrow::Result<Request> parse_descriptor(const arrow::flight::FlightDescriptor& descriptor) {
  if (descriptor.type != arrow::flight::FlightDescriptor::CMD) {
    return Status::Invalid("expected a command descriptor");
  }
  return parse_command(descriptor.cmd);
}

template <class T>
arrow::Result<T> param(const Request& request, std::size_t index) {
  if (request.params.size() < (index + 1) * sizeof(T)) {
    return Status::Invalid(std::string(request.op), ": the command lacks its parameters");
  }
  T value;
  std::memcpy(&value, request.params.data() + index * sizeof(T), sizeof(T));
  return value;
}

Status expect_params(const Request& request, std::size_t bytes) {
  if (request.params.size() != bytes) {
    return Status::Invalid(std::string(request.op), ": expected ", bytes,
                           " bytes of parameters, got ", request.params.size());
  }
  return Status::OK();
}

arrow::Result<std::shared_ptr<arrow::DoubleArray>> read_column(
    arrow::flight::FlightMessageReader& reader) {
  ARROW_ASSIGN_OR_RAISE(arrow::flight::FlightStreamChunk chunk, reader.Next());
  if (chunk.data == nullptr) {
    return Status::Invalid("the exchange carried no record batch");
  }
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::DoubleArray> column, checked_column(*chunk.data));
  ARROW_ASSIGN_OR_RAISE(arrow::flight::FlightStreamChunk extra, reader.Next());
  if (extra.data != nullptr || extra.app_metadata != nullptr) {
    return Status::Invalid("expected a single record batch");
  }
  return column;
}

kernels::span<const double> values_of(const arrow::DoubleArray& column) {
  return {column.raw_values(), static_cast<std::size_t>(column.length())};
}

Status write_scalar(arrow::flight::FlightMessageWriter& writer, const void* value) {
  return writer.WriteMetadata(arrow::Buffer::FromString(
      std::string(static_cast<const char*>(value), sizeof(std::uint64_t))));
}

Status write_column(arrow::flight::FlightMessageWriter& writer,
                    std::shared_ptr<arrow::Buffer> values, std::int64_t length) {
  auto column = std::make_shared<arrow::DoubleArray>(length, std::move(values));
  auto schema = arrow::schema({arrow::field("values", arrow::float64(), false)});
  ARROW_RETURN_NOT_OK(writer.Begin(schema));
  return writer.WriteRecordBatch(*arrow::RecordBatch::Make(schema, length, {column}));
}

// square: in place in the values' buffer when Arrow says it may be written
// (the aligned copy may), else into a fresh one.
Status square(const arrow::DoubleArray& column, arrow::flight::FlightMessageWriter& writer) {
  std::shared_ptr<arrow::Buffer> values = column.data()->buffers[1];
  const auto count = static_cast<std::size_t>(column.length());
  if (!values->is_mutable() || column.offset() != 0) {
    ARROW_ASSIGN_OR_RAISE(values,
                          arrow::AllocateBuffer(static_cast<std::int64_t>(count * sizeof(double))));
    std::memcpy(values->mutable_data(), column.raw_values(), count * sizeof(double));
  }
  kernels::square_inplace({reinterpret_cast<double*>(values->mutable_data()), count});
  return write_column(writer, std::move(values), column.length());
}

Status scale(const Request& request, const arrow::DoubleArray& column,
             arrow::flight::FlightMessageWriter& writer) {
  ARROW_RETURN_NOT_OK(expect_params(request, sizeof(double)));
  ARROW_ASSIGN_OR_RAISE(double factor, param<double>(request, 0));
  const auto count = static_cast<std::size_t>(column.length());
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> result,
                        arrow::AllocateBuffer(static_cast<std::int64_t>(count * sizeof(double))));
  kernels::scale(values_of(column), factor,
                 {reinterpret_cast<double*>(result->mutable_data()), count});
  return write_column(writer, std::move(result), column.length());
}

void stall_until_cancelled(const arrow::flight::ServerCallContext& context) {
  const auto limit = std::chrono::steady_clock::now() + kStallLimit;
  while (!context.is_cancelled() && std::chrono::steady_clock::now() < limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

arrow::Result<Request> parse_command(std::string_view command) {
  const std::size_t end = command.find('\0');
  if (end == std::string_view::npos) {
    return Status::Invalid("the command has no NUL after the operation's name");
  }
  return Request{command.substr(0, end), command.substr(end + 1)};
}

namespace {

// The values where the kernels may read them as doubles: gRPC's received
// message places the IPC body at whatever offset its framing leaves, so the
// column's values are (in practice always) misaligned, and are then copied into
// a buffer of Arrow's alignment.
arrow::Result<std::shared_ptr<arrow::DoubleArray>> aligned_column(
    std::shared_ptr<arrow::DoubleArray> column) {
  if (reinterpret_cast<std::uintptr_t>(column->raw_values()) % alignof(double) == 0) {
    return column;
  }
  const auto bytes = static_cast<std::int64_t>(column->length() * sizeof(double));
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> copy, arrow::AllocateBuffer(bytes));
  std::memcpy(copy->mutable_data(), column->raw_values(), static_cast<std::size_t>(bytes));
  return std::make_shared<arrow::DoubleArray>(column->length(), std::move(copy));
}

}  // namespace

// One float64 column without nulls whose buffers hold what its length says
// (Validate checks them against length and offset).
arrow::Result<std::shared_ptr<arrow::DoubleArray>> checked_column(const arrow::RecordBatch& batch) {
  if (batch.num_columns() != 1 || batch.column(0)->type_id() != arrow::Type::DOUBLE) {
    return Status::Invalid("expected one float64 column, got ", batch.schema()->ToString());
  }
  ARROW_RETURN_NOT_OK(batch.Validate());
  if (batch.column(0)->null_count() != 0) {
    return Status::Invalid("the column has nulls");
  }
  return aligned_column(std::static_pointer_cast<arrow::DoubleArray>(batch.column(0)));
}

arrow::Result<double> matrix_total(const Request& request, const arrow::DoubleArray& column) {
  ARROW_RETURN_NOT_OK(expect_params(request, 2 * sizeof(std::uint64_t)));
  ARROW_ASSIGN_OR_RAISE(std::uint64_t rows, param<std::uint64_t>(request, 0));
  ARROW_ASSIGN_OR_RAISE(std::uint64_t cols, param<std::uint64_t>(request, 1));
  std::uint64_t elements = 0;
  if (__builtin_mul_overflow(rows, cols, &elements) ||
      elements != static_cast<std::uint64_t>(column.length())) {
    return Status::Invalid("matrix_sum: ", rows, " x ", cols, " does not match the column's ",
                           column.length(), " values");
  }
  return kernels::matrix_sum(column.raw_values(), rows, cols, cols);
}

Status serve_exchange(const arrow::flight::ServerCallContext& context,
                      arrow::flight::FlightMessageReader& reader,
                      arrow::flight::FlightMessageWriter& writer, Fault fault) {
  ARROW_ASSIGN_OR_RAISE(Request request, parse_descriptor(reader.descriptor()));
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::DoubleArray> column, read_column(reader));
  if (fault == Fault::kDieMidCall) {
    _exit(3);  // the client's call is under way: it must see the peer gone
  }
  if (fault == Fault::kStall) {
    stall_until_cancelled(context);
  }
  if (request.op == "sum" || request.op == "probe") {
    ARROW_RETURN_NOT_OK(expect_params(request, 0));
    if (request.op == "probe") {  // where the peer holds the values it received
      const auto address = reinterpret_cast<std::uint64_t>(column->raw_values());
      return write_scalar(writer, &address);
    }
    const double total = kernels::sum(values_of(*column));
    return write_scalar(writer, &total);
  }
  if (request.op == "matrix_sum") {
    ARROW_ASSIGN_OR_RAISE(const double total, matrix_total(request, *column));
    return write_scalar(writer, &total);
  }
  if (request.op == "square") {
    ARROW_RETURN_NOT_OK(expect_params(request, 0));
    return square(*column, writer);
  }
  if (request.op == "scale") {
    return scale(request, *column, writer);
  }
  return Status::Invalid("unknown operation '", std::string(request.op), "'");
}

}  // namespace interop_bench::flight
