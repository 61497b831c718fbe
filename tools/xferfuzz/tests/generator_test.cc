// SPDX-License-Identifier: GPL-2.0-only

#include "generator.hh"

#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <set>

#include "config.hh"
#include "uapi/xferblk_hw.h"

namespace xferfuzz {
namespace {

TEST(Generator, Deterministic) {
  EXPECT_EQ(GenerateInstance(7, 3, 500), GenerateInstance(7, 3, 500));
  EXPECT_NE(GenerateInstance(7, 3, 500), GenerateInstance(7, 4, 500));
  EXPECT_NE(GenerateInstance(7, 3, 500), GenerateInstance(8, 3, 500));
  EXPECT_EQ(RandomConfig(5), RandomConfig(5));
}

TEST(Generator, Shape) {
  std::map<OpKind, size_t> kinds;
  size_t unplugs = 0, instances = 0;
  for (uint64_t instance = 0; instance < 200; instance++) {
    const std::vector<Op> ops = GenerateInstance(42, instance, 1000);
    instances++;
    ASSERT_GE(ops.size(), 2u);
    ASSERT_LE(ops.size(), 1000u);
    EXPECT_EQ(ops[0].kind, OpKind::kStart);
    EXPECT_EQ(ops[1].kind, OpKind::kPciSetup);
    for (size_t i = 1; i < ops.size(); i++) {
      EXPECT_NE(ops[i].kind, OpKind::kStart);
      kinds[ops[i].kind]++;
      if (ops[i].kind == OpKind::kUnplug) {
        unplugs++;
        EXPECT_GE(ops.size() - i, 2u) << "a step after an unplug";
        EXPECT_LE(ops.size() - i, 5u) << "the instance ends soon after an unplug";
      }
    }
  }
  EXPECT_GT(unplugs, instances / 10);
  EXPECT_LT(unplugs, instances / 3);
  for (OpKind k :
       {OpKind::kRead, OpKind::kWrite, OpKind::kBytes, OpKind::kFill, OpKind::kSqe, OpKind::kSge,
        OpKind::kCfg, OpKind::kMsixCtl, OpKind::kStep, OpKind::kWait, OpKind::kSystemReset}) {
    EXPECT_GT(kinds[k], 0u) << "kind " << static_cast<int>(k);
  }
  // Most are register writes and submissions.
  EXPECT_GT(kinds[OpKind::kSqe], kinds[OpKind::kStep]);
}

TEST(Generator, Length) {
  EXPECT_LE(GenerateInstance(1, 0, 2).size(), 2u);
  for (size_t len : {10, 37, 100}) {
    std::vector<Op> ops = GenerateInstance(1, 5, len);
    EXPECT_LE(ops.size(), len);
  }
}

// What the device's realize accepts (docs/device-spec.md, QEMU properties):
// the generator's configurations must all start.
TEST(Generator, ConfigsAreValid) {
  std::set<Drive> drives;
  for (uint64_t seed = 0; seed < 2000; seed++) {
    const DeviceConfig c = RandomConfig(seed);
    drives.insert(c.drive);
    ASSERT_EQ(ParseConfig(FormatConfig(c)), c);
    const Geometry g = GeometryOf(c);
    EXPECT_TRUE(g.block_size == 512 || g.block_size == 4096) << c.props;
    EXPECT_TRUE(g.max_xfer && g.max_xfer % g.block_size == 0) << c.props;
    EXPECT_TRUE(g.max_segs >= 1 && g.max_segs <= 4096) << c.props;
    EXPECT_GE(g.max_seg_size, 512u) << c.props;
    EXPECT_EQ(g.seg_boundary & (g.seg_boundary + 1), 0u) << c.props;
    EXPECT_TRUE(g.queues >= 1 && g.queues <= 64) << c.props;
    EXPECT_TRUE(std::has_single_bit(g.max_depth) && g.max_depth >= 2 && g.max_depth <= 4096);
    EXPECT_GT(g.capacity, 0u) << FormatConfig(c);
    if (c.drive == Drive::kBlkdebug) {
      EXPECT_LT(c.drive_arg * 512, c.image_size);
    }
    EXPECT_EQ(c.props.find("null-size") != std::string::npos && c.drive != Drive::kNull, false);
  }
  EXPECT_EQ(drives.size(), 6u);
}

TEST(Generator, Geometry) {
  DeviceConfig c;
  c.image_size = (1 << 20) + 1000;
  c.props = "logical_block_size=4096,queues=3,max-transfer=65536,discard=off";
  Geometry g = GeometryOf(c);
  EXPECT_EQ(g.capacity, 256u);
  EXPECT_EQ(g.queues, 3u);
  EXPECT_EQ(g.max_xfer, 65536u);
  EXPECT_EQ(g.max_discard, 0u);
  c.drive = Drive::kNull;
  c.props = "null-size=1M";
  EXPECT_EQ(GeometryOf(c).capacity, 2048u);
  c.props = "";
  EXPECT_EQ(GeometryOf(c).capacity, 2097152u);
  EXPECT_TRUE(GeometryOf(c).null_backend);
}

// Most READs and WRITEs a bring-up queue gets are valid: SG lists sum to the
// transfer, lie in RAM and respect the limits, or the fuzzer would only
// ever test the rejections.
TEST(Generator, MostCommandsValid) {
  size_t rw = 0, valid = 0;
  for (uint64_t instance = 0; instance < 100; instance++) {
    const std::vector<Op> ops = GenerateInstance(9, instance, 1000);
    const Geometry g = GeometryOf(ops[0].start);
    std::map<uint64_t, Sge> sges;
    for (const Op& op : ops) {
      if (op.kind == OpKind::kSge) sges[op.addr.off] = op.sge;
      if (op.kind != OpKind::kSqe) continue;
      const Sqe& e = op.sqe;
      if (e.opcode != XFERBLK_OP_READ && e.opcode != XFERBLK_OP_WRITE) continue;
      rw++;
      const uint64_t bytes = uint64_t{e.nblocks} * g.block_size;
      if (!e.nblocks || e.lba + e.nblocks > g.capacity || bytes > g.max_xfer || !e.nsge ||
          e.nsge > g.max_segs || e.rsvd0 || e.rsvd1 || e.rsvd2) {
        continue;
      }
      uint64_t sum = 0;
      bool ok = true;
      for (uint16_t i = 0; i < e.nsge && ok; i++) {
        auto it = sges.find(e.sgl + 16 * i);
        if (it == sges.end()) {
          ok = false;
          break;
        }
        const Sge& s = it->second;
        sum += s.len;
        ok = s.len && s.len <= g.max_seg_size && s.addr + s.len <= kRamSize &&
             (s.addr & ~g.seg_boundary) == ((s.addr + s.len - 1) & ~g.seg_boundary);
      }
      valid += ok && sum == bytes;
    }
  }
  ASSERT_GT(rw, 1000u);
  EXPECT_GT(valid, rw / 3) << valid << " of " << rw;
}

}  // namespace
}  // namespace xferfuzz
