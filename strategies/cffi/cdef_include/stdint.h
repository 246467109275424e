/* Empty on purpose: the header is preprocessed for cffi's cdef (see
 * ../CMakeLists.txt), which knows size_t and uintptr_t itself and cannot parse
 * the system headers' declarations. */
