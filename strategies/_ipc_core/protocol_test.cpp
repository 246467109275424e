// The worker treats the shared memory and the pipe as hostile: these tests
// hand it impossible requests and check that each is answered with an error
// naming the problem, never a crash or an out-of-bounds access.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "pipe_server.hpp"
#include "protocol.hpp"
#include "requests.hpp"
#include "shm_client.hpp"
#include "shm_server.hpp"

namespace ipc = interop_bench::ipc;

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// A control block and one 1000-element arena in this process's memory.
class ShmServerTest : public ::testing::Test {
 protected:
  ShmServerTest() : arena_(1000), server_(&control_, ipc::WorkerOptions{}) {
    std::iota(arena_.begin(), arena_.end(), 1.0);
    server_.attach_arena(0, arena_.data(), arena_.size() * sizeof(double));
    control_.magic = ipc::kMagic;
    control_.version = ipc::kVersion;
  }

  // Send `op` over `count` elements at byte `offset` of arena 0.
  void request(ipc::Op op, std::uint64_t count, std::uint64_t offset) {
    control_.op = static_cast<std::uint32_t>(op);
    control_.count = count;
    control_.in_offset = offset;
    control_.out_offset = 0;
    ASSERT_TRUE(server_.handle(++seq_));
    ASSERT_EQ(control_.response_seq, seq_);
  }

  std::string error() const { return control_.error_text; }
  bool ok() const { return control_.status == static_cast<std::uint32_t>(ipc::Status::kOk); }

  ipc::Control control_{};
  std::vector<double> arena_;
  ipc::ShmServer server_;
  std::uint32_t seq_ = 0;
};

TEST_F(ShmServerTest, SumsAVectorInTheArena) {
  request(ipc::Op::kSum, 4, 8 * sizeof(double));  // 9 + 10 + 11 + 12
  EXPECT_TRUE(ok());
  EXPECT_EQ(control_.result, 42.0);
}

TEST_F(ShmServerTest, RefusesCountsBeyondTheArena) {
  request(ipc::Op::kSum, 1001, 0);
  EXPECT_FALSE(ok());
  EXPECT_NE(error().find("outside the mapped arenas"), std::string::npos) << error();
  request(ipc::Op::kSum, kMax, 0);
  EXPECT_FALSE(ok());
  request(ipc::Op::kSquare, 1, 1000 * sizeof(double));
  EXPECT_FALSE(ok());
  request(ipc::Op::kSum, 2, kMax - 7);
  EXPECT_FALSE(ok());
}

TEST_F(ShmServerTest, RefusesMisalignedOffsetsAndUnknownArenas) {
  request(ipc::Op::kSum, 1, 3);
  EXPECT_FALSE(ok());
  control_.in_arena = 1;  // not mapped
  request(ipc::Op::kSum, 1, 0);
  EXPECT_FALSE(ok());
  control_.in_arena = 1u << 30;  // out of range
  request(ipc::Op::kSum, 1, 0);
  EXPECT_FALSE(ok());
}

TEST_F(ShmServerTest, RefusesImpossibleMatrices) {
  control_.rows = 3;
  control_.cols = 10;
  control_.row_stride = 9;  // shorter than a row
  request(ipc::Op::kMatrixSum, 0, 0);
  EXPECT_FALSE(ok());
  EXPECT_NE(error().find("row stride"), std::string::npos) << error();
  control_.rows = kMax;
  control_.row_stride = kMax / 2;  // extent overflows
  request(ipc::Op::kMatrixSum, 0, 0);
  EXPECT_FALSE(ok());
  control_.rows = 2;
  control_.cols = 3;
  control_.row_stride = 10;  // rows 1+2+3 and 11+12+13
  request(ipc::Op::kMatrixSum, 0, 0);
  EXPECT_TRUE(ok()) << error();
  EXPECT_EQ(control_.result, 42.0);
}

TEST_F(ShmServerTest, AnswersUnknownOpsWithAnError) {
  control_.op = 99;
  ASSERT_TRUE(server_.handle(++seq_));
  EXPECT_FALSE(ok());
  EXPECT_EQ(error(), "unknown op 99");
}

TEST_F(ShmServerTest, RefusesArenaNamesThatAreNotOurs) {
  control_.in_arena = 2;
  std::strcpy(control_.arena_name, "../etc/passwd");
  control_.op = static_cast<std::uint32_t>(ipc::Op::kMapArena);
  ASSERT_TRUE(server_.handle(++seq_));
  EXPECT_FALSE(ok());
  std::memset(control_.arena_name, 'a', sizeof control_.arena_name);  // no NUL
  ASSERT_TRUE(server_.handle(++seq_));
  EXPECT_FALSE(ok());
}

TEST_F(ShmServerTest, TheClientsRequestIsAnsweredAsSent) {
  ipc::Request sent;
  sent.op = static_cast<std::uint32_t>(ipc::Op::kSum);
  sent.count = 4;
  sent.in_offset = 8 * sizeof(double);  // 9 + 10 + 11 + 12
  control_.response_seq = 6;
  EXPECT_EQ(ipc::send(&control_, sent, 7), 6u);  // what the client then waits to change
  EXPECT_EQ(control_.request_seq, 7u);
  ASSERT_TRUE(server_.handle(7));
  const ipc::Response got = ipc::read_response(&control_);
  EXPECT_EQ(got.seq, 7u);
  EXPECT_EQ(got.status, static_cast<std::uint32_t>(ipc::Status::kOk));
  EXPECT_EQ(got.result, 42.0);
  EXPECT_EQ(got.detail, sent.in_offset);
}

// Typed requests: arena 1 holds raw bytes, read as the request's dtype says.
class TypedShmServerTest : public ShmServerTest {
 protected:
  TypedShmServerTest() : bytes_(4096) {
    server_.attach_arena(1, bytes_.data(), bytes_.size());
    control_.in_arena = 1;
    control_.out_arena = 1;
  }

  // As request(), over `dtype`, with the output (scale's, frame's) at `out_offset`.
  void typed(ipc::Op op, interop_bench::DType dtype, std::uint64_t count, std::uint64_t offset,
             std::uint64_t out_offset = 0) {
    control_.dtype = static_cast<std::uint32_t>(dtype);
    control_.op = static_cast<std::uint32_t>(op);
    control_.count = count;
    control_.in_offset = offset;
    control_.out_offset = out_offset;
    ASSERT_TRUE(server_.handle(++seq_));
  }

  template <class T>
  T* at(std::uint64_t offset) {
    return reinterpret_cast<T*>(bytes_.data() + offset);
  }

  alignas(64) std::vector<unsigned char> bytes_;
};

TEST_F(TypedShmServerTest, SumsEachDtypeWithItsOwnKernelAndExactIntegers) {
  const std::int32_t ints[3] = {2'000'000'000, 2'000'000'000, -7};  // over int32: summed in 64 bits
  std::memcpy(at<std::int32_t>(0), ints, sizeof ints);
  typed(ipc::Op::kSum, interop_bench::DType::int32, 3, 0);
  ASSERT_TRUE(ok()) << error();
  EXPECT_EQ(static_cast<std::int64_t>(control_.integer_result), 3'999'999'993);
  const std::int16_t shorts[2] = {-5, -6};
  std::memcpy(at<std::int16_t>(64), shorts, sizeof shorts);
  typed(ipc::Op::kSum, interop_bench::DType::int16, 2, 64);
  EXPECT_EQ(static_cast<std::int64_t>(control_.integer_result), -11);
  std::memset(at<std::uint8_t>(128), 255, 10);
  typed(ipc::Op::kSum, interop_bench::DType::uint8, 10, 128);
  EXPECT_EQ(control_.integer_result, 2550u);
  const float floats[2] = {0.5F, 0.25F};
  std::memcpy(at<float>(256), floats, sizeof floats);
  typed(ipc::Op::kSum, interop_bench::DType::float32, 2, 256);
  EXPECT_EQ(control_.result, 0.75);
}

TEST_F(TypedShmServerTest, ScalesIntegersByIntegersOnly) {
  const std::int16_t shorts[2] = {300, -2};
  std::memcpy(at<std::int16_t>(0), shorts, sizeof shorts);
  control_.factor = 300.0;  // 300 * 300 wraps around in int16, as NumPy's does
  typed(ipc::Op::kScale, interop_bench::DType::int16, 2, 0, 64);
  ASSERT_TRUE(ok()) << error();
  EXPECT_EQ(at<std::int16_t>(64)[0], static_cast<std::int16_t>(90000 - 65536 * 1));
  EXPECT_EQ(at<std::int16_t>(64)[1], -600);
  for (const double bad : {1.5, 40000.0, std::numeric_limits<double>::quiet_NaN()}) {
    control_.factor = bad;
    ASSERT_TRUE(server_.handle(++seq_));
    EXPECT_FALSE(ok()) << bad;
    EXPECT_NE(error().find("scale factor"), std::string::npos) << error();
  }
}

TEST_F(TypedShmServerTest, RefusesUnknownDtypesAndOffsetsMisalignedForTheDtype) {
  typed(ipc::Op::kSum, static_cast<interop_bench::DType>(5), 1, 0);
  EXPECT_FALSE(ok());
  EXPECT_EQ(error(), "unknown dtype code 5");
  control_.dtype = 0xFFFFFFFF;
  request(ipc::Op::kSum, 1, 0);
  EXPECT_FALSE(ok());
  typed(ipc::Op::kSum, interop_bench::DType::float32, 1, 2);  // a float at an odd half-word
  EXPECT_FALSE(ok());
  typed(ipc::Op::kSum, interop_bench::DType::int16, 1, 2);  // fine for an int16
  EXPECT_TRUE(ok()) << error();
  typed(ipc::Op::kSum, interop_bench::DType::uint8, 4096, 1);  // one byte past the arena
  EXPECT_FALSE(ok());
  typed(ipc::Op::kSum, interop_bench::DType::int32, kMax / 2, 0);  // bytes overflow 64 bits
  EXPECT_FALSE(ok());
}

TEST_F(TypedShmServerTest, ConvertsAPaddedFrameInPlace) {
  // 2 rows of 2 pixels, rows 8 bytes apart (2 bytes of padding each).
  const std::uint8_t rgb[16] = {255, 255, 255, 0, 0, 0, 9, 9, 255, 0, 0, 0, 0, 255, 9, 9};
  std::memcpy(at<std::uint8_t>(0), rgb, sizeof rgb);
  control_.rows = 2;
  control_.cols = 2;
  control_.row_stride = 8;
  typed(ipc::Op::kFrame, interop_bench::DType::uint8, 0, 0, 100);
  ASSERT_TRUE(ok()) << error();
  const std::uint8_t* gray = at<std::uint8_t>(100);
  EXPECT_EQ(gray[0], 255);
  EXPECT_EQ(gray[1], 0);
  EXPECT_EQ(gray[2], (77 * 255 + 128) >> 8);
  EXPECT_EQ(gray[3], (29 * 255 + 128) >> 8);
}

TEST_F(TypedShmServerTest, RefusesImpossibleFrames) {
  control_.rows = 2;
  control_.cols = 4;
  control_.row_stride = 11;  // shorter than 4 pixels
  typed(ipc::Op::kFrame, interop_bench::DType::uint8, 0, 0);
  EXPECT_FALSE(ok());
  EXPECT_NE(error().find("row stride"), std::string::npos) << error();
  control_.row_stride = 12;
  typed(ipc::Op::kFrame, interop_bench::DType::float64, 0, 0);  // frames are bytes
  EXPECT_FALSE(ok());
  EXPECT_NE(error().find("a frame is uint8"), std::string::npos) << error();
  control_.cols = kMax / 2;  // 3 bytes per pixel overflow
  typed(ipc::Op::kFrame, interop_bench::DType::uint8, 0, 0);
  EXPECT_FALSE(ok());
  control_.rows = 1u << 20;
  control_.cols = 1u << 20;
  control_.row_stride = 3u << 20;  // fits 64 bits, not the arena
  typed(ipc::Op::kFrame, interop_bench::DType::uint8, 0, 0);
  EXPECT_FALSE(ok());
  EXPECT_NE(error().find("outside the mapped arenas"), std::string::npos) << error();
  control_.rows = kMax;
  control_.cols = kMax / 3;
  control_.row_stride = kMax;  // rows * cols overflows
  typed(ipc::Op::kFrame, interop_bench::DType::uint8, 0, 0);
  EXPECT_FALSE(ok());
  control_.rows = 4;
  control_.cols = 2;
  control_.row_stride = 6;
  typed(ipc::Op::kFrame, interop_bench::DType::uint8, 0, 0,
        4090);  // the gray image runs past the arena
  EXPECT_FALSE(ok());
  EXPECT_NE(error().find("output"), std::string::npos) << error();
}

TEST(ArenaTable, FindsOnlyRangesWhollyInsideAnArena) {
  std::vector<double> first(100), second(10);
  ipc::ArenaTable arenas;
  arenas.set(0, first.data(), 100 * sizeof(double));
  arenas.set(5, second.data(), 10 * sizeof(double));
  const auto inside = arenas.find(&first[10], 90 * sizeof(double));
  ASSERT_TRUE(inside.has_value());
  EXPECT_EQ(inside->arena, 0u);
  EXPECT_EQ(inside->offset, 10 * sizeof(double));
  EXPECT_FALSE(arenas.find(&first[10], 91 * sizeof(double)).has_value());  // runs past the end
  EXPECT_FALSE(arenas.find(&first[0], kMax).has_value());                  // no overflow
  ASSERT_TRUE(arenas.find(&second[9], sizeof(double)).has_value());
  EXPECT_EQ(arenas.find(&second[9], sizeof(double))->arena, 5u);
  EXPECT_EQ(arenas.address(ipc::Place{5, 8}, 9 * sizeof(double)), &second[1]);
  EXPECT_EQ(arenas.address(ipc::Place{5, 8}, 10 * sizeof(double)), nullptr);  // past the end
  EXPECT_EQ(arenas.address(ipc::Place{5, kMax}, 0), nullptr);
  EXPECT_EQ(arenas.address(ipc::Place{1, 0}, 0), nullptr);  // no arena there
  EXPECT_EQ(arenas.address(ipc::Place{ipc::kMaxArenas, 0}, 0), nullptr);
  arenas.clear(5);
  EXPECT_FALSE(arenas.find(&second[9], sizeof(double)).has_value());
  EXPECT_EQ(arenas.address(ipc::Place{5, 0}, 8), nullptr);
  double elsewhere = 0.0;
  EXPECT_FALSE(arenas.find(&elsewhere, sizeof(double)).has_value());
}

TEST(SegmentNames, OnlyThePrefixAndWordCharacters) {
  EXPECT_TRUE(ipc::valid_segment_name("ib_shm_123_ab_c", ipc::kNameBytes));
  EXPECT_FALSE(ipc::valid_segment_name("ib_shm_", ipc::kNameBytes));
  EXPECT_FALSE(ipc::valid_segment_name("ib_shm_a/b", ipc::kNameBytes));
  EXPECT_FALSE(ipc::valid_segment_name("other_123", ipc::kNameBytes));
}

TEST(Fits, ChecksBoundsWithoutOverflow) {
  EXPECT_TRUE(ipc::fits(0, 80, 8, 80));
  EXPECT_FALSE(ipc::fits(8, 80, 8, 80));
  EXPECT_FALSE(ipc::fits(88, 0, 8, 80));
  EXPECT_FALSE(ipc::fits(0, kMax, 8, 80));
  EXPECT_FALSE(ipc::fits(4, 8, 8, 80));  // misaligned for a double ...
  EXPECT_TRUE(ipc::fits(4, 8, 4, 80));   // ... not for a float
  EXPECT_TRUE(ipc::fits(79, 1, 1, 80));
  EXPECT_FALSE(ipc::fits(0, 1, 0, 80));
}

// The pipe server over two real pipes, in this process.
class PipeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(pipe(to_worker_), 0);
    ASSERT_EQ(pipe(from_worker_), 0);
  }
  void TearDown() override {
    for (int fd : {to_worker_[0], to_worker_[1], from_worker_[0], from_worker_[1]}) {
      close(fd);
    }
  }

  // Write the requests, close the input, serve, and return the exit code.
  int serve(const std::vector<std::byte>& bytes) {
    EXPECT_EQ(write(to_worker_[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    close(to_worker_[1]);
    to_worker_[1] = -1;
    return ipc::serve_pipe(to_worker_[0], from_worker_[1], ipc::WorkerOptions{});
  }

  ipc::PipeResponse read_response() {
    ipc::PipeResponse response{};
    EXPECT_EQ(read(from_worker_[0], &response, sizeof response),
              static_cast<ssize_t>(sizeof response));
    return response;
  }

  static void append(std::vector<std::byte>& to, const void* data, std::size_t bytes) {
    const auto* p = static_cast<const std::byte*>(data);
    to.insert(to.end(), p, p + bytes);
  }

  static ipc::PipeRequest header(ipc::Op op, std::uint64_t count, std::uint64_t payload_bytes) {
    ipc::PipeRequest request{};
    request.magic = ipc::kMagic;
    request.version = ipc::kVersion;
    request.seq = 7;
    request.op = static_cast<std::uint32_t>(op);
    request.count = count;
    request.payload_bytes = payload_bytes;
    return request;
  }

  int to_worker_[2] = {-1, -1};
  int from_worker_[2] = {-1, -1};
};

TEST_F(PipeServerTest, SumsThenRefusesALyingPayloadAndStaysInStep) {
  std::vector<std::byte> bytes;
  const double values[3] = {1.0, 2.0, 39.0};
  auto sum = header(ipc::Op::kSum, 3, sizeof values);
  append(bytes, &sum, sizeof sum);
  append(bytes, values, sizeof values);
  auto lying = header(ipc::Op::kSum, 1000, sizeof values);  // says 1000, sends 3
  append(bytes, &lying, sizeof lying);
  append(bytes, values, sizeof values);
  auto unknown = header(static_cast<ipc::Op>(42), 0, 0);
  append(bytes, &unknown, sizeof unknown);
  EXPECT_EQ(serve(bytes), 0);

  const auto first = read_response();
  EXPECT_EQ(first.seq, 7u);
  EXPECT_EQ(first.status, static_cast<std::uint32_t>(ipc::Status::kOk));
  EXPECT_EQ(first.result, 42.0);
  const auto second = read_response();
  EXPECT_EQ(second.status, static_cast<std::uint32_t>(ipc::Status::kError));
  EXPECT_NE(std::string(second.error_text).find("does not hold 1000"), std::string::npos);
  const auto third = read_response();
  EXPECT_EQ(std::string(third.error_text), "unknown op 42");
}

TEST_F(PipeServerTest, CarriesTypedArraysAndPackedFramesAndChecksTheirBytes) {
  std::vector<std::byte> bytes;
  const std::uint8_t values[3] = {200, 100, 250};
  auto sum = header(ipc::Op::kSum, 3, sizeof values);
  sum.dtype = static_cast<std::uint32_t>(interop_bench::DType::uint8);
  append(bytes, &sum, sizeof sum);
  append(bytes, values, sizeof values);
  auto frame = header(ipc::Op::kFrame, 0, 6);  // 1 x 2 pixels, packed (row_stride 0)
  frame.dtype = static_cast<std::uint32_t>(interop_bench::DType::uint8);
  frame.rows = 1;
  frame.cols = 2;
  const std::uint8_t rgb[6] = {0, 255, 0, 0, 0, 0};
  append(bytes, &frame, sizeof frame);
  append(bytes, rgb, sizeof rgb);
  auto short_frame = frame;  // 2 rows of 2 pixels need 12 bytes, 6 are announced
  short_frame.rows = 2;
  append(bytes, &short_frame, sizeof short_frame);
  append(bytes, rgb, sizeof rgb);
  auto as_int32 = sum;  // 3 bytes hold no whole int32
  as_int32.dtype = static_cast<std::uint32_t>(interop_bench::DType::int32);
  append(bytes, &as_int32, sizeof as_int32);
  append(bytes, values, sizeof values);
  EXPECT_EQ(serve(bytes), 0);

  const auto first = read_response();
  ASSERT_EQ(first.status, static_cast<std::uint32_t>(ipc::Status::kOk)) << first.error_text;
  EXPECT_EQ(first.integer_result, 550u);
  const auto second = read_response();
  ASSERT_EQ(second.status, static_cast<std::uint32_t>(ipc::Status::kOk)) << second.error_text;
  ASSERT_EQ(second.payload_bytes, 2u);
  std::uint8_t gray[2] = {};
  ASSERT_EQ(read(from_worker_[0], gray, sizeof gray), 2);
  EXPECT_EQ(gray[0], (150 * 255 + 128) >> 8);
  EXPECT_EQ(gray[1], 0);
  const auto third = read_response();
  EXPECT_NE(std::string(third.error_text).find("does not hold 12 elements"), std::string::npos)
      << third.error_text;
  const auto fourth = read_response();
  EXPECT_EQ(fourth.status, static_cast<std::uint32_t>(ipc::Status::kError));
}

TEST_F(PipeServerTest, StopsOnABrokenFrame) {
  std::vector<std::byte> bytes;
  auto bad = header(ipc::Op::kSum, 0, 0);
  bad.magic = 0;
  append(bytes, &bad, sizeof bad);
  EXPECT_EQ(serve(bytes), 2);
  EXPECT_EQ(read_response().status, static_cast<std::uint32_t>(ipc::Status::kError));
}

}  // namespace
