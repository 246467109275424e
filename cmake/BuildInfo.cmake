# Writes build_info.json next to the native artifacts: which compiler and flags
# built them and which versions of the C++ libraries they were compiled against.
# Python cannot ask CMake at run time, so `interop-bench run` copies this file
# into every results file (environment.compiler, compiler_flags, versions).
# Included once, at the end of the top-level CMakeLists.txt (the targets whose
# flags it reads must exist by then).

# Quote a CMake string as a JSON string.
function(ib_json_string out value)
  string(REPLACE "\\" "\\\\" value "${value}")
  string(REPLACE "\"" "\\\"" value "${value}")
  set(${out} "\"${value}\"" PARENT_SCOPE)
endfunction()

# The version of a package from its CMake config-version file, read as text:
# calling find_package() here would define imported targets a second time.
function(ib_package_version out package version_file)
  find_file(IB_VERSION_FILE_${package} NAMES ${version_file}
            PATH_SUFFIXES share/cmake/${package} lib/cmake/${package}
                          lib/${CMAKE_LIBRARY_ARCHITECTURE}/cmake/${package})
  set(version "")
  if(IB_VERSION_FILE_${package})
    file(STRINGS ${IB_VERSION_FILE_${package}} line REGEX "set\\(PACKAGE_VERSION \"[0-9]" LIMIT_COUNT 1)
    string(REGEX REPLACE ".*\"([^\"]+)\".*" "\\1" version "${line}")
  endif()
  set(${out} "${version}" PARENT_SCOPE)
endfunction()

function(ib_write_build_info)
  string(TOUPPER "${CMAKE_BUILD_TYPE}" config)
  # The flags every project target gets (ib_target_defaults) as seen on the kernel core.
  get_target_property(target_flags ib_kernels COMPILE_OPTIONS)
  if(NOT target_flags)
    set(target_flags "")
  endif()
  string(REPLACE ";" " " target_flags "${target_flags}")
  string(STRIP "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${config}} ${target_flags} -std=c++${CMAKE_CXX_STANDARD}" flags)

  ib_json_string(compiler "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION} (${CMAKE_CXX_COMPILER})")
  ib_json_string(flags "${flags}")
  ib_json_string(build_type "${CMAKE_BUILD_TYPE}")
  ib_json_string(source_dir "${CMAKE_SOURCE_DIR}")
  set(versions "")
  foreach(entry IN ITEMS "nlohmann_json|nlohmann_jsonConfigVersion.cmake"
                         "flatbuffers|FlatBuffersConfigVersion.cmake"
                         "simdjson|simdjson-config-version.cmake"
                         "benchmark|benchmarkConfigVersion.cmake"
                         "msgpackc-cxx|msgpack-config-version.cmake"
                         "CapnProto|CapnProtoConfigVersion.cmake"
                         "cppzmq|cppzmqConfigVersion.cmake")
    string(REPLACE "|" ";" parts "${entry}")
    list(GET parts 0 package)
    list(GET parts 1 version_file)
    ib_package_version(version ${package} ${version_file})
    if(version)
      string(APPEND versions "\n    \"${package}\": \"${version}\",")
    endif()
  endforeach()
  # Libraries and tools without a config-version file, recorded by their
  # strategy's folder once it found them (ib_record_version).
  get_property(recorded GLOBAL PROPERTY IB_RECORDED_VERSIONS)
  foreach(entry IN LISTS recorded)
    string(REPLACE "|" ";" parts "${entry}")
    list(GET parts 0 package)
    list(GET parts 1 version)
    if(version)
      string(APPEND versions "\n    \"${package}\": \"${version}\",")
    endif()
  endforeach()
  string(REGEX REPLACE ",$" "" versions "${versions}")
  set(sanitize false)
  if(IB_SANITIZE)
    set(sanitize true)
  endif()

  set(path ${CMAKE_CURRENT_BINARY_DIR}/build_info.json)
  file(WRITE ${path}.in "{
  \"compiler\": ${compiler},
  \"compiler_flags\": ${flags},
  \"build_type\": ${build_type},
  \"sanitizers\": ${sanitize},
  \"source_dir\": ${source_dir},
  \"versions\": {${versions}
  }
}
")
  # Rewrite only on change, so that an unchanged configuration triggers no reinstall.
  configure_file(${path}.in ${path} COPYONLY)
  install(FILES ${path} DESTINATION ${IB_NATIVE_INSTALL_DIR})
endfunction()

ib_write_build_info()
