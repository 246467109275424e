// The adapter that cppyy compiles at run time, compiled here too, with the
// project's warning flags: a mistake in it fails the build, not the first call.
// Its templates are instantiated for every element type of the dtype axis, as
// the Python side instantiates them, so that their bodies are checked too.
// (Nothing of it is called from this library.)
#include <cstdint>

#include "cppyy_adapter.hpp"

namespace adapter = interop_bench::cppyy_adapter;

template struct adapter::Typed<double>;
template struct adapter::Typed<float>;
template struct adapter::Typed<std::int32_t>;
template struct adapter::Typed<std::int16_t>;
template struct adapter::Typed<std::uint8_t>;
template struct adapter::Released<double>;
template struct adapter::Released<float>;
template struct adapter::Released<std::int32_t>;
template struct adapter::Released<std::int16_t>;
template struct adapter::Released<std::uint8_t>;
