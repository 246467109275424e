// A file of the worker's directory mapped into memory (MAP_SHARED, so that
// what the worker writes is what the file holds), unmapped on destruction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace interop_bench::file_mmap {

class MappedFile {
 public:
  // Map the existing regular file `name` of directory `dir_fd` whole (read-write
  // if `writable`); nullopt with `error` set if it cannot be.
  static std::optional<MappedFile> open(int dir_fd, const std::string& name, bool writable,
                                        std::string& error);
  // Create the file `name` (it must not exist) of `bytes`, its space reserved
  // first so that a full tmpfs is an error here rather than a SIGBUS on a later
  // store, and map it read-write. On failure nothing is left behind.
  static std::optional<MappedFile> create(int dir_fd, const std::string& name, std::uint64_t bytes,
                                          std::string& error);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&&) = delete;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<std::byte> bytes() const { return {data_, size_}; }

  // Fault in the pages of [offset, offset + length) in one pass (far cheaper
  // than one fault per 4 KiB page on first touch), once the header says the
  // range is data: a hostile file costs nothing before it is checked. Best
  // effort: where the kernel cannot (before Linux 5.14), pages fault on use.
  void populate(std::size_t offset, std::size_t length, bool for_writing) const;

 private:
  MappedFile(std::byte* data, std::size_t size) : data_(data), size_(size) {}

  std::byte* data_;
  std::size_t size_;
};

// Whether `name` names a file directly in the worker's directory (no '/', not
// "." or "..", not empty, not too long); else `error` says why not.
bool plain_file_name(const std::string& name, std::string& error);

}  // namespace interop_bench::file_mmap
