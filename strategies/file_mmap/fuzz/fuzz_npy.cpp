// libFuzzer target for the .npy header parser (npy_header.hpp): any bytes as a
// whole file. An accepted header must describe data of a known dtype that lies
// exactly inside the file.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "npy_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
  std::string error;
  const auto header = interop_bench::file_mmap::parse_npy(file, error);
  if (header && (header->data_offset > size || header->item_bytes == 0 ||
                 header->elements * header->item_bytes != size - header->data_offset ||
                 header->data_offset % sizeof(double) != 0 ||
                 interop_bench::file_mmap::npy_descr(header->dtype).empty())) {
    std::abort();  // the parser accepted a header that lies about the file
  }
  if (!header && error.empty()) {
    std::abort();  // a refusal must say why
  }
  return 0;
}
