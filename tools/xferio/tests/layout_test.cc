// SPDX-License-Identifier: GPL-2.0-only
//
// The layout builder: the iovecs of an I/O lie where the layout says, add up
// to the I/O, keep the O_DIRECT alignment rules, and with the gaps between
// them tile the buffer region exactly.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "layout.hh"

namespace xferio {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kPage = 4096;

struct Arena {
  explicit Arena(uint64_t bytes)
      : ptr(static_cast<std::byte*>(std::aligned_alloc(kPage, bytes)), &std::free), size(bytes) {}
  std::unique_ptr<std::byte, decltype(&std::free)> ptr;
  uint64_t size;
};

uintptr_t Addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

std::string Name(Layout layout, uint64_t lbs, uint64_t len) {
  return std::string(LayoutName(layout)) + " lbs " + std::to_string(lbs) + " len " +
         std::to_string(len);
}

// Everything every layout promises.
void CheckTiling(Layout layout, uint64_t lbs, uint64_t len) {
  SCOPED_TRACE(Name(layout, lbs, len));
  const Geometry g{lbs, kPage};
  const uint64_t need = ArenaBytes(layout, len, g);
  ASSERT_EQ(need % kPage, 0u);
  ASSERT_GE(need, len);
  Arena arena(need);
  auto built = BuildIovecs(layout, arena.ptr.get(), arena.size, len, g);
  ASSERT_TRUE(built.ok()) << built.error();
  const std::vector<iovec>& iovs = *built;
  ASSERT_FALSE(iovs.empty());
  ASSERT_LE(iovs.size(), kMaxIovecs);

  uint64_t sum = 0;
  uintptr_t prev_end = Addr(arena.ptr.get());
  for (const iovec& v : iovs) {
    EXPECT_GT(v.iov_len, 0u);
    EXPECT_EQ(v.iov_len % lbs, 0u) << "a piece is not whole blocks";
    EXPECT_EQ(Addr(v.iov_base) % lbs, 0u) << "O_DIRECT needs block-aligned buffers";
    EXPECT_GE(Addr(v.iov_base), prev_end) << "pieces overlap or go backwards";
    prev_end = Addr(v.iov_base) + v.iov_len;
    sum += v.iov_len;
  }
  EXPECT_EQ(sum, len);
  EXPECT_LE(prev_end, Addr(arena.ptr.get()) + need) << "a piece runs past ArenaBytes()";

  // Pieces and gaps together cover [arena, arena + need) once, in order.
  std::vector<iovec> gaps = GapsBetween(iovs, arena.ptr.get(), need);
  std::vector<iovec> all = iovs;
  all.insert(all.end(), gaps.begin(), gaps.end());
  std::sort(all.begin(), all.end(),
            [](const iovec& a, const iovec& b) { return Addr(a.iov_base) < Addr(b.iov_base); });
  uintptr_t at = Addr(arena.ptr.get());
  for (const iovec& v : all) {
    EXPECT_EQ(Addr(v.iov_base), at) << "hole or overlap in the tiling";
    at = Addr(v.iov_base) + v.iov_len;
  }
  EXPECT_EQ(at, Addr(arena.ptr.get()) + need);

  switch (layout) {
    case Layout::kContiguous:
      ASSERT_EQ(iovs.size(), 1u);
      EXPECT_EQ(iovs[0].iov_base, arena.ptr.get());
      break;
    case Layout::kMisaligned:
      ASSERT_EQ(iovs.size(), 1u);
      EXPECT_EQ(Addr(iovs[0].iov_base) - Addr(arena.ptr.get()), lbs);
      EXPECT_NE(Addr(iovs[0].iov_base) % kPage, 0u) << "not misaligned at all";
      break;
    case Layout::kFragmented:
      for (size_t i = 0; i < iovs.size(); i++) {
        EXPECT_EQ(Addr(iovs[i].iov_base) % kPage, 0u) << "piece " << i << " not at a page start";
        if (i + 1 < iovs.size()) {
          EXPECT_GE(Addr(iovs[i + 1].iov_base) - (Addr(iovs[i].iov_base) + iovs[i].iov_len), lbs)
              << "no gap after piece " << i;
        }
      }
      break;
  }
}

TEST(Layout, EveryLayoutTilesItsArena) {
  for (uint64_t lbs : {512u, 1024u, 4096u}) {
    for (Layout layout : {Layout::kContiguous, Layout::kFragmented, Layout::kMisaligned}) {
      if (LayoutUnsupported(layout, Geometry{lbs, kPage})) continue;
      const std::vector<uint64_t> lens = {
          lbs,       7 * lbs,     kPage - lbs, kPage,           kPage + lbs,
          8 * kPage, 65536 + lbs, 1 << 20,     (4 << 20) + lbs, 16 << 20};
      for (uint64_t len : lens) {
        if (len == 0 || len % lbs != 0) continue;
        CheckTiling(layout, lbs, len);
      }
    }
  }
}

TEST(Layout, FragmentedIsOnePiecePerPageWithAGap) {
  Arena arena(ArenaBytes(Layout::kFragmented, 8192, {512, kPage}));
  EXPECT_EQ(arena.size, 3 * kPage);
  auto iovs = BuildIovecs(Layout::kFragmented, arena.ptr.get(), arena.size, 8192, {512, kPage});
  ASSERT_TRUE(iovs.ok()) << iovs.error();
  ASSERT_EQ(iovs->size(), 3u);
  std::byte* a = arena.ptr.get();
  EXPECT_EQ((*iovs)[0].iov_base, a);
  EXPECT_EQ((*iovs)[0].iov_len, 3584u);
  EXPECT_EQ((*iovs)[1].iov_base, a + kPage);
  EXPECT_EQ((*iovs)[1].iov_len, 3584u);
  EXPECT_EQ((*iovs)[2].iov_base, a + 2 * kPage);
  EXPECT_EQ((*iovs)[2].iov_len, 1024u);
}

TEST(Layout, FragmentedWithPageSizedBlocksSkipsEveryOtherPage) {
  const Geometry g{4096, kPage};
  Arena arena(ArenaBytes(Layout::kFragmented, 16384, g));
  EXPECT_EQ(arena.size, 8 * kPage);
  auto iovs = BuildIovecs(Layout::kFragmented, arena.ptr.get(), arena.size, 16384, g);
  ASSERT_TRUE(iovs.ok()) << iovs.error();
  ASSERT_EQ(iovs->size(), 4u);
  for (size_t i = 0; i < 4; i++) {
    EXPECT_EQ((*iovs)[i].iov_base, arena.ptr.get() + 2 * i * kPage);
    EXPECT_EQ((*iovs)[i].iov_len, kPage);
  }
}

TEST(Layout, FragmentedStaysWithinIovMaxByGrowingPieces) {
  const Geometry g{512, kPage};
  // 1024 pieces of 3584 bytes is the most one page per piece can carry.
  const uint64_t most = kMaxIovecs * (kPage - 512);
  Arena arena(std::max(ArenaBytes(Layout::kFragmented, most, g),
                       ArenaBytes(Layout::kFragmented, most + 512, g)));
  auto at_limit = BuildIovecs(Layout::kFragmented, arena.ptr.get(), arena.size, most, g);
  ASSERT_TRUE(at_limit.ok());
  EXPECT_EQ(at_limit->size(), kMaxIovecs);
  EXPECT_EQ((*at_limit)[1].iov_len, kPage - 512);
  auto over = BuildIovecs(Layout::kFragmented, arena.ptr.get(), arena.size, most + 512, g);
  ASSERT_TRUE(over.ok());
  EXPECT_LE(over->size(), kMaxIovecs);
  EXPECT_EQ((*over)[0].iov_len, 2 * kPage - 512) << "pieces of two pages, still with a gap";
}

TEST(Layout, MisalignedNeedsBlocksSmallerThanAPage) {
  auto why = LayoutUnsupported(Layout::kMisaligned, Geometry{4096, kPage});
  ASSERT_TRUE(why);
  EXPECT_THAT(*why, HasSubstr("logical block size below the page size"));
  EXPECT_FALSE(LayoutUnsupported(Layout::kMisaligned, Geometry{512, kPage}));
  EXPECT_FALSE(LayoutUnsupported(Layout::kFragmented, Geometry{4096, kPage}));
  Arena arena(2 * kPage);
  auto built = BuildIovecs(Layout::kMisaligned, arena.ptr.get(), arena.size, 4096, {4096, kPage});
  EXPECT_FALSE(built.ok());
  // On a 512-byte disk the I/O starts 512 bytes into the page.
  auto ok = BuildIovecs(Layout::kMisaligned, arena.ptr.get(), arena.size, 4096, {512, kPage});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[0].iov_base, arena.ptr.get() + 512);
}

TEST(Layout, RejectsWhatItCannotPlace) {
  const Geometry g{512, kPage};
  Arena arena(4 * kPage);
  EXPECT_THAT(BuildIovecs(Layout::kContiguous, arena.ptr.get(), arena.size, 1000, g).error(),
              HasSubstr("not a positive multiple of 512"));
  EXPECT_THAT(BuildIovecs(Layout::kContiguous, arena.ptr.get(), arena.size, 0, g).error(),
              HasSubstr("not a positive multiple"));
  EXPECT_THAT(
      BuildIovecs(Layout::kContiguous, arena.ptr.get() + 512, arena.size - 512, 512, g).error(),
      HasSubstr("not page-aligned"));
  EXPECT_THAT(BuildIovecs(Layout::kFragmented, arena.ptr.get(), arena.size, 4 * kPage, g).error(),
              HasSubstr("needs 20480 bytes of buffer, have 16384"));
}

TEST(Layout, GapsOfAContiguousBufferAreItsTail) {
  Arena arena(2 * kPage);
  std::vector<iovec> iovs = {{arena.ptr.get(), 4096 + 512}};
  auto gaps = GapsBetween(iovs, arena.ptr.get(), 2 * kPage);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].iov_base, arena.ptr.get() + 4608);
  EXPECT_EQ(gaps[0].iov_len, 3584u);
}

}  // namespace
}  // namespace xferio
