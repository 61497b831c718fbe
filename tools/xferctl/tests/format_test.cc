// SPDX-License-Identifier: GPL-2.0-only
//
// Human and JSON output: exact text for a known disk, JSON that parses back
// to the same values, and every JSON key documented in 'xferctl list --help'.

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "args.hh"
#include "format.hh"
#include "json_check.hh"
#include "uapi/xferblk_hw.h"

namespace xferctl {
namespace {

using testing::Json;
using testing::Keys;
using testing::ParseJson;
using testing::U64;

// A disk built by hand, so these tests do not depend on the sysfs reader.
DiskInfo MakeDisk() {
  DiskInfo d;
  d.name = "xferblk1";
  d.pci_address = "0000:00:05.0";
  d.size_sectors = 2097152;  // 1 GiB
  d.logical_block_size = 4096;
  d.physical_block_size = 4096;
  const std::vector<std::optional<uint64_t>> limits = {64, 64,   8,       65536, std::nullopt,
                                                       0,  4095, 1048576, 4096,  0};
  for (size_t i = 0; i < kLimits.size(); i++)
    d.limits.push_back({std::string(kLimits[i].name), limits[i], kLimits[i].hex});
  d.queue_commands = {5, 7, 0, 12};
  d.send_mode = "sync";
  uint64_t v = 100;
  for (std::string_view name : kDriverCounters)
    d.driver_counters.push_back({std::string(name), v++});
  v = 1000;
  for (std::string_view name : kDeviceCounters)
    d.device_counters.push_back({std::string(name), v++});
  d.dev_status = {24, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  d.children_hist = {3, 0, 1, 0, 0, 0, 0, 0, 0, 123456789};
  return d;
}

// The same disk as read through the ioctls: with the device's description.
DiskInfo MakeIoctlDisk() {
  DiskInfo d = MakeDisk();
  d.source = "ioctl";
  d.queue_mode = "bio";
  DeviceInfo dev;
  dev.version_major = 1;
  dev.version_minor = 2;
  dev.capacity_blocks = 262144;
  dev.block_size = 4096;
  dev.max_transfer = 65536;
  dev.max_segments = 8;
  dev.max_segment_size = 65536;
  dev.seg_boundary = 0xffff;
  dev.max_discard_blocks = 256;
  dev.max_write_zeroes_blocks = 0;
  dev.features = XFERBLK_FEAT_WRITE_CACHE | XFERBLK_FEAT_FUA | XFERBLK_FEAT_ABORT | (1u << 9);
  dev.nr_queues = 4;
  dev.queue_depth = 128;
  d.device = dev;
  return d;
}

ModuleInfo MakeModule() {
  ModuleInfo m;
  m.loaded = true;
  m.split = true;
  m.send_mode = "async";
  m.timeout_ms = 30000;
  m.queue_depth = 128;
  return m;
}

TEST(Format, HumanBytes) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1024), "1 KiB");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(268435456), "256 MiB");
  EXPECT_EQ(HumanBytes(3ULL << 30), "3 GiB");
  EXPECT_EQ(HumanBytes((1ULL << 40) + (1ULL << 39)), "1.5 TiB");
  EXPECT_EQ(HumanBytes(UINT64_MAX), "16.0 EiB");
}

constexpr std::string_view kDiskHuman =
    R"(xferblk1  PCI 0000:00:05.0
  capacity         1 GiB (1073741824 bytes, 2097152 sectors of 512 B)
  block size       4096 logical, 4096 physical
  limits           max_hw_sectors_kb 64, max_sectors_kb 64, max_segments 8, max_segment_size 65536,
                   seg_boundary_mask -, virt_boundary_mask 0x0, dma_alignment 0xfff,
                   discard_max_hw_bytes 1048576, discard_granularity 4096, write_zeroes_max_bytes 0
  queues           4 (commands per queue: 5 7 0 12)
  send mode        sync
  driver counters  parents 100, children 101, errors 102, rejected 103, bogus_completions 104,
                   unsendable 105, parent_errors 106, cancelled 107, timeouts 108, resets 109
  device counters  dev_commands 1000, dev_completed 1001, dev_reads 1002, dev_writes 1003,
                   dev_bytes_read 1004, dev_bytes_written 1005, dev_segments 1006,
                   dev_max_inflight 1007, dev_rejected 1008, dev_flushes 1009, dev_fua_writes 1010,
                   dev_discards 1011, dev_write_zeroes 1012, dev_aborts 1013, dev_faults 1014
  device statuses  OK 24, INVALID_OPCODE 1, INVALID_FIELD 2, LBA_RANGE 3, XFER_TOO_LARGE 4,
                   TOO_MANY_SEGS 5, SEG_TOO_LARGE 6, SEG_BOUNDARY 7, DMA_ERROR 8, MEDIA_ERROR 9,
                   ABORTED 10
  children/parent  1  2  3-4  5-8  9-16  17-32  33-64  65-128  129-256  257+
  parents          3  0  1    0    0     0      0      0       0        123456789
)";

TEST(Format, DiskHumanExact) { EXPECT_EQ(FormatDiskHuman(MakeDisk()), kDiskHuman); }

TEST(Format, HumanLinesFitInOneHundredColumns) {
  std::istringstream in(FormatListHuman(MakeModule(), {MakeDisk(), MakeDisk()}));
  for (std::string line; std::getline(in, line);) EXPECT_LE(line.size(), 100u) << line;
}

TEST(Format, HumanWithoutOptionalValues) {
  DiskInfo d = MakeDisk();
  d.pci_address.reset();
  d.physical_block_size.reset();
  std::string text = FormatDiskHuman(d);
  EXPECT_EQ(text.rfind("xferblk1  PCI -\n", 0), 0u) << text;
  EXPECT_NE(text.find("  block size       4096 logical, - physical\n"), std::string::npos);
}

TEST(Format, ListHuman) {
  EXPECT_EQ(FormatListHuman(MakeModule(), {}),
            "module xferblk: split Y, send_mode async (default for new disks), timeout_ms 30000, "
            "queue_depth 128\nno xferblk disks\n");
  EXPECT_EQ(FormatListHuman(ModuleInfo{}, {}), "module xferblk: not loaded\nno xferblk disks\n");
  std::string two = FormatListHuman(MakeModule(), {MakeDisk(), MakeDisk()});
  EXPECT_EQ(two, FormatModuleHuman(MakeModule()) + "\n" + std::string(kDiskHuman) + "\n" +
                     std::string(kDiskHuman));
}

TEST(Format, SplitOffIsFlagged) {
  ModuleInfo m = MakeModule();
  m.split = false;
  EXPECT_NE(FormatModuleHuman(m).find("split N (tests only)"), std::string::npos);
}

// A disk with one queue and short tables, for an exact JSON comparison.
constexpr std::string_view kDiskJson = R"({
  "name": "xferblk1",
  "pci_address": "0000:00:05.0",
  "capacity_bytes": 1073741824,
  "capacity_sectors": 2097152,
  "logical_block_size": 4096,
  "physical_block_size": null,
  "limits": {
    "max_hw_sectors_kb": 64,
    "max_sectors_kb": 64,
    "max_segments": 8,
    "max_segment_size": 65536,
    "seg_boundary_mask": null,
    "virt_boundary_mask": 0,
    "dma_alignment": 4095,
    "discard_max_hw_bytes": 1048576,
    "discard_granularity": 4096,
    "write_zeroes_max_bytes": 0
  },
  "queue_count": 4,
  "queue_commands": [
    5,
    7,
    0,
    12
  ],
  "send_mode": "sync",
  "counters": {
    "parents": 100,
    "children": 101,
    "errors": 102,
    "rejected": 103,
    "bogus_completions": 104,
    "unsendable": 105,
    "parent_errors": 106,
    "cancelled": 107,
    "timeouts": 108,
    "resets": 109
  },
  "device_counters": {
    "dev_commands": 1000,
    "dev_completed": 1001,
    "dev_reads": 1002,
    "dev_writes": 1003,
    "dev_bytes_read": 1004,
    "dev_bytes_written": 1005,
    "dev_segments": 1006,
    "dev_max_inflight": 1007,
    "dev_rejected": 1008,
    "dev_flushes": 1009,
    "dev_fua_writes": 1010,
    "dev_discards": 1011,
    "dev_write_zeroes": 1012,
    "dev_aborts": 1013,
    "dev_faults": 1014
  },
  "dev_status": {
    "OK": 24,
    "INVALID_OPCODE": 1,
    "INVALID_FIELD": 2,
    "LBA_RANGE": 3,
    "XFER_TOO_LARGE": 4,
    "TOO_MANY_SEGS": 5,
    "SEG_TOO_LARGE": 6,
    "SEG_BOUNDARY": 7,
    "DMA_ERROR": 8,
    "MEDIA_ERROR": 9,
    "ABORTED": 10
  },
  "children_hist": {
    "1": 3,
    "2": 0,
    "3-4": 1,
    "5-8": 0,
    "9-16": 0,
    "17-32": 0,
    "33-64": 0,
    "65-128": 0,
    "129-256": 0,
    "257+": 123456789
  },
  "queue_mode": null,
  "source": "sysfs",
  "device": null
}
)";

TEST(Format, DiskJsonExact) {
  DiskInfo d = MakeDisk();
  d.physical_block_size.reset();
  EXPECT_EQ(FormatDiskJson(d), kDiskJson);
}

// Without debugfs (not root) the tables are null in JSON and "needs root" for people.
TEST(Format, DiskWithoutTables) {
  DiskInfo d = MakeDisk();
  d.tables = false;
  d.queue_commands.clear();
  d.dev_status.clear();
  d.children_hist.clear();
  const Json j = ParseJson(FormatDiskJson(d));
  for (const char* t : {"queue_count", "queue_commands", "dev_status", "children_hist"})
    EXPECT_TRUE(j.at(t).is_null()) << t;
  EXPECT_EQ(U64(j.at("counters").at("parents")),
            U64(ParseJson(FormatDiskJson(MakeDisk())).at("counters").at("parents")));
  const std::string human = FormatDiskHuman(d);
  EXPECT_NE(human.find("queues           - (in debugfs: needs root)"), std::string::npos) << human;
  EXPECT_NE(human.find("children/parent  - (in debugfs: needs root)"), std::string::npos) << human;
}

TEST(Format, DiskJsonParsesBackToTheSameValues) {
  const DiskInfo d = MakeDisk();
  const Json j = ParseJson(FormatDiskJson(d));
  EXPECT_EQ(j.at("name").get<std::string>(), "xferblk1");
  EXPECT_EQ(j.at("pci_address").get<std::string>(), "0000:00:05.0");
  EXPECT_EQ(U64(j.at("capacity_bytes")), 1073741824u);
  EXPECT_EQ(U64(j.at("capacity_sectors")), 2097152u);
  EXPECT_EQ(U64(j.at("logical_block_size")), 4096u);
  EXPECT_EQ(U64(j.at("physical_block_size")), 4096u);
  for (const Limit& l : d.limits) {
    if (l.value)
      EXPECT_EQ(U64(j.at("limits").at(l.name)), *l.value) << l.name;
    else
      EXPECT_TRUE(j.at("limits").at(l.name).is_null()) << l.name;
  }
  EXPECT_EQ(U64(j.at("queue_count")), 4u);
  ASSERT_TRUE(j.at("queue_commands").is_array());
  ASSERT_EQ(j.at("queue_commands").size(), 4u);
  for (size_t i = 0; i < 4; i++) EXPECT_EQ(U64(j.at("queue_commands").at(i)), d.queue_commands[i]);
  EXPECT_EQ(j.at("send_mode").get<std::string>(), "sync");
  ASSERT_EQ(Keys(j.at("counters")).size(), kDriverCounters.size());
  for (const Counter& c : d.driver_counters) EXPECT_EQ(U64(j.at("counters").at(c.name)), c.value);
  ASSERT_EQ(Keys(j.at("device_counters")).size(), kDeviceCounters.size());
  for (const Counter& c : d.device_counters)
    EXPECT_EQ(U64(j.at("device_counters").at(c.name)), c.value);
  ASSERT_EQ(Keys(j.at("dev_status")).size(), kStatusCount);
  for (unsigned s = 0; s < kStatusCount; s++)
    EXPECT_EQ(U64(j.at("dev_status").at(std::string(StatusName(s)))), d.dev_status[s]);
  const std::vector<std::string> hist = Keys(j.at("children_hist"));
  ASSERT_EQ(hist.size(), kHistLabels.size());
  for (size_t i = 0; i < kHistLabels.size(); i++) {
    EXPECT_EQ(hist[i], kHistLabels[i]);
    EXPECT_EQ(U64(j.at("children_hist").at(hist[i])), d.children_hist[i]);
  }
}

TEST(Format, LargeCountersSurviveExactly) {
  DiskInfo d = MakeDisk();
  d.device_counters[0].value = UINT64_MAX;
  const Json j = ParseJson(FormatDiskJson(d));
  EXPECT_EQ(U64(j.at("device_counters").at("dev_commands")), UINT64_MAX);
  EXPECT_NE(FormatDiskJson(d).find("\"dev_commands\": 18446744073709551615,"), std::string::npos);
}

TEST(Format, ListJson) {
  const Json j = ParseJson(FormatListJson(MakeModule(), {MakeDisk(), MakeDisk()}));
  EXPECT_EQ(Keys(j), (std::vector<std::string>{"module", "disks"}));
  const Json& m = j.at("module");
  EXPECT_TRUE(m.at("loaded").is_boolean());
  EXPECT_TRUE(m.at("loaded").get<bool>());
  EXPECT_TRUE(m.at("split").get<bool>());
  EXPECT_EQ(m.at("send_mode").get<std::string>(), "async");
  EXPECT_EQ(U64(m.at("timeout_ms")), 30000u);
  EXPECT_EQ(U64(m.at("queue_depth")), 128u);
  ASSERT_TRUE(j.at("disks").is_array());
  ASSERT_EQ(j.at("disks").size(), 2u);
  EXPECT_EQ(j.at("disks").at(1).at("name").get<std::string>(), "xferblk1");
}

TEST(Format, ListJsonEmptyAndModuleNotLoaded) {
  EXPECT_EQ(FormatListJson(ModuleInfo{}, {}),
            "{\n  \"module\": {\n    \"loaded\": false,\n    \"split\": null,\n"
            "    \"send_mode\": null,\n    \"timeout_ms\": null,\n    \"queue_depth\": null,\n"
            "    \"queue_mode\": null\n  },\n  \"disks\": []\n}\n");
  const Json j = ParseJson(FormatListJson(ModuleInfo{}, {}));
  EXPECT_TRUE(j.at("disks").is_array());
  EXPECT_TRUE(j.at("disks").empty());
  EXPECT_TRUE(j.at("module").at("timeout_ms").is_null());
}

TEST(Format, JsonEscapesStrings) {
  DiskInfo d = MakeDisk();
  d.send_mode = "we\"ird\n";
  EXPECT_EQ(ParseJson(FormatDiskJson(d)).at("send_mode").get<std::string>(), "we\"ird\n");
  // Quotes and backslashes escaped, \n and \t by name, other control
  // characters as \u00XX.
  d.send_mode = "a\"b\\c\nd\te\x01";
  const std::string text = FormatDiskJson(d);
  EXPECT_NE(text.find(R"("send_mode": "a\"b\\c\nd\te\u0001",)"), std::string::npos) << text;
  EXPECT_EQ(ParseJson(text).at("send_mode").get<std::string>(), d.send_mode);
}

// Every key xferctl emits must be in the key list of 'xferctl list --help'.
void CollectKeys(const Json& v, std::set<std::string>& keys) {
  if (v.is_object())
    for (auto it = v.begin(); it != v.end(); ++it) keys.insert(it.key());
  if (v.is_structured())
    for (const Json& item : v) CollectKeys(item, keys);
}

TEST(Format, EveryJsonKeyIsDocumented) {
  std::set<std::string> keys;
  ModuleInfo m = MakeModule();
  m.queue_mode = "bio";
  CollectKeys(ParseJson(FormatListJson(m, {MakeDisk(), MakeIoctlDisk()})), keys);
  EXPECT_GT(keys.size(), 75u);
  const std::string help = HelpText("list");
  for (const std::string& k : keys)
    EXPECT_NE(help.find("\"" + k + "\""), std::string::npos) << "undocumented JSON key " << k;
}

TEST(Format, FeatureNames) {
  EXPECT_EQ(FeatureNames(0), std::vector<std::string>{});
  EXPECT_EQ(FeatureNames(XFERBLK_FEAT_WRITE_CACHE | XFERBLK_FEAT_FUA | XFERBLK_FEAT_DISCARD |
                         XFERBLK_FEAT_WRITE_ZEROES | XFERBLK_FEAT_ABORT),
            (std::vector<std::string>{"write_cache", "fua", "discard", "write_zeroes", "abort"}));
  EXPECT_EQ(FeatureNames(XFERBLK_FEAT_DISCARD | 1u << 31),
            (std::vector<std::string>{"discard", "bit31"}));
}

TEST(Format, DiskJsonFromTheIoctls) {
  const Json j = ParseJson(FormatDiskJson(MakeIoctlDisk()));
  EXPECT_EQ(j.at("source").get<std::string>(), "ioctl");
  EXPECT_EQ(j.at("queue_mode").get<std::string>(), "bio");
  const Json& dev = j.at("device");
  EXPECT_EQ(Keys(dev), (std::vector<std::string>{
                           "version", "capacity_blocks", "block_size", "max_transfer",
                           "max_segments", "max_segment_size", "seg_boundary", "max_discard_blocks",
                           "max_write_zeroes_blocks", "features", "nr_queues", "queue_depth"}));
  EXPECT_EQ(dev.at("version").get<std::string>(), "1.2");
  EXPECT_EQ(U64(dev.at("capacity_blocks")), 262144u);
  EXPECT_EQ(U64(dev.at("block_size")), 4096u);
  EXPECT_EQ(U64(dev.at("max_transfer")), 65536u);
  EXPECT_EQ(U64(dev.at("max_segments")), 8u);
  EXPECT_EQ(U64(dev.at("max_segment_size")), 65536u);
  EXPECT_EQ(U64(dev.at("seg_boundary")), 0xffffu);
  EXPECT_EQ(U64(dev.at("max_discard_blocks")), 256u);
  EXPECT_EQ(U64(dev.at("max_write_zeroes_blocks")), 0u);
  ASSERT_TRUE(dev.at("features").is_array());
  EXPECT_EQ(dev.at("features").get<std::vector<std::string>>(),
            (std::vector<std::string>{"write_cache", "fua", "abort", "bit9"}));
  EXPECT_EQ(U64(dev.at("nr_queues")), 4u);
  EXPECT_EQ(U64(dev.at("queue_depth")), 128u);
  EXPECT_NE(FormatDiskJson(MakeIoctlDisk()).find(R"(    "features": [
      "write_cache",
      "fua",
      "abort",
      "bit9"
    ],
)"),
            std::string::npos);
}

TEST(Format, HumanFromTheIoctls) {
  const std::string text = FormatDiskHuman(MakeIoctlDisk());
  EXPECT_NE(text.find("write_zeroes_max_bytes 0\n"
                      "  device           version 1.2, capacity_blocks 262144, block_size 4096, "
                      "max_transfer 65536,\n"
                      "                   max_segments 8, max_segment_size 65536, seg_boundary "
                      "0xffff,\n"
                      "                   max_discard_blocks 256, max_write_zeroes_blocks 0,\n"
                      "                   features write_cache fua abort bit9, nr_queues 4, "
                      "queue_depth 128\n"
                      "  queues           4"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  send mode        sync\n  queue mode       bio\n"), std::string::npos)
      << text;
  // Read through sysfs, neither line appears.
  const std::string plain = FormatDiskHuman(MakeDisk());
  EXPECT_EQ(plain.find("\n  device      "), std::string::npos);
  EXPECT_EQ(plain.find("queue mode"), std::string::npos);
}

TEST(Format, ModuleQueueMode) {
  ModuleInfo m = MakeModule();
  m.queue_mode = "mq";
  EXPECT_NE(FormatModuleHuman(m).find(", queue_depth 128, queue_mode mq\n"), std::string::npos);
  EXPECT_EQ(ParseJson(FormatListJson(m, {})).at("module").at("queue_mode").get<std::string>(),
            "mq");
}

// Two volumes built by hand: one powered (a mirror with a failed leg), one
// off.
std::vector<VolumeInfo> MakeVolumes() {
  VolumeInfo on;
  on.name = "mirror0";
  on.powered = true;
  on.disk = "xferblk5";
  on.layout = "mirror";
  on.chunk_size = 65536;
  on.targets = {{"pci:0000:00:04.0", TargetState{"xferblk0", true, 1200, 0}},
                {"/dev/vdb", TargetState{"vdb", false, 17, 123456}}};
  on.degraded = 1;
  uint64_t v = 10;
  for (std::string_view name : kVolumeCounters) on.counters.push_back({std::string(name), v++});
  VolumeInfo off;
  off.name = "scratch";
  off.layout = "stripe";
  off.chunk_size = 131072;
  off.targets = {{"pci:0000:00:05.0", std::nullopt}, {"pci:0000:00:06.0", std::nullopt}};
  return {on, off};
}

constexpr std::string_view kVolumesHuman =
    R"(mirror0  powered on, disk xferblk5
  layout           mirror, chunk size 64 KiB
  targets          #  target            device    state   children  errors
                   0  pci:0000:00:04.0  xferblk0  live    1200      0
                   1  /dev/vdb          vdb       failed  17        123456
  counters         degraded 1, parents 10, parent_errors 11, read_retries 12, legs_failed 13

scratch  powered off
  layout           stripe, chunk size 128 KiB
  targets          #  target
                   0  pci:0000:00:05.0
                   1  pci:0000:00:06.0
)";

TEST(FormatVolumes, HumanExact) { EXPECT_EQ(FormatVolumesHuman(MakeVolumes()), kVolumesHuman); }

TEST(FormatVolumes, HumanNoneAndNoTargets) {
  EXPECT_EQ(FormatVolumesHuman({}), "no xferblk volumes\n");
  VolumeInfo v;
  v.name = "empty";
  v.layout = "single";
  v.chunk_size = 65536;
  EXPECT_EQ(FormatVolumesHuman({v}),
            "empty  powered off\n"
            "  layout           single, chunk size 64 KiB\n"
            "  targets          none\n");
}

constexpr std::string_view kVolumesJson = R"({
  "volumes": [
    {
      "name": "mirror0",
      "powered": true,
      "disk": "xferblk5",
      "layout": "mirror",
      "chunk_size": 65536,
      "targets": [
        {
          "spec": "pci:0000:00:04.0",
          "device": "xferblk0",
          "state": "live",
          "children": 1200,
          "errors": 0
        },
        {
          "spec": "/dev/vdb",
          "device": "vdb",
          "state": "failed",
          "children": 17,
          "errors": 123456
        }
      ],
      "degraded": 1,
      "counters": {
        "parents": 10,
        "parent_errors": 11,
        "read_retries": 12,
        "legs_failed": 13
      }
    },
    {
      "name": "scratch",
      "powered": false,
      "disk": null,
      "layout": "stripe",
      "chunk_size": 131072,
      "targets": [
        {
          "spec": "pci:0000:00:05.0",
          "device": null,
          "state": null,
          "children": null,
          "errors": null
        },
        {
          "spec": "pci:0000:00:06.0",
          "device": null,
          "state": null,
          "children": null,
          "errors": null
        }
      ],
      "degraded": null,
      "counters": null
    }
  ]
}
)";

TEST(FormatVolumes, JsonExact) { EXPECT_EQ(FormatVolumesJson(MakeVolumes()), kVolumesJson); }

TEST(FormatVolumes, JsonNone) { EXPECT_EQ(FormatVolumesJson({}), "{\n  \"volumes\": []\n}\n"); }

TEST(FormatVolumes, EveryJsonKeyIsDocumented) {
  std::set<std::string> keys;
  CollectKeys(ParseJson(FormatVolumesJson(MakeVolumes())), keys);
  EXPECT_EQ(keys.size(), 18u);
  const std::string help = HelpText("volumes");
  for (const std::string& k : keys)
    EXPECT_NE(help.find("\"" + k + "\""), std::string::npos) << "undocumented JSON key " << k;
}

TEST(FormatVolumes, HumanLinesFitInOneHundredColumns) {
  std::istringstream in(FormatVolumesHuman(MakeVolumes()));
  for (std::string line; std::getline(in, line);) EXPECT_LE(line.size(), 100u) << line;
}

}  // namespace
}  // namespace xferctl
