// SPDX-License-Identifier: GPL-2.0-only
//
// The ioctl layer without a kernel: mode names, what an XFERBLK_IOC_INFO and
// XFERBLK_IOC_STATS answer becomes in a DiskInfo and which answers are
// refused, and how OpenDevNode decides a device node is the disk sysfs
// names.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <string>
#include <vector>

#include "fake_ioctl.hh"
#include "fake_sysfs.hh"
#include "ioctl.hh"
#include "sysfs.hh"

namespace xferctl {
namespace {

using testing::FakeDisk;
using testing::FakeSysfs;
using testing::TwoQueueInfo;

TEST(Ioctl, SendModeNames) {
  EXPECT_EQ(SendModeName(XFERBLK_SEND_ASYNC), "async");
  EXPECT_EQ(SendModeName(XFERBLK_SEND_SYNC), "sync");
  EXPECT_EQ(SendModeName(2), "");
  EXPECT_EQ(SendModeName(UINT32_MAX), "");
  EXPECT_EQ(SendModeValue("async"), XFERBLK_SEND_ASYNC);
  EXPECT_EQ(SendModeValue("sync"), XFERBLK_SEND_SYNC);
  EXPECT_EQ(SendModeValue("Sync"), std::nullopt);
  EXPECT_EQ(SendModeValue(""), std::nullopt);
}

TEST(Ioctl, QueueModeNames) {
  EXPECT_EQ(QueueModeName(XFERBLK_QUEUE_BIO), "bio");
  EXPECT_EQ(QueueModeName(XFERBLK_QUEUE_MQ), "mq");
  EXPECT_EQ(QueueModeName(2), "");
}

TEST(Ioctl, SameDevice) {
  EXPECT_TRUE(SameDevice("253:16\n", makedev(253, 16)));
  EXPECT_TRUE(SameDevice("7:0", makedev(7, 0)));
  EXPECT_FALSE(SameDevice("253:16\n", makedev(253, 17)));
  EXPECT_FALSE(SameDevice("253:16\n", makedev(252, 16)));
  EXPECT_FALSE(SameDevice("0xfd:0x10\n", makedev(253, 16)));
  EXPECT_FALSE(SameDevice("253\n", makedev(253, 0)));
  EXPECT_FALSE(SameDevice(":16", makedev(0, 16)));
  EXPECT_FALSE(SameDevice("", makedev(0, 0)));
  EXPECT_FALSE(SameDevice("a:b", makedev(0, 0)));
}

// An answer as the driver gives it for a two-queue disk.
struct Answer {
  xferblk_info info{};
  xferblk_ioc_stats stats{};
  Answer() {
    info = TwoQueueInfo();
    info.send_mode = XFERBLK_SEND_SYNC;  // unlike the disk sysfs showed
    stats.parents = 1;
    stats.children = 2;
    stats.errors = 3;
    stats.parent_errors = 4;
    stats.cancelled = 5;
    stats.rejected = 6;
    stats.bogus = 7;
    stats.unsendable = 8;
    stats.timeouts = 9;
    stats.resets = 10;
    for (unsigned i = 0; i < XFERBLK_HIST_BUCKETS; i++) stats.hist[i] = 100 + i;
    stats.nr_queues = 2;
    stats.queue_commands[0] = 1000;
    stats.queue_commands[1] = 1001;
    stats.queue_commands[2] = 9999;  // beyond nr_queues: not a queue
  }
};

// A disk as sysfs showed it, before the ioctls.
DiskInfo SysfsDisk() {
  DiskInfo d;
  d.name = "xferblk0";
  d.send_mode = "async";
  d.queue_commands = {1, 2};
  for (std::string_view name : kDriverCounters) d.driver_counters.push_back({std::string(name), 0});
  d.device_counters.push_back({"dev_commands", 77});
  d.children_hist.assign(10, 0);
  return d;
}

TEST(ApplyIoctl, FillsEveryField) {
  Answer a;
  DiskInfo d = SysfsDisk();
  ASSERT_EQ(ApplyIoctl(a.info, a.stats, &d), std::nullopt);
  EXPECT_EQ(d.source, "ioctl");
  EXPECT_EQ(d.send_mode, "sync");
  EXPECT_EQ(d.queue_mode, "bio");
  EXPECT_EQ(d.queue_commands, (std::vector<uint64_t>{1000, 1001}));
  EXPECT_EQ(d.children_hist,
            (std::vector<uint64_t>{100, 101, 102, 103, 104, 105, 106, 107, 108, 109}));
  // kDriverCounters' order and names, each from its own field.
  std::vector<std::pair<std::string, uint64_t>> got;
  for (const Counter& c : d.driver_counters) got.emplace_back(c.name, c.value);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, uint64_t>>{{"parents", 1},
                                                                {"children", 2},
                                                                {"errors", 3},
                                                                {"rejected", 6},
                                                                {"bogus_completions", 7},
                                                                {"unsendable", 8},
                                                                {"parent_errors", 4},
                                                                {"cancelled", 5},
                                                                {"timeouts", 9},
                                                                {"resets", 10}}));
  // The device's counters are not in the snapshot: sysfs's stay.
  ASSERT_EQ(d.device_counters.size(), 1u);
  EXPECT_EQ(d.device_counters[0].value, 77u);
  ASSERT_TRUE(d.device);
  EXPECT_EQ(d.device->version_major, 1u);
  EXPECT_EQ(d.device->version_minor, 2u);
  EXPECT_EQ(d.device->capacity_blocks, 524288u);
  EXPECT_EQ(d.device->block_size, 512u);
  EXPECT_EQ(d.device->max_transfer, 4096u);
  EXPECT_EQ(d.device->max_segments, 2u);
  EXPECT_EQ(d.device->max_segment_size, 4096u);
  EXPECT_EQ(d.device->seg_boundary, 0xffffu);
  EXPECT_EQ(d.device->max_discard_blocks, 64u);
  EXPECT_EQ(d.device->max_write_zeroes_blocks, 128u);
  EXPECT_EQ(d.device->features, XFERBLK_FEAT_WRITE_CACHE | XFERBLK_FEAT_DISCARD);
  EXPECT_EQ(d.device->nr_queues, 2u);
  EXPECT_EQ(d.device->queue_depth, 128u);
}

TEST(ApplyIoctl, AllSixtyFourQueues) {
  Answer a;
  a.info.nr_queues = a.stats.nr_queues = XFERBLK_INFO_MAX_QUEUES;
  for (unsigned i = 0; i < XFERBLK_INFO_MAX_QUEUES; i++) a.stats.queue_commands[i] = i;
  DiskInfo d = SysfsDisk();
  ASSERT_EQ(ApplyIoctl(a.info, a.stats, &d), std::nullopt);
  ASSERT_EQ(d.queue_commands.size(), 64u);
  EXPECT_EQ(d.queue_commands[63], 63u);
}

TEST(ApplyIoctl, RefusesAnswersThatCannotBeRightAndChangesNothing) {
  struct Bad {
    void (*spoil)(Answer&);
    std::string why;
  };
  const Bad bad[] = {
      {[](Answer& a) { a.info.send_mode = 2; }, "XFERBLK_IOC_INFO: unknown send mode 2"},
      {[](Answer& a) { a.info.queue_mode = 7; }, "XFERBLK_IOC_INFO: unknown queue mode 7"},
      {[](Answer& a) { a.info.nr_queues = a.stats.nr_queues = 0; },
       "XFERBLK_IOC_STATS: 0 queues (1 to 64)"},
      {[](Answer& a) { a.info.nr_queues = a.stats.nr_queues = 65; },
       "XFERBLK_IOC_STATS: 65 queues (1 to 64)"},
      {[](Answer& a) { a.info.nr_queues = 3; },
       "XFERBLK_IOC_INFO says 3 queues, XFERBLK_IOC_STATS 2"},
  };
  for (const Bad& b : bad) {
    Answer a;
    b.spoil(a);
    DiskInfo d = SysfsDisk();
    EXPECT_EQ(ApplyIoctl(a.info, a.stats, &d), b.why);
    EXPECT_EQ(d.source, "sysfs") << b.why;
    EXPECT_EQ(d.send_mode, "async") << b.why;
    EXPECT_EQ(d.queue_commands, (std::vector<uint64_t>{1, 2})) << b.why;
    EXPECT_FALSE(d.device) << b.why;
  }
}

TEST(OpenDevNode, NotWithoutADevFile) {
  FakeSysfs fake;
  fake.AddDisk(FakeDisk{});
  int err = 0;
  EXPECT_EQ(OpenDevNode(Sysfs(fake.root()), "xferblk0", &err), nullptr);
  EXPECT_EQ(err, ENOENT);
}

// /dev/NAME must be the block device NAME/dev names. Uses a block device the
// host has (a loop device) under a fake sysfs tree.
TEST(OpenDevNode, OnlyTheDeviceSysfsNames) {
  struct stat st;
  if (::stat("/dev/loop0", &st) != 0 || !S_ISBLK(st.st_mode)) GTEST_SKIP() << "no /dev/loop0";
  const std::string maj = std::to_string(major(st.st_rdev)),
                    min = std::to_string(minor(st.st_rdev));
  FakeSysfs fake;
  FakeDisk loop;
  loop.name = "loop0";
  loop.files["dev"] = maj + ":" + min + "\n";
  fake.AddDisk(loop);
  int err = -1;
  EXPECT_NE(OpenDevNode(Sysfs(fake.root()), "loop0", &err), nullptr);
  EXPECT_EQ(err, 0);

  FakeSysfs other;
  loop.files["dev"] = maj + ":" + std::to_string(minor(st.st_rdev) + 1) + "\n";
  other.AddDisk(loop);
  EXPECT_EQ(OpenDevNode(Sysfs(other.root()), "loop0", &err), nullptr);
  EXPECT_EQ(err, ENODEV);
}

TEST(OpenDevNode, NotACharacterDevice) {
  // /dev/null has a dev number, but is no block device.
  struct stat st;
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  FakeSysfs fake;
  FakeDisk null;
  null.name = "null";
  null.files["dev"] =
      std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev)) + "\n";
  fake.AddDisk(null);
  int err = 0;
  EXPECT_EQ(OpenDevNode(Sysfs(fake.root()), "null", &err), nullptr);
  EXPECT_EQ(err, ENODEV);
}

}  // namespace
}  // namespace xferctl
