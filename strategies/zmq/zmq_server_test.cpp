// The zmq worker treats every frame as hostile: these tests hand its server
// requests as libzmq would deliver them, good and impossible, and check each
// answer (an error naming the problem, never a crash) and who copies what.
#include "zmq_server.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

namespace ipc = interop_bench::ipc;
namespace zmq_ipc = interop_bench::zmq_ipc;

namespace {

ipc::PipeRequest header_for(ipc::Op op, std::uint64_t count, std::uint64_t payload_bytes) {
  ipc::PipeRequest request{};
  request.magic = ipc::kMagic;
  request.version = ipc::kVersion;
  request.seq = 7;
  request.op = static_cast<std::uint32_t>(op);
  request.count = count;
  request.factor = 2.0;
  request.payload_bytes = payload_bytes;
  return request;
}

// A request's two frames: its header and a payload of 1, 2, ..., `count`.
std::vector<zmq::message_t> request_frames(const ipc::PipeRequest& request, std::uint64_t count) {
  std::vector<zmq::message_t> frames;
  frames.emplace_back(&request, sizeof request);
  frames.emplace_back(count * sizeof(double));
  std::iota(frames[1].data<double>(), frames[1].data<double>() + count, 1.0);
  return frames;
}

ipc::PipeResponse response_of(const zmq_ipc::Reply& reply) {
  ipc::PipeResponse response{};
  EXPECT_EQ(reply.header.size(), sizeof response);
  std::memcpy(&response, reply.header.data(), sizeof response);
  return response;
}

class ZmqServerTest : public ::testing::Test {
 protected:
  // The answer to `frames`, checked to be an error naming `words`.
  void expect_refused(std::vector<zmq::message_t> frames, const std::string& words,
                      std::size_t frame_count = 2) {
    const zmq_ipc::Reply reply = server_.answer(frames, frame_count);
    const ipc::PipeResponse response = response_of(reply);
    EXPECT_EQ(response.status, static_cast<std::uint32_t>(ipc::Status::kError));
    EXPECT_NE(std::string(response.error_text).find(words), std::string::npos)
        << response.error_text;
    EXPECT_EQ(response.payload_bytes, 0u);
    EXPECT_EQ(reply.payload.size(), 0u);
  }

  zmq_ipc::ZmqServer server_{ipc::WorkerOptions{}};
};

TEST_F(ZmqServerTest, SumsThePayloadWhereLibzmqReceivedIt) {
  auto frames = request_frames(header_for(ipc::Op::kProbe, 4, 32), 4);
  const void* received = frames[1].data();
  const ipc::PipeResponse response = response_of(server_.answer(frames, 2));
  EXPECT_EQ(response.status, static_cast<std::uint32_t>(ipc::Status::kOk));
  EXPECT_EQ(response.seq, 7u);
  EXPECT_EQ(response.result, 10.0);
  EXPECT_EQ(response.detail, reinterpret_cast<std::uintptr_t>(received));  // read in place
}

TEST_F(ZmqServerTest, SquaresInPlaceAndSendsTheRequestsOwnMessageBack) {
  // 8 elements: larger than a message libzmq keeps inside zmq_msg_t (33 bytes),
  // whose move copies its bytes.
  auto frames = request_frames(header_for(ipc::Op::kSquare, 8, 64), 8);
  const void* received = frames[1].data();
  const zmq_ipc::Reply reply = server_.answer(frames, 2);
  EXPECT_EQ(response_of(reply).payload_bytes, 64u);
  EXPECT_EQ(reply.payload.data(), received);
  const auto* squared = reply.payload.data<double>();
  EXPECT_EQ(std::vector<double>(squared, squared + 3), (std::vector<double>{1.0, 4.0, 9.0}));
  EXPECT_EQ(squared[7], 64.0);
}

TEST_F(ZmqServerTest, ScalesIntoANewMessage) {
  auto frames = request_frames(header_for(ipc::Op::kScale, 3, 24), 3);
  const zmq_ipc::Reply reply = server_.answer(frames, 2);
  EXPECT_EQ(response_of(reply).payload_bytes, 24u);
  ASSERT_EQ(reply.payload.size(), 24u);
  const auto* scaled = reply.payload.data<double>();
  EXPECT_EQ(std::vector<double>(scaled, scaled + 3), (std::vector<double>{2.0, 4.0, 6.0}));
}

TEST_F(ZmqServerTest, CopiesAnUnalignedPayloadBeforeReadingIt) {
  const ipc::PipeRequest request = header_for(ipc::Op::kSquare, 2, 16);
  std::vector<unsigned char> bytes(17);
  const double values[] = {3.0, 5.0};
  std::memcpy(bytes.data() + 1, values, sizeof values);
  std::vector<zmq::message_t> frames;
  frames.emplace_back(&request, sizeof request);
  frames.emplace_back(bytes.data() + 1, 16, nullptr, nullptr);  // over our buffer, unaligned
  const zmq_ipc::Reply reply = server_.answer(frames, 2);
  const ipc::PipeResponse response = response_of(reply);
  EXPECT_NE(response.detail, reinterpret_cast<std::uintptr_t>(bytes.data() + 1));
  EXPECT_EQ(response.detail % alignof(double), 0u);
  double squared[2];
  ASSERT_EQ(reply.payload.size(), sizeof squared);
  std::memcpy(squared, reply.payload.data(), sizeof squared);
  EXPECT_EQ(squared[0], 9.0);
  EXPECT_EQ(squared[1], 25.0);
}

TEST_F(ZmqServerTest, RefusesBrokenFramesAndStaysUsable) {
  const ipc::PipeRequest sum = header_for(ipc::Op::kSum, 4, 32);
  auto short_header = request_frames(sum, 4);
  short_header[0] = zmq::message_t(&sum, sizeof sum - 1);
  expect_refused(std::move(short_header), "a request header is 72 bytes, got 71");
  expect_refused({}, "got 0", 0);
  expect_refused(request_frames(sum, 4), "2 frames (header, payload), got 3", 3);
  ipc::PipeRequest bad_magic = sum;
  bad_magic.magic = ~ipc::kMagic;
  expect_refused(request_frames(bad_magic, 4), "wrong magic");
  expect_refused(request_frames(header_for(static_cast<ipc::Op>(99), 4, 32), 4), "unknown op 99");
  expect_refused(request_frames(header_for(ipc::Op::kSum, 4, 24), 4), "does not hold 4 elements");
  expect_refused(request_frames(header_for(ipc::Op::kSum, 5, 40), 4),
                 "payload frame of 32 bytes, the header says 40");
  ipc::PipeRequest matrix = header_for(ipc::Op::kMatrixSum, 0, 0);
  matrix.rows = 1ull << 40;
  matrix.cols = 1ull << 40;
  expect_refused(request_frames(matrix, 0), "overflows");
  auto frames = request_frames(sum, 4);
  EXPECT_EQ(response_of(server_.answer(frames, 2)).result, 10.0);
}

// A payload of `values` (of any element type) as the second frame of `request`.
template <class T>
std::vector<zmq::message_t> typed_frames(const ipc::PipeRequest& request,
                                         const std::vector<T>& values) {
  std::vector<zmq::message_t> frames;
  frames.emplace_back(&request, sizeof request);
  frames.emplace_back(values.data(), values.size() * sizeof(T));
  return frames;
}

ipc::PipeRequest typed_header(ipc::Op op, interop_bench::DType dtype, std::uint64_t count,
                              std::uint64_t payload_bytes) {
  ipc::PipeRequest request = header_for(op, count, payload_bytes);
  request.dtype = static_cast<std::uint32_t>(dtype);
  return request;
}

TEST_F(ZmqServerTest, SumsAnIntegerPayloadAsIntegersExactly) {
  // Two int32 maxima and a one: 4294967295 exactly, in integer_result (int64).
  const std::vector<std::int32_t> values{2147483647, 2147483647, 1};
  auto frames =
      typed_frames(typed_header(ipc::Op::kSum, interop_bench::DType::int32, 3, 12), values);
  const ipc::PipeResponse response = response_of(server_.answer(frames, 2));
  EXPECT_EQ(response.status, static_cast<std::uint32_t>(ipc::Status::kOk)) << response.error_text;
  EXPECT_EQ(response.integer_result, 4294967295u);
}

TEST_F(ZmqServerTest, SquaresAndScalesInTheArraysOwnType) {
  const std::vector<std::int16_t> values{300, -2, 7};
  auto squares =
      typed_frames(typed_header(ipc::Op::kSquare, interop_bench::DType::int16, 3, 6), values);
  const zmq_ipc::Reply squared = server_.answer(squares, 2);
  ASSERT_EQ(squared.payload.size(), 6u);
  std::int16_t out[3];
  std::memcpy(out, squared.payload.data(), sizeof out);
  EXPECT_EQ(out[0], static_cast<std::int16_t>(90000 - 65536 * 1));  // wraps like NumPy
  EXPECT_EQ(out[1], 4);
  ipc::PipeRequest scale = typed_header(ipc::Op::kScale, interop_bench::DType::uint8, 2, 2);
  scale.factor = 3.0;
  auto scales = typed_frames(scale, std::vector<std::uint8_t>{100, 5});
  const zmq_ipc::Reply scaled = server_.answer(scales, 2);
  ASSERT_EQ(scaled.payload.size(), 2u);
  EXPECT_EQ(scaled.payload.data<std::uint8_t>()[0], 44);  // 300 mod 256
  EXPECT_EQ(scaled.payload.data<std::uint8_t>()[1], 15);
}

TEST_F(ZmqServerTest, TurnsAPaddedFrameToGrayInPlace) {
  // 2 x 1 pixels, rows 4 bytes apart (one byte of padding each).
  const std::vector<std::uint8_t> rgb{255, 255, 255, 9, 0, 0, 0};
  ipc::PipeRequest request = typed_header(ipc::Op::kFrame, interop_bench::DType::uint8, 0, 7);
  request.rows = 2;
  request.cols = 1;
  request.row_stride = 4;
  auto frames = typed_frames(request, rgb);
  const zmq_ipc::Reply reply = server_.answer(frames, 2);
  const ipc::PipeResponse response = response_of(reply);
  EXPECT_EQ(response.status, static_cast<std::uint32_t>(ipc::Status::kOk)) << response.error_text;
  ASSERT_EQ(reply.payload.size(), 2u);
  EXPECT_EQ(reply.payload.data<std::uint8_t>()[0], 255);
  EXPECT_EQ(reply.payload.data<std::uint8_t>()[1], 0);
}

TEST_F(ZmqServerTest, RefusesAnUnknownDTypeAndAFrameThatLies) {
  expect_refused(
      typed_frames(typed_header(ipc::Op::kSum, static_cast<interop_bench::DType>(9), 1, 8),
                   std::vector<double>{1.0}),
      "dtype");
  ipc::PipeRequest frame = typed_header(ipc::Op::kFrame, interop_bench::DType::uint8, 0, 6);
  frame.rows = 2;
  frame.cols = 1;
  frame.row_stride = 2;  // shorter than a row of 3 bytes
  expect_refused(typed_frames(frame, std::vector<std::uint8_t>(6)), "stride");
  ipc::PipeRequest scale = typed_header(ipc::Op::kScale, interop_bench::DType::int16, 1, 2);
  scale.factor = 1.5;  // not an integer
  expect_refused(typed_frames(scale, std::vector<std::int16_t>{1}), "factor");
}

TEST_F(ZmqServerTest, StopIsAnsweredThenEndsTheServer) {
  auto frames = request_frames(header_for(ipc::Op::kStop, 0, 0), 0);
  const zmq_ipc::Reply reply = server_.answer(frames, 2);
  EXPECT_TRUE(reply.stop);
  EXPECT_EQ(response_of(reply).status, static_cast<std::uint32_t>(ipc::Status::kOk));
}

TEST(ZmqServe, AnswersOverASocketUntilStop) {
  zmq::context_t context(1);
  zmq::socket_t client(context, zmq::socket_type::req);
  client.bind("inproc://zmq_server_test");
  zmq::socket_t worker(context, zmq::socket_type::rep);
  worker.connect("inproc://zmq_server_test");
  int served = -1;
  std::thread serving([&] {
    zmq_ipc::ZmqServer server{ipc::WorkerOptions{}};
    served = server.serve(worker, [] { return true; });
  });
  for (const ipc::Op op : {ipc::Op::kSum, ipc::Op::kStop}) {
    const std::uint64_t count = op == ipc::Op::kSum ? 4 : 0;
    auto frames = request_frames(header_for(op, count, count * sizeof(double)), count);
    client.send(frames[0], zmq::send_flags::sndmore);
    client.send(frames[1], zmq::send_flags::none);
    zmq::message_t header;
    zmq::message_t payload;
    ASSERT_TRUE(client.recv(header));
    ASSERT_TRUE(client.recv(payload));
    ipc::PipeResponse response{};
    std::memcpy(&response, header.data(), sizeof response);
    EXPECT_EQ(response.result, op == ipc::Op::kSum ? 10.0 : 0.0);
  }
  serving.join();
  EXPECT_EQ(served, 0);
}

}  // namespace
