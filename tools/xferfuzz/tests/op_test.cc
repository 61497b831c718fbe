// SPDX-License-Identifier: GPL-2.0-only

#include "op.hh"

#include <gtest/gtest.h>

#include <stdexcept>

#include "fuzzer.hh"
#include "generator.hh"
#include "runner.hh"
#include "uapi/xferblk_hw.h"

namespace xferfuzz {
namespace {

TEST(Op, RegisterNames) {
  EXPECT_EQ(Bar0Name(XFERBLK_REG_CTRL), "CTRL");
  EXPECT_EQ(Bar0Name(XFERBLK_REG_FAULT_HANG_NTH), "FAULT_HANG_NTH");
  EXPECT_EQ(Bar0Name(XFERBLK_REG_FAULT_LBA_COUNT + 4), "FAULT_LBA_COUNT+4");
  EXPECT_EQ(Bar0Name(XFERBLK_REG_COUNTERS + 8 * 4), "COUNTER[4]");
  EXPECT_EQ(Bar0Name(XFERBLK_REG_COUNTERS + 8 * 4 + 4), "COUNTER[4]+4");
  EXPECT_EQ(Bar0Name(XFERBLK_REG_QUEUE(3) + XFERBLK_QREG_DEPTH), "Q3.DEPTH");
  EXPECT_EQ(Bar0Name(XFERBLK_REG_QUEUE(63) + XFERBLK_QREG_CTRL), "Q63.QCTRL");
  EXPECT_EQ(Bar0Name(XFERBLK_REG_DOORBELL(1) + XFERBLK_DB_CQ_HEAD), "DB1.CQ_HEAD");
  EXPECT_EQ(Bar0Name(XFERBLK_REG_DOORBELL(0)), "DB0.SQ_TAIL");
  EXPECT_EQ(Bar0Name(0x4c), "");
  EXPECT_EQ(Bar0Name(0x41), "");
  EXPECT_EQ(Bar0Name(0x3ffc), "");
}

TEST(Op, FormatAndParse) {
  const std::string lines[] = {
      "start drive=raw size=1048576 props=queues=2,queue-depth=64",
      "start drive=blkdebug:17 size=65536",
      "start drive=blkdebug:0 size=65536 throttle=8192 props=queues=1",
      "start drive=throttle:1048576 size=4194304 props=logical_block_size=4096",
      "start drive=null size=1048576 props=null-size=1099511627776",
      "pci_setup",
      "r4 bar0+0x44                      # STATUS",
      "r8 bar0+0x108                     # COUNTER[1]",
      "w4 bar0+0x40 0x1                  # CTRL",
      "w8 bar0+0x1000 0x100000           # Q0.SQ_ADDR",
      "w1 bar0+0x3 0xff",
      "w4 bar2+0x18 0x0                  # MSIX[1].DATA",
      "w2 0x100000 0xbeef",
      "bytes 0x110000 00ff12",
      "fill 0x100000 0x400 0xff",
      "sqe 0x100040 op=READ flags=0x0 tag=3 nsge=1 lba=0x10 nblocks=8 sgl=0x900000",
      "sqe 0x100040 op=200 flags=0x81 tag=65535 nsge=65535 lba=0xffffffffffffffff "
      "nblocks=4294967295 sgl=0xe0000000 rsvd0=0x1 rsvd1=0x2 rsvd2=0x3",
      "sge 0x900000 addr=0x1000000 len=0x1000",
      "sge 0x900010 addr=0xe0002000 len=0x0 rsvd=0x5",
      "cfg 0x4 0x6",
      "msixctl 0xc000",
      "step 1000000",
      "wait 5",
      "unplug",
      "system_reset",
  };
  for (const std::string& line : lines) {
    std::optional<Op> op = ParseOp(line);
    ASSERT_TRUE(op.has_value()) << line;
    EXPECT_EQ(FormatOp(*op), line);
  }
}

TEST(Op, Parsing) {
  EXPECT_FALSE(ParseOp("").has_value());
  EXPECT_FALSE(ParseOp("   # a comment").has_value());
  Op op = *ParseOp("  w4   bar0+64 7  # trailing words are a comment");
  EXPECT_EQ(op.addr, Bar0(0x40));
  EXPECT_EQ(op.value, 7u);
  EXPECT_EQ(op.addr.Absolute(), kBar0 + 0x40);
  op = *ParseOp("sqe bar0+0x0 op=ABORT lba=5");
  EXPECT_EQ(op.sqe.opcode, XFERBLK_OP_ABORT);
  EXPECT_EQ(op.sqe.tag, 0);
  EXPECT_EQ(op.addr.Absolute(), kBar0);
  for (const char* bad :
       {"w4 bar0+0x40", "w1 0x0 0x100", "r3 0x0", "frobnicate", "sqe 0x0 op=1 x=2",
        "sqe 0x0 tag=65536", "bytes 0x0 abc", "bytes 0x0 zz", "step 0", "cfg 0x3 0x0",
        "start size=1", "start drive=blkdebug size=1", "start drive=floppy size=1",
        "fill 0x0 0x0 0x0", "unplug now", "start drive=raw size=512 throttle=5"}) {
    EXPECT_THROW(ParseOp(bad), std::invalid_argument) << bad;
  }
  try {
    ParseOps("pci_setup\n\nw4 nowhere 1\n");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
}

TEST(Op, Encoding) {
  Sqe e;
  e.opcode = 2;
  e.flags = 1;
  e.tag = 0x1234;
  e.nsge = 3;
  e.lba = 0x0102030405060708ULL;
  e.nblocks = 0xAABBCCDD;
  e.sgl = 0x900000;
  std::vector<uint8_t> b = e.Encode();
  ASSERT_EQ(b.size(), 64u);
  EXPECT_EQ(b[0], 2);
  EXPECT_EQ(b[1], 1);
  EXPECT_EQ(b[2], 0x34);
  EXPECT_EQ(b[3], 0x12);
  EXPECT_EQ(b[4], 3);
  EXPECT_EQ(b[8], 0x08);
  EXPECT_EQ(b[15], 0x01);
  EXPECT_EQ(b[16], 0xDD);
  EXPECT_EQ(b[26], 0x90);
  Sge g{0x1000000, 4096, 0};
  std::vector<uint8_t> s = g.Encode();
  ASSERT_EQ(s.size(), 16u);
  EXPECT_EQ(s[3], 0x01);
  EXPECT_EQ(s[9], 0x10);
}

TEST(Op, QtestLines) {
  EXPECT_EQ(QtestLines(*ParseOp("w4 bar0+0x40 0x1"), 0),
            std::vector<std::string>{"writel 0xe0000040 0x1"});
  EXPECT_EQ(QtestLines(*ParseOp("r8 bar2+0x8"), 0), std::vector<std::string>{"readq 0xe0100008"});
  EXPECT_EQ(QtestLines(*ParseOp("bytes 0x10 0aff"), 0),
            std::vector<std::string>{"write 0x10 0x2 0x0aff"});
  EXPECT_EQ(QtestLines(*ParseOp("fill 0x10 0x40 0x0"), 0),
            std::vector<std::string>{"memset 0x10 0x40 0x0"});
  EXPECT_EQ(QtestLines(*ParseOp("cfg 0x4 0x6"), 0),
            (std::vector<std::string>{"outl 0xcf8 0x80002004", "outl 0xcfc 0x6"}));
  EXPECT_TRUE(QtestLines(*ParseOp("msixctl 0x8000"), 0).empty());
  EXPECT_EQ(QtestLines(*ParseOp("msixctl 0x8000"), 0x40),
            (std::vector<std::string>{"outl 0xcf8 0x80002040", "outw 0xcfe 0x8000"}));
  EXPECT_EQ(QtestLines(*ParseOp("step 5"), 0), std::vector<std::string>{"clock_step 5"});
  std::vector<std::string> sqe = QtestLines(*ParseOp("sqe 0x100000 op=READ tag=1"), 0);
  ASSERT_EQ(sqe.size(), 1u);
  EXPECT_EQ(sqe[0], "write 0x100000 0x40 0x0100010000" + std::string(118, '0'));
}

// Every op the generator makes survives its text form: replay files are
// exact.
TEST(Op, GeneratedRoundTrip) {
  for (uint64_t seed : {1, 2, 3, 99}) {
    for (uint64_t instance = 0; instance < 20; instance++) {
      const std::vector<Op> ops = GenerateInstance(seed, instance, 400);
      std::string text = ReplayText({"a header", "", "of two lines"}, ops);
      ASSERT_EQ(ParseOps(text), ops) << "seed " << seed << " instance " << instance;
    }
  }
}

TEST(Op, SplitInstances) {
  std::vector<std::vector<Op>> parts =
      SplitInstances(ParseOps("w4 bar0+0x40 0x1\nstep 1\n"
                              "start drive=raw size=512\nstep 2\n"
                              "start drive=null size=512\n"));
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].size(), 3u);
  EXPECT_EQ(parts[0][0], StartOp(DeviceConfig{}));
  EXPECT_EQ(parts[1].size(), 2u);
  EXPECT_EQ(parts[2].size(), 1u);
  EXPECT_EQ(parts[2][0].start.drive, Drive::kNull);
}

}  // namespace
}  // namespace xferfuzz
