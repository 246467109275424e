// The reply buffer of the binary formats whose array reply is a short header
// followed by the raw values (MessagePack's bin, protobuf's bytes or packed
// field): the body is placed 8-aligned (aligned for every dtype), so that the
// kernel writes its result where the reply is sent from, with no copy and no
// zeroing first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

namespace interop_bench::serialization {

class AlignedReply {
 public:
  // Room for `header` (copied in) followed by `body_bytes` uninitialised bytes: the body.
  std::span<std::byte> array(std::span<const std::uint8_t> header, std::size_t body_bytes) {
    // Pad in front so that the body after the header starts 8-aligned.
    begin_ = (word - header.size() % word) % word;
    std::uint8_t* reply = allocate(begin_, header.size() + body_bytes);
    std::memcpy(reply, header.data(), header.size());
    return {reinterpret_cast<std::byte*>(reply + header.size()), body_bytes};
  }

  // Room for a whole reply of `size` bytes (a scalar answer), to be written.
  std::uint8_t* whole(std::size_t size) { return allocate(0, size); }

  std::span<const std::uint8_t> bytes() const {
    return {reinterpret_cast<const std::uint8_t*>(storage_.get()) + begin_, size_};
  }

 private:
  static constexpr std::size_t word = sizeof(std::uint64_t);

  std::uint8_t* allocate(std::size_t begin, std::size_t size) {
    begin_ = begin;
    size_ = size;
    // new[] without (), unlike std::vector, does not zero what the kernel overwrites.
    storage_.reset(new std::uint64_t[(begin + size + word - 1) / word]);
    return reinterpret_cast<std::uint8_t*>(storage_.get()) + begin;
  }

  std::unique_ptr<std::uint64_t[]> storage_;  // uint64 keeps the body 8-aligned
  std::size_t begin_ = 0;                     // where the reply starts in storage_, in bytes
  std::size_t size_ = 0;
};

}  // namespace interop_bench::serialization
