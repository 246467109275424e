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
  EXPECT_TRUE(ipc::fits(0, 10, 80));
  EXPECT_FALSE(ipc::fits(8, 10, 80));
  EXPECT_FALSE(ipc::fits(88, 0, 80));
  EXPECT_FALSE(ipc::fits(0, kMax, 80));
  EXPECT_FALSE(ipc::fits(4, 1, 80));
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

TEST_F(PipeServerTest, StopsOnABrokenFrame) {
  std::vector<std::byte> bytes;
  auto bad = header(ipc::Op::kSum, 0, 0);
  bad.magic = 0;
  append(bytes, &bad, sizeof bad);
  EXPECT_EQ(serve(bytes), 2);
  EXPECT_EQ(read_response().status, static_cast<std::uint32_t>(ipc::Status::kError));
}

}  // namespace
