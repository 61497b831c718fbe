// SPDX-License-Identifier: GPL-2.0-only
//
// Limits and counters from a fake sysfs tree.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "sysfs.hh"

namespace xferio {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

class SysfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "xferio_sysfs_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Write(const std::string& rel, const std::string& text) {
    std::string path = root_ + "/" + rel;
    for (size_t slash = path.find('/', root_.size() + 1); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      mkdir(path.substr(0, slash).c_str(), 0755);
    }
    std::ofstream(path) << text;
  }

  void WriteQueue(const std::string& dir) {
    Write(dir + "/queue/logical_block_size", "512\n");
    Write(dir + "/queue/max_hw_sectors_kb", "64\n");
    Write(dir + "/queue/max_segments", "8\n");
    Write(dir + "/queue/max_segment_size", "65536\n");
  }

  std::string root_;
};

TEST_F(SysfsTest, ReadsTheQueueLimits) {
  WriteQueue("disk");
  auto limits = ReadDeviceLimits(root_ + "/disk");
  ASSERT_TRUE(limits.ok()) << limits.error();
  EXPECT_EQ(limits->logical_block_size, 512u);
  EXPECT_EQ(limits->max_hw_bytes, 65536u);
  EXPECT_EQ(limits->max_segments, 8u);
  EXPECT_EQ(limits->max_segment_size, 65536u);
}

TEST_F(SysfsTest, APartitionUsesItsDisksQueue) {
  WriteQueue("disk");
  Write("disk/part1/partition", "1\n");
  auto limits = ReadDeviceLimits(root_ + "/disk/part1");
  ASSERT_TRUE(limits.ok()) << limits.error();
  EXPECT_EQ(limits->max_hw_bytes, 65536u);
}

TEST_F(SysfsTest, MissingOrGarbledFilesAreNamed) {
  Write("disk/queue/logical_block_size", "512\n");
  auto missing = ReadDeviceLimits(root_ + "/disk");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error(), HasSubstr("cannot read " + root_ + "/disk/queue/max_hw_sectors_kb"));
  WriteQueue("disk");
  Write("disk/queue/max_segments", "lots\n");
  auto garbled = ReadDeviceLimits(root_ + "/disk");
  ASSERT_FALSE(garbled.ok());
  EXPECT_THAT(garbled.error(),
              HasSubstr("unexpected contents in " + root_ + "/disk/queue/max_segments: \"lots\""));
}

TEST_F(SysfsTest, DriverCountersAndTheirDelta) {
  EXPECT_TRUE(ReadDriverCounters(root_ + "/disk").empty()) << "not an xferblk disk";
  Write("disk/xferblk/parents", "10\n");
  Write("disk/xferblk/children", "25\n");
  Write("disk/xferblk/errors", "0\n");
  auto before = ReadDriverCounters(root_ + "/disk");
  EXPECT_THAT(before, ElementsAre(Pair("parents", 10), Pair("children", 25), Pair("errors", 0)));
  Write("disk/xferblk/parents", "14\n");
  Write("disk/xferblk/children", "45\n");
  auto after = ReadDriverCounters(root_ + "/disk");
  EXPECT_THAT(CounterDelta(before, after),
              ElementsAre(Pair("parents", 4), Pair("children", 20), Pair("errors", 0)));
}

TEST(SysfsDirFor, MajorMinor) { EXPECT_EQ(SysfsDirFor(makedev(252, 16)), "/sys/dev/block/252:16"); }

}  // namespace
}  // namespace xferio
