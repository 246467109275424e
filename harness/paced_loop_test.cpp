#include "paced_loop.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace h = interop_bench::harness;

namespace {

// Time moves only when the loop sleeps past now or the work advances it.
struct FakeClock {
  std::int64_t now = 0;
  std::int64_t now_ns() const { return now; }
  void sleep_until(std::int64_t deadline) { now = std::max(now, deadline); }
};

}  // namespace

TEST(PacedLoop, EachFrameStartsWhenDue) {
  FakeClock clock{.now = 1000};
  std::vector<h::PacedTimes> times(3);
  h::paced_loop(clock, 1000, 100, times, [&](std::size_t) { clock.now += 10; });
  for (std::size_t i = 0; i < times.size(); ++i) {
    const auto due = 1000 + 100 * static_cast<std::int64_t>(i);
    EXPECT_EQ(times[i].due_ns, due);
    EXPECT_EQ(times[i].started_ns, due);
    EXPECT_EQ(times[i].done_ns, due + 10);
  }
}

// One frame that stalls for 10 periods delays the frames after it: each is
// charged from its own due time, so 10 frames are late, not one.
TEST(PacedLoop, AStallIsChargedToEveryFrameItDelays) {
  FakeClock clock;
  std::vector<h::PacedTimes> times(20);
  h::paced_loop(clock, 0, 100, times, [&](std::size_t i) { clock.now += i == 2 ? 1000 : 10; });
  const auto late = std::count_if(times.begin(), times.end(), [](const h::PacedTimes& t) {
    return t.done_ns - t.due_ns > 100;
  });
  EXPECT_EQ(late, 10);
  EXPECT_EQ(times[3].started_ns, 1200);  // due at 300, started when frame 2 ended
  EXPECT_EQ(times[3].done_ns - times[3].due_ns, 910);
}
