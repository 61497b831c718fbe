// SPDX-License-Identifier: GPL-2.0-only
//
// The device a fuzzed QEMU is started with (the `start` op): its backend
// and its -device properties, and what follows from them for the generator
// (block size, capacity, limits).

#ifndef XFERBLK_TOOLS_XFERFUZZ_CONFIG_HH_
#define XFERBLK_TOOLS_XFERFUZZ_CONFIG_HH_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace xferfuzz {

// The backend behind the device.
enum class Drive : uint8_t {
  kRaw,        // a raw image file
  kNull,       // null=on without a drive
  kNullDrive,  // null=on with the raw image as its drive
  kSnapshot,   // the raw image with snapshot=on (a temporary qcow2 overlay)
  kBlkdebug,   // the raw image behind blkdebug: I/O at one sector fails
  kThrottle,   // the raw image behind a throttle group
};

struct DeviceConfig {
  Drive drive = Drive::kRaw;
  uint64_t image_size = 1 << 20;  // bytes of the image file
  // kBlkdebug: the 512-byte sector whose reads fail (EIO) and writes fail
  // (ENOSPC); kThrottle: bytes per second.
  uint64_t drive_arg = 0;
  // kBlkdebug: a throttle group over it too, of this many bytes per
  // second (0: none).
  uint64_t throttle = 0;
  std::string props;  // more -device properties: "queues=2,queue-depth=64"

  bool operator==(const DeviceConfig&) const = default;
};

// "drive=raw size=1048576 [throttle=BPS] props=queues=2": the fields of a
// start line.
std::string FormatConfig(const DeviceConfig& c);
// Parses those fields; throws std::invalid_argument.
DeviceConfig ParseConfig(std::string_view fields);

// The QEMU arguments (after the machine and qtest ones) for the backend and
// the device, with its id "xb0" at bus 0, slot `slot`.
std::vector<std::string> QemuArgs(const DeviceConfig& c, const std::filesystem::path& image,
                                  unsigned slot);

// What the device is, as the generator needs it: from the properties and
// their defaults (docs/device-spec.md).
struct Geometry {
  uint32_t block_size = 512;
  uint64_t capacity = 0;  // blocks
  uint32_t max_xfer = 131072;
  uint32_t max_segs = 32;
  uint32_t max_seg_size = 65536;
  uint64_t seg_boundary = 0xffffffff;
  uint32_t queues = 1;
  uint32_t max_depth = 256;
  uint32_t max_discard = 65536;
  uint32_t max_wzeroes = 65536;
  bool null_backend = false;
};

Geometry GeometryOf(const DeviceConfig& c);

}  // namespace xferfuzz

#endif  // XFERBLK_TOOLS_XFERFUZZ_CONFIG_HH_
