// SPDX-License-Identifier: GPL-2.0-only

#include "workload.hh"

#include <algorithm>

#include "size.hh"

namespace xferio {

namespace {

bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Cuts [offset, offset + len) into pieces of PickSize() bytes.
void Cut(const RunPlan& plan, uint64_t offset, uint64_t len, Rng& rng, std::vector<Chunk>* out) {
  const uint64_t end = offset + len;
  while (offset < end) {
    uint64_t n = std::min(PickSize(plan, rng), end - offset);
    Layout layout = plan.layouts[Below(rng, plan.layouts.size())];
    out->push_back(Chunk{offset, n, layout});
    offset += n;
  }
}

void Shuffle(std::vector<Chunk>* chunks, Rng& rng) {
  for (size_t i = chunks->size(); i > 1; i--) std::swap((*chunks)[i - 1], (*chunks)[Below(rng, i)]);
}

}  // namespace

std::vector<uint64_t> AutoBlockSizes(const DeviceLimits& limits, uint64_t page, uint64_t cap) {
  const uint64_t lbs = limits.logical_block_size;
  const uint64_t max = limits.max_hw_bytes / lbs * lbs;
  const uint64_t seg = std::min(page, limits.max_segment_size);
  std::vector<uint64_t> sizes = {lbs};
  if (max >= 2 * lbs) {
    sizes.push_back(max / 2 / lbs * lbs);  // below
    sizes.push_back(max - lbs);            // just below
  }
  sizes.push_back(max);        // at
  sizes.push_back(max + lbs);  // just over: one block more than one command takes
  // max_segments pages: the most a buffer of separate pages can carry in one
  // command, then one block over. Only when that is below the byte limit.
  if (limits.max_segments != 0 && seg >= lbs) {
    uint64_t sg = uint64_t{limits.max_segments} * seg / lbs * lbs;
    if (sg < max) {
      sizes.push_back(sg);
      sizes.push_back(sg + lbs);
    }
  }
  sizes.push_back(3 * max + lbs);  // several commands, the last one short
  sizes.push_back(16 * max);       // many commands
  const uint64_t top = std::max(cap / lbs * lbs, lbs);
  for (uint64_t& s : sizes) s = std::min(std::max(s, lbs), top);
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  return sizes;
}

uint64_t Below(Rng& rng, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(rng()) * n) >> 64);
}

uint64_t PickSize(const RunPlan& plan, Rng& rng) {
  const BsRange& r = plan.sizes[Below(rng, plan.sizes.size())];
  if (r.lo == r.hi) return r.lo;
  const uint64_t lbs = plan.geometry.lbs;
  return r.lo + lbs * Below(rng, (r.hi - r.lo) / lbs + 1);
}

Result<RunPlan> ResolvePlan(const Options& o, const DeviceLimits& limits, uint64_t capacity,
                            uint64_t page) {
  const uint64_t lbs = limits.logical_block_size;
  if (!IsPowerOfTwo(lbs) || lbs < 512) {
    return Error{"the device reports a logical block size of " + std::to_string(lbs)};
  }
  if (!IsPowerOfTwo(page) || page < 4096) {
    return Error{"unexpected page size " + std::to_string(page)};
  }
  auto not_multiple = [&](const std::string& what) {
    return Error{what + " is not a multiple of the logical block size (" + std::to_string(lbs) +
                 ")"};
  };

  RunPlan plan;
  plan.mode = o.mode;
  plan.pattern = o.pattern;
  plan.layouts = o.layouts;
  plan.qd = o.qd;
  plan.runtime_s = o.runtime_s;
  plan.seed = o.seed;
  plan.gen = o.gen;
  plan.verify = o.verify;
  plan.iopoll = o.iopoll;
  plan.max_report = o.max_report;
  plan.geometry = Geometry{lbs, page};

  if (o.offset % lbs != 0) return not_multiple("--offset " + FormatSize(o.offset));
  if (o.offset >= capacity) {
    return Error{"--offset " + FormatSize(o.offset) + " is not inside the device (capacity " +
                 FormatSize(capacity) + ")"};
  }
  plan.region_offset = o.offset;
  plan.region_size = o.size.value_or(capacity / lbs * lbs - o.offset);
  if (plan.region_size % lbs != 0) return not_multiple("--size " + FormatSize(plan.region_size));
  if (plan.region_size == 0 || plan.region_size > capacity - o.offset) {
    return Error{"the region " + FormatSize(o.offset) + "+" + FormatSize(plan.region_size) +
                 " does not fit in the device (capacity " + FormatSize(capacity) + ")"};
  }
  if (o.total) {
    if (*o.total % lbs != 0) return not_multiple("--total " + FormatSize(*o.total));
    plan.total = o.total;
  }

  for (Layout layout : plan.layouts) {
    if (auto why = LayoutUnsupported(layout, plan.geometry)) return Error{"--layout: " + *why};
  }

  const uint64_t auto_cap = std::min(
      plan.region_size, std::max(kAutoMemoryBudget / o.qd, (limits.max_hw_bytes / lbs + 1) * lbs));
  for (const BsItem& item : o.bs) {
    if (item.automatic) {
      if (limits.max_hw_bytes < lbs) {
        return Error{"--bs auto: the device reports no usable max_hw_sectors_kb"};
      }
      for (uint64_t s : AutoBlockSizes(limits, page, auto_cap)) plan.sizes.push_back({s, s});
      continue;
    }
    std::string spelled =
        item.lo == item.hi ? FormatSize(item.lo) : FormatSize(item.lo) + "-" + FormatSize(item.hi);
    if (item.lo % lbs != 0 || item.hi % lbs != 0) return not_multiple("--bs " + spelled);
    if (item.hi > kMaxIoBytes) {
      return Error{"--bs " + spelled + " is larger than the " + FormatSize(kMaxIoBytes) +
                   " xferio allows per I/O"};
    }
    if (item.hi > plan.region_size) {
      return Error{"--bs " + spelled + " is larger than the region (" +
                   FormatSize(plan.region_size) + ")"};
    }
    plan.sizes.push_back({item.lo, item.hi});
  }
  std::sort(plan.sizes.begin(), plan.sizes.end(), [](const BsRange& a, const BsRange& b) {
    return a.lo != b.lo ? a.lo < b.lo : a.hi < b.hi;
  });
  plan.sizes.erase(std::unique(plan.sizes.begin(), plan.sizes.end()), plan.sizes.end());

  for (const BsRange& r : plan.sizes) plan.max_bs = std::max(plan.max_bs, r.hi);
  for (Layout layout : plan.layouts) {
    plan.arena_bytes = std::max(plan.arena_bytes, ArenaBytes(layout, plan.max_bs, plan.geometry));
  }
  return plan;
}

std::vector<Chunk> MakePass(const RunPlan& plan, uint64_t budget, Rng& rng) {
  std::vector<Chunk> chunks;
  const uint64_t region_end = plan.region_offset + plan.region_size;
  if (plan.pattern == Pattern::kSequential) {
    // Cut only as far as the budget goes.
    Cut(plan, plan.region_offset, std::min(plan.region_size, budget), rng, &chunks);
    return chunks;
  }
  Cut(plan, plan.region_offset, region_end - plan.region_offset, rng, &chunks);
  Shuffle(&chunks, rng);
  uint64_t left = budget;
  for (size_t i = 0; i < chunks.size(); i++) {
    if (left <= chunks[i].len) {
      chunks[i].len = left;
      chunks.resize(left == 0 ? i : i + 1);
      break;
    }
    left -= chunks[i].len;
  }
  return chunks;
}

std::vector<Chunk> ReadBack(const RunPlan& plan, std::vector<Chunk> written, Rng& rng) {
  std::sort(written.begin(), written.end(),
            [](const Chunk& a, const Chunk& b) { return a.offset < b.offset; });
  std::vector<Chunk> reads;
  size_t i = 0;
  while (i < written.size()) {
    uint64_t start = written[i].offset;
    uint64_t end = start + written[i].len;
    for (i++; i < written.size() && written[i].offset <= end; i++) {
      end = std::max(end, written[i].offset + written[i].len);
    }
    Cut(plan, start, end - start, rng, &reads);
  }
  if (plan.pattern == Pattern::kRandom) Shuffle(&reads, rng);
  return reads;
}

}  // namespace xferio
