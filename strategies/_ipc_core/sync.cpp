#include "sync.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

namespace interop_bench::ipc {
namespace {

using Word = std::atomic_ref<std::uint32_t>;
static_assert(Word::is_always_lock_free);

// How many spin iterations between two clock reads: a clock read costs ~20 ns,
// a pause ~10-40 ns, so the clock is read often enough to keep `spin_ns` honest.
constexpr int kSpinsPerClockRead = 16;

std::int64_t now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Shared (not private) futexes: the word lives in memory mapped by two processes.
long futex(std::uint32_t* word, int op, std::uint32_t value, const timespec* timeout) noexcept {
  return syscall(SYS_futex, word, op, value, timeout, nullptr, 0);
}

}  // namespace

bool spin_until_change(std::uint32_t* word, std::uint32_t last, std::int64_t spin_ns) noexcept {
  if (spin_ns <= 0) {
    return false;
  }
  const std::int64_t deadline = now_ns() + spin_ns;
  for (;;) {
    for (int i = 0; i < kSpinsPerClockRead; ++i) {
      if (Word(*word).load(std::memory_order_acquire) != last) {
        return true;
      }
      cpu_relax();
    }
    if (now_ns() >= deadline) {
      return false;
    }
  }
}

WaitResult wait_for_change(std::uint32_t* word, std::uint32_t last, std::uint32_t* waiting,
                           std::int64_t spin_ns, std::int64_t timeout_ns) noexcept {
  if (spin_until_change(word, last, spin_ns)) {
    return WaitResult::kChanged;
  }
  // Announce the sleep before the last look (Dekker): either the publisher sees
  // `waiting` and wakes us, or we see its new value here or inside FUTEX_WAIT.
  Word(*waiting).store(1, std::memory_order_seq_cst);
  if (Word(*word).load(std::memory_order_seq_cst) == last) {
    const timespec timeout{static_cast<time_t>(timeout_ns / 1'000'000'000),
                           static_cast<long>(timeout_ns % 1'000'000'000)};
    futex(word, FUTEX_WAIT, last, &timeout);  // EAGAIN, EINTR, ETIMEDOUT: all re-checked below
  }
  Word(*waiting).store(0, std::memory_order_relaxed);
  return Word(*word).load(std::memory_order_acquire) != last ? WaitResult::kChanged
                                                             : WaitResult::kTimedOut;
}

void publish(std::uint32_t* word, std::uint32_t value, std::uint32_t* waiting) noexcept {
  Word(*word).store(value, std::memory_order_seq_cst);
  if (Word(*waiting).load(std::memory_order_seq_cst) != 0) {
    futex(word, FUTEX_WAKE, 1, nullptr);
  }
}

std::uint32_t load_acquire(std::uint32_t* word) noexcept {
  return Word(*word).load(std::memory_order_acquire);
}

}  // namespace interop_bench::ipc
