// libFuzzer target: any bytes through the nlohmann JSON decoder, kernel and
// encoder. A MessageError is a correct refusal; anything else (another
// exception, a sanitizer report, a leak, a hang) is a bug.
#include <cstddef>
#include <cstdint>

#include "bridge/execute.hpp"
#include "json_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace interop_bench::serialization;
  NlohmannJson::Writer writer;
  PhaseTimes times;
  try {
    execute<NlohmannJson>({data, size}, writer, times);
  } catch (const MessageError&) {
  }
  return 0;
}
