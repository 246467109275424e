// Why json_codec.cpp decodes with nlohmann's SAX interface: it against the DOM
// route (json::parse, then get<std::vector<double>>()), on the message Python's
// json.dumps writes for 1e6 values. simdjson (json_fast) is measured alongside.
//   make json-decode-bench && build/native/harness/ib_json_decode_bench [--benchmark_min_time=1]
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include <random>
#include <string>
#include <vector>

#include "json_codec.hpp"
#include "simdjson_codec.hpp"

namespace ib = interop_bench::serialization;

namespace {

constexpr std::size_t elements = 1'000'000;

// {"op": "sum", "shape": [n], "data": [...]} with values in [-1, 1), as Python sends it.
const std::string& message() {
  static const std::string text = [] {
    std::mt19937_64 random(1);
    std::uniform_real_distribution<double> uniform(-1.0, 1.0);
    nlohmann::json data = nlohmann::json::array();
    for (std::size_t i = 0; i < elements; ++i) data.push_back(uniform(random));
    return nlohmann::json{{"op", "sum"}, {"shape", {elements}}, {"data", data}}.dump();
  }();
  return text;
}

std::span<const std::uint8_t> bytes() {
  return {reinterpret_cast<const std::uint8_t*>(message().data()), message().size()};
}

void nlohmann_sax(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ib::NlohmannJson::decode(bytes()).data.data());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message().size()));
}

void nlohmann_dom(benchmark::State& state) {
  for (auto _ : state) {
    const nlohmann::json document = nlohmann::json::parse(message());
    auto values = document.at("data").get<std::vector<double>>();
    benchmark::DoNotOptimize(values.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message().size()));
}

void simdjson_ondemand(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ib::SimdJson::decode(bytes()).data.data());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message().size()));
}

}  // namespace

BENCHMARK(nlohmann_sax)->Unit(benchmark::kMillisecond);
BENCHMARK(nlohmann_dom)->Unit(benchmark::kMillisecond);
BENCHMARK(simdjson_ondemand)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
