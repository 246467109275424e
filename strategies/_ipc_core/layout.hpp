// `ib_worker --print-layout`: the offsets and sizes of protocol.hpp as JSON, so
// that a test can check the Python mirror against the compiler's own numbers.
#pragma once

#include <cstdio>

namespace interop_bench::ipc {

void print_layout(std::FILE* out);

}  // namespace interop_bench::ipc
