// The adapter that cppyy compiles at run time, compiled here too, with the
// project's warning flags: a mistake in it fails the build, not the first call.
// Its class templates are instantiated here for every element type of the
// dtype axis: cppyy_adapter.hpp declares these instantiations `extern
// template`, so cling takes them from this library, compiled ahead of time,
// instead of compiling each at its first call.
#include <cstdint>

#include "cppyy_adapter.hpp"

namespace interop_bench::cppyy_adapter {

template struct Typed<double>;
template struct Typed<float>;
template struct Typed<std::int32_t>;
template struct Typed<std::int16_t>;
template struct Typed<std::uint8_t>;
template struct Released<double>;
template struct Released<float>;
template struct Released<std::int32_t>;
template struct Released<std::int16_t>;
template struct Released<std::uint8_t>;

}  // namespace interop_bench::cppyy_adapter
