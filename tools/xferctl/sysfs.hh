// SPDX-License-Identifier: GPL-2.0-only
//
// Reading xferblk disks and module parameters from sysfs into plain structs,
// and writing the attributes xferctl changes. The sysfs root is a parameter,
// so the tests can point it at a fake tree in a temporary directory.

#ifndef XFERCTL_SYSFS_HH_
#define XFERCTL_SYSFS_HH_

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "uapi/xferblk_hw.h"

namespace xferctl {

// Buckets of debugfs xferblk/DISK/children_hist (kmod/sysfs.c, docs/design.md).
inline constexpr std::array<std::string_view, 10> kHistLabels = {
    "1", "2", "3-4", "5-8", "9-16", "17-32", "33-64", "65-128", "129-256", "257+"};

// Driver counters: xferblk/<name>, in the order xferctl shows them.
inline constexpr std::array<std::string_view, 10> kDriverCounters = {
    "parents",    "children",      "errors",    "rejected", "bogus_completions",
    "unsendable", "parent_errors", "cancelled", "timeouts", "resets"};

// The device's own counters: xferblk/<name>.
inline constexpr std::array<std::string_view, 15> kDeviceCounters = {
    "dev_commands",      "dev_completed", "dev_reads",        "dev_writes",   "dev_bytes_read",
    "dev_bytes_written", "dev_segments",  "dev_max_inflight", "dev_rejected", "dev_flushes",
    "dev_fua_writes",    "dev_discards",  "dev_write_zeroes", "dev_aborts",   "dev_faults"};

// One queue limit: /sys/block/<disk>/queue/<name>.
struct LimitSpec {
  std::string_view name;
  bool required;  // every kernel has it; a missing one is an error
  bool hex;       // a mask: the human output shows it in hex
};

inline constexpr std::array<LimitSpec, 10> kLimits = {{
    {"max_hw_sectors_kb", true, false},
    {"max_sectors_kb", false, false},
    {"max_segments", true, false},
    {"max_segment_size", true, false},
    {"seg_boundary_mask", false, true},  // not exposed by Linux 6.12
    {"virt_boundary_mask", false, true},
    {"dma_alignment", false, true},
    {"discard_max_hw_bytes", false, false},
    {"discard_granularity", false, false},
    {"write_zeroes_max_bytes", false, false},
}};

inline constexpr size_t kStatusCount = XFERBLK_STS_NR;

// The name docs/device-spec.md gives status `code` ("OK", "XFER_TOO_LARGE",
// ...), or "" for a code the device does not define.
std::string_view StatusName(unsigned code);

// True for the statuses the spec calls rejections (the image is untouched).
bool IsRejection(unsigned code);

struct Counter {
  std::string name;
  uint64_t value = 0;
};

struct Limit {
  std::string name;
  std::optional<uint64_t> value;  // nullopt: the kernel does not expose it
  bool hex = false;
};

// What XFERBLK_IOC_INFO says about the device and the driver's use of it.
struct DeviceInfo {
  uint32_t version_major = 0;
  uint32_t version_minor = 0;
  uint64_t capacity_blocks = 0;  // logical blocks
  uint32_t block_size = 0;
  uint32_t max_transfer = 0;  // bytes per command
  uint32_t max_segments = 0;
  uint32_t max_segment_size = 0;
  uint64_t seg_boundary = 0;  // mask
  uint32_t max_discard_blocks = 0;
  uint32_t max_write_zeroes_blocks = 0;
  uint32_t features = 0;  // XFERBLK_FEAT_*
  uint32_t nr_queues = 0;
  uint32_t queue_depth = 0;
};

// The names of the XFERBLK_FEAT_* bits set in `features`, in bit order; a
// bit without a name is "bitN".
std::vector<std::string> FeatureNames(uint32_t features);

struct DiskInfo {
  std::string name;                        // "xferblk0"
  std::optional<std::string> pci_address;  // "0000:00:04.0", from the device link
  uint64_t size_sectors = 0;               // 512-byte sectors
  uint64_t logical_block_size = 0;
  std::optional<uint64_t> physical_block_size;
  std::vector<Limit> limits;              // kLimits, in order
  std::vector<uint64_t> queue_commands;   // one per queue
  std::string send_mode;                  // "async" or "sync"
  std::optional<std::string> queue_mode;  // "bio" or "mq"; nullopt: the driver does not say
  std::vector<Counter> driver_counters;   // kDriverCounters, in order
  std::vector<Counter> device_counters;   // kDeviceCounters, in order
  std::vector<uint64_t> dev_status;       // kStatusCount, indexed by status code
  std::vector<uint64_t> children_hist;    // kHistLabels.size(), in bucket order
  // Whether the three tables above were read: they live in debugfs, which
  // only root may enter; false leaves them empty.
  bool tables = true;
  // Where the driver counters, histogram, queues and modes come from:
  // "sysfs", or "ioctl" (one snapshot, with `device` from XFERBLK_IOC_INFO).
  std::string source = "sysfs";
  std::optional<DeviceInfo> device;

  uint64_t capacity_bytes() const { return size_sectors * 512; }
  size_t queue_count() const { return queue_commands.size(); }
};

// The counters of a powered volume's disk: /sys/block/<disk>/volume/<name>
// (kmod/volume_cfg.c), in the order xferctl shows them.
inline constexpr std::array<std::string_view, 4> kVolumeCounters = {"parents", "parent_errors",
                                                                    "read_retries", "legs_failed"};

// A powered volume's target: one line of /sys/block/<disk>/volume/targets.
struct TargetState {
  std::string device;  // the block device's name: "xferblk0", "vdb"
  bool live = true;    // false: a mirror leg that failed
  uint64_t children = 0;
  uint64_t errors = 0;
};

struct VolumeTarget {
  std::string spec;                  // as configured: "pci:0000:00:04.0", "/dev/vdb"
  std::optional<TargetState> state;  // powered volumes only
};

// A volume: configfs kernel/config/xferblk/<name>, and its disk's volume/
// group while it is powered.
struct VolumeInfo {
  std::string name;
  bool powered = false;
  std::optional<std::string> disk;  // "xferblkN" while powered
  std::string layout;               // "single", "linear", "stripe" or "mirror"
  uint64_t chunk_size = 0;          // bytes
  std::vector<VolumeTarget> targets;
  std::optional<uint64_t> degraded;  // powered: mirror legs failed now
  std::vector<Counter> counters;     // powered: kVolumeCounters, in order; else empty
};

struct ModuleInfo {
  bool loaded = false;  // /sys/module/xferblk exists
  std::optional<bool> split;
  std::optional<std::string> send_mode;
  std::optional<uint64_t> timeout_ms;
  std::optional<uint64_t> queue_depth;
  std::optional<std::string> queue_mode;  // for devices probed from now on
};

// A sysfs read or write that failed. errnum is 0 for a parse error.
class SysfsError : public std::runtime_error {
 public:
  SysfsError(const std::string& what, int errnum) : std::runtime_error(what), errnum_(errnum) {}
  int errnum() const { return errnum_; }

 private:
  int errnum_;
};

// Parses one sysfs number: decimal, or hex with 0x, surrounding whitespace
// allowed. nullopt for anything else.
std::optional<uint64_t> ParseU64(std::string_view text);

// Parses a line of space-separated numbers ("1 2 3\n"); nullopt if any field
// is not a number. An empty line is zero fields.
std::optional<std::vector<uint64_t>> ParseU64List(std::string_view text);

class Sysfs {
 public:
  explicit Sysfs(std::filesystem::path root = "/sys") : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path DiskDir(std::string_view disk) const;
  std::filesystem::path DiskAttr(std::string_view disk, std::string_view attr) const;
  // The counters that are tables live in debugfs: kernel/debug/xferblk/DISK/NAME.
  std::filesystem::path DiskTable(std::string_view disk, std::string_view name) const;
  std::filesystem::path ModuleDir() const;
  std::filesystem::path ModuleParam(std::string_view param) const;

  // The xferblk PCI disks (block/xferblkN with an xferblk/ group), by
  // number. A volume's disk has a volume/ group instead, and is not one.
  std::vector<std::string> ListDisks() const;
  bool HasDisk(std::string_view disk) const;
  bool IsVolumeDisk(std::string_view disk) const;  // block/DISK/volume exists

  // Volumes: configfs, mounted at ROOT/kernel/config, has a directory per
  // volume in xferblk/; a powered volume's disk has block/DISK/volume/.
  std::filesystem::path VolumesDir() const;
  std::filesystem::path VolumeDir(std::string_view volume) const;
  std::filesystem::path VolumeDiskAttr(std::string_view disk, std::string_view attr) const;
  // The volumes by name; none if VolumesDir() does not exist.
  std::vector<std::string> ListVolumes() const;
  bool HasVolume(std::string_view volume) const;

  // Throws SysfsError if the disk is missing or a required file is missing,
  // unreadable or malformed (the message names the file).
  DiskInfo ReadDisk(std::string_view disk) const;
  ModuleInfo ReadModule() const;
  // Throws SysfsError if the volume is missing, or a file of it (or, when
  // powered, of its disk's volume/ group) is missing, unreadable, malformed
  // or disagrees with the others (the message names the file).
  VolumeInfo ReadVolume(std::string_view volume) const;

  // The whole file, or throws SysfsError naming it and the errno text.
  static std::string ReadFile(const std::filesystem::path& path);

  // One write(2) of value to an existing attribute; throws SysfsError with
  // the errno of open or write. Nothing is created.
  static void WriteFile(const std::filesystem::path& path, std::string_view value);

 private:
  std::filesystem::path root_;
};

}  // namespace xferctl

#endif  // XFERCTL_SYSFS_HH_
