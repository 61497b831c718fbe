// SPDX-License-Identifier: GPL-2.0-only

#include "manifest.hh"

#include <gtest/gtest.h>

#include <stdexcept>

namespace xferbench {
namespace {

TEST(Manifest, SplitTabsKeepsEmptyFields) {
  EXPECT_EQ(SplitTabs("a\t\tb"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(SplitTabs("one"), (std::vector<std::string>{"one"}));
  EXPECT_EQ(SplitTabs("x\t"), (std::vector<std::string>{"x", ""}));
}

TEST(Manifest, ParsesEveryKind) {
  Manifest m = ParseManifest(
      "# written by bench-guest.sh\n"
      "meta\treps\t5\n"
      "job\tP1-read\tbw\t1 MiB sequential read, iodepth 16\n"
      "job\tP3\tiops\t4 KiB random read\n"
      "device\txferblk\txferblk, bio, 128 KiB\n"
      "device\tnvme\tnvme mdts=5\n"
      "missing\txferblk64-mq\tno queue_mode parameter\n"
      "\n"
      "run\tP1-read\txferblk\t1\tfio/P1-read.xferblk.1.json\t0\n"
      "compare\tP3\tP3\txferblk\t1.1\tnvme,virtio-blk\txferblk / best peer\n"
      "memory\txferblk\tmemory/xferblk\t16\n"
      "memory\tnvme\tmemory/nvme-4k\t32\tnvme\t4 KiB random read\n"
      "future\tsomething\tnew\n");
  EXPECT_EQ(m.Meta("reps"), "5");
  EXPECT_EQ(m.Meta("nothing", "dflt"), "dflt");
  ASSERT_EQ(m.jobs.size(), 2u);
  EXPECT_EQ(m.jobs[0].metric, Metric::kBandwidth);
  EXPECT_EQ(m.jobs[1].metric, Metric::kIops);
  EXPECT_EQ(m.jobs[0].title, "1 MiB sequential read, iodepth 16");
  EXPECT_EQ(m.Label("xferblk"), "xferblk, bio, 128 KiB");
  EXPECT_EQ(m.Label("unknown"), "unknown");
  EXPECT_EQ(m.missing.at("xferblk64-mq"), "no queue_mode parameter");
  ASSERT_EQ(m.runs.size(), 1u);
  EXPECT_EQ(m.runs[0].rep, 1);
  EXPECT_EQ(m.runs[0].file, "fio/P1-read.xferblk.1.json");
  ASSERT_EQ(m.compares.size(), 1u);
  EXPECT_DOUBLE_EQ(m.compares[0].target, 1.1);
  EXPECT_EQ(m.compares[0].peers, (std::vector<std::string>{"nvme", "virtio-blk"}));
  ASSERT_EQ(m.memory.size(), 2u);
  EXPECT_EQ(m.memory[0].iodepth, 16);
  EXPECT_EQ(m.memory[0].module, "xferblk");
  EXPECT_EQ(m.memory[0].job, "");
  EXPECT_EQ(m.memory[1].module, "nvme");
  EXPECT_EQ(m.memory[1].job, "4 KiB random read");
}

TEST(Manifest, CrlfLineEndingsAreAccepted) {
  Manifest m = ParseManifest("meta\treps\t3\r\ndevice\tnvme\tNVMe\r\n");
  EXPECT_EQ(m.Meta("reps"), "3");
  EXPECT_EQ(m.Label("nvme"), "NVMe");
}

TEST(Manifest, MalformedRecordsNameTheirLine) {
  auto expect_error = [](const char* text, const char* what) {
    try {
      ParseManifest(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  expect_error("meta\treps\t5\nrun\tP1\tx\tone\tf\t0\n", "line 2");
  expect_error("run\tP1\tx\t1\tf\n", "needs 5 fields");
  expect_error("job\tP1\tlatency\tt\n", "unknown metric");
  expect_error("job\tP1\tbw\tt\njob\tP1\tbw\tt\n", "defined twice");
  expect_error("compare\tc\tP1\ta\tfast\tb\tt\n", "bad target");
  expect_error("compare\tc\tP1\ta\t0\tb\tt\n", "bad target");
  expect_error("compare\tc\tP1\ta\t1.5\t,\tt\n", "no peers");
  expect_error("run\tP1\tx\t1\tf\t0x\n", "bad status");
}

}  // namespace
}  // namespace xferbench
