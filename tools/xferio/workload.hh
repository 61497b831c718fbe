// SPDX-License-Identifier: GPL-2.0-only
//
// From options and a device to a run plan, and from a run plan to the I/Os
// of each pass. Pure: no device, no io_uring.

#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "layout.hh"
#include "options.hh"
#include "result.hh"

namespace xferio {

// What /sys/block/X/queue says about the device.
struct DeviceLimits {
  uint32_t logical_block_size = 512;
  uint64_t max_hw_bytes = 0;  // max_hw_sectors_kb * 1024
  uint32_t max_segments = 0;
  uint64_t max_segment_size = 0;
};

// Sizes around the limits (see --help), ascending, without repeats, each a
// multiple of the block size and at most `cap` (larger ones are cut to the
// largest block multiple <= cap).
std::vector<uint64_t> AutoBlockSizes(const DeviceLimits& limits, uint64_t page, uint64_t cap);

// Auto sizes stay under this much buffer memory over all I/Os in flight.
constexpr uint64_t kAutoMemoryBudget = 128ULL << 20;
// No single I/O may be larger (Linux moves at most ~2 GiB per call).
constexpr uint64_t kMaxIoBytes = 1ULL << 30;

struct BsRange {
  uint64_t lo;
  uint64_t hi;
  bool operator==(const BsRange&) const = default;
};

// Everything the engine needs, checked against the device.
struct RunPlan {
  Mode mode = Mode::kVerify;
  Pattern pattern = Pattern::kSequential;
  std::vector<BsRange> sizes;
  std::vector<Layout> layouts;
  uint32_t qd = 1;
  uint64_t region_offset = 0;
  uint64_t region_size = 0;
  std::optional<uint64_t> total;
  std::optional<uint64_t> runtime_s;
  uint64_t seed = 1;
  uint64_t gen = 1;
  bool verify = true;
  bool iopoll = false;
  uint32_t max_report = 10;
  Geometry geometry{512, 4096};
  uint64_t max_bs = 0;       // the largest I/O
  uint64_t arena_bytes = 0;  // buffer per in-flight I/O, enough for any size and layout
};

Result<RunPlan> ResolvePlan(const Options& options, const DeviceLimits& limits, uint64_t capacity,
                            uint64_t page);

// One I/O of a pass.
struct Chunk {
  uint64_t offset = 0;
  uint64_t len = 0;
  Layout layout = Layout::kContiguous;
  bool operator==(const Chunk&) const = default;
};

using Rng = std::mt19937_64;

// Uniform in [0, n), n > 0.
uint64_t Below(Rng& rng, uint64_t n);

// One I/O size drawn from plan.sizes.
uint64_t PickSize(const RunPlan& plan, Rng& rng);

// The I/Os of one pass: the region cut into pieces of PickSize() bytes (the
// last one cut short at the end of the region), in order (sequential) or
// shuffled (random), then cut off after `budget` bytes. Each has a layout
// drawn from plan.layouts.
std::vector<Chunk> MakePass(const RunPlan& plan, uint64_t budget, Rng& rng);

// The reads that check what `written` wrote: the written ranges merged into
// extents and cut again with fresh sizes (so reads straddle the writes'
// boundaries), in order or shuffled like MakePass, with fresh layouts.
std::vector<Chunk> ReadBack(const RunPlan& plan, std::vector<Chunk> written, Rng& rng);

}  // namespace xferio
