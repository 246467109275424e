#include "file_server.hpp"

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>

#include "frames.hpp"
#include "mapped_file.hpp"
#include "npy_header.hpp"
#include "protocol.hpp"
#include "requests.hpp"
#include "stream_io.hpp"

namespace interop_bench::file_mmap {
namespace {

using ipc::Answer;
using ipc::error_answer;
using ipc::Op;

// A request's payload: "<input name>\n<output name>" (the output only for
// scale). Two names of at most NAME_MAX bytes and the separator.
constexpr std::uint64_t kMaxNamesBytes = 2 * 255 + 1;

std::size_t dimensions_of(Op op) {
  return op == Op::kMatrixSum ? 2 : op == Op::kFrame ? 3 : 1;
}

// The kernel request a checked .npy header asks for (`op` over the file's
// dtype and shape), or nullopt with `error` set when the file is not what the
// op reads or the request expects.
std::optional<ipc::CheckedRequest> request_for(Op op, std::uint32_t expected_dtype,
                                               const NpyHeader& header, std::string& error) {
  if (header.ndim != dimensions_of(op)) {
    error = "a " + std::to_string(header.ndim) + "-D array, " + std::to_string(dimensions_of(op)) +
            "-D expected";
    return std::nullopt;
  }
  if (static_cast<std::uint32_t>(header.dtype) != expected_dtype) {
    error = "dtype '" + std::string(npy_descr(header.dtype)) + "' is not the request's (code " +
            std::to_string(expected_dtype) + ")";
    return std::nullopt;
  }
  ipc::Shape shape{header.elements, 0, 0, 0};
  if (op == Op::kMatrixSum) {
    shape = {header.elements, header.shape[0], header.shape[1], header.shape[1]};
  } else if (op == Op::kFrame) {
    if (header.shape[2] != ipc::kPixelBytes) {
      error =
          "a frame is H x W x 3, the file's last dimension is " + std::to_string(header.shape[2]);
      return std::nullopt;
    }
    // H * W * 3 bytes did not overflow (parse_npy checked the product).
    shape = {0, header.shape[0], header.shape[1], header.shape[1] * ipc::kPixelBytes};
  }
  auto checked = ipc::check_kernel(static_cast<std::uint32_t>(op), expected_dtype, shape, error);
  if (checked && checked->in_bytes() != header.elements * header.item_bytes) {
    error = "the op reads " + std::to_string(checked->in_bytes()) + " bytes, the file holds " +
            std::to_string(header.elements * header.item_bytes);
    return std::nullopt;
  }
  return checked;
}

class FileServer {
 public:
  FileServer(int in_fd, int out_fd, int dir_fd, const ipc::WorkerOptions& options)
      : in_fd_(in_fd), out_fd_(out_fd), dir_fd_(dir_fd), options_(options) {}

  int serve() {
    ipc::PipeRequest request{};
    while (ipc::read_all(in_fd_, &request, sizeof request)) {
      if (request.magic != ipc::kMagic || request.version != ipc::kVersion) {
        // The stream cannot be trusted to be in step any more: say so and stop.
        respond(request.seq, error_answer("bad frame: wrong magic or version"));
        return 2;
      }
      if (request.op == static_cast<std::uint32_t>(Op::kStop)) {
        respond(request.seq, Answer{});
        return 0;
      }
      if (!handle(request)) {
        return 2;
      }
    }
    return 0;
  }

 private:
  // Answer one request whose header is valid; false when the stream broke.
  bool handle(const ipc::PipeRequest& request) {
    if (request.payload_bytes > kMaxNamesBytes) {
      return ipc::discard(in_fd_, request.payload_bytes) &&
             respond(request.seq,
                     error_answer("file names of " + std::to_string(request.payload_bytes) +
                                  " bytes are longer than the " + std::to_string(kMaxNamesBytes) +
                                  " allowed"));
    }
    std::string names(request.payload_bytes, '\0');
    if (!ipc::read_all(in_fd_, names.data(), names.size())) {
      return false;
    }
    if (!ipc::is_kernel_op(request.op)) {
      return respond(request.seq, error_answer("unknown op " + std::to_string(request.op)));
    }
    const std::size_t split = names.find('\n');
    const std::string input = names.substr(0, split);
    const std::string output = split == std::string::npos ? "" : names.substr(split + 1);
    return respond(request.seq,
                   run(static_cast<Op>(request.op), request.dtype, input, output, request.factor));
  }

  Answer run(Op op, std::uint32_t dtype, const std::string& input_name,
             const std::string& output_name, double factor) {
    std::string error;
    if (!plain_file_name(input_name, error)) {
      return error_answer(error);
    }
    const auto input = MappedFile::open(dir_fd_, input_name, op == Op::kSquare, error);
    if (!input) {
      return error_answer(input_name + ": " + error);
    }
    const auto header = parse_npy(input->bytes(), error);
    if (!header) {
      return error_answer(input_name + ": " + error);
    }
    const auto checked = request_for(op, dtype, *header, error);
    if (!checked) {
      return error_answer(input_name + ": " + error);
    }
    // parse_npy checked that the file holds exactly these bytes after the
    // aligned header. Sum reads a read-only mapping; only square writes it.
    std::byte* data = input->bytes().data() + header->data_offset;
    input->populate(header->data_offset, checked->in_bytes(), op == Op::kSquare);
    if (options_.fault == ipc::Fault::kSlow) ipc::stall(options_);
    if (op == Op::kScale || op == Op::kFrame) {
      return run_into(output_name, *checked, factor, data);
    }
    Answer answer = ipc::run_kernel(*checked, factor, data, nullptr);
    answer.detail = reinterpret_cast<std::uintptr_t>(data);
    return answer;
  }

  // Scale and frame write their result straight into a new .npy file of the
  // directory: a vector of the input's dtype, or the H x W gray image.
  Answer run_into(const std::string& output_name, const ipc::CheckedRequest& checked, double factor,
                  std::byte* in) {
    std::string error;
    if (!plain_file_name(output_name, error)) {
      return error_answer("output " + error);
    }
    const std::uint64_t frame_shape[] = {checked.shape.rows, checked.shape.cols};
    const std::uint64_t vector_shape[] = {checked.out_elements};
    const std::string header = checked.op == Op::kFrame ? npy_header(checked.dtype, frame_shape)
                                                        : npy_header(checked.dtype, vector_shape);
    auto output =
        MappedFile::create(dir_fd_, output_name, header.size() + checked.out_bytes(), error);
    if (!output) {
      return error_answer(output_name + ": " + error);
    }
    output->populate(0, output->bytes().size(), true);
    const std::span<std::byte> bytes = output->bytes();
    std::memcpy(bytes.data(), header.data(), header.size());
    return ipc::run_kernel(checked, factor, in, bytes.data() + header.size());
  }

  bool respond(std::uint32_t seq, const Answer& answer) {
    const ipc::PipeResponse response = ipc::reply_header(seq, answer, 0, options_.fault);
    return ipc::write_all(out_fd_, &response, sizeof response);
  }

  int in_fd_;
  int out_fd_;
  int dir_fd_;
  ipc::WorkerOptions options_;
};

}  // namespace

int serve_files(int in_fd, int out_fd, int dir_fd, const ipc::WorkerOptions& options) {
  return FileServer(in_fd, out_fd, dir_fd, options).serve();
}

}  // namespace interop_bench::file_mmap
