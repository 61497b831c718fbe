// SPDX-License-Identifier: GPL-2.0-only
//
// From options and limits to a plan, and from a plan to passes: the sizes
// chosen around the limits, the checks against the device, and that every
// pass (and every read-back) covers what it claims exactly once.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "workload.hh"

namespace xferio {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr uint64_t KiB = 1024;
constexpr uint64_t MiB = 1024 * KiB;
constexpr uint64_t kPage = 4096;

DeviceLimits Limits(uint32_t lbs, uint64_t max_hw, uint32_t segs, uint64_t seg_size) {
  DeviceLimits l;
  l.logical_block_size = lbs;
  l.max_hw_bytes = max_hw;
  l.max_segments = segs;
  l.max_segment_size = seg_size;
  return l;
}

Options VerifyOptions() {
  Options o;
  o.device = "/dev/test";
  o.mode = Mode::kVerify;
  return o;
}

// VerifyOptions() as `change` leaves them.
template <typename Change>
Options VerifyOptionsWith(Change change) {
  Options o = VerifyOptions();
  change(o);
  return o;
}

TEST(AutoBlockSizes, AroundEveryLimit) {
  // 64 KiB per command, 8 segments: 8 pages (32 KiB) is where a buffer of
  // separate pages runs out of segments.
  EXPECT_THAT(AutoBlockSizes(Limits(512, 64 * KiB, 8, 64 * KiB), kPage, 1ULL << 40),
              ElementsAre(512, 32 * KiB, 32 * KiB + 512, 64 * KiB - 512, 64 * KiB, 64 * KiB + 512,
                          192 * KiB + 512, 1 * MiB));
  // Device defaults: 128 KiB, 32 segments of 64 KiB: 32 pages is not below
  // the byte limit, so no segment sizes.
  EXPECT_THAT(AutoBlockSizes(Limits(512, 128 * KiB, 32, 64 * KiB), kPage, 1ULL << 40),
              ElementsAre(512, 64 * KiB, 128 * KiB - 512, 128 * KiB, 128 * KiB + 512,
                          384 * KiB + 512, 2 * MiB));
  EXPECT_THAT(AutoBlockSizes(Limits(4096, 4096, 2, 4096), kPage, 1ULL << 40),
              ElementsAre(4096, 8192, 12 * KiB + 4096, 64 * KiB));
}

TEST(AutoBlockSizes, CutToTheCap) {
  EXPECT_THAT(AutoBlockSizes(Limits(512, 64 * KiB, 8, 64 * KiB), kPage, 100 * KiB),
              ElementsAre(512, 32 * KiB, 32 * KiB + 512, 64 * KiB - 512, 64 * KiB, 64 * KiB + 512,
                          100 * KiB));
  for (uint64_t s : AutoBlockSizes(Limits(4096, 1 * MiB, 256, 1 * MiB), kPage, 3 * MiB + 100)) {
    EXPECT_EQ(s % 4096, 0u) << s;
    EXPECT_LE(s, 3 * MiB + 100);
  }
}

TEST(ResolvePlan, DefaultsCoverTheWholeDevice) {
  auto plan = ResolvePlan(VerifyOptions(), Limits(512, 64 * KiB, 8, 64 * KiB), 256 * MiB, kPage);
  ASSERT_TRUE(plan.ok()) << plan.error();
  EXPECT_EQ(plan->region_offset, 0u);
  EXPECT_EQ(plan->region_size, 256 * MiB);
  EXPECT_EQ(plan->geometry.lbs, 512u);
  // qd 16: auto sizes stay under 8 MiB each, and 16 x 64 KiB = 1 MiB is under that.
  EXPECT_EQ(plan->max_bs, 1 * MiB);
  EXPECT_EQ(plan->sizes.front(), (BsRange{512, 512}));
  EXPECT_GE(plan->arena_bytes, plan->max_bs);
}

TEST(ResolvePlan, AutoSizesShrinkWithQueueDepthAndRegion) {
  Options o = VerifyOptions();
  o.qd = 1024;  // 128 MiB / 1024 = 128 KiB, but one block over the limit is always kept
  auto plan = ResolvePlan(o, Limits(512, 512 * KiB, 128, 64 * KiB), 256 * MiB, kPage);
  ASSERT_TRUE(plan.ok()) << plan.error();
  EXPECT_EQ(plan->max_bs, 512 * KiB + 512);
  o.qd = 16;
  o.size = 96 * KiB;
  plan = ResolvePlan(o, Limits(512, 64 * KiB, 8, 64 * KiB), 256 * MiB, kPage);
  ASSERT_TRUE(plan.ok()) << plan.error();
  EXPECT_EQ(plan->max_bs, 96 * KiB);
}

TEST(ResolvePlan, ArenaFitsTheLargestIoInEveryLayout) {
  Options o = VerifyOptions();
  o.bs = {BsItem{false, 4 * KiB, 4 * KiB}, BsItem{false, 8 * KiB, 3 * MiB}};
  o.layouts = {Layout::kContiguous, Layout::kFragmented, Layout::kMisaligned};
  auto plan = ResolvePlan(o, Limits(512, 64 * KiB, 8, 64 * KiB), 256 * MiB, kPage);
  ASSERT_TRUE(plan.ok()) << plan.error();
  EXPECT_EQ(plan->max_bs, 3 * MiB);
  for (Layout l : o.layouts) EXPECT_GE(plan->arena_bytes, ArenaBytes(l, 3 * MiB, plan->geometry));
}

TEST(ResolvePlan, RejectsWhatDoesNotFitTheDevice) {
  const DeviceLimits lim512 = Limits(512, 64 * KiB, 8, 64 * KiB);
  const DeviceLimits lim4k = Limits(4096, 64 * KiB, 8, 64 * KiB);
  const struct {
    Options options;
    DeviceLimits limits;
    const char* error;
  } cases[] = {
      {VerifyOptionsWith([](Options& o) { o.offset = 1000; }), lim512,
       "--offset 1000 is not a multiple of the logical block size (512)"},
      {VerifyOptionsWith([](Options& o) { o.offset = 512 * MiB; }), lim512,
       "--offset 512m is not inside the device"},
      {VerifyOptionsWith([](Options& o) {
         o.offset = 1 * MiB;
         o.size = 256 * MiB;
       }),
       lim512, "the region 1m+256m does not fit in the device (capacity 256m)"},
      {VerifyOptionsWith([](Options& o) { o.size = 6 * KiB; }), lim4k,
       "--size 6k is not a multiple of the logical block size (4096)"},
      {VerifyOptionsWith([](Options& o) { o.total = 1536; }), lim4k,
       "--total 1536 is not a multiple"},
      {VerifyOptionsWith([](Options& o) {
         o.bs = {BsItem{false, 1000, 1000}};
       }),
       lim512, "--bs 1000 is not a multiple"},
      {VerifyOptionsWith([](Options& o) {
         o.bs = {BsItem{false, 4 * KiB, 6 * KiB}};
       }),
       lim4k, "--bs 4k-6k is not a multiple of the logical block size (4096)"},
      {VerifyOptionsWith([](Options& o) {
         o.size = 64 * KiB;
         o.bs = {BsItem{false, 1 * MiB, 1 * MiB}};
       }),
       lim512, "--bs 1m is larger than the region (64k)"},
      {VerifyOptionsWith([](Options& o) {
         o.bs = {BsItem{false, 2ULL << 30, 2ULL << 30}};
       }),
       lim512, "larger than the 1g xferio allows per I/O"},
      {VerifyOptionsWith([](Options& o) { o.layouts = {Layout::kMisaligned}; }), lim4k,
       "--layout: the misaligned layout needs a logical block size below the page size"},
      {VerifyOptions(), Limits(1000, 64 * KiB, 8, 64 * KiB), "logical block size of 1000"},
      {VerifyOptions(), Limits(512, 0, 8, 64 * KiB), "no usable max_hw_sectors_kb"},
  };
  for (const auto& c : cases) {
    auto plan = ResolvePlan(c.options, c.limits, 256 * MiB, kPage);
    ASSERT_FALSE(plan.ok()) << c.error;
    EXPECT_THAT(plan.error(), HasSubstr(c.error));
  }
}

RunPlan Plan(Pattern pattern, uint64_t offset, uint64_t size, std::vector<BsItem> bs) {
  Options o = VerifyOptions();
  o.pattern = pattern;
  o.offset = offset;
  o.size = size;
  o.bs = std::move(bs);
  o.layouts = {Layout::kContiguous, Layout::kFragmented};
  auto plan = ResolvePlan(o, Limits(512, 64 * KiB, 8, 64 * KiB), 256 * MiB, kPage);
  EXPECT_TRUE(plan.ok()) << plan.error();
  return *plan;
}

// The chunks sorted by offset must tile [offset, offset + size) exactly.
void ExpectTiles(std::vector<Chunk> chunks, uint64_t offset, uint64_t size) {
  std::sort(chunks.begin(), chunks.end(),
            [](const Chunk& a, const Chunk& b) { return a.offset < b.offset; });
  uint64_t at = offset;
  for (const Chunk& c : chunks) {
    ASSERT_EQ(c.offset, at) << "hole or overlap";
    ASSERT_GT(c.len, 0u);
    ASSERT_EQ(c.len % 512, 0u);
    at += c.len;
  }
  EXPECT_EQ(at, offset + size);
}

const std::vector<BsItem> kMixed = {{false, 512, 512},
                                    {false, 4 * KiB, 4 * KiB},
                                    {false, 64 * KiB + 512, 64 * KiB + 512},
                                    {false, 8 * KiB, 300 * KiB}};

TEST(MakePass, SequentialWalksTheRegionInOrder) {
  RunPlan plan = Plan(Pattern::kSequential, 1 * MiB, 5 * MiB, kMixed);
  Rng rng(1);
  std::vector<Chunk> pass = MakePass(plan, UINT64_MAX, rng);
  ExpectTiles(pass, 1 * MiB, 5 * MiB);
  for (size_t i = 1; i < pass.size(); i++) EXPECT_LT(pass[i - 1].offset, pass[i].offset);
  std::set<Layout> layouts;
  for (size_t i = 0; i + 1 < pass.size(); i++) {
    const Chunk& c = pass[i];
    bool listed = std::any_of(plan.sizes.begin(), plan.sizes.end(),
                              [&](const BsRange& r) { return c.len >= r.lo && c.len <= r.hi; });
    EXPECT_TRUE(listed) << c.len << " is none of the sizes asked for";
    layouts.insert(c.layout);
  }
  EXPECT_EQ(layouts.size(), 2u) << "both layouts should be drawn";
}

TEST(MakePass, RandomCoversEveryBlockOnceInShuffledOrder) {
  RunPlan plan = Plan(Pattern::kRandom, 0, 8 * MiB, kMixed);
  Rng rng(7);
  std::vector<Chunk> pass = MakePass(plan, UINT64_MAX, rng);
  ExpectTiles(pass, 0, 8 * MiB);
  EXPECT_FALSE(std::is_sorted(pass.begin(), pass.end(),
                              [](const Chunk& a, const Chunk& b) { return a.offset < b.offset; }));
  Rng again(7);
  EXPECT_EQ(MakePass(plan, UINT64_MAX, again), pass) << "same seed, same pass";
}

TEST(MakePass, BudgetCutsThePassShort) {
  for (Pattern pattern : {Pattern::kSequential, Pattern::kRandom}) {
    RunPlan plan = Plan(pattern, 0, 8 * MiB, kMixed);
    Rng rng(3);
    std::vector<Chunk> pass = MakePass(plan, 1 * MiB + 512, rng);
    uint64_t sum = 0;
    for (const Chunk& c : pass) sum += c.len;
    EXPECT_EQ(sum, 1 * MiB + 512) << PatternName(pattern);
    if (pattern == Pattern::kSequential) ExpectTiles(pass, 0, 1 * MiB + 512);
    Rng rng0(3);
    EXPECT_TRUE(MakePass(plan, 0, rng0).empty());
  }
}

TEST(ReadBack, ReadsExactlyWhatWasWrittenCutAnew) {
  for (Pattern pattern : {Pattern::kSequential, Pattern::kRandom}) {
    RunPlan plan = Plan(pattern, 0, 16 * MiB, kMixed);
    Rng rng(11);
    std::vector<Chunk> pass = MakePass(plan, UINT64_MAX, rng);
    // Drop every third write, as if it had failed or never been issued.
    std::vector<Chunk> written;
    for (size_t i = 0; i < pass.size(); i++) {
      if (i % 3 != 0) written.push_back(pass[i]);
    }
    std::vector<Chunk> reads = ReadBack(plan, written, rng);
    // The same bytes, block by block.
    std::set<uint64_t> wrote, read;
    for (const Chunk& c : written) {
      for (uint64_t b = c.offset; b < c.offset + c.len; b += 512) wrote.insert(b);
    }
    for (const Chunk& c : reads) {
      for (uint64_t b = c.offset; b < c.offset + c.len; b += 512) {
        EXPECT_TRUE(read.insert(b).second) << "block " << b << " read twice";
      }
    }
    EXPECT_EQ(read, wrote) << PatternName(pattern);
    // Cut afresh: some read must start where no write started.
    std::set<uint64_t> write_starts;
    for (const Chunk& c : written) write_starts.insert(c.offset);
    EXPECT_TRUE(std::any_of(reads.begin(), reads.end(),
                            [&](const Chunk& c) { return !write_starts.count(c.offset); }));
  }
}

TEST(PickSize, RangesGiveBlockMultiplesFromEndToEnd) {
  RunPlan plan = Plan(Pattern::kSequential, 0, 8 * MiB, {{false, 4 * KiB, 8 * KiB}});
  Rng rng(5);
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; i++) {
    uint64_t s = PickSize(plan, rng);
    EXPECT_EQ(s % 512, 0u);
    EXPECT_GE(s, 4 * KiB);
    EXPECT_LE(s, 8 * KiB);
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 9u) << "every multiple of 512 from 4k to 8k";
}

}  // namespace
}  // namespace xferio
