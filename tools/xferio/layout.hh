// SPDX-License-Identifier: GPL-2.0-only
//
// The layout builder: where in its buffer (the "arena", page-aligned) an I/O
// of a given length lives, as a list of iovecs.
//
//   contiguous  one iovec at the start of the arena.
//   misaligned  one iovec starting one logical block into the arena (512
//               bytes on a 512-byte disk): every page the I/O touches is only
//               partly used, so it needs one more SG entry than pages it
//               spans whole. Only possible when lbs < page size.
//   fragmented  one piece per page: a piece starts on a page boundary and is
//               followed by a gap of one logical block before the next piece
//               starts on the next page (so no two pieces are contiguous in
//               memory and the block layer cannot merge them); with
//               lbs >= page size a piece is lbs bytes and the gap lbs bytes.
//               When that would take more than kMaxIovecs pieces, each piece
//               spans several such strides (still ending with a gap).
//
// Every piece is a whole number of logical blocks, so no logical block is
// ever split between two iovecs.

#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "options.hh"
#include "result.hh"

namespace xferio {

// readv/writev accept at most IOV_MAX (1024) iovecs.
constexpr size_t kMaxIovecs = 1024;

struct Geometry {
  uint64_t lbs;   // logical block size, a power of two
  uint64_t page;  // page size, a power of two
};

// Why `layout` cannot be used with this geometry, or nothing if it can.
std::optional<std::string> LayoutUnsupported(Layout layout, const Geometry& g);

// Bytes of arena an I/O of `len` bytes needs in `layout` (a multiple of the
// page size: the iovecs and the gaps between them).
uint64_t ArenaBytes(Layout layout, uint64_t len, const Geometry& g);

// The iovecs of an I/O of `len` bytes (a positive multiple of lbs) placed in
// `arena` (page-aligned, `arena_size` bytes). They lie in
// [arena, arena + ArenaBytes()) in increasing address order, never overlap,
// and their lengths add up to `len`.
Result<std::vector<iovec>> BuildIovecs(Layout layout, std::byte* arena, uint64_t arena_size,
                                       uint64_t len, const Geometry& g);

// The parts of [arena, arena + used) that no iovec covers, in address order.
// Together with the iovecs they tile the range exactly. A read must leave
// them untouched.
std::vector<iovec> GapsBetween(const std::vector<iovec>& iovs, std::byte* arena, uint64_t used);

}  // namespace xferio
