// The adapter that cppyy compiles at run time, compiled here too, with the
// project's warning flags: a mistake in it fails the build, not the first call.
// (Nothing of it is used from this library: its functions are inline.)
#include "cppyy_adapter.hpp"
