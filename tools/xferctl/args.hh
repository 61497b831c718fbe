// SPDX-License-Identifier: GPL-2.0-only
//
// xferctl's command line: the parsed form, the parser, the help texts and
// the validation of the values `xferctl set` writes.

#ifndef XFERCTL_ARGS_HH_
#define XFERCTL_ARGS_HH_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xferctl {

// Exit codes, documented in the general help text.
inline constexpr int kExitOk = 0;       // success (also: help, version, an empty list)
inline constexpr int kExitFailure = 1;  // runtime failure: no such disk, sysfs unreadable,
                                        // the kernel refused a write, permission denied
inline constexpr int kExitUsage = 2;    // usage error: bad command, option, disk name or value

// The driver's timeout_ms range (kmod/pci.c xferblk_set_timeout()).
inline constexpr uint32_t kTimeoutMinMs = 100;
inline constexpr uint32_t kTimeoutMaxMs = 3600000;

enum class Command {
  kList,
  kShow,
  kReset,
  kSet,
  kVolumes,
  kVolumeCreate,
  kVolumeRemove,
  kHelp,
  kVersion
};

// A volume's limits (kmod/volume.h, kmod/volume_cfg.c): targets per volume,
// the length of a target's spec, and the chunk size in bytes.
inline constexpr size_t kMaxTargets = 8;
inline constexpr size_t kMaxTargetLength = 63;
inline constexpr uint64_t kChunkMin = 512;
inline constexpr uint64_t kChunkMax = uint64_t{1} << 30;

// What `xferctl set` changes.
enum class Setting {
  kNone,
  kSendMode,   // per disk: /sys/block/<disk>/xferblk/send_mode
  kTimeoutMs,  // module-wide: /sys/module/xferblk/parameters/timeout_ms
};

struct Options {
  Command command = Command::kList;
  bool json = false;
  std::string sysfs_root = "/sys";
  bool use_ioctl = true;  // --no-ioctl: sysfs only
  std::string disk;       // kShow, kReset, kSet with kSendMode: a valid "xferblkN"
  Setting setting = Setting::kNone;
  std::string value;       // kSet: the validated value, normalised as it is written
  std::string help_topic;  // kHelp: "" (general) or a command name
  std::string volume;      // kVolumeCreate, kVolumeRemove: a valid volume name
  // kVolumeCreate: what is written to the volume's configfs files, validated.
  std::string layout;
  std::optional<std::string> chunk_size;  // nullopt: --chunk not given
  std::vector<std::string> targets;
};

struct ParseResult {
  bool ok = false;
  Options options;    // when ok
  std::string error;  // when !ok: one line, without the "xferctl: " prefix
  std::string topic;  // when !ok: the command whose --help to point at ("" for general)
};

// Parses the arguments after argv[0]. Never prints.
ParseResult ParseArgs(const std::vector<std::string>& args);

// The help text for a topic: "" for the general one, or a command's name
// ("list", "show", "reset", "set", "volumes", "volume-create",
// "volume-remove", "help"). An unknown topic gets the general text.
std::string HelpText(std::string_view topic);

// What --version prints: "xferctl MAJOR.MINOR.PATCH\n" (the project's VERSION).
std::string VersionText();

// A validated value, or why it is not one.
struct ValueCheck {
  bool ok = false;
  std::string value;  // normalised: exactly what is written to sysfs
  std::string error;
};

// "xferblkN" or "/dev/xferblkN" (N decimal, no leading zero unless 0) to
// "xferblkN"; anything else is refused, so a name can never leave /sys/block.
ValueCheck CheckDiskName(std::string_view arg);

// "async" or "sync".
ValueCheck CheckSendMode(std::string_view arg);

// A decimal integer from kTimeoutMinMs to kTimeoutMaxMs, written back in
// plain decimal (the kernel parses with base 0, so "0100" would be octal).
ValueCheck CheckTimeoutMs(std::string_view arg);

// A volume's name, as the directory configfs makes for it: not empty, not
// "." or "..", and without '/', blanks or control characters.
ValueCheck CheckVolumeName(std::string_view arg);

// "single", "linear", "stripe" or "mirror".
ValueCheck CheckLayout(std::string_view arg);

// A decimal number of bytes, a power of two from kChunkMin to kChunkMax,
// written back in plain decimal.
ValueCheck CheckChunkSize(std::string_view arg);

// A target as the driver takes it: "pci:ADDRESS" (an xferblk PCI disk) or
// the absolute path of a block device; no blanks, at most kMaxTargetLength
// characters.
ValueCheck CheckTarget(std::string_view arg);

}  // namespace xferctl

#endif  // XFERCTL_ARGS_HH_
