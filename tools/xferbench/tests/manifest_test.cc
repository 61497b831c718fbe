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

TEST(Manifest, ParsesSweepsAndCurves) {
  Manifest m = ParseManifest(
      "sweep\tiodepth\tiodepth\txferblk,nvme,virtio-blk\t4 KiB random read, 1 job\t\n"
      "sweep\tjobs\tnumjobs\txferblk\t4 KiB, 1 to 4 jobs\tjobs share vCPUs\n"
      "sweep\told\tiodepth\tnvme\tno note field at all\n"
      "curve\tiodepth\txferblk\t128\t1\tcurves/iodepth.xferblk.128.1.json\t0\n"
      "curve\tjobs\tnvme\t3\t2\tcurves/jobs.nvme.3.2.json\t1\n");
  ASSERT_EQ(m.sweeps.size(), 3u);
  EXPECT_EQ(m.sweeps[0].id, "iodepth");
  EXPECT_EQ(m.sweeps[0].vary, "iodepth");
  EXPECT_EQ(m.sweeps[0].devices, (std::vector<std::string>{"xferblk", "nvme", "virtio-blk"}));
  EXPECT_EQ(m.sweeps[0].title, "4 KiB random read, 1 job");
  EXPECT_EQ(m.sweeps[0].note, "");
  EXPECT_EQ(m.sweeps[1].vary, "numjobs");
  EXPECT_EQ(m.sweeps[1].note, "jobs share vCPUs");
  EXPECT_EQ(m.sweeps[2].note, "");
  ASSERT_NE(m.FindSweep("jobs"), nullptr);
  EXPECT_EQ(m.FindSweep("jobs")->title, "4 KiB, 1 to 4 jobs");
  EXPECT_EQ(m.FindSweep("none"), nullptr);
  ASSERT_EQ(m.curves.size(), 2u);
  EXPECT_EQ(m.curves[0].sweep, "iodepth");
  EXPECT_EQ(m.curves[0].device, "xferblk");
  EXPECT_EQ(m.curves[0].x, 128);
  EXPECT_EQ(m.curves[0].rep, 1);
  EXPECT_EQ(m.curves[0].file, "curves/iodepth.xferblk.128.1.json");
  EXPECT_EQ(m.curves[0].status, 0);
  EXPECT_EQ(m.curves[1].x, 3);
  EXPECT_EQ(m.curves[1].rep, 2);
  EXPECT_EQ(m.curves[1].status, 1);
}

TEST(Manifest, AManifestWithoutCurvesHasNone) {
  Manifest m = ParseManifest("meta\treps\t5\njob\tP3\tiops\t4 KiB\n");
  EXPECT_TRUE(m.sweeps.empty());
  EXPECT_TRUE(m.curves.empty());
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
  expect_error("sweep\ts\tiodepth\tx\n", "needs 4 fields");
  expect_error("sweep\ts\t\tx\tt\n", "varies nothing");
  expect_error("sweep\ts\tiodepth\tx\tt\nsweep\ts\tnumjobs\tx\tt\n", "defined twice");
  expect_error("curve\ts\tx\t1\t1\tf\n", "needs 6 fields");
  expect_error("curve\ts\tx\t0\t1\tf\t0\n", "bad point '0'");
  expect_error("curve\ts\tx\tfour\t1\tf\t0\n", "bad point 'four'");
  expect_error("curve\ts\tx\t4\t1\tf\t-\n", "bad status");
}

}  // namespace
}  // namespace xferbench
