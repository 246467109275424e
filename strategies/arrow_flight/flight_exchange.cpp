#include "flight_exchange.hpp"

#include <arrow/api.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "interop_bench/kernels.hpp"

namespace interop_bench::flight {
namespace {

using arrow::Status;
namespace kernels = interop_bench::kernels;

template <class ArrowType>
using ArrayOf = arrow::NumericArray<ArrowType>;

// How long a stalling peer (--fault=stall) waits for the client to give up.
constexpr auto kStallLimit = std::chrono::seconds(60);
// Bytes per pixel of a frame's RGB column.
constexpr std::uint64_t kChannels = 3;

// f(an ArrowType{}) for the column types of the dtype axis; any other is refused.
template <class F>
auto with_dtype(const arrow::DataType& type, F&& f) -> decltype(f(arrow::DoubleType{})) {
  switch (type.id()) {
    case arrow::Type::DOUBLE:
      return f(arrow::DoubleType{});
    case arrow::Type::FLOAT:
      return f(arrow::FloatType{});
    case arrow::Type::INT32:
      return f(arrow::Int32Type{});
    case arrow::Type::INT16:
      return f(arrow::Int16Type{});
    case arrow::Type::UINT8:
      return f(arrow::UInt8Type{});
    default:
      return Status::Invalid("expected one column of float64, float32, int32, int16 or uint8, got ",
                             type.ToString());
  }
}

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

arrow::Result<std::shared_ptr<arrow::Buffer>> allocate(std::uint64_t bytes) {
  ARROW_ASSIGN_OR_RAISE(std::unique_ptr<arrow::Buffer> buffer,
                        arrow::AllocateBuffer(static_cast<std::int64_t>(bytes)));
  return std::shared_ptr<arrow::Buffer>(std::move(buffer));
}

// The values where the kernels may read them as their type: gRPC's received
// message places the IPC body at whatever offset its framing leaves, so a
// column of a type wider than a byte is (in practice always) misaligned, and
// is then copied into a buffer of Arrow's alignment.
template <class ArrowType>
arrow::Result<std::shared_ptr<arrow::Array>> aligned(std::shared_ptr<ArrayOf<ArrowType>> column) {
  using T = typename ArrowType::c_type;
  if (reinterpret_cast<std::uintptr_t>(column->raw_values()) % alignof(T) == 0) {
    return std::shared_ptr<arrow::Array>(std::move(column));
  }
  const auto bytes = static_cast<std::uint64_t>(column->length()) * sizeof(T);
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> copy, allocate(bytes));
  std::memcpy(copy->mutable_data(), column->raw_values(), bytes);
  return std::shared_ptr<arrow::Array>(
      std::make_shared<ArrayOf<ArrowType>>(column->length(), std::move(copy)));
}

arrow::Result<std::shared_ptr<arrow::Array>> read_column(arrow::flight::FlightMessageReader& reader,
                                                         std::uint64_t max_bytes) {
  ARROW_ASSIGN_OR_RAISE(arrow::flight::FlightStreamChunk chunk, reader.Next());
  if (chunk.data == nullptr) {
    return Status::Invalid("the exchange carried no record batch");
  }
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Array> column,
                        checked_column(*chunk.data, max_bytes));
  ARROW_ASSIGN_OR_RAISE(arrow::flight::FlightStreamChunk extra, reader.Next());
  if (extra.data != nullptr || extra.app_metadata != nullptr) {
    return Status::Invalid("expected a single record batch");
  }
  return column;
}

// A scalar answer on 8 bytes, in np.sum's type: a double for floats (a float32
// sum widens exactly), int64 / uint64 for integers (sum_t already is).
template <class T>
std::string scalar_bytes(T value) {
  using Wire = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  static_assert(sizeof(Wire) == 8, "scalars cross on 8 bytes");
  const Wire wire = value;
  std::string bytes(sizeof wire, '\0');
  std::memcpy(bytes.data(), &wire, sizeof wire);
  return bytes;
}

struct Shape {
  std::uint64_t rows = 0;
  std::uint64_t cols = 0;
};

// The rows x cols parameters of matrix_sum and frame, which must describe the
// column's `length` values at `per_cell` values per cell, without overflow.
arrow::Result<Shape> shape_of(const Request& request, std::int64_t length, std::uint64_t per_cell) {
  ARROW_RETURN_NOT_OK(expect_params(request, 2 * sizeof(std::uint64_t)));
  ARROW_ASSIGN_OR_RAISE(const std::uint64_t rows, param<std::uint64_t>(request, 0));
  ARROW_ASSIGN_OR_RAISE(const std::uint64_t cols, param<std::uint64_t>(request, 1));
  std::uint64_t values = 0;
  if (__builtin_mul_overflow(rows, cols, &values) ||
      __builtin_mul_overflow(values, per_cell, &values) ||
      values != static_cast<std::uint64_t>(length)) {
    return Status::Invalid(std::string(request.op), ": ", rows, " x ", cols,
                           per_cell == 1 ? "" : " x " + std::to_string(per_cell),
                           " does not match the column's ", length, " values");
  }
  return Shape{rows, cols};
}

// scale's factor in the column's own type: a double for float columns (a
// float32 one rounds it to float, as NumPy does), an int64 that must fit an
// integer column's type (NumPy refuses one that does not).
template <class T>
arrow::Result<T> factor_of(const Request& request) {
  ARROW_RETURN_NOT_OK(expect_params(request, 8));
  if constexpr (std::is_floating_point_v<T>) {
    ARROW_ASSIGN_OR_RAISE(const double factor, param<double>(request, 0));
    return static_cast<T>(factor);
  } else {
    ARROW_ASSIGN_OR_RAISE(const std::int64_t factor, param<std::int64_t>(request, 0));
    if (!std::in_range<T>(factor)) {
      return Status::Invalid("scale: the factor ", factor, " does not fit the column's type");
    }
    return static_cast<T>(factor);
  }
}

// square: in place in the values' buffer when Arrow says it may be written
// (the aligned copy may), else into a fresh one.
template <class ArrowType>
arrow::Result<Reply> square(const ArrayOf<ArrowType>& column) {
  using T = typename ArrowType::c_type;
  std::shared_ptr<arrow::Buffer> values = column.data()->buffers[1];
  const auto count = static_cast<std::size_t>(column.length());
  if (values == nullptr || !values->is_mutable() || column.offset() != 0) {
    ARROW_ASSIGN_OR_RAISE(values, allocate(count * sizeof(T)));
    if (count > 0) {
      std::memcpy(values->mutable_data(), column.raw_values(), count * sizeof(T));
    }
  }
  kernels::square_inplace({reinterpret_cast<T*>(values->mutable_data()), count});
  return Reply{{}, std::make_shared<ArrayOf<ArrowType>>(column.length(), std::move(values))};
}

template <class ArrowType>
arrow::Result<Reply> scale(const Request& request, const ArrayOf<ArrowType>& column) {
  using T = typename ArrowType::c_type;
  ARROW_ASSIGN_OR_RAISE(const T factor, factor_of<T>(request));
  const auto count = static_cast<std::size_t>(column.length());
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> result, allocate(count * sizeof(T)));
  kernels::scale({column.raw_values(), count}, factor,
                 {reinterpret_cast<T*>(result->mutable_data()), count});
  return Reply{{}, std::make_shared<ArrayOf<ArrowType>>(column.length(), std::move(result))};
}

// frame: the column is an image's rows packed back to back (rows x cols x 3
// bytes), the answer its rows x cols gray bytes.
arrow::Result<Reply> frame(const Request& request, const arrow::UInt8Array& column) {
  ARROW_ASSIGN_OR_RAISE(const Shape shape, shape_of(request, column.length(), kChannels));
  const std::uint64_t pixels = shape.rows * shape.cols;  // shape_of checked the product
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> gray, allocate(pixels));
  kernels::frame_to_gray(column.raw_values(), shape.rows, shape.cols, shape.cols * kChannels,
                         gray->mutable_data());
  return Reply{
      {}, std::make_shared<arrow::UInt8Array>(static_cast<std::int64_t>(pixels), std::move(gray))};
}

template <class ArrowType>
arrow::Result<Reply> typed_answer(const Request& request, const ArrayOf<ArrowType>& column) {
  using T = typename ArrowType::c_type;
  const kernels::span<const T> values{column.raw_values(),
                                      static_cast<std::size_t>(column.length())};
  if (request.op == "sum") {
    ARROW_RETURN_NOT_OK(expect_params(request, 0));
    return Reply{scalar_bytes(kernels::sum(values)), nullptr};
  }
  if (request.op == "probe") {  // where the peer holds the values it received
    ARROW_RETURN_NOT_OK(expect_params(request, 0));
    return Reply{scalar_bytes(reinterpret_cast<std::uint64_t>(values.data())), nullptr};
  }
  if (request.op == "matrix_sum") {
    ARROW_ASSIGN_OR_RAISE(const Shape shape, shape_of(request, column.length(), 1));
    return Reply{
        scalar_bytes(kernels::matrix_sum(values.data(), shape.rows, shape.cols, shape.cols)),
        nullptr};
  }
  if (request.op == "square") {
    ARROW_RETURN_NOT_OK(expect_params(request, 0));
    return square<ArrowType>(column);
  }
  if (request.op == "scale") {
    return scale<ArrowType>(request, column);
  }
  if (request.op == "frame") {
    if constexpr (std::is_same_v<T, std::uint8_t>) {
      return frame(request, column);
    } else {
      return Status::Invalid("frame: expected a uint8 column, got ", column.type()->ToString());
    }
  }
  return Status::Invalid("unknown operation '", std::string(request.op), "'");
}

void stall_until_cancelled(const arrow::flight::ServerCallContext& context) {
  const auto limit = std::chrono::steady_clock::now() + kStallLimit;
  while (!context.is_cancelled() && std::chrono::steady_clock::now() < limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// The frames exchange's replies: one uint8 column each, its frame's number as app_metadata.
Status write_frame(arrow::flight::FlightMessageWriter& writer, bool& begun, std::uint64_t seq,
                   const Reply& reply) {
  auto schema = arrow::schema({arrow::field("values", arrow::uint8(), false)});
  if (!begun) {
    ARROW_RETURN_NOT_OK(writer.Begin(schema));
    begun = true;
  }
  std::string number(sizeof seq, '\0');
  std::memcpy(number.data(), &seq, sizeof seq);
  const std::int64_t length = reply.column->length();
  return writer.WriteWithMetadata(*arrow::RecordBatch::Make(schema, length, {reply.column}),
                                  arrow::Buffer::FromString(std::move(number)));
}

// Frame after frame until the client ends its side: each one record batch with
// its number and shape as app_metadata, answered before the next is read.
Status serve_frames(const arrow::flight::ServerCallContext& context,
                    arrow::flight::FlightMessageReader& reader,
                    arrow::flight::FlightMessageWriter& writer, const ExchangeOptions& options) {
  bool begun = false;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(arrow::flight::FlightStreamChunk chunk, reader.Next());
    if (chunk.data == nullptr && chunk.app_metadata == nullptr) {
      return Status::OK();
    }
    if (chunk.data == nullptr || chunk.app_metadata == nullptr) {
      return Status::Invalid("a frame is one record batch with its number and shape as metadata");
    }
    const arrow::Buffer& metadata = *chunk.app_metadata;
    ARROW_ASSIGN_OR_RAISE(
        const FrameRequest frame,
        frame_request(std::string_view(reinterpret_cast<const char*>(metadata.data()),
                                       static_cast<std::size_t>(metadata.size()))));
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Array> column,
                          checked_column(*chunk.data, options.max_bytes));
    if (options.fault == Fault::kDieMidCall) {
      _exit(3);  // frames are in flight: the client must see the peer gone
    }
    if (options.fault == Fault::kStall) {
      stall_until_cancelled(context);
    }
    ARROW_ASSIGN_OR_RAISE(Reply reply, answer(frame.request, *column));
    ARROW_RETURN_NOT_OK(write_frame(writer, begun, frame.seq, reply));
  }
}

Status write_reply(arrow::flight::FlightMessageWriter& writer, Reply reply) {
  if (reply.column == nullptr) {
    return writer.WriteMetadata(arrow::Buffer::FromString(std::move(reply.scalar)));
  }
  auto schema = arrow::schema({arrow::field("values", reply.column->type(), false)});
  ARROW_RETURN_NOT_OK(writer.Begin(schema));
  const std::int64_t length = reply.column->length();
  return writer.WriteRecordBatch(*arrow::RecordBatch::Make(schema, length, {reply.column}));
}

}  // namespace

arrow::Result<Request> parse_command(std::string_view command) {
  const std::size_t end = command.find('\0');
  if (end == std::string_view::npos) {
    return Status::Invalid("the command has no NUL after the operation's name");
  }
  return Request{command.substr(0, end), command.substr(end + 1)};
}

arrow::Result<FrameRequest> frame_request(std::string_view metadata) {
  constexpr std::size_t kBytes = 3 * sizeof(std::uint64_t);
  if (metadata.size() != kBytes) {
    return Status::Invalid("a frame's metadata is ", kBytes, " bytes (number, rows, cols), got ",
                           metadata.size());
  }
  FrameRequest frame;
  std::memcpy(&frame.seq, metadata.data(), sizeof frame.seq);
  frame.request = Request{"frame", metadata.substr(sizeof frame.seq)};
  return frame;
}

// One column of the dtype axis without nulls whose buffers hold what its
// length says (Validate checks them against length and offset), refused above
// `max_bytes` before the peer allocates anything of its own for it.
arrow::Result<std::shared_ptr<arrow::Array>> checked_column(const arrow::RecordBatch& batch,
                                                            std::uint64_t max_bytes) {
  if (batch.num_columns() != 1) {
    return Status::Invalid("expected one column, got ", batch.schema()->ToString());
  }
  const std::shared_ptr<arrow::Array> column = batch.column(0);
  return with_dtype(
      *column->type(), [&](auto type) -> arrow::Result<std::shared_ptr<arrow::Array>> {
        using ArrowType = decltype(type);
        using T = typename ArrowType::c_type;
        ARROW_RETURN_NOT_OK(batch.Validate());
        if (column->null_count() != 0) {
          return Status::Invalid("the column has nulls");
        }
        const auto length = static_cast<std::uint64_t>(column->length());
        if (length > max_bytes / sizeof(T)) {
          return Status::Invalid("a column of ", length, " ", type.ToString(),
                                 " values is over this peer's limit of ", max_bytes,
                                 " bytes (--max-bytes)");
        }
        return aligned<ArrowType>(std::static_pointer_cast<ArrayOf<ArrowType>>(column));
      });
}

arrow::Result<Reply> answer(const Request& request, const arrow::Array& column) {
  return with_dtype(*column.type(), [&](auto type) {
    using ArrowType = decltype(type);
    return typed_answer<ArrowType>(request, static_cast<const ArrayOf<ArrowType>&>(column));
  });
}

Status serve_exchange(const arrow::flight::ServerCallContext& context,
                      arrow::flight::FlightMessageReader& reader,
                      arrow::flight::FlightMessageWriter& writer, const ExchangeOptions& options) {
  ARROW_ASSIGN_OR_RAISE(Request request, parse_descriptor(reader.descriptor()));
  if (request.op == "frames") {
    return serve_frames(context, reader, writer, options);
  }
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Array> column,
                        read_column(reader, options.max_bytes));
  if (options.fault == Fault::kDieMidCall) {
    _exit(3);  // the client's call is under way: it must see the peer gone
  }
  if (options.fault == Fault::kStall) {
    stall_until_cancelled(context);
  }
  ARROW_ASSIGN_OR_RAISE(Reply reply, answer(request, *column));
  return write_reply(writer, std::move(reply));
}

}  // namespace interop_bench::flight
