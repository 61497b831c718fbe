// SPDX-License-Identifier: GPL-2.0-only

#include "layout.hh"

#include <cstdint>

#include "size.hh"

namespace xferio {

namespace {

uint64_t RoundUp(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }
uint64_t DivRoundUp(uint64_t v, uint64_t by) { return (v + by - 1) / by; }

// Fragmented layout: pieces start every `stride` bytes and hold at most
// `capacity` bytes each (the rest of the stride is the gap).
struct Fragments {
  uint64_t stride;
  uint64_t capacity;
  uint64_t count;
};

Fragments FragmentsFor(uint64_t len, const Geometry& g) {
  // One stride: a page (lbs < page) or two blocks (lbs >= page).
  const uint64_t base = g.lbs < g.page ? g.page : 2 * g.lbs;
  uint64_t strides = 1;  // base strides per piece
  // A piece of k base strides holds k * base - lbs bytes; grow k until the
  // I/O fits in kMaxIovecs pieces.
  while (DivRoundUp(len, strides * base - g.lbs) > kMaxIovecs) strides++;
  Fragments f;
  f.stride = strides * base;
  f.capacity = f.stride - g.lbs;
  f.count = DivRoundUp(len, f.capacity);
  return f;
}

}  // namespace

std::optional<std::string> LayoutUnsupported(Layout layout, const Geometry& g) {
  if (layout == Layout::kMisaligned && g.lbs >= g.page) {
    return "the misaligned layout needs a logical block size below the page size (block " +
           std::to_string(g.lbs) + ", page " + std::to_string(g.page) +
           "): O_DIRECT buffers must be block-aligned";
  }
  return std::nullopt;
}

uint64_t ArenaBytes(Layout layout, uint64_t len, const Geometry& g) {
  switch (layout) {
    case Layout::kContiguous:
      return RoundUp(len, g.page);
    case Layout::kMisaligned:
      return RoundUp(g.lbs + len, g.page);
    case Layout::kFragmented: {
      Fragments f = FragmentsFor(len, g);
      return RoundUp(f.count * f.stride, g.page);
    }
  }
  return 0;
}

Result<std::vector<iovec>> BuildIovecs(Layout layout, std::byte* arena, uint64_t arena_size,
                                       uint64_t len, const Geometry& g) {
  if (len == 0 || len % g.lbs != 0) {
    return Error{"I/O length " + std::to_string(len) + " is not a positive multiple of " +
                 std::to_string(g.lbs)};
  }
  if (reinterpret_cast<uintptr_t>(arena) % g.page != 0) {
    return Error{"buffer is not page-aligned"};
  }
  if (auto why = LayoutUnsupported(layout, g)) return Error{*why};
  uint64_t need = ArenaBytes(layout, len, g);
  if (arena_size < need) {
    return Error{std::string(LayoutName(layout)) + " I/O of " + FormatSize(len) + " needs " +
                 std::to_string(need) + " bytes of buffer, have " + std::to_string(arena_size)};
  }
  std::vector<iovec> iovs;
  switch (layout) {
    case Layout::kContiguous:
      iovs.push_back({arena, len});
      break;
    case Layout::kMisaligned:
      iovs.push_back({arena + g.lbs, len});
      break;
    case Layout::kFragmented: {
      Fragments f = FragmentsFor(len, g);
      uint64_t left = len;
      for (uint64_t i = 0; i < f.count; i++) {
        uint64_t piece = left < f.capacity ? left : f.capacity;
        iovs.push_back({arena + i * f.stride, piece});
        left -= piece;
      }
      break;
    }
  }
  return iovs;
}

std::vector<iovec> GapsBetween(const std::vector<iovec>& iovs, std::byte* arena, uint64_t used) {
  std::vector<iovec> gaps;
  std::byte* at = arena;
  std::byte* end = arena + used;
  for (const iovec& v : iovs) {
    auto* base = static_cast<std::byte*>(v.iov_base);
    if (base > at) gaps.push_back({at, static_cast<size_t>(base - at)});
    at = base + v.iov_len;
  }
  if (end > at) gaps.push_back({at, static_cast<size_t>(end - at)});
  return gaps;
}

}  // namespace xferio
