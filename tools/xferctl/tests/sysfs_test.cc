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
using testing::FakeVolume;

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

// A powered volume's disk is named like a PCI disk but has volume/ in place
// of xferblk/: not listed, not readable as one, and known for what it is.
TEST(ListDisks, SkipsVolumeDisks) {
  FakeSysfs fake;
  fake.AddDisk(FakeDisk{});
  FakeVolume v;
  v.disk = "xferblk1";
  fake.AddVolume(v);
  Sysfs sys(fake.root());
  EXPECT_EQ(sys.ListDisks(), std::vector<std::string>{"xferblk0"});
  EXPECT_FALSE(sys.HasDisk("xferblk1"));
  EXPECT_TRUE(sys.IsVolumeDisk("xferblk1"));
  EXPECT_FALSE(sys.IsVolumeDisk("xferblk0"));
  ExpectReadError(sys, "xferblk1", "no xferblk disk xferblk1");
}

TEST(ListDisks, NoBlockDirectory) {
  FakeSysfs fake;
  std::filesystem::remove(fake.root() / "block");
  EXPECT_TRUE(Sysfs(fake.root()).ListDisks().empty());
}

TEST(ListVolumes, ByNameDirectoriesOnly) {
  FakeSysfs fake;
  Sysfs sys(fake.root());
  EXPECT_TRUE(sys.ListVolumes().empty());  // no configfs directory
  for (const char* name : {"zeta", "alpha", "mid"}) {
    FakeVolume v;
    v.name = name;
    fake.AddVolume(v);
  }
  FakeSysfs::Write(sys.VolumesDir() / "stray-file", "");
  EXPECT_EQ(sys.ListVolumes(), (std::vector<std::string>{"alpha", "mid", "zeta"}));
  EXPECT_TRUE(sys.HasVolume("mid"));
  EXPECT_FALSE(sys.HasVolume("stray-file"));
  EXPECT_EQ(sys.VolumeDir("mid"), fake.root() / "kernel/config/xferblk/mid");
}

TEST(ReadVolume, PoweredOff) {
  FakeSysfs fake;
  FakeVolume fv;
  fv.layout = "mirror";
  fv.chunk_size = "4096";
  fake.AddVolume(fv);
  VolumeInfo v = Sysfs(fake.root()).ReadVolume("data");
  EXPECT_EQ(v.name, "data");
  EXPECT_FALSE(v.powered);
  EXPECT_EQ(v.disk, std::nullopt);
  EXPECT_EQ(v.layout, "mirror");
  EXPECT_EQ(v.chunk_size, 4096u);
  ASSERT_EQ(v.targets.size(), 2u);
  EXPECT_EQ(v.targets[0].spec, "pci:0000:00:04.0");
  EXPECT_EQ(v.targets[1].spec, "/dev/vdb");
  EXPECT_FALSE(v.targets[0].state);
  EXPECT_EQ(v.degraded, std::nullopt);
  EXPECT_TRUE(v.counters.empty());
}

TEST(ReadVolume, PoweredWithItsDisksState) {
  FakeSysfs fake;
  FakeVolume fv;
  fv.disk = "xferblk3";
  fv.files["degraded"] = "1\n";
  fake.AddVolume(fv);
  VolumeInfo v = Sysfs(fake.root()).ReadVolume("data");
  EXPECT_TRUE(v.powered);
  EXPECT_EQ(v.disk, "xferblk3");
  EXPECT_EQ(v.layout, "stripe");
  EXPECT_EQ(v.chunk_size, 65536u);
  ASSERT_EQ(v.targets.size(), 2u);
  ASSERT_TRUE(v.targets[0].state);
  ASSERT_TRUE(v.targets[1].state);
  EXPECT_EQ(v.targets[0].spec, "pci:0000:00:04.0");
  EXPECT_EQ(v.targets[0].state->device, "xferblk0");
  EXPECT_TRUE(v.targets[0].state->live);
  EXPECT_EQ(v.targets[0].state->children, 1200u);
  EXPECT_EQ(v.targets[0].state->errors, 0u);
  EXPECT_EQ(v.targets[1].state->device, "vdb");
  EXPECT_FALSE(v.targets[1].state->live);
  EXPECT_EQ(v.targets[1].state->children, 1199u);
  EXPECT_EQ(v.targets[1].state->errors, 3u);
  EXPECT_EQ(v.degraded, 1u);
  ASSERT_EQ(v.counters.size(), kVolumeCounters.size());
  for (size_t i = 0; i < kVolumeCounters.size(); i++)
    EXPECT_EQ(v.counters[i].name, kVolumeCounters[i]);
  ExpectCounters(v.counters,
                 {{"parents", 512}, {"parent_errors", 1}, {"read_retries", 2}, {"legs_failed", 3}});
}

TEST(ReadVolume, NoTargetsYet) {
  FakeSysfs fake;
  FakeVolume fv;
  fv.targets.clear();
  fake.AddVolume(fv);
  EXPECT_TRUE(Sysfs(fake.root()).ReadVolume("data").targets.empty());
}

// Expects ReadVolume to throw a SysfsError whose message contains needle.
void ExpectVolumeError(const FakeSysfs& fake, const std::string& needle) {
  try {
    Sysfs(fake.root()).ReadVolume("data");
    ADD_FAILURE() << "ReadVolume succeeded, expected an error containing " << needle;
  } catch (const SysfsError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(ReadVolume, ErrorsNameTheFile) {
  const std::string disk_targets = "/block/xferblk3/volume/targets: ";
  struct Case {
    std::string file;  // in the volume's configfs directory, or "volume/NAME" of its disk
    std::string text;  // "": removed
    std::string needle;
  };
  for (const Case& c : std::vector<Case>{
           {"power", "2\n", "/kernel/config/xferblk/data/power: not 0 or 1: '2'"},
           {"power", "", "data/power: No such file or directory"},
           {"chunk_size", "big\n", "data/chunk_size: not a number: 'big'"},
           {"disk", "\n", "data/disk: not the name of an xferblk disk: '' (power is 1)"},
           {"disk", "../../etc\n", "not the name of an xferblk disk: '../../etc'"},
           {"disk", "xferblk9\n", "the disk of volume data, xferblk9, has no "},
           {"volume/degraded", "", "volume/degraded: No such file or directory"},
           {"volume/parents", "x\n", "volume/parents: not a number: 'x'"},
           {"volume/targets", "0 pci:0000:00:04.0 xferblk0 live 1200 0\n",
            disk_targets + "1 targets, configfs has 2"},
           {"volume/targets", "0 pci:0000:00:04.0 xferblk0 live 1200 0\n1 /dev/vdc vdc live 1 0\n",
            disk_targets + "line 2 is not '1 /dev/vdb DEVICE live|failed CHILDREN ERRORS'"},
           {"volume/targets", "1 pci:0000:00:04.0 xferblk0 live 1200 0\n0 /dev/vdb vdb live 1 0\n",
            disk_targets + "line 1 is not '0 pci:0000:00:04.0 "},
           {"volume/targets", "0 pci:0000:00:04.0 xferblk0 dead 1200 0\n1 /dev/vdb vdb live 1 0\n",
            "line 1 is not"},
           {"volume/targets", "0 pci:0000:00:04.0 xferblk0 live -1 0\n1 /dev/vdb vdb live 1 0\n",
            "line 1 is not"},
           {"volume/targets", "0 pci:0000:00:04.0 xferblk0 live 1 0 7\n1 /dev/vdb vdb live 1 0\n",
            "line 1 is not"},
       }) {
    SCOPED_TRACE(c.file + " = '" + c.text + "'");
    FakeSysfs fake;
    FakeVolume fv;
    fv.disk = "xferblk3";
    fake.AddVolume(fv);
    const std::filesystem::path p = c.file.starts_with("volume/")
                                        ? fake.root() / "block/xferblk3" / c.file
                                        : fake.VolumeDir("data") / c.file;
    if (c.text.empty())
      std::filesystem::remove(p);
    else
      FakeSysfs::Write(p, c.text);
    ExpectVolumeError(fake, c.needle);
  }
}

TEST(ReadVolume, DiskShownWhilePoweredOffIsAnError) {
  FakeSysfs fake;
  fake.AddVolume(FakeVolume{});
  FakeSysfs::Write(fake.VolumeDir("data") / "disk", "xferblk3\n");
  ExpectVolumeError(fake, "data/disk: 'xferblk3', but power is 0");
}

TEST(ReadVolume, UnknownVolume) {
  FakeSysfs fake;
  ExpectVolumeError(fake,
                    "no volume data (" + fake.VolumeDir("data").string() + " does not exist)");
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
