# Shared settings for the project's own targets. Third-party code (nanobind's
# runtime, generated FlatBuffers headers) is not held to our warning flags.
# Optimisation is the build type's (Release: -O3, what pip install builds).

# Apply the project's warnings (errors under IB_WERROR) and, optionally, sanitizers.
function(ib_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(IB_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  ib_target_sanitizers(${target})
endfunction()

# Only the sanitizers (when IB_SANITIZE), for generated code that is not held
# to our warning flags (Cython's C++).
function(ib_target_sanitizers target)
  if(IB_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# Where the Python package looks for native artifacts (see
# python/interop_bench/native.py): interop_bench/_native inside the wheel.
set(IB_NATIVE_INSTALL_DIR interop_bench/_native)

# Install a native artifact (extension module, shared library, executable)
# next to the Python package.
function(ib_install_native target)
  install(TARGETS ${target} LIBRARY DESTINATION ${IB_NATIVE_INSTALL_DIR}
                            RUNTIME DESTINATION ${IB_NATIVE_INSTALL_DIR})
endfunction()

# A Python extension module: `target` from the SOURCES that follow, linked
# with the kernel core and the LINK libraries, NumPy's C headers when NUMPY is
# given, symbols hidden but its PyInit, the project's flags (only the
# sanitizers when GENERATED: a generator's code is not held to our warnings),
# installed next to the Python package.
function(ib_add_python_module target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NUMPY;GENERATED" "" "SOURCES;LINK")
  python_add_library(${target} MODULE WITH_SOABI ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE ib_kernels ${arg_LINK})
  if(arg_NUMPY)
    ib_numpy_include_dir(numpy_include ${target})
    # SYSTEM: NumPy's headers are not held to our warning flags.
    target_include_directories(${target} SYSTEM PRIVATE ${numpy_include})
  endif()
  set_target_properties(${target} PROPERTIES CXX_VISIBILITY_PRESET hidden)
  if(arg_GENERATED)
    ib_target_sanitizers(${target})
  else()
    ib_target_defaults(${target})
  endif()
  ib_install_native(${target})
endfunction()

# pybind11 and nanobind come from the Python environment (PyPI), not from the
# system: ask the interpreter where their CMake packages live.
function(ib_find_python_cmake_packages)
  foreach(pkg_and_flag IN ITEMS "pybind11|--cmakedir" "nanobind|--cmake_dir")
    string(REPLACE "|" ";" parts ${pkg_and_flag})
    list(GET parts 0 pkg)
    list(GET parts 1 flag)
    execute_process(COMMAND ${Python_EXECUTABLE} -m ${pkg} ${flag}
                    OUTPUT_VARIABLE dir OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE rc ERROR_QUIET)
    if(rc EQUAL 0)
      list(APPEND CMAKE_PREFIX_PATH ${dir})
    endif()
  endforeach()
  set(CMAKE_PREFIX_PATH ${CMAKE_PREFIX_PATH} PARENT_SCOPE)
endfunction()

# Register a GoogleTest executable with CTest.
function(ib_add_gtest target)
  if(IB_BUILD_TESTS)
    add_executable(${target} ${ARGN})
    target_link_libraries(${target} PRIVATE ib_kernels GTest::gtest_main)
    ib_target_defaults(${target})
    # A test is compiled at -O1, not the build type's -O3: its compile time is
    # parsing and instantiating templates (GoogleTest's, the codecs'), and -O3's
    # passes add a third to it for a program that runs in milliseconds. What it
    # tests is mostly built once, optimised, in the libraries it links (the
    # kernels, the codecs); and the Python suite checks every strategy's -O3
    # build bit-exact.
    target_compile_options(${target} PRIVATE -O1)
    add_test(NAME ${target} COMMAND ${target})
  endif()
endfunction()

# NumPy's C API headers, from the numpy the build's interpreter has (headers
# only: the modules import NumPy's API table at run time). Sets `out_var` to
# the include directory; stops the configuration with an error naming `target`
# when numpy is not importable (a build requirement: without it the C API
# strategies would silently vanish from the comparison).
function(ib_numpy_include_dir out_var target)
  execute_process(COMMAND ${Python_EXECUTABLE} -c "import numpy; print(numpy.get_include())"
                  OUTPUT_VARIABLE dir OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "numpy is not importable by ${Python_EXECUTABLE}, but ${target} needs "
                        "its C headers: install numpy into the build environment")
  endif()
  set(${out_var} "${dir}" PARENT_SCOPE)
endfunction()

# Record the version of a library or tool that a strategy's folder found and that
# has no CMake version file (swig, libprotobuf), for
# build_info.json's versions (cmake/BuildInfo.cmake): `interop-bench list` and
# every results file show it.
function(ib_record_version package version)
  set_property(GLOBAL APPEND PROPERTY IB_RECORDED_VERSIONS "${package}|${version}")
endfunction()
