// Native floors measured with Google Benchmark:
//   kernel/<op>/<elements>    each kernel alone: the time no strategy can beat;
//   roofline/read/<bytes>     read bandwidth of a buffer far larger than cache;
//   roofline/memcpy/<bytes>   memcpy bandwidth (bytes copied per second).
// Extra flags, before Google Benchmark's own:
//   --ib_sizes=1,10,1000   element counts for the kernels (default: 4^k up to 2^27)
//   --ib_roofline_bytes=N  buffer size of the roofline probes (default 256 MiB)
// Sizes whose buffers would not fit in half of the available memory are skipped.
//
// This is the independent cross-check of the floors that the runner measures
// as turns of its own rounds (harness/floor_timer.cpp): other buffers, another
// process, minutes earlier. UseRealTime makes Google Benchmark size its
// iteration counts by the wall clock; the reader (runner/floors.py) takes the
// CPU time per iteration, because a repetition's real time is a mean that
// absorbs every preemption, while the runner's medians of short samples leave
// preemptions out: for a single-threaded kernel that never waits, CPU time is
// the wall time without them.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bandwidth.hpp"
#include "interop_bench/huge_pages.hpp"
#include "interop_bench/kernels.hpp"

namespace kernels = interop_bench::kernels;

namespace {

constexpr std::size_t kMaxElements = std::size_t{1} << 27;  // 1 GiB of doubles
constexpr std::size_t kDefaultRooflineBytes = std::size_t{256} << 20;

// MemAvailable from /proc/meminfo, or 0 when it cannot be read.
std::size_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::size_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

std::vector<std::size_t> default_sizes() {
  std::vector<std::size_t> sizes;
  for (std::size_t n = 1; n <= kMaxElements; n *= 4) sizes.push_back(n);
  if (sizes.back() != kMaxElements) sizes.push_back(kMaxElements);
  return sizes;
}

std::vector<std::size_t> parse_sizes(const char* list) {
  std::vector<std::size_t> sizes;
  for (const char* p = list; *p != '\0';) {
    char* end = nullptr;
    const double value = std::strtod(p, &end);  // accepts 1e6
    if (end == p || value < 0) {
      std::fprintf(stderr, "ib_native_floors: bad --ib_sizes entry near '%s'\n", p);
      std::exit(2);
    }
    sizes.push_back(static_cast<std::size_t>(value));
    p = (*end == ',') ? end + 1 : end;
    if (*end != ',' && *end != '\0') {
      std::fprintf(stderr, "ib_native_floors: bad separator in --ib_sizes near '%s'\n", end);
      std::exit(2);
    }
  }
  return sizes;
}

// A heap buffer of n values of T with huge pages advised as NumPy advises them
// for its arrays, so the floors are measured on the same kind of memory as the
// arrays that the strategies are given. Not initialised: callers fill it.
template <class T>
class Buffer {
 public:
  explicit Buffer(std::size_t n) : data_(new T[n]), size_(n) {
    interop_bench::advise_huge_pages(data_.get(), n * sizeof(T));
  }
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return data_[i]; }

 private:
  std::unique_ptr<T[]> data_;
  std::size_t size_;
};

// A buffer filled with small values, touched before timing so that page
// faults are not measured.
Buffer<double> filled(std::size_t n) {
  Buffer<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = 1.0 + static_cast<double>(i % 7) * 0.25;
  return v;
}

template <class T>
Buffer<T> constant(std::size_t n, T value) {
  Buffer<T> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = value;
  return v;
}

void set_counters(benchmark::State& state, std::size_t elements) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * elements));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * elements * sizeof(double)));
}

void bench_sum(benchmark::State& state, std::size_t n) {
  const Buffer<double> a = filled(n);
  for (auto _ : state) {
    double s = kernels::sum({a.data(), a.size()});
    benchmark::DoNotOptimize(s);
  }
  set_counters(state, n);
}

void bench_square(benchmark::State& state, std::size_t n) {
  // Squaring the same buffer forever drives it to Inf, whose arithmetic costs
  // the same on x86-64 SSE; values start at 1.0 or above, so no denormals.
  Buffer<double> a = filled(n);
  for (auto _ : state) {
    kernels::square_inplace({a.data(), a.size()});
    benchmark::ClobberMemory();
  }
  set_counters(state, n);
}

// The most square rows x cols holding exactly n elements: the shape of the
// runner's matrices (python/interop_bench/ops.py, matrix_shape), so that both
// floors time the same work.
std::pair<std::size_t, std::size_t> matrix_shape(std::size_t n) {
  if (n == 0) return {0, 0};
  std::size_t rows = static_cast<std::size_t>(std::sqrt(static_cast<double>(n)));
  while (rows * rows > n) --rows;
  while ((rows + 1) * (rows + 1) <= n) ++rows;
  while (n % rows != 0) --rows;
  return {rows, n / rows};
}

void bench_matrix_sum(benchmark::State& state, std::size_t n) {
  const auto [rows, cols] = matrix_shape(n);
  const Buffer<double> m = filled(n);
  for (auto _ : state) {
    double s = kernels::matrix_sum(m.data(), rows, cols, cols);
    benchmark::DoNotOptimize(s);
  }
  set_counters(state, rows * cols);
}

void bench_scale(benchmark::State& state, std::size_t n) {
  const Buffer<double> in = filled(n);
  Buffer<double> out = constant(n, 0.0);
  for (auto _ : state) {
    kernels::scale({in.data(), in.size()}, 1.000001, {out.data(), out.size()});
    benchmark::ClobberMemory();
  }
  set_counters(state, n);
}

void bench_read(benchmark::State& state, std::size_t bytes) {
  Buffer<std::uint64_t> words = constant<std::uint64_t>(bytes / sizeof(std::uint64_t), 1);
  for (auto _ : state) {
    std::uint64_t r = interop_bench::harness::read_all(words.data(), words.size());
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

void bench_memcpy(benchmark::State& state, std::size_t bytes) {
  Buffer<char> src = constant<char>(bytes, 1), dst = constant<char>(bytes, 0);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

// Buffers a kernel needs at once, in bytes (scale has an input and an output).
std::size_t footprint_bytes(const std::string& op, std::size_t n) {
  return n * sizeof(double) * (op == "scale" ? 2 : 1);
}

struct Options {
  std::vector<std::size_t> sizes = default_sizes();
  std::size_t roofline_bytes = kDefaultRooflineBytes;
};

// Removes our own flags from argv so that Google Benchmark sees only its own.
Options take_options(int& argc, char** argv) {
  Options options;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--ib_sizes=", 0) == 0) {
      options.sizes = parse_sizes(argv[i] + std::strlen("--ib_sizes="));
    } else if (arg.rfind("--ib_roofline_bytes=", 0) == 0) {
      options.roofline_bytes =
          std::strtoull(argv[i] + std::strlen("--ib_roofline_bytes="), nullptr, 10);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return options;
}

void register_all(const Options& options) {
  const std::size_t budget = available_memory_bytes() / 2;
  const std::vector<std::pair<std::string, void (*)(benchmark::State&, std::size_t)>> ops = {
      {"sum", bench_sum},
      {"square", bench_square},
      {"matrix_sum", bench_matrix_sum},
      {"scale", bench_scale}};
  for (const auto& [op, fn] : ops) {
    for (std::size_t n : options.sizes) {
      if (budget != 0 && footprint_bytes(op, n) > budget) {
        std::fprintf(stderr,
                     "ib_native_floors: skipping %s/%zu: exceeds half the available memory\n",
                     op.c_str(), n);
        continue;
      }
      benchmark::RegisterBenchmark(("kernel/" + op + "/" + std::to_string(n)).c_str(), fn, n)
          ->UseRealTime();
    }
  }
  const std::size_t bytes = options.roofline_bytes;
  benchmark::RegisterBenchmark(("roofline/read/" + std::to_string(bytes)).c_str(), bench_read,
                               bytes)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("roofline/memcpy/" + std::to_string(bytes)).c_str(), bench_memcpy,
                               bytes)
      ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = take_options(argc, argv);
  register_all(options);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
