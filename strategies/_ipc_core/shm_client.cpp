#include "shm_client.hpp"

#include "sync.hpp"

namespace interop_bench::ipc {

std::uint32_t send(Control* control, const Request& request, std::uint32_t seq) noexcept {
  control->op = request.op;
  control->dtype = request.dtype;
  control->in_arena = request.in_arena;
  control->out_arena = request.out_arena;
  control->count = request.count;
  control->rows = request.rows;
  control->cols = request.cols;
  control->row_stride = request.row_stride;
  control->in_offset = request.in_offset;
  control->out_offset = request.out_offset;
  control->factor = request.factor;
  control->arena_bytes = request.arena_bytes;
  const std::uint32_t last_response = load_acquire(&control->response_seq);
  publish(&control->request_seq, seq, &control->worker_waiting);
  return last_response;
}

Response read_response(const Control* control) noexcept {
  return Response{control->response_seq, control->status, control->result, control->integer_result,
                  control->detail};
}

void ArenaTable::set(std::uint32_t index, const void* base, std::uint64_t bytes) noexcept {
  ranges_.at(index) = Range{reinterpret_cast<std::uintptr_t>(base), bytes};
  end_ = index + 1 > end_ ? index + 1 : end_;
}

void ArenaTable::clear(std::uint32_t index) noexcept {
  ranges_.at(index) = Range{};
}

std::optional<Place> ArenaTable::find(const void* data, std::uint64_t bytes) const noexcept {
  const auto address = reinterpret_cast<std::uintptr_t>(data);
  for (std::uint32_t i = 0; i < end_; ++i) {
    const Range& r = ranges_[i];
    // Subtractions only, so that no sum can overflow.
    if (r.bytes != 0 && address >= r.base && address - r.base <= r.bytes &&
        bytes <= r.bytes - (address - r.base)) {
      return Place{i, address - r.base};
    }
  }
  return std::nullopt;
}

void* ArenaTable::address(const Place& place, std::uint64_t bytes) const noexcept {
  if (place.arena >= kMaxArenas) return nullptr;
  const Range& r = ranges_[place.arena];
  if (r.bytes == 0 || place.offset > r.bytes || bytes > r.bytes - place.offset) return nullptr;
  return reinterpret_cast<void*>(r.base + place.offset);
}

}  // namespace interop_bench::ipc
