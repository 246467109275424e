#include "file_server.hpp"

#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "interop_bench/kernels.hpp"
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
  return op == Op::kMatrixSum ? 2 : 1;
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
    return respond(request.seq, run(static_cast<Op>(request.op), input, output, request.factor));
  }

  Answer run(Op op, const std::string& input_name, const std::string& output_name, double factor) {
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
    if (header->ndim != dimensions_of(op)) {
      return error_answer(input_name + ": a " + std::to_string(header->ndim) + "-D array, " +
                          std::to_string(dimensions_of(op)) + "-D expected");
    }
    // parse_npy checked that the file holds exactly this many aligned doubles.
    // Sum reads a read-only mapping through this span; only square writes it.
    const std::span<double> data(
        reinterpret_cast<double*>(input->bytes().data() + header->data_offset), header->elements);
    input->populate(header->data_offset, data.size_bytes(), op == Op::kSquare);
    if (options_.fault == ipc::Fault::kSlow) ipc::stall(options_);
    if (op == Op::kScale) {
      return scale_into(output_name, data, factor);
    }
    const ipc::Shape shape{header->elements, header->shape[0], header->shape[1], header->shape[1]};
    Answer answer = ipc::run_kernel(op, shape, factor, data, {});
    answer.detail = reinterpret_cast<std::uintptr_t>(data.data());
    return answer;
  }

  // Scale writes its result straight into a new .npy file of the directory.
  Answer scale_into(const std::string& output_name, std::span<const double> in, double factor) {
    std::string error;
    if (!plain_file_name(output_name, error)) {
      return error_answer("output " + error);
    }
    const std::string header = npy_vector_header(in.size());
    auto output = MappedFile::create(dir_fd_, output_name, header.size() + in.size_bytes(), error);
    if (!output) {
      return error_answer(output_name + ": " + error);
    }
    output->populate(0, output->bytes().size(), true);
    const std::span<std::byte> bytes = output->bytes();
    std::memcpy(bytes.data(), header.data(), header.size());
    kernels::scale(in, factor,
                   {reinterpret_cast<double*>(bytes.data() + header.size()), in.size()});
    return Answer{};
  }

  bool respond(std::uint32_t seq, const Answer& answer) {
    ipc::PipeResponse response{};
    response.magic = options_.fault == ipc::Fault::kBadMagic ? ~ipc::kMagic : ipc::kMagic;
    response.seq = options_.fault == ipc::Fault::kBadSeq ? seq + 1000 : seq;
    response.status = options_.fault == ipc::Fault::kBadStatus
                          ? 0xBAD
                          : static_cast<std::uint32_t>(answer.status);
    response.result = answer.result;
    response.detail = answer.detail;
    answer.error.copy(response.error_text, ipc::kErrorTextBytes - 1);
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
