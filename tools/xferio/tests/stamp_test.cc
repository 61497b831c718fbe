// SPDX-License-Identifier: GPL-2.0-only
//
// Stamping and verification: a block in the wrong place, of the wrong
// generation or with any byte changed is caught, and reported at the offset
// it was read from with the generations expected and found.

#include <gtest/gtest.h>
#include <sys/uio.h>

#include <cstring>
#include <utility>
#include <vector>

#include "stamp.hh"

namespace xferio {
namespace {

class Collect : public FailureSink {
 public:
  void Add(const VerifyFailure& f) override { failures.push_back(f); }
  std::vector<VerifyFailure> failures;
};

std::vector<std::byte> Stamped(size_t lbs, uint64_t offset, uint64_t gen, uint64_t seed = 1) {
  std::vector<std::byte> block(lbs);
  StampBlock(block.data(), lbs, offset, gen, seed);
  return block;
}

class StampTest : public ::testing::TestWithParam<size_t> {};

// A valid block checks out where and as what it was written; read back
// elsewhere it is misplaced, for another generation it is stale. Either way
// the check says what the block holds.
TEST_P(StampTest, ValidBlockIsFreshMisplacedOrStale) {
  const size_t lbs = GetParam();
  const struct {
    const char* what;
    uint64_t block, gen;  // stamped for byte offset block * lbs, generation gen
    uint64_t at, want;    // checked as read at at * lbs, expecting generation want
    Fault fault;
  } cases[] = {
      {"fresh", 7, 3, 7, 3, Fault::kNone},
      {"moved", 100, 5, 300, 5, Fault::kMisplaced},
      {"older generation", 9, 4, 9, 5, Fault::kStale},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto block = Stamped(lbs, c.block * lbs, c.gen);
    BlockCheck check = CheckBlock(block.data(), lbs, c.at * lbs, c.want);
    EXPECT_EQ(check.fault, c.fault);
    EXPECT_TRUE(check.stamped);
    EXPECT_EQ(check.found_offset, c.block * lbs);
    EXPECT_EQ(check.found_gen, c.gen);
  }
}

TEST_P(StampTest, EveryFlippedByteIsCaught) {
  const size_t lbs = GetParam();
  const auto good = Stamped(lbs, 12 * lbs, 2);
  for (size_t at = 0; at < lbs; at++) {
    for (unsigned char flip : {0x01, 0x80, 0xff}) {
      auto block = good;
      block[at] ^= std::byte{flip};
      BlockCheck c = CheckBlock(block.data(), lbs, 12 * lbs, 2);
      // A damaged magic means no stamp; anything else fails the checksum.
      EXPECT_EQ(c.fault, at < 8 ? Fault::kUnstamped : Fault::kCorrupt)
          << "byte " << at << " ^ " << static_cast<int>(flip);
    }
  }
}

TEST_P(StampTest, ForeignDataIsUnstamped) {
  const size_t lbs = GetParam();
  std::vector<std::byte> zeros(lbs);
  EXPECT_EQ(CheckBlock(zeros.data(), lbs, 0, 1).fault, Fault::kUnstamped);
  std::vector<std::byte> poison(lbs, std::byte{0xa5});
  BlockCheck c = CheckBlock(poison.data(), lbs, 0, 1);
  EXPECT_EQ(c.fault, Fault::kUnstamped);
  EXPECT_FALSE(c.stamped);
}

TEST_P(StampTest, DataDependsOnOffsetGenerationAndSeedButVerifiesAlike) {
  const size_t lbs = GetParam();
  auto a = Stamped(lbs, 0, 1, 1);
  auto b = Stamped(lbs, 0, 1, 2);
  auto c = Stamped(lbs, lbs, 1, 1);
  auto d = Stamped(lbs, 0, 2, 1);
  auto payload = [&](const std::vector<std::byte>& v) {
    return std::vector<std::byte>(v.begin() + kStampBytes, v.end());
  };
  EXPECT_NE(payload(a), payload(b));
  EXPECT_NE(payload(a), payload(c));
  EXPECT_NE(payload(a), payload(d));
  // The seed only changes the data: any reader checks any writer's blocks.
  EXPECT_EQ(CheckBlock(b.data(), lbs, 0, 1).fault, Fault::kNone);
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, StampTest, ::testing::Values(512, 4096));

// Eight 512-byte blocks of one I/O at disk offset 64 KiB, spread over three
// iovecs the way the fragmented layout spreads them.
TEST(CheckIovecs, ReportsEachBadBlockAtItsOffset) {
  constexpr size_t kLbs = 512;
  constexpr uint64_t kDisk = 64 << 10;
  constexpr uint64_t kGen = 6;
  alignas(4096) static std::byte buf[3 * 4096];
  std::vector<iovec> iovs = {{buf, 3 * kLbs}, {buf + 4096, 2 * kLbs}, {buf + 8192, 3 * kLbs}};
  StampIovecs(iovs, kDisk, kLbs, kGen, 1);
  // Block i of the I/O, wherever its iovec put it.
  auto block = [&](size_t i) -> std::byte* {
    size_t skip = i;
    for (const iovec& v : iovs) {
      size_t n = v.iov_len / kLbs;
      if (skip < n) return static_cast<std::byte*>(v.iov_base) + skip * kLbs;
      skip -= n;
    }
    return nullptr;
  };

  Collect clean;
  EXPECT_EQ(CheckIovecs(iovs, kDisk, kLbs, kGen, clean), 8u);
  EXPECT_TRUE(clean.failures.empty());

  std::memcpy(block(5), block(2), kLbs);                      // block 2 also lands where 5 goes
  StampBlock(block(6), kLbs, kDisk + 6 * kLbs, kGen - 1, 1);  // block 6 is a generation old
  block(7)[300] ^= std::byte{0x10};                           // one bit of block 7 flips
  Collect found;
  EXPECT_EQ(CheckIovecs(iovs, kDisk, kLbs, kGen, found), 8u);
  ASSERT_EQ(found.failures.size(), 3u);

  const VerifyFailure& moved = found.failures[0];
  EXPECT_EQ(moved.offset, kDisk + 5 * kLbs);
  EXPECT_EQ(moved.fault, Fault::kMisplaced);
  EXPECT_EQ(moved.found_offset, kDisk + 2 * kLbs);
  EXPECT_EQ(moved.expected_gen, kGen);
  EXPECT_EQ(moved.found_gen, kGen);

  const VerifyFailure& stale = found.failures[1];
  EXPECT_EQ(stale.offset, kDisk + 6 * kLbs);
  EXPECT_EQ(stale.fault, Fault::kStale);
  EXPECT_EQ(stale.expected_gen, kGen);
  EXPECT_EQ(stale.found_gen, kGen - 1);

  const VerifyFailure& flipped = found.failures[2];
  EXPECT_EQ(flipped.offset, kDisk + 7 * kLbs);
  EXPECT_EQ(flipped.fault, Fault::kCorrupt);
  EXPECT_EQ(flipped.expected_gen, kGen);
}

TEST(FaultName, EveryFaultAndNoOther) {
  const std::pair<Fault, const char*> names[] = {
      {Fault::kNone, "ok"},         {Fault::kUnstamped, "unstamped"},
      {Fault::kCorrupt, "corrupt"}, {Fault::kMisplaced, "misplaced"},
      {Fault::kStale, "stale"},     {Fault::kOverrun, "overrun"}};
  for (const auto& [fault, name] : names) EXPECT_STREQ(FaultName(fault), name);
  EXPECT_STREQ(FaultName(static_cast<Fault>(6)), "?");
}

TEST(Mix, IsNotTheIdentityAndSpreadsBits) {
  EXPECT_NE(Mix(1), 1u);
  EXPECT_NE(Mix(1), Mix(2));
  // One input bit changes about half of the output bits.
  int bits = __builtin_popcountll(Mix(0x1000) ^ Mix(0x1001));
  EXPECT_GT(bits, 16);
  EXPECT_LT(bits, 48);
}

}  // namespace
}  // namespace xferio
