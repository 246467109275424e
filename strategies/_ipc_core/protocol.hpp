// The wire layout between Python and ib_worker: the shared-memory control block
// and the pipe frames. This header is the single source of truth; the Python
// mirror (interop_bench/strategies/_ipc_protocol.py) is checked against the
// offsets that `ib_worker --print-layout` prints, field by field.
//
// Everything is little-endian, fixed-size and trivially copyable. The worker
// treats every field as hostile: counts and offsets are bounds-checked against
// the memory they name before anything is read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "interop_bench/dtype.hpp"

namespace interop_bench::ipc {

inline constexpr std::uint32_t kMagic = 0x48534249;       // the bytes "IBSH"
inline constexpr std::uint32_t kVersion = 2;              // 2: dtype codes, kFrame, integer sums
inline constexpr std::size_t kNameBytes = 64;             // segment name, NUL-terminated
inline constexpr std::size_t kErrorTextBytes = 200;       // error message, NUL-terminated
inline constexpr std::uint32_t kMaxArenas = 32;           // data segments mapped at once
inline constexpr std::uint32_t kNoResponse = 0xFFFFFFFF;  // response_seq before the handshake
// Every segment name starts with this: the worker refuses any other file, and
// the tests find leftovers by it.
inline constexpr char kSegmentPrefix[] = "ib_shm_";

enum class Op : std::uint32_t {
  kSum = 1,
  kSquare = 2,
  kMatrixSum = 3,
  kScale = 4,
  kProbe = 5,       // as kSum, and `detail` says where the input was read
  kMapArena = 6,    // map segment `arena_name` as data arena `in_arena`
  kUnmapArena = 7,  // unmap data arena `in_arena`
  kStop = 8,        // answer, then exit
  kFrame = 9,       // rows x cols RGB pixels (uint8, row_stride bytes apart) to gray
};

enum class Status : std::uint32_t { kOk = 0, kError = 1 };

// The control block at offset 0 of the control segment. The request and the
// response sit on different cache lines so that the two processes do not
// invalidate each other's line while one of them spins.
//
// Memory ordering: the client writes the request fields with plain stores,
// then stores `request_seq` (release, seq_cst in practice); the worker loads
// `request_seq` (acquire) and only then reads the fields. The response goes the
// other way through `response_seq`. The `*_waiting` flags let the publisher
// skip the futex wake syscall when nobody sleeps (both sides use seq_cst on the
// flag and the sequence word, so a sleeper is never missed).
struct Control {
  // -- request: written by the client ------------------------------------
  alignas(64) std::uint32_t magic;
  std::uint32_t version;
  std::uint32_t request_seq;     // futex word the worker sleeps on
  std::uint32_t worker_waiting;  // 1 while the worker sleeps (written by the worker)
  std::uint32_t op;
  std::uint32_t in_arena;   // data arena of the input (and of kMap/kUnmapArena)
  std::uint32_t out_arena;  // data arena of scale's and frame's output
  std::uint32_t dtype;      // a DType code (dtype.hpp), of input and output (kFrame: uint8)
  std::uint64_t count;      // elements of a vector
  std::uint64_t rows;       // matrix_sum's and frame's shape ...
  std::uint64_t cols;
  std::uint64_t row_stride;   // ... and elements between row starts (frame: bytes)
  std::uint64_t in_offset;    // bytes from the start of the input arena
  std::uint64_t out_offset;   // bytes from the start of the output arena
  double factor;              // scale's k (for an integer dtype, an integer it holds)
  std::uint64_t arena_bytes;  // size of the arena to map
  char arena_name[kNameBytes];
  // -- response: written by the worker -----------------------------------
  alignas(64) std::uint32_t response_seq;  // futex word the client sleeps on
  std::uint32_t client_waiting;            // 1 while the client sleeps (written by the client)
  std::uint32_t status;
  std::uint32_t reserved1;
  double result;                 // sum / matrix_sum of a float dtype (float32's widened)
  std::uint64_t detail;          // kProbe: the byte offset the input was read at
  std::uint64_t integer_result;  // ... of an integer dtype: int64 bits, uint64 for uint8
  char error_text[kErrorTextBytes];
};

// One request over the pipe: this header, then `payload_bytes` of `dtype`
// data (the vector; the matrix or the frame row by row, `row_stride` apart).
// The fields after payload_bytes came with version 2; zero means float64 and
// packed rows.
struct PipeRequest {
  std::uint32_t magic;
  std::uint32_t version;
  std::uint32_t seq;
  std::uint32_t op;
  std::uint64_t count;
  std::uint64_t rows;
  std::uint64_t cols;
  double factor;
  std::uint64_t payload_bytes;
  std::uint32_t dtype;       // a DType code (dtype.hpp)
  std::uint32_t reserved;    // 0
  std::uint64_t row_stride;  // elements (frame: bytes) between row starts; 0: packed
};

// One response over the pipe: this header, then `payload_bytes` of the
// request's dtype (square's and scale's output; frame's gray image, bytes).
struct PipeResponse {
  std::uint32_t magic;
  std::uint32_t seq;
  std::uint32_t status;
  std::uint32_t reserved;
  double result;         // a float dtype's sum (float32's widened)
  std::uint64_t detail;  // kProbe: the worker's own address of the data it read
  std::uint64_t payload_bytes;
  std::uint64_t integer_result;  // an integer dtype's sum: int64 bits, uint64 for uint8
  char error_text[kErrorTextBytes];
};

// -- the network peer's handshake (peer_auth.cpp), before the pipe frames ----
//
// The peer sends a hello with a fresh random nonce; the client answers with
// its own nonce and HMAC-SHA256(secret, kPeerClientLabel || peer nonce ||
// client nonce); the peer checks it in constant time and answers with a
// verdict carrying HMAC-SHA256(secret, kPeerServerLabel || the same nonces), so
// the client knows the peer holds the secret too. The secret never crosses;
// a recorded exchange is worthless for the next (new nonce), and the two
// labels keep one side's proof from being reflected as the other's.
inline constexpr std::uint32_t kPeerMagic = 0x504E4249;  // the bytes "IBNP"
inline constexpr std::uint32_t kPeerVersion = 1;
inline constexpr std::size_t kNonceBytes = 32;
inline constexpr std::size_t kMacBytes = 32;  // SHA-256
inline constexpr char kPeerClientLabel[] = "interop-bench peer v1 client";
inline constexpr char kPeerServerLabel[] = "interop-bench peer v1 server";

struct PeerHello {  // peer -> client
  std::uint32_t magic;
  std::uint32_t version;
  unsigned char nonce[kNonceBytes];
};

struct PeerProof {  // client -> peer
  std::uint32_t magic;
  std::uint32_t version;
  unsigned char nonce[kNonceBytes];
  unsigned char mac[kMacBytes];
};

struct PeerVerdict {  // peer -> client; `mac` is all zero unless status is kOk
  std::uint32_t magic;
  std::uint32_t status;
  unsigned char mac[kMacBytes];
};

static_assert(std::is_standard_layout_v<Control> && std::is_trivially_copyable_v<Control>);
static_assert(std::is_trivially_copyable_v<PeerHello> && std::is_trivially_copyable_v<PeerProof> &&
              std::is_trivially_copyable_v<PeerVerdict>);
static_assert(std::is_standard_layout_v<PipeRequest> && std::is_trivially_copyable_v<PipeRequest>);
static_assert(std::is_standard_layout_v<PipeResponse> &&
              std::is_trivially_copyable_v<PipeResponse>);
static_assert(offsetof(Control, response_seq) % 64 == 0, "response on its own cache line");

}  // namespace interop_bench::ipc
