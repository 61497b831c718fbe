// SPDX-License-Identifier: GPL-2.0-only
//
// Host tests for the driver's split planner (kmod/plan.c, built unchanged).
//
// The planner is driven here exactly as the driver drives it: offer the bio's
// bvecs in order (the first one possibly partly consumed) until the plan is
// full or the data ends, cut a child of xferblk_plan_bytes() bytes, and start
// a new plan where that child ended. Every property below is checked against
// SG entries that this file cuts itself, never with the planner's own helpers.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "plan.h"

namespace {

constexpr uint64_t kNoBoundary = ~0ULL;
constexpr uint32_t KiB = 1024;
constexpr uint32_t MiB = 1024 * KiB;

// One physically contiguous range of a bio.
struct Bvec {
  uint64_t addr;
  uint32_t len;
};

using Bio = std::vector<Bvec>;

// Lengths: of the children of a split, of SG entries.
using Lens = std::vector<uint32_t>;

Lens Repeat(size_t n, uint32_t len) { return Lens(n, len); }

xferblk_limits Limits(uint32_t block_size, uint32_t max_xfer, uint32_t max_segs,
                      uint32_t max_seg_size, uint64_t seg_boundary) {
  xferblk_limits lim{};
  lim.block_size = block_size;
  lim.max_xfer = max_xfer;
  lim.max_segs = max_segs;
  lim.max_seg_size = max_seg_size;
  lim.seg_boundary = seg_boundary;
  return lim;
}

std::string Describe(const xferblk_limits& lim) {
  std::ostringstream os;
  os << "limits{block_size=" << lim.block_size << " max_xfer=" << lim.max_xfer
     << " max_segs=" << lim.max_segs << " max_seg_size=" << lim.max_seg_size << " seg_boundary=0x"
     << std::hex << lim.seg_boundary << "}";
  return os.str();
}

std::string Describe(const Bio& bio) {
  std::ostringstream os;
  constexpr size_t kShown = 64;
  os << "bio[" << bio.size() << "]{";
  for (size_t i = 0; i < bio.size() && i < kShown; ++i) {
    os << (i ? ", " : "") << "(0x" << std::hex << bio[i].addr << ", " << std::dec << bio[i].len
       << ")";
  }
  if (bio.size() > kShown) os << ", ...";
  os << "}";
  return os.str();
}

uint64_t TotalBytes(const Bio& bio) {
  uint64_t total = 0;
  for (const Bvec& bv : bio) total += bv.len;
  return total;
}

// ---------------------------------------------------------------------------
// Reference splitter: the driver's loop around the planner.

struct Child {
  uint64_t offset;    // byte offset of the child in the parent bio
  uint32_t len;       // xferblk_plan_bytes()
  uint32_t accepted;  // plan.bytes before the cut back to whole blocks
  uint32_t segs;      // plan.segs for the accepted bytes
};

struct SplitResult {
  std::vector<Child> children;
  // Set when a plan came back with 0 bytes while data remained.
  std::optional<uint64_t> stuck_at;
  // A breach of the planner's calling contract (empty when none).
  std::string error;

  std::vector<uint32_t> Lengths() const {
    std::vector<uint32_t> out;
    for (const Child& c : children) out.push_back(c.len);
    return out;
  }
};

SplitResult SplitRaw(const xferblk_limits& lim, const Bio& bio) {
  SplitResult res;
  const uint64_t total = TotalBytes(bio);
  size_t idx = 0;     // first bvec not fully consumed
  uint32_t skip = 0;  // bytes of bio[idx] already consumed
  uint64_t done = 0;  // bytes already in children

  while (idx < bio.size()) {
    xferblk_plan plan;
    xferblk_plan_init(&plan, &lim);
    for (size_t i = idx; i < bio.size(); ++i) {
      const uint32_t off = i == idx ? skip : 0;
      const uint32_t len = bio[i].len - off;
      const uint32_t took = xferblk_plan_add(&plan, bio[i].addr + off, len);
      if (took > len) {
        res.error = "xferblk_plan_add took more bytes than offered";
        return res;
      }
      // As the driver does: a short take is the only stop signal, so a plan
      // that filled exactly at a bvec's end is offered the next one too.
      if (took < len) {
        if (!plan.full) {
          res.error = "xferblk_plan_add took a partial range but the plan is not full";
          return res;
        }
        break;
      }
    }

    const uint32_t bytes = xferblk_plan_bytes(&plan);
    if (bytes == 0) {
      res.stuck_at = done;
      return res;
    }
    if (bytes > total - done) {
      res.error = "xferblk_plan_bytes exceeds the data left";
      return res;
    }
    res.children.push_back(Child{done, bytes, plan.bytes, plan.segs});
    done += bytes;

    // Advance the (bvec, offset) position past the child.
    uint64_t left = bytes;
    while (left > 0) {
      const uint32_t avail = bio[idx].len - skip;
      if (left >= avail) {
        left -= avail;
        ++idx;
        skip = 0;
      } else {
        skip += static_cast<uint32_t>(left);
        left = 0;
      }
    }
  }
  return res;
}

// The splitter for worked examples: any stall or contract breach is a failure.
std::vector<uint32_t> Split(const xferblk_limits& lim, const Bio& bio) {
  const SplitResult res = SplitRaw(lim, bio);
  if (!res.error.empty()) {
    ADD_FAILURE() << res.error << "\n  " << Describe(lim) << "\n  " << Describe(bio);
  }
  if (res.stuck_at) {
    ADD_FAILURE() << "plan returned 0 bytes with data left at offset " << *res.stuck_at << "\n  "
                  << Describe(lim) << "\n  " << Describe(bio);
  }
  return res.Lengths();
}

// ---------------------------------------------------------------------------
// Independent SG model: what a child's descriptors look like.

struct Entry {
  uint64_t addr;
  uint64_t len;
};

// Cuts one physically contiguous range, from its start, into entries of at
// most max_seg_size bytes that do not cross a multiple of seg_boundary + 1.
void CutRange(const xferblk_limits& lim, uint64_t addr, uint64_t len, std::vector<Entry>* out) {
  while (len > 0) {
    uint64_t n = std::min<uint64_t>(len, lim.max_seg_size);
    if (lim.seg_boundary != kNoBoundary) {
      const uint64_t window = lim.seg_boundary + 1;
      const uint64_t next_window = (addr / window + 1) * window;
      n = std::min(n, next_window - addr);
    }
    out->push_back(Entry{addr, n});
    addr += n;
    len -= n;
  }
}

// The bio with the byte offset of each bvec, for locating byte ranges.
class Layout {
 public:
  explicit Layout(const Bio& bio) : bio_(bio) {
    uint64_t pos = 0;
    for (const Bvec& bv : bio_) {
      starts_.push_back(pos);
      pos += bv.len;
    }
    total_ = pos;
  }

  uint64_t total() const { return total_; }

  // Entries of the byte range [offset, offset + len): each bvec's part of
  // it cut separately, adjacent bvecs never merged.
  std::vector<Entry> Entries(const xferblk_limits& lim, uint64_t offset, uint64_t len) const {
    std::vector<Entry> out;
    const uint64_t end = offset + len;
    // Last bvec starting at or before offset.
    size_t i = std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin();
    i = i == 0 ? 0 : i - 1;
    for (; i < bio_.size() && starts_[i] < end; ++i) {
      const uint64_t lo = std::max(offset, starts_[i]);
      const uint64_t hi = std::min(end, starts_[i] + bio_[i].len);
      if (lo < hi) CutRange(lim, bio_[i].addr + (lo - starts_[i]), hi - lo, &out);
    }
    return out;
  }

  size_t SegCount(const xferblk_limits& lim, uint64_t offset, uint64_t len) const {
    return Entries(lim, offset, len).size();
  }

  // Whether one command could carry [offset, offset + len).
  bool Feasible(const xferblk_limits& lim, uint64_t offset, uint64_t len) const {
    return len > 0 && len <= lim.max_xfer && len % lim.block_size == 0 &&
           SegCount(lim, offset, len) <= lim.max_segs;
  }

 private:
  const Bio& bio_;
  std::vector<uint64_t> starts_;
  uint64_t total_ = 0;
};

// Fewest commands over all block-aligned cuts, by dynamic programming over
// cut points; nullopt when no cutting is feasible.
std::optional<size_t> MinChildren(const xferblk_limits& lim, const Layout& layout) {
  const uint64_t blocks = layout.total() / lim.block_size;
  const uint64_t span = lim.max_xfer / lim.block_size;
  constexpr size_t kInf = std::numeric_limits<size_t>::max();
  std::vector<size_t> best(blocks + 1, kInf);
  best[0] = 0;
  for (uint64_t b = 1; b <= blocks; ++b) {
    const uint64_t first = b > span ? b - span : 0;
    for (uint64_t a = first; a < b; ++a) {
      if (best[a] == kInf || best[a] + 1 >= best[b]) continue;
      if (layout.Feasible(lim, a * lim.block_size, (b - a) * lim.block_size)) {
        best[b] = best[a] + 1;
      }
    }
  }
  if (best[blocks] == kInf) return std::nullopt;
  return best[blocks];
}

// ---------------------------------------------------------------------------
// xferblk_sge_len

// xferblk_sge_len() of each range under `lim`.
Lens SgeLens(const xferblk_limits& lim, const Bio& ranges) {
  Lens out;
  for (const Bvec& r : ranges) out.push_back(xferblk_sge_len(&lim, r.addr, r.len));
  return out;
}

TEST(SgeLen, LenBelowEveryLimit) {
  const auto lim = Limits(512, 128 * KiB, 32, 64 * KiB, 0xffff);
  EXPECT_EQ(SgeLens(lim, {{0x100000, 4096}, {0x100000, 512}, {0x100000, 0}}), (Lens{4096, 512, 0}));
}

TEST(SgeLen, CutAtMaxSegSize) {
  const auto lim = Limits(512, 1 * MiB, 32, 64 * KiB, kNoBoundary);
  EXPECT_EQ(SgeLens(lim, {{0x100000, 64 * KiB}, {0x100000, 64 * KiB + 512}, {0x100000, 1 * MiB}}),
            Repeat(3, 64 * KiB));
}

TEST(SgeLen, MaxSegSizeNeedNotBeSectorMultiple) {
  const auto lim = Limits(512, 1 * MiB, 32, 65535, kNoBoundary);
  EXPECT_EQ(xferblk_sge_len(&lim, 0x100000, 128 * KiB), 65535u);
  const auto odd = Limits(512, 1 * MiB, 32, 4097, kNoBoundary);
  EXPECT_EQ(xferblk_sge_len(&odd, 0x100000, 8192), 4097u);
}

TEST(SgeLen, CutAtBoundary) {
  const auto lim = Limits(512, 1 * MiB, 32, 1 * MiB, 0xffff);
  // 512 bytes before a 64 KiB boundary.
  EXPECT_EQ(xferblk_sge_len(&lim, 0x10000 - 512, 4096), 512u);
  // Exactly at a boundary: a whole window, no more.
  EXPECT_EQ(xferblk_sge_len(&lim, 0x10000, 128 * KiB), 64 * KiB);
  // Ending exactly at the boundary is not a crossing.
  EXPECT_EQ(xferblk_sge_len(&lim, 0x10000 - 4096, 4096), 4096u);
  // The smaller of boundary and max_seg_size wins.
  const auto small_seg = Limits(512, 1 * MiB, 32, 8192, 0xffff);
  EXPECT_EQ(xferblk_sge_len(&small_seg, 0x10000 - 16 * KiB, 32 * KiB), 8192u);
  EXPECT_EQ(xferblk_sge_len(&small_seg, 0x10000 - 1536, 32 * KiB), 1536u);
}

TEST(SgeLen, BoundaryAboveFourGiB) {
  const auto lim = Limits(512, 1 * MiB, 32, 1 * MiB, 0xffffffff);
  EXPECT_EQ(SgeLens(lim, {{0xfffff000, 8192}, {0x1fffff000, 8192}, {0x100000000, 8192}}),
            (Lens{4096, 4096, 8192}));
}

TEST(SgeLen, AllOnesMaskMeansNoBoundary) {
  const auto lim = Limits(512, 1 * MiB, 32, 1 * MiB, kNoBoundary);
  EXPECT_EQ(xferblk_sge_len(&lim, 0, 256 * KiB), 256 * KiB);
  EXPECT_EQ(xferblk_sge_len(&lim, 0xfffff000, 8192), 8192u);
  EXPECT_EQ(xferblk_sge_len(&lim, 0x10000 - 512, 4096), 4096u);
  EXPECT_EQ(xferblk_sge_len(&lim, 0x7ffffffff000, 512 * KiB), 512 * KiB);
}

// ---------------------------------------------------------------------------
// xferblk_plan_add / xferblk_plan_bytes directly

// What one xferblk_plan_add() took, and whether the plan was full after it.
struct Step {
  uint32_t took;
  bool full;

  bool operator==(const Step&) const = default;
};

using Steps = std::vector<Step>;

void PrintTo(const Step& s, std::ostream* os) {
  *os << "{took " << s.took << (s.full ? ", full}" : "}");
}

// A plan under `lim` offered `ranges` in order: what each offer did, then the
// plan's SG entries and accepted bytes, and xferblk_plan_bytes().
struct Planned {
  Steps steps;
  uint32_t segs;
  uint32_t bytes;
  uint32_t cut;

  bool operator==(const Planned&) const = default;
};

void PrintTo(const Planned& p, std::ostream* os) {
  *os << ::testing::PrintToString(p.steps) << ", segs " << p.segs << ", bytes " << p.bytes
      << ", plan_bytes " << p.cut;
}

Planned Plan(const xferblk_limits& lim, const Bio& ranges) {
  xferblk_plan plan;
  xferblk_plan_init(&plan, &lim);
  Planned out{};
  for (const Bvec& r : ranges) {
    const uint32_t took = xferblk_plan_add(&plan, r.addr, r.len);
    out.steps.push_back(Step{took, plan.full});
  }
  out.segs = plan.segs;
  out.bytes = plan.bytes;
  out.cut = xferblk_plan_bytes(&plan);
  return out;
}

TEST(PlanAdd, StopsAtMaxXferAndRefusesMore) {
  const auto lim = Limits(512, 4096, 32, 64 * KiB, kNoBoundary);
  EXPECT_EQ(Plan(lim, {{0x10000, 3072}, {0x20000, 3072}, {0x30000, 512}}),
            (Planned{{{3072, false}, {1024, true}, {0, true}}, 2, 4096, 4096}));
}

TEST(PlanAdd, ExactFitIsFull) {
  const auto lim = Limits(512, 8192, 32, 64 * KiB, kNoBoundary);
  EXPECT_EQ(Plan(lim, {{0x10000, 8192}}), (Planned{{{8192, true}}, 1, 8192, 8192}));
}

TEST(PlanAdd, StopsAtMaxSegs) {
  const auto lim = Limits(512, 1 * MiB, 2, 4096, kNoBoundary);
  EXPECT_EQ(Plan(lim, {{0x10000, 16 * KiB}, {0x20000, 512}}),
            (Planned{{{8192, true}, {0, true}}, 2, 8192, 8192}));
}

// One 4 KiB block per command, in one SG entry: 7680 bytes fit, cut back to
// one block; 2048 are less than one.
TEST(PlanBytes, CutsBackToWholeBlocks) {
  const auto lim = Limits(4096, 64 * KiB, 1, 64 * KiB, kNoBoundary);
  EXPECT_EQ(Plan(lim, {{0x10000, 7680}}), (Planned{{{7680, true}}, 1, 7680, 4096}));
}

TEST(PlanBytes, ZeroWhenNoWholeBlockFits) {
  const auto lim = Limits(4096, 64 * KiB, 1, 64 * KiB, kNoBoundary);
  EXPECT_EQ(Plan(lim, {{0x10000, 2048}}), (Planned{{{2048, true}}, 1, 2048, 0}));
}

// ---------------------------------------------------------------------------
// Worked examples through the splitter

Bio Contiguous(uint64_t addr, uint32_t len) { return Bio{{addr, len}}; }

// n single pages, each in its own 1 MiB region so none are adjacent.
Bio ScatteredPages(size_t n, uint32_t page = 4096) {
  Bio bio;
  for (size_t i = 0; i < n; ++i) bio.push_back({0x100000 * (i + 1), page});
  return bio;
}

Lens Concat(Lens a, const Lens& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(SplitMaxXfer, FourKiBLimit) {
  const auto lim = Limits(512, 4096, 128, 64 * KiB, kNoBoundary);
  EXPECT_EQ(Split(lim, Contiguous(0x100000, 3584)), (Lens{3584}));
  EXPECT_EQ(Split(lim, Contiguous(0x100000, 4096)), (Lens{4096}));
  EXPECT_EQ(Split(lim, Contiguous(0x100000, 4608)), (Lens{4096, 512}));
  EXPECT_EQ(Split(lim, Contiguous(0x100000, 16 * KiB)), Repeat(4, 4096));
  EXPECT_EQ(Split(lim, Contiguous(0x100000, 16 * KiB + 1536)),
            (Lens{4096, 4096, 4096, 4096, 1536}));
  // A bvec that straddles two commands is resumed where the first stopped.
  EXPECT_EQ(Split(lim, Bio{{0x100000, 3072}, {0x200000, 3072}}), (Lens{4096, 2048}));
}

TEST(SplitMaxXfer, OneTwentyEightKiBLimit) {
  const auto lim = Limits(512, 128 * KiB, 256, 1 * MiB, kNoBoundary);
  const uint64_t at = 0x4000000;
  EXPECT_EQ(Split(lim, Contiguous(at, 64 * KiB)), (Lens{64 * KiB}));
  EXPECT_EQ(Split(lim, Contiguous(at, 128 * KiB - 512)), (Lens{128 * KiB - 512}));
  EXPECT_EQ(Split(lim, Contiguous(at, 128 * KiB)), (Lens{128 * KiB}));
  EXPECT_EQ(Split(lim, Contiguous(at, 128 * KiB + 512)), (Lens{128 * KiB, 512}));
  EXPECT_EQ(Split(lim, Contiguous(at, 128 * KiB + 4096)), (Lens{128 * KiB, 4096}));
  EXPECT_EQ(Split(lim, Contiguous(at, 10 * 128 * KiB)), Repeat(10, 128 * KiB));
  EXPECT_EQ(Split(lim, Contiguous(at, 10 * 128 * KiB + 4096)),
            Concat(Repeat(10, 128 * KiB), {4096}));
  // 40 scattered pages: the byte limit binds before the 256 SG entries do.
  EXPECT_EQ(Split(lim, ScatteredPages(40)), (Lens{128 * KiB, 32 * KiB}));
}

TEST(SplitMaxXfer, LargerBlockSize) {
  const auto lim = Limits(4096, 128 * KiB, 256, 1 * MiB, kNoBoundary);
  EXPECT_EQ(Split(lim, Contiguous(0x4000000, 128 * KiB + 4096)), (Lens{128 * KiB, 4096}));
  EXPECT_EQ(Split(lim, Contiguous(0x4000000, 3 * 128 * KiB)), Repeat(3, 128 * KiB));
}

TEST(SplitMaxSegs, ScatteredSinglePages) {
  const auto lim = Limits(512, 1 * MiB, 4, 64 * KiB, kNoBoundary);
  EXPECT_EQ(Split(lim, ScatteredPages(3)), (Lens{12 * KiB}));
  EXPECT_EQ(Split(lim, ScatteredPages(4)), (Lens{16 * KiB}));
  EXPECT_EQ(Split(lim, ScatteredPages(5)), (Lens{16 * KiB, 4 * KiB}));
  EXPECT_EQ(Split(lim, ScatteredPages(10)), (Lens{16 * KiB, 16 * KiB, 8 * KiB}));
  EXPECT_EQ(Split(lim, ScatteredPages(64)), Repeat(16, 16 * KiB));
}

TEST(SplitMaxSegs, AdjacentBvecsAreNotMerged) {
  // Five physically adjacent pages offered as five bvecs: five entries.
  const auto lim = Limits(512, 1 * MiB, 4, 64 * KiB, kNoBoundary);
  Bio bio;
  for (uint64_t i = 0; i < 5; ++i) bio.push_back({0x100000 + 4096 * i, 4096});
  EXPECT_EQ(Split(lim, bio), (Lens{16 * KiB, 4 * KiB}));
}

TEST(SplitMaxSegs, SingleEntryCommands) {
  const auto lim = Limits(512, 1 * MiB, 1, 64 * KiB, kNoBoundary);
  EXPECT_EQ(Split(lim, ScatteredPages(3, 1536)), Repeat(3, 1536));
  EXPECT_EQ(Split(lim, Contiguous(0x100000, 200 * KiB)),
            (Lens{64 * KiB, 64 * KiB, 64 * KiB, 8 * KiB}));
}

TEST(SplitMaxSegSize, CutsLargeContiguousBvec) {
  const auto lim = Limits(512, 1 * MiB, 2, 64 * KiB, kNoBoundary);
  EXPECT_EQ(Split(lim, Contiguous(0x100000, 256 * KiB)), (Lens{128 * KiB, 128 * KiB}));
  EXPECT_EQ(Split(lim, Contiguous(0x100000, 256 * KiB + 512)), (Lens{128 * KiB, 128 * KiB, 512}));
  // Enough entries: only max_xfer binds.
  const auto many = Limits(512, 1 * MiB, 32, 64 * KiB, kNoBoundary);
  EXPECT_EQ(Split(many, Contiguous(0x100000, 3 * MiB)), Repeat(3, 1 * MiB));
}

TEST(SplitMaxSegSize, OddSegSizeIsCutBackToBlocks) {
  // Two 65535-byte entries carry 131070 bytes, cut back to 130560 (255 blocks).
  const auto lim = Limits(512, 1 * MiB, 2, 65535, kNoBoundary);
  EXPECT_EQ(Split(lim, Contiguous(0x100000, 256 * KiB)), (Lens{130560, 130560, 1024}));
}

TEST(SplitBoundary, BvecStraddlingSixtyFourKiB) {
  const uint64_t straddle = 0x10000 - 8 * KiB;  // 16 KiB from here cross 0x10000
  const auto one = Limits(512, 1 * MiB, 1, 1 * MiB, 0xffff);
  EXPECT_EQ(Split(one, Contiguous(straddle, 16 * KiB)), (Lens{8 * KiB, 8 * KiB}));
  const auto two = Limits(512, 1 * MiB, 2, 1 * MiB, 0xffff);
  EXPECT_EQ(Split(two, Contiguous(straddle, 16 * KiB)), (Lens{16 * KiB}));
  // Without the boundary one entry carries it all.
  const auto none = Limits(512, 1 * MiB, 1, 1 * MiB, kNoBoundary);
  EXPECT_EQ(Split(none, Contiguous(straddle, 16 * KiB)), (Lens{16 * KiB}));
  // A long bvec from a boundary: one 64 KiB window per entry.
  EXPECT_EQ(Split(one, Contiguous(0x30000, 200 * KiB)),
            (Lens{64 * KiB, 64 * KiB, 64 * KiB, 8 * KiB}));
}

TEST(SplitBoundary, SectorMisalignedStraddle) {
  // 1536 bytes before 0x10000, 2560 after.
  const Bio bio = Contiguous(0x10000 - 1536, 4096);
  EXPECT_EQ(Split(Limits(512, 1 * MiB, 1, 1 * MiB, 0xffff), bio), (Lens{1536, 2560}));
  EXPECT_EQ(Split(Limits(4096, 1 * MiB, 2, 1 * MiB, 0xffff), bio), (Lens{4096}));
}

TEST(SplitBoundary, AllOnesMaskMeansNoBoundary) {
  // Straddles 4 GiB: one entry with no boundary, two with a 4 GiB window.
  const Bio bio = Contiguous(0xfffff000, 8192);
  EXPECT_EQ(Split(Limits(512, 1 * MiB, 1, 64 * KiB, kNoBoundary), bio), (Lens{8192}));
  EXPECT_EQ(Split(Limits(512, 1 * MiB, 1, 64 * KiB, 0xffffffff), bio), (Lens{4096, 4096}));
}

TEST(SplitMisaligned, SectorOffsetsWithFourKiBBlocks) {
  const Bio bio{
      {0x10200, 3584},  // starts 512 bytes into a page
      {0x20000, 4096},  // page
      {0x30000, 512},   // one sector
      {0x40000, 4096},  // page
      {0x50000, 4096},  // page
  };
  // Three entries reach a whole 8 KiB: 3584 + 4096 + 512.
  EXPECT_EQ(Split(Limits(4096, 8192, 3, 64 * KiB, kNoBoundary), bio), (Lens{8192, 8192}));
  // Two entries carry 7680 bytes, one block; the next command resumes
  // 512 bytes into the second bvec.
  EXPECT_EQ(Split(Limits(4096, 8192, 2, 64 * KiB, kNoBoundary), bio), (Lens{4096, 4096, 8192}));
}

TEST(SplitMisaligned, SectorSizedBvecsWithFourKiBBlocks) {
  const Bio bio = ScatteredPages(16, 512);
  EXPECT_EQ(Split(Limits(4096, 64 * KiB, 8, 64 * KiB, kNoBoundary), bio), (Lens{4096, 4096}));
  // 12 entries take 6144 bytes, cut back to 4096; the rest needs 8.
  EXPECT_EQ(Split(Limits(4096, 64 * KiB, 12, 64 * KiB, kNoBoundary), bio), (Lens{4096, 4096}));
}

TEST(SplitMisaligned, NoWholeBlockFitsIsReported) {
  // A 4 KiB block spread over 8 sector-sized bvecs cannot go in 7 entries.
  const auto lim = Limits(4096, 64 * KiB, 7, 64 * KiB, kNoBoundary);
  const SplitResult res = SplitRaw(lim, ScatteredPages(16, 512));
  EXPECT_TRUE(res.error.empty()) << res.error;
  ASSERT_TRUE(res.stuck_at.has_value());
  EXPECT_EQ(*res.stuck_at, 0u);
  EXPECT_TRUE(res.children.empty());
  // The same for a block split by a boundary with only one entry allowed.
  const SplitResult straddle =
      SplitRaw(Limits(4096, 1 * MiB, 1, 1 * MiB, 0xffff), Contiguous(0x10000 - 1536, 4096));
  ASSERT_TRUE(straddle.stuck_at.has_value());
  EXPECT_EQ(*straddle.stuck_at, 0u);
}

TEST(SplitTinyLimits, FourKiBTwoSegmentsSectorBlocks) {
  // The first bvec crosses the page boundary at 0x2000: two entries.
  const Bio bio{{0x1e00, 1024}, {0x5000, 8192}, {0x9000, 512}, {0xa000, 512}};
  EXPECT_EQ(Split(Limits(512, 4096, 2, 4096, 0xfff), bio), (Lens{1024, 4096, 4096, 1024}));
}

TEST(SplitTinyLimits, FourKiBTwoSegmentsFourKiBBlocks) {
  // The first bvec ends at a page boundary, the third crosses 0x5000:
  // 3584 + 512.
  const Bio bio{{0x1200, 3584}, {0x3000, 512}, {0x4200, 4096}, {0x6000, 4096}};
  EXPECT_EQ(Split(Limits(4096, 4096, 2, 4096, 0xfff), bio), (Lens{4096, 4096, 4096}));
}

TEST(SplitTinyLimits, ResumesMidBvecAcrossBoundary) {
  // max_segs 1, page windows: every command is one page-bounded entry.
  const auto lim = Limits(512, 4096, 1, 4096, 0xfff);
  EXPECT_EQ(Split(lim, Contiguous(0x1a00, 10240)), (Lens{1536, 4096, 4096, 512}));
}

// ---------------------------------------------------------------------------
// Property test

// splitmix64: fixed, portable sequence for a given seed.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform enough in [lo, hi].
  uint64_t In(uint64_t lo, uint64_t hi) { return lo + Next() % (hi - lo + 1); }

  bool OneIn(uint64_t n) { return Next() % n == 0; }

 private:
  uint64_t state_;
};

// Random limits that pass the driver's validation. Small ones keep the
// exhaustive search cheap and make every limit bind often.
xferblk_limits RandomLimits(Rng& rng, bool small) {
  xferblk_limits lim{};
  lim.block_size = 512u << rng.In(0, small ? 3 : 5);  // 512 .. 4 KiB / 16 KiB
  const uint32_t min_blocks = std::max(1u, 4096 / lim.block_size);
  const uint32_t max_blocks = small ? std::max(min_blocks, 32 * KiB / lim.block_size)
                                    : std::max(min_blocks, 1 * MiB / lim.block_size);
  lim.max_xfer = lim.block_size * static_cast<uint32_t>(rng.In(min_blocks, max_blocks));

  lim.max_segs = static_cast<uint32_t>(small ? rng.In(1, 8) : rng.In(1, 300));

  switch (rng.In(0, 4)) {
    case 0:
      lim.max_seg_size = 4096;
      break;
    case 1:
      lim.max_seg_size = 4096u << rng.In(0, small ? 2 : 5);
      break;
    case 2:  // not a multiple of 512, e.g. 65535
      lim.max_seg_size = (4096u << rng.In(1, 4)) - 1;
      break;
    case 3:
      lim.max_seg_size = 4096 + 512 * static_cast<uint32_t>(rng.In(1, 24));
      break;
    default:
      lim.max_seg_size = static_cast<uint32_t>(rng.In(4096, small ? 16 * KiB : 256 * KiB));
      break;
  }

  switch (rng.In(0, 3)) {
    case 0:
      lim.seg_boundary = kNoBoundary;
      break;
    case 1:
      lim.seg_boundary = 0xffffffff;
      break;
    default:
      lim.seg_boundary = (4096ULL << rng.In(0, small ? 4 : 8)) - 1;
      break;
  }
  return lim;
}

// A random bio of whole blocks, in 512-byte-aligned bvecs. Addresses are
// picked to sit on, just before, and across page, window and 4 GiB edges.
Bio RandomBio(Rng& rng, const xferblk_limits& lim, bool small) {
  const uint64_t max_bytes = small ? 48 * KiB : 4 * MiB;
  const uint64_t blocks = rng.In(1, std::max<uint64_t>(1, max_bytes / lim.block_size));
  uint64_t left = blocks * lim.block_size;

  const uint64_t window = lim.seg_boundary == kNoBoundary
                              ? 64 * KiB
                              : std::min<uint64_t>(lim.seg_boundary + 1, 4 * MiB);
  const int style = static_cast<int>(rng.In(0, 3));
  uint64_t next = rng.In(1, 1 << 20) * 4096;  // for physically adjacent bvecs
  if (rng.OneIn(4)) next += 0xffff0000ULL;    // near 4 GiB
  Bio bio;
  while (left > 0) {
    uint64_t len;
    switch (style) {
      case 0:  // page-sized pieces, some sector-sized
        len = rng.OneIn(3) ? 512 * rng.In(1, 8) : 4096;
        break;
      case 1:  // arbitrary sector multiples
        len = 512 * rng.In(1, small ? 24 : 64);
        break;
      case 2:  // few large physically contiguous ranges
        len = 512 * rng.In(1, small ? 96 : 1024);
        break;
      default:  // mixed
        len = rng.OneIn(2) ? 512 * rng.In(1, 4) : 512 * rng.In(8, small ? 64 : 512);
        break;
    }
    len = std::min(len, left);

    uint64_t addr;
    switch (rng.In(0, 4)) {
      case 0:  // right after the previous bvec
        addr = next;
        break;
      case 1:  // ends just past a window edge
        addr = rng.In(1, 4096) * window - 512 * rng.In(1, 16);
        break;
      case 2:  // starts on a window edge
        addr = rng.In(1, 4096) * window;
        break;
      case 3:  // above 4 GiB
        addr = (1ULL << 32) + rng.In(0, 1 << 24) * 512;
        break;
      default:  // anywhere, sector aligned
        addr = rng.In(1, 1ULL << 30) * 512;
        break;
    }
    bio.push_back(Bvec{addr, static_cast<uint32_t>(len)});
    next = addr + len;
    left -= len;
  }
  return bio;
}

struct PropertyStats {
  size_t cases = 0;
  size_t stuck = 0;
  size_t children = 0;
  size_t checked_minimal = 0;
};

// Checks one case; returns a description of the first violation, if any.
std::string CheckCase(const xferblk_limits& lim, const Bio& bio, bool exhaustive,
                      PropertyStats* stats) {
  const Layout layout(bio);
  const SplitResult res = SplitRaw(lim, bio);
  if (!res.error.empty()) return res.error;
  std::ostringstream err;

  uint64_t expect_offset = 0;
  for (size_t k = 0; k < res.children.size(); ++k) {
    const Child& c = res.children[k];
    err << "child " << k << " [" << c.offset << ", +" << c.len << "): ";
    if (c.offset != expect_offset) {
      err << "starts at " << c.offset << " but the previous child ended at " << expect_offset;
      return err.str();
    }
    if (c.len == 0) return err.str() + "empty";
    if (c.len % lim.block_size != 0) return err.str() + "not a whole number of blocks";
    if (c.len > lim.max_xfer) return err.str() + "longer than max_xfer";
    if (c.accepted > lim.max_xfer) return err.str() + "plan accepted more than max_xfer";
    if (c.len != (c.accepted / lim.block_size) * lim.block_size) {
      return err.str() + "length is not the accepted bytes cut back to whole blocks";
    }
    if (c.offset + c.accepted > layout.total()) return err.str() + "plan accepted past the data";

    const std::vector<Entry> entries = layout.Entries(lim, c.offset, c.len);
    if (entries.size() > lim.max_segs) {
      err << entries.size() << " SG entries > max_segs";
      return err.str();
    }
    uint64_t sum = 0;
    for (const Entry& e : entries) {
      sum += e.len;
      if (e.len == 0 || e.len > lim.max_seg_size) {
        err << "entry (0x" << std::hex << e.addr << ", " << std::dec << e.len
            << ") violates max_seg_size";
        return err.str();
      }
      if (lim.seg_boundary != kNoBoundary &&
          (e.addr & ~lim.seg_boundary) != ((e.addr + e.len - 1) & ~lim.seg_boundary)) {
        err << "entry (0x" << std::hex << e.addr << ", " << std::dec << e.len
            << ") crosses a boundary";
        return err.str();
      }
    }
    if (sum != c.len) return err.str() + "entries do not add up to the child";

    // The plan's entry count for what it accepted matches the descriptors
    // the port layer would build for those bytes.
    const size_t accepted_segs = layout.SegCount(lim, c.offset, c.accepted);
    if (accepted_segs != c.segs) {
      err << "plan counted " << c.segs << " entries for " << c.accepted << " bytes, expected "
          << accepted_segs;
      return err.str();
    }

    // Greedy: one more block would not have fit.
    const uint64_t end = c.offset + c.len;
    if (end < layout.total() && layout.Feasible(lim, c.offset, c.len + lim.block_size)) {
      return err.str() + "one more block would have fit";
    }

    expect_offset = end;
    err.str("");
  }

  if (res.stuck_at) {
    ++stats->stuck;
    if (*res.stuck_at != expect_offset) return "stalled away from the end of the last child";
    // Not even one block fits from here.
    if (layout.Feasible(lim, *res.stuck_at, lim.block_size)) {
      err << "plan returned 0 bytes at offset " << *res.stuck_at << " but one block fits there";
      return err.str();
    }
  } else if (expect_offset != layout.total()) {
    err << "children cover " << expect_offset << " of " << layout.total() << " bytes";
    return err.str();
  }

  if (exhaustive) {
    ++stats->checked_minimal;
    const std::optional<size_t> best = MinChildren(lim, layout);
    if (!best && !res.stuck_at) return "search finds no feasible cutting, splitter found one";
    if (best && res.stuck_at) {
      err << "plan stalled at " << *res.stuck_at << " but " << *best << " children suffice";
      return err.str();
    }
    if (best && *best != res.children.size()) {
      err << res.children.size() << " children, but " << *best << " suffice";
      return err.str();
    }
  }
  stats->children += res.children.size();
  return "";
}

uint64_t BaseSeed() {
  if (const char* env = std::getenv("XFERBLK_PLAN_SEED")) return std::strtoull(env, nullptr, 0);
  return 0x5eed'f00d'cafe'2024ULL;
}

// Runs `count` cases, each from its own seed so a failure can be replayed
// alone; stops at the first violation.
PropertyStats RunProperty(bool small, size_t count, uint64_t salt) {
  PropertyStats stats;
  const uint64_t base = BaseSeed();
  for (size_t i = 0; i < count; ++i) {
    const uint64_t seed = base ^ (salt + i * 0x9e3779b97f4a7c15ULL);
    Rng rng(seed);
    const xferblk_limits lim = RandomLimits(rng, small);
    const Bio bio = RandomBio(rng, lim, small);
    ++stats.cases;
    const std::string why = CheckCase(lim, bio, small, &stats);
    if (!why.empty()) {
      const SplitResult res = SplitRaw(lim, bio);
      ADD_FAILURE() << why << "\n  base seed 0x" << std::hex << base << std::dec << " (set "
                    << "XFERBLK_PLAN_SEED to change), case " << i << ", case seed 0x" << std::hex
                    << seed << std::dec << "\n  " << Describe(lim) << "\n  " << Describe(bio)
                    << "\n  total " << TotalBytes(bio) << " bytes, children "
                    << ::testing::PrintToString(res.Lengths());
      break;
    }
  }
  return stats;
}

TEST(SplitProperty, SmallInstancesAreValidAndMinimal) {
  const PropertyStats stats = RunProperty(/*small=*/true, 20000, 1);
  if (HasFailure()) return;
  EXPECT_EQ(stats.checked_minimal, stats.cases);
  // The generator must exercise both outcomes, mostly feasible ones.
  EXPECT_GT(stats.stuck, 0u);
  EXPECT_LT(stats.stuck * 4, stats.cases);
  EXPECT_GT(stats.children, 2 * stats.cases);
  std::printf("small: %zu cases, %zu children, %zu infeasible\n", stats.cases, stats.children,
              stats.stuck);
}

TEST(SplitProperty, LargeInstancesAreValidAndGreedy) {
  const PropertyStats stats = RunProperty(/*small=*/false, 3000, 2);
  if (HasFailure()) return;
  EXPECT_LT(stats.stuck * 4, stats.cases);
  EXPECT_GT(stats.children, stats.cases);
  std::printf("large: %zu cases, %zu children, %zu infeasible\n", stats.cases, stats.children,
              stats.stuck);
}

}  // namespace
