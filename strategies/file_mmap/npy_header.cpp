#include "npy_header.hpp"

#include <array>
#include <cstring>
#include <limits>
#include <string_view>
#include <type_traits>

namespace interop_bench::file_mmap {
namespace {

constexpr std::string_view kMagic{"\x93NUMPY", 6};
constexpr std::size_t kVersionAt = kMagic.size();  // major, minor: one byte each
constexpr std::size_t kLengthAt = kVersionAt + 2;  // little-endian header length
constexpr std::size_t kLengthBytesV1 = 2;          // version 1.0: uint16
constexpr std::size_t kLengthBytesV2 = 4;          // versions 2.0 and 3.0: uint32
constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();

// np.save's spelling of each dtype (its descr) and what it is: byte order ('<',
// or '|' for a single byte), kind and item size, derived from dtype.hpp's list.
struct Descr {
  char chars[4];
  interop_bench::DType dtype;
  constexpr std::string_view text() const { return {chars, 3}; }
};
constexpr std::array<Descr, interop_bench::dtype_count> make_descrs() {
  std::array<Descr, interop_bench::dtype_count> descrs{};
  std::size_t i = 0;
  interop_bench::for_each_dtype([&]<class T>(std::type_identity<T>) {
    static_assert(sizeof(T) < 10, "a descr's size is one digit");
    const char kind = std::is_floating_point_v<T> ? 'f' : std::is_signed_v<T> ? 'i' : 'u';
    descrs[i++] = {{sizeof(T) == 1 ? '|' : '<', kind, static_cast<char>('0' + sizeof(T)), '\0'},
                   interop_bench::dtype_of<T>()};
  });
  return descrs;
}
constexpr std::array<Descr, interop_bench::dtype_count> kDescrs = make_descrs();

// "'<f8', '<f4', '<i4', '<i2' or '|u1'", for the refusal of any other descr.
const std::string& descr_list() {
  static const std::string text = [] {
    std::string joined;
    for (std::size_t i = 0; i < kDescrs.size(); ++i) {
      if (i != 0) joined += i + 1 == kDescrs.size() ? " or " : ", ";
      joined += '\'';
      joined += kDescrs[i].text();
      joined += '\'';
    }
    return joined;
  }();
  return text;
}
// How much of a hostile value an error message quotes.
constexpr std::size_t kQuotedChars = 24;

std::string quoted(std::string_view text) {
  std::string out = "'";
  for (const char c : text.substr(0, kQuotedChars)) {
    out += c >= 0x20 && c < 0x7f ? c : '?';
  }
  return out + (text.size() > kQuotedChars ? "...'" : "'");
}

// A cursor over the header dict's text: the few pieces of Python literal
// syntax that np.save writes (quoted strings, True/False, tuples of integers).
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  void skip_space() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t')) {
      ++at_;
    }
  }
  bool take(char c) {
    skip_space();
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  bool take(std::string_view word) {
    skip_space();
    if (text_.substr(at_).starts_with(word)) {
      at_ += word.size();
      return true;
    }
    return false;
  }
  // A string in single or double quotes, without escapes (np.save writes none).
  std::optional<std::string_view> string() {
    skip_space();
    if (at_ >= text_.size() || (text_[at_] != '\'' && text_[at_] != '"')) {
      return std::nullopt;
    }
    const char quote = text_[at_];
    const std::size_t end = text_.find_first_of(std::string_view{"\\'\"", 3}, at_ + 1);
    if (end == std::string_view::npos || text_[end] != quote) {
      return std::nullopt;
    }
    const std::string_view value = text_.substr(at_ + 1, end - at_ - 1);
    at_ = end + 1;
    return value;
  }
  // A non-negative decimal integer; nullopt if absent or too large for 64 bits.
  std::optional<std::uint64_t> integer(bool& overflow) {
    skip_space();
    const std::size_t start = at_;
    std::uint64_t value = 0;
    for (; at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9'; ++at_) {
      const auto digit = static_cast<std::uint64_t>(text_[at_] - '0');
      if (value > (kMaxU64 - digit) / 10) {
        overflow = true;
        return std::nullopt;
      }
      value = value * 10 + digit;
    }
    if (at_ == start) {
      return std::nullopt;
    }
    return value;
  }
  std::string_view rest() const { return text_.substr(at_); }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
};

bool fail(std::string& error, std::string text) {
  error = std::move(text);
  return false;
}

bool read_descr(std::string_view descr, NpyHeader& header, std::string& error) {
  for (const Descr& known : kDescrs) {
    if (descr == known.text()) {
      header.dtype = known.dtype;
      header.item_bytes = interop_bench::item_bytes(known.dtype);
      return true;
    }
    if (descr.size() == 3 && descr[0] == '>' && descr.substr(1) == known.text().substr(1)) {
      return fail(error, "dtype " + quoted(descr) + " is big-endian: little-endian " +
                             quoted(known.text()) + " expected");
    }
  }
  return fail(error, "dtype " + quoted(descr) + " is not one of " + descr_list());
}

// '(' [integer (',' integer)* [',']] ')', as Python's repr of a tuple writes it.
bool read_shape(Reader& reader, NpyHeader& header, std::string& error) {
  if (!reader.take('(')) {
    return fail(error, "'shape' is not a tuple");
  }
  bool trailing_comma = false;
  while (!reader.take(')')) {
    if (header.ndim == kMaxDims) {
      return fail(error, "shape has more than " + std::to_string(kMaxDims) + " dimensions");
    }
    bool overflow = false;
    const auto extent = reader.integer(overflow);
    if (!extent) {
      return fail(error, overflow ? "a dimension of 'shape' does not fit in 64 bits"
                                  : "'shape' holds something other than non-negative integers");
    }
    header.shape[header.ndim++] = *extent;
    trailing_comma = reader.take(',');
    if (!trailing_comma && !reader.take(')')) {
      return fail(error, "'shape' tuple is malformed: ',' or ')' expected");
    }
    if (!trailing_comma) {
      break;
    }
  }
  if (header.ndim == 1 && !trailing_comma) {
    return fail(error, "'shape' (n) is not a tuple: a 1-tuple is written (n,)");
  }
  return true;
}

// One "'key': value" of the dict; `seen` marks the three keys it must hold.
bool read_entry(Reader& reader, NpyHeader& header, unsigned& seen, std::string& error) {
  const auto key = reader.string();
  if (!key) {
    return fail(error, "a key of the header dict is not a quoted string");
  }
  if (!reader.take(':')) {
    return fail(error, "':' expected after the header key " + quoted(*key));
  }
  const std::string_view keys[] = {"descr", "fortran_order", "shape"};
  unsigned bit = 0;
  while (bit < 3 && keys[bit] != *key) {
    ++bit;
  }
  if (bit == 3) {
    return fail(error, "unexpected key " + quoted(*key) + " in the header dict");
  }
  if (seen & (1u << bit)) {
    return fail(error, "the header key " + quoted(*key) + " appears twice");
  }
  seen |= 1u << bit;
  if (bit == 0) {
    const auto descr = reader.string();
    return descr ? read_descr(*descr, header, error)
                 : fail(error, "'descr' is not a quoted string");
  }
  if (bit == 1) {
    if (reader.take("False")) {
      return true;
    }
    return fail(error, reader.take("True")
                           ? "fortran_order is True: Fortran (column-major) order is not read, "
                             "C order expected"
                           : "'fortran_order' is neither True nor False");
  }
  return read_shape(reader, header, error);
}

bool read_dict(std::string_view text, NpyHeader& header, std::string& error) {
  Reader reader(text);
  if (!reader.take('{')) {
    return fail(error, "the header is not a dict: '{' expected");
  }
  unsigned seen = 0;
  if (!reader.take('}')) {
    while (true) {
      if (!read_entry(reader, header, seen, error)) {
        return false;
      }
      if (reader.take('}')) {
        break;
      }
      if (!reader.take(',')) {
        return fail(error, "header dict is malformed: ',' or '}' expected");
      }
      if (reader.take('}')) {
        break;  // a trailing comma, as np.save writes
      }
    }
  }
  if (seen != 0b111) {
    return fail(error, "the header dict lacks 'descr', 'fortran_order' or 'shape'");
  }
  // np.save pads the dict with spaces and ends it with one newline.
  const std::string_view rest = reader.rest();
  if (rest.empty() || rest.back() != '\n' ||
      rest.substr(0, rest.size() - 1).find_first_not_of(' ') != std::string_view::npos) {
    return fail(error, "the header dict is followed by something other than spaces and '\\n'");
  }
  return true;
}

std::uint64_t little_endian(const std::byte* p, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = bytes; i-- > 0;) {
    value = (value << 8) | std::to_integer<std::uint64_t>(p[i]);
  }
  return value;
}

// The magic, version and header length; sets header.data_offset and
// `text_at`, where the header dict starts.
bool read_prelude(std::span<const std::byte> file, NpyHeader& header, std::size_t& text_at,
                  std::string& error) {
  if (file.size() < kLengthAt) {
    return fail(error, "truncated: " + std::to_string(file.size()) +
                           " bytes are too few for the .npy magic and version");
  }
  if (std::memcmp(file.data(), kMagic.data(), kMagic.size()) != 0) {
    return fail(error, "bad magic: not a .npy file (it does not start with \\x93NUMPY)");
  }
  const auto major = std::to_integer<unsigned>(file[kVersionAt]);
  const auto minor = std::to_integer<unsigned>(file[kVersionAt + 1]);
  if (major < 1 || major > 3 || minor != 0) {
    return fail(error, "unsupported .npy version " + std::to_string(major) + "." +
                           std::to_string(minor) + " (1.0, 2.0 and 3.0 are read)");
  }
  const std::size_t length_bytes = major == 1 ? kLengthBytesV1 : kLengthBytesV2;
  if (file.size() < kLengthAt + length_bytes) {
    return fail(error, "truncated: the file ends inside the header length");
  }
  const std::uint64_t header_bytes = little_endian(file.data() + kLengthAt, length_bytes);
  if (header_bytes > kMaxHeaderBytes) {
    return fail(error, "header of " + std::to_string(header_bytes) + " bytes is longer than the " +
                           std::to_string(kMaxHeaderBytes) + " allowed");
  }
  text_at = kLengthAt + length_bytes;
  header.data_offset = text_at + header_bytes;
  if (header.data_offset > file.size()) {
    return fail(error, "truncated: the header says " + std::to_string(header_bytes) +
                           " bytes, the file ends " +
                           std::to_string(header.data_offset - file.size()) + " bytes before");
  }
  if (header.data_offset % kDataAlignBytes != 0) {
    return fail(error, "the data starts at byte " + std::to_string(header.data_offset) +
                           ", not aligned to " + std::to_string(kDataAlignBytes) + " bytes");
  }
  return true;
}

// The product of the shape and its bytes, refusing any overflow and any
// difference from the bytes the file holds after its header.
bool check_size(std::span<const std::byte> file, NpyHeader& header, std::string& error) {
  std::uint64_t elements = 1;
  for (std::size_t i = 0; i < header.ndim; ++i) {
    const std::uint64_t extent = header.shape[i];
    if (extent != 0 && elements > kMaxU64 / header.item_bytes / extent) {
      return fail(error, "the shape's element count overflows 64 bits of bytes");
    }
    elements *= extent;
  }
  header.elements = elements;
  const std::uint64_t data_bytes = elements * header.item_bytes;
  const std::uint64_t held_bytes = file.size() - header.data_offset;
  if (data_bytes != held_bytes) {
    return fail(error, "the shape says " + std::to_string(data_bytes) +
                           " bytes of data, the file " +
                           (data_bytes > held_bytes ? "is truncated: it holds " : "holds ") +
                           std::to_string(held_bytes));
  }
  return true;
}

}  // namespace

std::optional<NpyHeader> parse_npy(std::span<const std::byte> file, std::string& error) {
  NpyHeader header;
  std::size_t text_at = 0;
  if (!read_prelude(file, header, text_at, error)) {
    return std::nullopt;
  }
  const std::string_view text(reinterpret_cast<const char*>(file.data()) + text_at,
                              header.data_offset - text_at);
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80 || c == '\0') {
      error = "the header holds a byte that is not printable ASCII";
      return std::nullopt;
    }
  }
  if (!read_dict(text, header, error) || !check_size(file, header, error)) {
    return std::nullopt;
  }
  return header;
}

std::string_view npy_descr(interop_bench::DType dtype) {
  for (const Descr& known : kDescrs) {
    if (known.dtype == dtype) {
      return known.text();
    }
  }
  return "";
}

std::string npy_header(interop_bench::DType dtype, std::span<const std::uint64_t> shape) {
  constexpr std::size_t kAlignBytes = 64;
  std::string dims;
  for (const std::uint64_t extent : shape) {
    dims += std::to_string(extent) + (shape.size() == 1 ? "," : ", ");
  }
  if (shape.size() > 1) {
    dims.resize(dims.size() - 2);  // (2, 5), as Python writes a tuple; (3,) for one
  }
  std::string dict = "{'descr': '" + std::string(npy_descr(dtype)) +
                     "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const std::size_t unpadded = kLengthAt + kLengthBytesV1 + dict.size() + 1;
  dict.append((kAlignBytes - unpadded % kAlignBytes) % kAlignBytes, ' ');
  dict += '\n';
  std::string out(kMagic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>(dict.size() >> 8);
  return out + dict;
}

}  // namespace interop_bench::file_mmap
