// ib_ipc_pingpong: the native floor of a cross-process round trip on this
// machine, the number the `shm` strategies are measured against.
//
//   ib_ipc_pingpong [--round-trips=N] [--batches=R]
//
// A forked child answers N requests per batch over the same control block and
// sequence words as ib_worker (protocol.hpp, sync.hpp), three ways:
//   raw       plain release stores and acquire loads, both sides spin forever:
//             the cost of moving two cache lines between the cores;
//   protocol  publish() and wait_for_change() with the `shm` strategy's spin,
//             as the worker and the client do (seq_cst, `waiting` flags);
//   futex     the same with no spin: both sides sleep and are woken by syscalls
//             (the `shm-futex` strategy's handoff).
// Prints one JSON object: per way, nanoseconds per round trip of each batch,
// the best and the median. Two spinning processes need two free cores: on a
// busy machine the spinning ways degrade towards a scheduler time slice.
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <new>
#include <string_view>
#include <vector>

#include "protocol.hpp"
#include "sync.hpp"

namespace ipc = interop_bench::ipc;

namespace {

using Word = std::atomic_ref<std::uint32_t>;

enum class Way { kRaw, kProtocol, kFutex };

// The `shm` strategy's spin (python/interop_bench/strategies/shm.py) and the
// worker's sleep slice: a sleeping side is woken by the peer, never by this.
constexpr std::int64_t kSpinNs = 50'000;
constexpr std::int64_t kSliceNs = 100'000'000;

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Wait until `*word` is `want`: forever for kRaw, else as the protocol waits.
void await(Way way, std::uint32_t* word, std::uint32_t want, std::uint32_t* waiting) {
  if (way == Way::kRaw) {
    while (Word(*word).load(std::memory_order_acquire) != want) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    return;
  }
  const std::int64_t spin_ns = way == Way::kProtocol ? kSpinNs : 0;
  while (ipc::load_acquire(word) != want) {
    ipc::wait_for_change(word, want - 1, waiting, spin_ns, kSliceNs);
  }
}

void signal_peer(Way way, std::uint32_t* word, std::uint32_t value, std::uint32_t* waiting) {
  if (way == Way::kRaw) {
    Word(*word).store(value, std::memory_order_release);
  } else {
    ipc::publish(word, value, waiting);
  }
}

// The worker's side: answer requests 1..total with the same number.
void serve(Way way, ipc::Control* c, std::uint32_t total) {
  for (std::uint32_t seq = 1; seq <= total; ++seq) {
    await(way, &c->request_seq, seq, &c->worker_waiting);
    signal_peer(way, &c->response_seq, seq, &c->client_waiting);
  }
}

// The client's side: `batches` batches of `round_trips`; ns per round trip of each.
std::vector<double> measure(Way way, ipc::Control* c, std::uint32_t round_trips,
                            std::uint32_t batches) {
  std::vector<double> ns_per_round_trip;
  std::uint32_t seq = 0;
  for (std::uint32_t b = 0; b < batches; ++b) {
    const std::int64_t start = now_ns();
    for (std::uint32_t i = 0; i < round_trips; ++i) {
      ++seq;
      signal_peer(way, &c->request_seq, seq, &c->worker_waiting);
      await(way, &c->response_seq, seq, &c->client_waiting);
    }
    ns_per_round_trip.push_back(static_cast<double>(now_ns() - start) / round_trips);
  }
  return ns_per_round_trip;
}

bool run(Way way, const char* name, std::uint32_t round_trips, std::uint32_t batches, bool first) {
  void* memory = mmap(nullptr, sizeof(ipc::Control), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    std::perror("ib_ipc_pingpong: mmap");
    return false;
  }
  auto* control = new (memory) ipc::Control{};
  const pid_t child = fork();
  if (child == 0) {
    serve(way, control, round_trips * batches);
    _exit(0);
  }
  if (child < 0) {
    std::perror("ib_ipc_pingpong: fork");
    return false;
  }
  std::vector<double> ns = measure(way, control, round_trips, batches);
  int status = 0;
  waitpid(child, &status, 0);
  munmap(memory, sizeof(ipc::Control));
  std::printf("%s\n  \"%s\": {\"ns_per_round_trip\": [", first ? "" : ",", name);
  for (std::size_t i = 0; i < ns.size(); ++i) {
    std::printf("%s%.1f", i ? ", " : "", ns[i]);
  }
  std::sort(ns.begin(), ns.end());
  std::printf("], \"best_ns\": %.1f, \"median_ns\": %.1f}", ns.front(), ns[ns.size() / 2]);
  return true;
}

std::uint32_t flag_value(int argc, char** argv, std::string_view flag, std::uint32_t fallback) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with(flag)) {
      return static_cast<std::uint32_t>(std::strtoul(argv[i] + flag.size(), nullptr, 10));
    }
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint32_t round_trips = std::max(1u, flag_value(argc, argv, "--round-trips=", 20000));
  const std::uint32_t batches = std::max(1u, flag_value(argc, argv, "--batches=", 7));
  std::printf("{\"round_trips\": %u, \"batches\": %u,", round_trips, batches);
  const bool ok = run(Way::kRaw, "raw", round_trips, batches, true) &&
                  run(Way::kProtocol, "protocol", round_trips, batches, false) &&
                  run(Way::kFutex, "futex", std::max(1u, round_trips / 10), batches, false);
  std::printf("\n}\n");
  return ok ? 0 : 1;
}
