// A paced loop of frames, open loop: frame i is due at start + i x period, its
// work starts when it is due (at once when it is already late) and its times
// are recorded against that due time, so a frame that finished late delays the
// start of the next and is charged to it too (wrk2's rule, as the Python pacer
// in python/interop_bench/stream/schedule.py). It knows nothing of Python: the
// floor of a stream (the kernel alone, driven natively) is this loop around
// kernels::frame_to_gray, and the clock is a parameter so the rule is tested
// on a fake one (paced_loop_test.cpp).
#pragma once

#include <time.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <span>

namespace interop_bench::harness {

struct PacedTimes {
  std::int64_t due_ns, started_ns, done_ns;
};

// CLOCK_MONOTONIC, the clock of Python's time.perf_counter_ns, and an absolute
// sleep on it (no drift from a chain of relative sleeps).
struct MonotonicClock {
  static std::int64_t now_ns() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
  }
  static void sleep_until(std::int64_t deadline_ns) {
    const timespec t{static_cast<time_t>(deadline_ns / 1'000'000'000),
                     static_cast<long>(deadline_ns % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, nullptr) == EINTR) {
    }
  }
};

// Runs work(i) for every frame of `times`, frame i due at start_ns + i x period_ns.
template <class Clock, class Work>
void paced_loop(Clock& clock, std::int64_t start_ns, std::int64_t period_ns,
                std::span<PacedTimes> times, Work&& work) {
  for (std::size_t i = 0; i < times.size(); ++i) {
    const std::int64_t due = start_ns + static_cast<std::int64_t>(i) * period_ns;
    clock.sleep_until(due);
    const std::int64_t started = clock.now_ns();
    work(i);
    times[i] = {due, started, clock.now_ns()};
  }
}

}  // namespace interop_bench::harness
