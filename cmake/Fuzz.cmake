# libFuzzer targets (clang only): configure a separate build with
#   cmake -S . -B build/fuzz -DCMAKE_CXX_COMPILER=clang++ -DIB_FUZZ=ON -DIB_BUILD_PYTHON=OFF
# `make fuzz` does this and runs every target for FUZZ_SECONDS.
option(IB_FUZZ "Build the libFuzzer targets (needs clang)" OFF)

if(IB_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "IB_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Everything the targets link is instrumented for coverage and checked by
  # AddressSanitizer and UndefinedBehaviorSanitizer.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined -g)
  add_link_options(-fsanitize=address,undefined)
endif()

# A libFuzzer executable from `source`, linked with the libraries that follow.
# A no-op unless IB_FUZZ.
function(ib_add_fuzzer target source)
  if(IB_FUZZ)
    add_executable(${target} ${source})
    target_link_libraries(${target} PRIVATE ${ARGN})
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
    ib_target_defaults(${target})
  endif()
endfunction()
