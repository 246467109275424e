#include "mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

namespace interop_bench::file_mmap {
namespace {

std::string system_error(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// Map `bytes` of `fd` shared (nothing is faulted in yet). An empty file maps
// to an empty span (mmap refuses a length of 0).
std::byte* map(int fd, std::size_t bytes, bool writable) {
  if (bytes == 0) {
    return nullptr;
  }
  const int protection = writable ? PROT_READ | PROT_WRITE : PROT_READ;
  void* p = ::mmap(nullptr, bytes, protection, MAP_SHARED, fd, 0);
  return p == MAP_FAILED ? nullptr : static_cast<std::byte*>(p);
}

}  // namespace

bool plain_file_name(const std::string& name, std::string& error) {
  if (name.empty() || name.size() > NAME_MAX || name == "." || name == ".." ||
      name.find_first_of(std::string_view{"/\0", 2}) != std::string::npos) {
    error = "file name of " + std::to_string(name.size()) +
            " bytes is not a plain name in the worker's directory";
    return false;
  }
  return true;
}

std::optional<MappedFile> MappedFile::open(int dir_fd, const std::string& name, bool writable,
                                           std::string& error) {
  // O_NONBLOCK: a FIFO put in place of the file must not block the worker
  // (it is refused below as not a regular file); O_NOFOLLOW: no symlink out.
  const int fd = ::openat(dir_fd, name.c_str(),
                          (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    error = system_error("cannot open it");
    return std::nullopt;
  }
  struct stat status {};
  std::byte* data = nullptr;
  if (::fstat(fd, &status) != 0) {
    error = system_error("cannot stat it");
  } else if (!S_ISREG(status.st_mode)) {
    error = "it is not a regular file";
  } else if ((data = map(fd, static_cast<std::size_t>(status.st_size), writable)) == nullptr &&
             status.st_size != 0) {
    error = system_error("cannot map it");
  } else {
    ::close(fd);  // the mapping keeps the file's memory
    return MappedFile(data, static_cast<std::size_t>(status.st_size));
  }
  ::close(fd);
  return std::nullopt;
}

std::optional<MappedFile> MappedFile::create(int dir_fd, const std::string& name,
                                             std::uint64_t bytes, std::string& error) {
  const int fd =
      ::openat(dir_fd, name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = system_error("cannot create it");
    return std::nullopt;
  }
  std::byte* data = nullptr;
  if (const int failed = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes)); failed != 0) {
    errno = failed;
    error = system_error("cannot reserve its space");
  } else if ((data = map(fd, bytes, true)) == nullptr) {
    error = system_error("cannot map it");
  } else {
    ::close(fd);
    return MappedFile(data, bytes);
  }
  ::close(fd);
  ::unlinkat(dir_fd, name.c_str(), 0);
  return std::nullopt;
}

void MappedFile::populate(std::size_t offset, std::size_t length, bool for_writing) const {
  if (length == 0 || offset >= size_) {
    return;
  }
  static const std::size_t page_bytes = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t start = offset - offset % page_bytes;
  const std::size_t end = std::min(offset + length, size_);
  ::madvise(data_ + start, end - start, for_writing ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile::~MappedFile() {
  if (data_ != nullptr) {
    ::munmap(data_, size_);
  }
}

}  // namespace interop_bench::file_mmap
