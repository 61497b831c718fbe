// SPDX-License-Identifier: GPL-2.0-only
//
// Reading a fake sysfs tree into DiskInfo/ModuleInfo, and the raw writes.

#include <gtest/gtest.h>

#include <cerrno>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fake_sysfs.hh"
#include "sysfs.hh"

namespace xferctl {
namespace {

using testing::FakeDisk;
using testing::FakeSysfs;

std::vector<uint64_t> V(std::initializer_list<uint64_t> v) { return v; }

uint64_t CounterValue(const std::vector<Counter>& cs, const std::string& name) {
  for (const Counter& c : cs)
    if (c.name == name) return c.value;
  ADD_FAILURE() << "no counter " << name;
  return 0;
}

// Each named counter has the value given.
void ExpectCounters(const std::vector<Counter>& cs,
                    std::initializer_list<std::pair<const char*, uint64_t>> want) {
  for (const auto& [name, value] : want) EXPECT_EQ(CounterValue(cs, name), value) << name;
}

const Limit& FindLimit(const DiskInfo& d, const std::string& name) {
  for (const Limit& l : d.limits)
    if (l.name == name) return l;
  throw std::runtime_error("no limit " + name);
}

// Expects ReadDisk to throw a SysfsError whose message contains needle.
void ExpectReadError(const Sysfs& sys, const std::string& disk, const std::string& needle) {
  try {
    sys.ReadDisk(disk);
    ADD_FAILURE() << "ReadDisk succeeded, expected an error containing " << needle;
  } catch (const SysfsError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Parse, U64) {
  EXPECT_EQ(ParseU64("0"), 0u);
  EXPECT_EQ(ParseU64("4096\n"), 4096u);
  EXPECT_EQ(ParseU64("  17 "), 17u);
  EXPECT_EQ(ParseU64("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(ParseU64("0xffffffff"), 0xffffffffu);
  EXPECT_EQ(ParseU64("0x"), std::nullopt);
  EXPECT_EQ(ParseU64("18446744073709551616"), std::nullopt);
  EXPECT_EQ(ParseU64(""), std::nullopt);
  EXPECT_EQ(ParseU64("-1"), std::nullopt);
  EXPECT_EQ(ParseU64("12a"), std::nullopt);
  EXPECT_EQ(ParseU64("1 2"), std::nullopt);
}

TEST(Parse, U64List) {
  EXPECT_EQ(ParseU64List("1 2 3\n"), V({1, 2, 3}));
  EXPECT_EQ(ParseU64List("42\n"), V({42}));
  EXPECT_EQ(ParseU64List("\n"), V({}));
  EXPECT_EQ(ParseU64List("1  2\t3"), V({1, 2, 3}));
  EXPECT_EQ(ParseU64List("1 x 3"), std::nullopt);
  EXPECT_EQ(ParseU64List("1 -2"), std::nullopt);
}

TEST(Status, NamesAsInTheSpec) {
  // docs/device-spec.md, "Status codes".
  const std::vector<std::string> spec = {"OK",
                                         "INVALID_OPCODE",
                                         "INVALID_FIELD",
                                         "LBA_RANGE",
                                         "XFER_TOO_LARGE",
                                         "TOO_MANY_SEGS",
                                         "SEG_TOO_LARGE",
                                         "SEG_BOUNDARY",
                                         "DMA_ERROR",
                                         "MEDIA_ERROR",
                                         "ABORTED"};
  ASSERT_EQ(kStatusCount, spec.size());
  for (unsigned s = 0; s < spec.size(); s++) EXPECT_EQ(StatusName(s), spec[s]) << s;
  EXPECT_EQ(StatusName(11), "");
  EXPECT_EQ(StatusName(~0u), "");
  for (unsigned s = 0; s < spec.size(); s++) EXPECT_EQ(IsRejection(s), s >= 1 && s <= 7) << s;
}

TEST(ReadDisk, EveryField) {
  FakeSysfs fake;
  fake.AddDisk(FakeDisk{});
  Sysfs sys(fake.root());
  DiskInfo d = sys.ReadDisk("xferblk0");

  EXPECT_EQ(d.name, "xferblk0");
  EXPECT_EQ(d.pci_address, "0000:00:04.0");
  EXPECT_EQ(d.size_sectors, 524288u);
  EXPECT_EQ(d.capacity_bytes(), 268435456u);
  EXPECT_EQ(d.logical_block_size, 512u);
  EXPECT_EQ(d.physical_block_size, 512u);

  ASSERT_EQ(d.limits.size(), kLimits.size());
  for (size_t i = 0; i < kLimits.size(); i++) EXPECT_EQ(d.limits[i].name, kLimits[i].name);
  const std::pair<const char*, std::optional<uint64_t>> limits[] = {
      {"max_hw_sectors_kb", 4},
      {"max_sectors_kb", 4},
      {"max_segments", 2},
      {"max_segment_size", 4096},
      {"seg_boundary_mask", std::nullopt},  // not in the fake
      {"virt_boundary_mask", 0},
      {"dma_alignment", 511},
      {"discard_max_hw_bytes", 65536},
      {"discard_granularity", 4096},
      {"write_zeroes_max_bytes", 131072},
  };
  for (const auto& [name, value] : limits) EXPECT_EQ(FindLimit(d, name).value, value) << name;
  EXPECT_TRUE(FindLimit(d, "seg_boundary_mask").hex);

  EXPECT_EQ(d.queue_commands, V({1000, 1048}));
  EXPECT_EQ(d.queue_count(), 2u);
  EXPECT_EQ(d.send_mode, "async");

  ASSERT_EQ(d.driver_counters.size(), kDriverCounters.size());
  ExpectCounters(d.driver_counters, {{"parents", 8},
                                     {"children", 2048},
                                     {"errors", 1},
                                     {"rejected", 2},
                                     {"bogus_completions", 3},
                                     {"unsendable", 4},
                                     {"parent_errors", 5},
                                     {"cancelled", 6},
                                     {"timeouts", 7},
                                     {"resets", 9}});
  ASSERT_EQ(d.device_counters.size(), kDeviceCounters.size());
  ExpectCounters(d.device_counters, {{"dev_commands", 2050},
                                     {"dev_completed", 2049},
                                     {"dev_bytes_written", 8388608},
                                     {"dev_max_inflight", 17},
                                     {"dev_faults", 16}});

  EXPECT_EQ(d.dev_status, V({2040, 0, 0, 0, 2, 0, 0, 0, 1, 0, 6}));
  EXPECT_EQ(d.children_hist, V({1, 0, 0, 0, 0, 0, 0, 0, 0, 7}));
}

TEST(ReadDisk, SegmentBoundaryWhenTheKernelExposesIt) {
  FakeSysfs fake;
  FakeDisk disk;
  disk.files["queue/seg_boundary_mask"] = "65535\n";
  fake.AddDisk(disk);
  DiskInfo d = Sysfs(fake.root()).ReadDisk("xferblk0");
  EXPECT_EQ(FindLimit(d, "seg_boundary_mask").value, 65535u);
}

TEST(ReadDisk, OptionalFilesMayBeMissing) {
  FakeSysfs fake;
  FakeDisk disk;
  disk.files.erase("queue/physical_block_size");
  disk.files.erase("queue/discard_max_hw_bytes");
  fake.AddDisk(disk);
  DiskInfo d = Sysfs(fake.root()).ReadDisk("xferblk0");
  EXPECT_EQ(d.physical_block_size, std::nullopt);
  EXPECT_EQ(FindLimit(d, "discard_max_hw_bytes").value, std::nullopt);
}

// An ordinary user cannot enter debugfs: the tables are left out, the rest is read.
TEST(ReadDisk, NoDebugfsLeavesTheTablesOut) {
  FakeSysfs fake;
  fake.AddDisk(FakeDisk{});
  std::filesystem::remove_all(fake.TableDir(FakeDisk{}));
  DiskInfo d = Sysfs(fake.root()).ReadDisk("xferblk0");
  EXPECT_FALSE(d.tables);
  EXPECT_TRUE(d.queue_commands.empty());
  EXPECT_TRUE(d.dev_status.empty());
  EXPECT_TRUE(d.children_hist.empty());
  EXPECT_EQ(d.send_mode, "async");
}

TEST(ReadDisk, NoDeviceLinkMeansNoPciAddress) {
  FakeSysfs fake;
  fake.AddDisk(FakeDisk{});
  std::filesystem::remove(fake.DiskDir(FakeDisk{}) / "device");
  DiskInfo d = Sysfs(fake.root()).ReadDisk("xferblk0");
  EXPECT_EQ(d.pci_address, std::nullopt);
}

TEST(ReadDisk, MissingRequiredFilesAreErrorsNamingTheFile) {
  for (const char* file :
       {"size", "queue/max_segments", "xferblk/parents", "xferblk/dev_faults", "xferblk/send_mode",
        "debugfs/queue_commands", "debugfs/dev_status", "debugfs/children_hist"}) {
    FakeSysfs fake;
    FakeDisk disk;
    disk.files.erase(file);
    fake.AddDisk(disk);
    std::string name = file;
    if (name.starts_with("debugfs/")) name = "xferblk0/" + name.substr(8);
    ExpectReadError(Sysfs(fake.root()), "xferblk0", name + ": No such file");
  }
}

TEST(ReadDisk, MalformedFilesAreErrors) {
  struct Case {
    const char* file;
    const char* text;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"size", "lots\n", "size: not a number: 'lots'"},
           {"xferblk/children", "-1\n", "children: not a number: '-1'"},
           {"queue/max_hw_sectors_kb", "\n", "max_hw_sectors_kb: not a number: ''"},
           {"debugfs/queue_commands", "1 two\n", "queue_commands: not a list of numbers"},
           {"debugfs/queue_commands", "\n", "queue_commands: no queues"},
           {"debugfs/children_hist", "1 2 3\n", "children_hist: 3 fields, xferctl knows 10"},
           {"debugfs/dev_status", "1 2 3 4 5 6 7 8 9 10\n",
            "dev_status: 10 fields, xferctl knows 11"},
       }) {
    FakeSysfs fake;
    FakeDisk disk;
    disk.files[c.file] = c.text;
    fake.AddDisk(disk);
    ExpectReadError(Sysfs(fake.root()), "xferblk0", c.error);
  }
}

TEST(ReadDisk, UnknownDisk) {
  FakeSysfs fake;
  fake.AddOtherDisk("vda");
  Sysfs sys(fake.root());
  EXPECT_FALSE(sys.HasDisk("xferblk0"));
  EXPECT_FALSE(sys.HasDisk("vda"));
  ExpectReadError(sys, "xferblk0", "no xferblk disk xferblk0");
  ExpectReadError(sys, "vda", "no xferblk disk vda");
}

TEST(ListDisks, OnlyXferblkDisksInNumberOrder) {
  FakeSysfs fake;
  for (const char* name : {"xferblk10", "xferblk2", "xferblk0"}) {
    FakeDisk d;
    d.name = name;
    d.pci = "0000:00:" + std::string(name).substr(7) + ".0";
    fake.AddDisk(d);
  }
  fake.AddOtherDisk("vda");
  fake.AddOtherDisk("xferblkfoo");
  fake.AddOtherDisk("xferblk9");  // the name, but not our driver's group
  Sysfs sys(fake.root());
  EXPECT_EQ(sys.ListDisks(), (std::vector<std::string>{"xferblk0", "xferblk2", "xferblk10"}));
  EXPECT_EQ(sys.ReadDisk("xferblk10").pci_address, "0000:00:10.0");
}

TEST(ListDisks, NoBlockDirectory) {
  FakeSysfs fake;
  std::filesystem::remove(fake.root() / "block");
  EXPECT_TRUE(Sysfs(fake.root()).ListDisks().empty());
}

TEST(ReadModule, NotLoaded) {
  FakeSysfs fake;
  ModuleInfo m = Sysfs(fake.root()).ReadModule();
  EXPECT_FALSE(m.loaded);
  EXPECT_EQ(m.split, std::nullopt);
  EXPECT_EQ(m.timeout_ms, std::nullopt);
}

TEST(ReadModule, Parameters) {
  FakeSysfs fake;
  fake.AddModule("2500");
  FakeSysfs::Write(fake.root() / "module/xferblk/parameters/split", "N\n");
  ModuleInfo m = Sysfs(fake.root()).ReadModule();
  EXPECT_TRUE(m.loaded);
  EXPECT_EQ(m.split, false);
  EXPECT_EQ(m.send_mode, "async");
  EXPECT_EQ(m.timeout_ms, 2500u);
  EXPECT_EQ(m.queue_depth, 128u);
}

TEST(ReadModule, BadSplitIsAnError) {
  FakeSysfs fake;
  fake.AddModule();
  FakeSysfs::Write(fake.root() / "module/xferblk/parameters/split", "maybe\n");
  EXPECT_THROW(Sysfs(fake.root()).ReadModule(), SysfsError);
}

TEST(WriteFile, WritesExistingFilesOnly) {
  FakeSysfs fake;
  std::filesystem::path p = fake.root() / "attr";
  FakeSysfs::Write(p, "async\n");
  Sysfs::WriteFile(p, "sync");
  EXPECT_EQ(FakeSysfs::Read(p), "sync");

  std::filesystem::path missing = fake.root() / "missing";
  try {
    Sysfs::WriteFile(missing, "1");
    ADD_FAILURE() << "wrote a missing file";
  } catch (const SysfsError& e) {
    EXPECT_EQ(e.errnum(), ENOENT);
  }
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST(WriteFile, ReportsTheWriteErrno) {
  // The refusal comes from write(2), as a sysfs store's error does.
  try {
    Sysfs::WriteFile("/dev/full", "1");
    ADD_FAILURE() << "/dev/full took a write";
  } catch (const SysfsError& e) {
    EXPECT_EQ(e.errnum(), ENOSPC);
    EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos);
  }
}

TEST(ReadFile, StopsAtASysfsSizedLimit) {
  // A wrong path to a device node must not be read forever.
  EXPECT_EQ(Sysfs::ReadFile("/dev/zero").size(), 64u * 1024);
  EXPECT_THROW(Sysfs::ReadFile("/nonexistent/xferctl"), SysfsError);
}

}  // namespace
}  // namespace xferctl
