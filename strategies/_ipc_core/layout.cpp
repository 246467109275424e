#include "layout.hpp"

#include <cstddef>

#include "protocol.hpp"

namespace interop_bench::ipc {
namespace {

// One `"name": [offset, size]` entry per field; `first` says whether a comma
// is needed before it.
#define IB_FIELD(type, field)                                                      \
  std::fprintf(out, "%s\n      \"%s\": [%zu, %zu]", first ? "" : ",", #field,      \
               offsetof(type, field), sizeof(static_cast<type*>(nullptr)->field)); \
  first = false

void print_control(std::FILE* out) {
  bool first = true;
  std::fprintf(out, "    \"Control\": {\"size\": %zu, \"fields\": {", sizeof(Control));
  IB_FIELD(Control, magic);
  IB_FIELD(Control, version);
  IB_FIELD(Control, request_seq);
  IB_FIELD(Control, worker_waiting);
  IB_FIELD(Control, op);
  IB_FIELD(Control, in_arena);
  IB_FIELD(Control, out_arena);
  IB_FIELD(Control, dtype);
  IB_FIELD(Control, count);
  IB_FIELD(Control, rows);
  IB_FIELD(Control, cols);
  IB_FIELD(Control, row_stride);
  IB_FIELD(Control, in_offset);
  IB_FIELD(Control, out_offset);
  IB_FIELD(Control, factor);
  IB_FIELD(Control, arena_bytes);
  IB_FIELD(Control, arena_name);
  IB_FIELD(Control, response_seq);
  IB_FIELD(Control, client_waiting);
  IB_FIELD(Control, status);
  IB_FIELD(Control, reserved1);
  IB_FIELD(Control, result);
  IB_FIELD(Control, detail);
  IB_FIELD(Control, integer_result);
  IB_FIELD(Control, error_text);
  std::fprintf(out, "}},\n");
}

void print_pipe_request(std::FILE* out) {
  bool first = true;
  std::fprintf(out, "    \"PipeRequest\": {\"size\": %zu, \"fields\": {", sizeof(PipeRequest));
  IB_FIELD(PipeRequest, magic);
  IB_FIELD(PipeRequest, version);
  IB_FIELD(PipeRequest, seq);
  IB_FIELD(PipeRequest, op);
  IB_FIELD(PipeRequest, count);
  IB_FIELD(PipeRequest, rows);
  IB_FIELD(PipeRequest, cols);
  IB_FIELD(PipeRequest, factor);
  IB_FIELD(PipeRequest, payload_bytes);
  IB_FIELD(PipeRequest, dtype);
  IB_FIELD(PipeRequest, reserved);
  IB_FIELD(PipeRequest, row_stride);
  std::fprintf(out, "}},\n");
}

void print_pipe_response(std::FILE* out) {
  bool first = true;
  std::fprintf(out, "    \"PipeResponse\": {\"size\": %zu, \"fields\": {", sizeof(PipeResponse));
  IB_FIELD(PipeResponse, magic);
  IB_FIELD(PipeResponse, seq);
  IB_FIELD(PipeResponse, status);
  IB_FIELD(PipeResponse, reserved);
  IB_FIELD(PipeResponse, result);
  IB_FIELD(PipeResponse, detail);
  IB_FIELD(PipeResponse, payload_bytes);
  IB_FIELD(PipeResponse, integer_result);
  IB_FIELD(PipeResponse, error_text);
  std::fprintf(out, "}},\n");
}

void print_peer_handshake(std::FILE* out) {
  bool first = true;
  std::fprintf(out, "    \"PeerHello\": {\"size\": %zu, \"fields\": {", sizeof(PeerHello));
  IB_FIELD(PeerHello, magic);
  IB_FIELD(PeerHello, version);
  IB_FIELD(PeerHello, nonce);
  std::fprintf(out, "}},\n");
  first = true;
  std::fprintf(out, "    \"PeerProof\": {\"size\": %zu, \"fields\": {", sizeof(PeerProof));
  IB_FIELD(PeerProof, magic);
  IB_FIELD(PeerProof, version);
  IB_FIELD(PeerProof, nonce);
  IB_FIELD(PeerProof, mac);
  std::fprintf(out, "}},\n");
  first = true;
  std::fprintf(out, "    \"PeerVerdict\": {\"size\": %zu, \"fields\": {", sizeof(PeerVerdict));
  IB_FIELD(PeerVerdict, magic);
  IB_FIELD(PeerVerdict, status);
  IB_FIELD(PeerVerdict, mac);
  std::fprintf(out, "}}\n");
}

#undef IB_FIELD

}  // namespace

void print_layout(std::FILE* out) {
  std::fprintf(out, "{\n  \"constants\": {\"magic\": %u, \"version\": %u, \"name_bytes\": %zu, ",
               kMagic, kVersion, kNameBytes);
  std::fprintf(out, "\"status_ok\": %u, \"status_error\": %u, ", static_cast<unsigned>(Status::kOk),
               static_cast<unsigned>(Status::kError));
  std::fprintf(out, "\"error_text_bytes\": %zu, \"max_arenas\": %u, \"no_response\": %u, ",
               kErrorTextBytes, kMaxArenas, kNoResponse);
  std::fprintf(out, "\"peer_magic\": %u, \"peer_version\": %u, \"peer_client_label\": \"%s\", ",
               kPeerMagic, kPeerVersion, kPeerClientLabel);
  std::fprintf(out, "\"peer_server_label\": \"%s\", ", kPeerServerLabel);
  std::fprintf(out, "\"segment_prefix\": \"%s\", \"ops\": {\"sum\": %u, \"square\": %u, ",
               kSegmentPrefix, static_cast<unsigned>(Op::kSum), static_cast<unsigned>(Op::kSquare));
  std::fprintf(out, "\"matrix_sum\": %u, \"scale\": %u, \"probe\": %u, \"map_arena\": %u, ",
               static_cast<unsigned>(Op::kMatrixSum), static_cast<unsigned>(Op::kScale),
               static_cast<unsigned>(Op::kProbe), static_cast<unsigned>(Op::kMapArena));
  std::fprintf(out, "\"unmap_arena\": %u, \"stop\": %u, \"frame\": %u}, ",
               static_cast<unsigned>(Op::kUnmapArena), static_cast<unsigned>(Op::kStop),
               static_cast<unsigned>(Op::kFrame));
  std::fprintf(out, "\"dtypes\": {");
  const char* separator = "";
  for_each_dtype([&]<class T>(std::type_identity<T>) {
    std::fprintf(out, "%s\"%s\": %u", separator, DTypeTraits<T>::name,
                 static_cast<unsigned>(dtype_of<T>()));
    separator = ", ";
  });
  std::fprintf(out, "}},\n");
  std::fprintf(out, "  \"structs\": {\n");
  print_control(out);
  print_pipe_request(out);
  print_pipe_response(out);
  print_peer_handshake(out);
  std::fprintf(out, "  }\n}\n");
}

}  // namespace interop_bench::ipc
