// libFuzzer target: what ib_flight_peer makes of a request's bytes. The input is
// a command (its length in the first byte) and an Arrow IPC stream, the form a
// DoExchange's record batches take once gRPC has delivered them: Arrow's IPC
// reader decodes it, then the peer's own checks (parse_command, frame_request
// for a frames exchange's metadata given as the command's parameters, checked_column,
// answer: the column's type, the op's parameters, matrix and frame shapes,
// scale's factor) decide, and the kernels run on what they accepted.
#include <arrow/api.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/reader.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "flight_exchange.hpp"

namespace {

namespace flight = interop_bench::flight;

// Small, so that scale's and square's outputs stay small.
constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 20;

void answer(const flight::Request& request, const arrow::RecordBatch& batch) {
  auto column = flight::checked_column(batch, kMaxBytes);
  if (!column.ok()) {
    return;
  }
  auto reply = flight::answer(request, **column);
  if (!reply.ok()) {
    return;
  }
  const std::int64_t length = (*column)->length();
  const std::shared_ptr<arrow::Array>& out = reply->column;
  const bool scalar_ok = out == nullptr && reply->scalar.size() == 8;
  const bool column_ok = out != nullptr && out->type()->Equals(*(*column)->type()) &&
                         out->length() == (request.op == "frame" ? length / 3 : length);
  if (!scalar_ok && !column_ok) {
    std::abort();  // an answer that is neither the op's scalar nor its column
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::size_t command_bytes = data[0] < size - 1 ? data[0] : size - 1;
  const std::string_view command(reinterpret_cast<const char*>(data + 1), command_bytes);
  auto request = flight::parse_command(command);
  if (!request.ok()) {
    return 0;
  }
  if (request->op == "frames") {  // a frames exchange's batches: the params are their metadata
    auto frame = flight::frame_request(request->params);
    if (!frame.ok()) {
      return 0;
    }
    *request = frame->request;
  }
  const std::size_t offset = 1 + command_bytes;
  auto input = std::make_shared<arrow::io::BufferReader>(
      std::make_shared<arrow::Buffer>(data + offset, static_cast<std::int64_t>(size - offset)));
  auto reader = arrow::ipc::RecordBatchStreamReader::Open(input);
  if (!reader.ok()) {
    return 0;
  }
  for (int batches = 0; batches < 4; ++batches) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (!(*reader)->ReadNext(&batch).ok() || batch == nullptr) {
      break;
    }
    answer(*request, *batch);
  }
  return 0;
}
