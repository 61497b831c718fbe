// SPDX-License-Identifier: GPL-2.0-only
//
// xferctl's argument parser, help texts and value checks.

#include "args.hh"

#include <getopt.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace xferctl {
namespace {

constexpr std::string_view kGeneralHelp =
    R"(usage: xferctl [--json] [--no-ioctl] [--sysfs-root DIR] [COMMAND [ARGS]]

Inspects and tunes the disks of the xferblk block driver: through its ioctls
(uapi/xferblk.h) when xferctl can open /dev/DISK, through sysfs otherwise.

commands:
  list                            every xferblk disk (the default command)
  show DISK                       one disk
  reset DISK                      zero the disk's driver and device counters
  set DISK send-mode async|sync   how the disk sends the children of new parents
  set timeout-ms N                command timeout of every disk, 100 to 3600000 ms
  volumes                         every volume (configfs), its targets and counters
  volume-create NAME --layout L [--chunk BYTES] TARGET...
                                  configure a volume and power it on; prints its disk
  volume-remove NAME              power a volume off and remove it
  help [COMMAND]                  this text, or a command's (also: COMMAND --help)

DISK is xferblkN or /dev/xferblkN. A volume's TARGET is pci:ADDRESS (an
xferblk PCI disk) or the absolute path of a block device; L is single, linear,
stripe or mirror. reset, set, volume-create and volume-remove need root.

options (anywhere on the line):
  --json             machine-readable output for list, show and volumes; keys in
                     'xferctl list --help' and 'xferctl volumes --help'
  --no-ioctl         sysfs only: never open /dev/DISK for the ioctls
  --sysfs-root DIR   use DIR instead of /sys (for tests against a fake tree);
                     the ioctls are used only on the disk DIR/block/DISK/dev names
  -h, --help         help, for the command if one is given
  --version          print xferctl's version and exit

exit status:
  0  success (also: help, version, and a list with no disks or volumes)
  1  runtime failure: no such disk or volume, module not loaded, sysfs or
     configfs unreadable, permission denied, the kernel refused the value
  2  usage error: unknown command or option, wrong arguments, invalid disk
     name, volume name, target or setting value (nothing was written)
)";

constexpr std::string_view kListHelp = R"(usage: xferctl [--json] list

Lists the xferblk module's parameters (/sys/module/xferblk/parameters), then
every disk /sys/block/xferblk* in number order. A disk that cannot be read is
reported on stderr and makes the exit status 1; the others are still listed.
No disks is not an error. A volume's disk (it has /sys/block/DISK/volume, not
/sys/block/DISK/xferblk) is not listed here: see 'xferctl volumes'.

Where xferctl can open /dev/DISK (root; not with --no-ioctl), the driver
counters, the histogram, the per-queue commands and the modes come from one
XFERBLK_IOC_STATS/XFERBLK_IOC_INFO snapshot ("source": "ioctl"), and the
device's description from XFERBLK_IOC_INFO ("device"); everything else, and
all of it otherwise, from sysfs ("source": "sysfs", "device": null).

Each disk:
  PCI address       the target of /sys/block/DISK/device
  capacity          size (512-byte sectors), in bytes
  block size        queue/logical_block_size, queue/physical_block_size
  limits            queue/max_hw_sectors_kb, max_sectors_kb, max_segments, max_segment_size,
                    seg_boundary_mask (only if the kernel exposes it, else "-"),
                    virt_boundary_mask, dma_alignment, discard_max_hw_bytes,
                    discard_granularity, write_zeroes_max_bytes
  queues            the number of fields of debugfs xferblk/DISK/queue_commands, and
                    their values
  device            XFERBLK_IOC_INFO: version, capacity, what one command may carry,
                    features, queues and their depth (only when read through the ioctls)
  send mode         xferblk/send_mode
  queue mode        xferblk/queue_mode: bio (the driver splits) or mq (the block layer does)
  driver counters   xferblk/parents, children, errors, rejected, ... (docs/design.md)
  device counters   xferblk/dev_commands, dev_completed, ... (docs/device-spec.md)
  device statuses   debugfs xferblk/DISK/dev_status, each status named as in
                    docs/device-spec.md
  children/parent   debugfs xferblk/DISK/children_hist: parents per bucket of children
                    1, 2, 3-4, 5-8, 9-16, 17-32, 33-64, 65-128, 129-256, 257+

JSON output (--json). Keys are stable: new ones may be added, none renamed or
removed. Every number is an unsigned 64-bit integer; null means the kernel
does not expose the value, or, for queue_count, queue_commands, dev_status and
children_hist, that debugfs could not be read (it needs root).
  list: {"module": MODULE, "disks": [DISK, ...]}
  show: DISK
MODULE:
  {"loaded": bool, "split": bool|null, "send_mode": string|null,
   "timeout_ms": n|null, "queue_depth": n|null, "queue_mode": string|null}
DISK:
  {"name": string, "pci_address": string|null,
   "capacity_bytes": n, "capacity_sectors": n,
   "logical_block_size": n, "physical_block_size": n|null,
   "limits": {"max_hw_sectors_kb": n, "max_sectors_kb": n|null, "max_segments": n,
              "max_segment_size": n, "seg_boundary_mask": n|null,
              "virt_boundary_mask": n|null, "dma_alignment": n|null,
              "discard_max_hw_bytes": n|null, "discard_granularity": n|null,
              "write_zeroes_max_bytes": n|null},
   "queue_count": n|null, "queue_commands": [n, ...]|null, "send_mode": "async"|"sync",
   "counters": {"parents": n, "children": n, "errors": n, "rejected": n,
                "bogus_completions": n, "unsendable": n, "parent_errors": n,
                "cancelled": n, "timeouts": n, "resets": n},
   "device_counters": {"dev_commands": n, "dev_completed": n, "dev_reads": n,
                "dev_writes": n, "dev_bytes_read": n, "dev_bytes_written": n,
                "dev_segments": n, "dev_max_inflight": n, "dev_rejected": n,
                "dev_flushes": n, "dev_fua_writes": n, "dev_discards": n,
                "dev_write_zeroes": n, "dev_aborts": n, "dev_faults": n},
   "dev_status": {"OK": n, "INVALID_OPCODE": n, "INVALID_FIELD": n, "LBA_RANGE": n,
                  "XFER_TOO_LARGE": n, "TOO_MANY_SEGS": n, "SEG_TOO_LARGE": n,
                  "SEG_BOUNDARY": n, "DMA_ERROR": n, "MEDIA_ERROR": n, "ABORTED": n}|null,
   "children_hist": {"1": n, "2": n, "3-4": n, "5-8": n, "9-16": n, "17-32": n,
                     "33-64": n, "65-128": n, "129-256": n, "257+": n}|null,
   "queue_mode": "bio"|"mq"|null, "source": "ioctl"|"sysfs", "device": DEVICE|null}
DEVICE (XFERBLK_IOC_INFO):
  {"version": "MAJOR.MINOR", "capacity_blocks": n, "block_size": n, "max_transfer": n,
   "max_segments": n, "max_segment_size": n, "seg_boundary": n, "max_discard_blocks": n,
   "max_write_zeroes_blocks": n, "features": [string, ...], "nr_queues": n,
   "queue_depth": n}
  features: "write_cache", "fua", "discard", "write_zeroes", "abort" ("bitN" if unnamed)
)";

constexpr std::string_view kShowHelp = R"(usage: xferctl [--json] show DISK

Shows one disk (xferblkN or /dev/xferblkN): the same fields as 'xferctl list',
without the module's parameters. With --json the output is one DISK object;
its keys are listed in 'xferctl list --help'.

Exit status 1 if the disk does not exist or cannot be read.
)";

constexpr std::string_view kResetHelp = R"(usage: xferctl reset DISK

Zeroes the driver's and the device's counters of DISK: XFERBLK_IOC_RESET_STATS
on /dev/DISK, or (when that cannot be opened, with --no-ioctl, or on a driver
without the ioctls) writing 1 to /sys/block/DISK/xferblk/reset_counters.
Needs root (CAP_SYS_ADMIN).

Exit status 1 if the disk does not exist or the write fails.
)";

constexpr std::string_view kSetHelp = R"(usage: xferctl set DISK send-mode async|sync
       xferctl set timeout-ms N

The settings the driver lets you change at run time:
  send-mode    per disk (XFERBLK_IOC_SET_SEND_MODE on /dev/DISK, else
               /sys/block/DISK/xferblk/send_mode): "async" sends every child of
               a parent as soon as it is cut, "sync" one at a time (the next
               when the previous completes). Applies to new parents. A disk in
               the blk-mq comparison mode refuses it (nothing to pace).
  timeout-ms   module-wide (/sys/module/xferblk/parameters/timeout_ms): the
               command timeout in ms, a decimal integer from 100 to 3600000.
               After it a command is aborted, and the controller reset if the
               abort is not answered.

The value is checked before anything is written (exit status 2 if invalid),
then read back and printed as "old -> new". Needs root.

Exit status 1 if the disk or module is missing, the write is not permitted,
or the kernel refuses the value (its error is printed).
)";

constexpr std::string_view kVolumesHelp = R"(usage: xferctl [--json] volumes

Lists every volume of the driver: the directories of configfs
/sys/kernel/config/xferblk, by name. A volume that cannot be read is reported
on stderr and makes the exit status 1; the others are still listed. No
volumes (or no /sys/kernel/config/xferblk: the module is not loaded, or
configfs is not mounted) is not an error.

Each volume:
  power, disk       configfs NAME/power and NAME/disk: its disk (xferblkN) while powered
  layout            NAME/layout: single, linear, stripe or mirror
  chunk size        NAME/chunk_size, in bytes (used by stripe)
  targets           NAME/targets, in order; for a powered volume also each one's block
                    device, state (live, or failed: a mirror leg), children and errors,
                    from /sys/block/DISK/volume/targets
  counters          a powered volume's /sys/block/DISK/volume/degraded (mirror legs
                    failed now), parents, parent_errors, read_retries, legs_failed

JSON output (--json). Keys are stable: new ones may be added, none renamed or
removed. Every number is an unsigned 64-bit integer; null means the volume is
powered off.
  volumes: {"volumes": [VOLUME, ...]}
VOLUME:
  {"name": string, "powered": bool, "disk": string|null, "layout": string,
   "chunk_size": n, "targets": [TARGET, ...], "degraded": n|null,
   "counters": {"parents": n, "parent_errors": n, "read_retries": n,
                "legs_failed": n}|null}
TARGET:
  {"spec": string, "device": string|null, "state": "live"|"failed"|null,
   "children": n|null, "errors": n|null}
)";

constexpr std::string_view kVolumeCreateHelp =
    R"(usage: xferctl volume-create NAME --layout L [--chunk BYTES] TARGET...

Creates the volume NAME and powers it on, in configfs
(/sys/kernel/config/xferblk/NAME): mkdir, then its layout L (single, linear,
stripe or mirror), its chunk size (--chunk: bytes, a power of two from 512 to
1073741824, used by stripe; the driver's default otherwise), its targets (1 to
8, in order), and power 1. Prints the volume's disk (xferblkN).

Each TARGET is pci:ADDRESS (the xferblk PCI disk at that PCI address, e.g.
pci:0000:00:04.0) or the absolute path of a block device (e.g. /dev/vdb).
Powering on opens and checks them: the kernel log (dmesg) says what is wrong
with a configuration it refuses.

The values are checked before anything is written (exit status 2 if invalid).
If a step fails, the error names it and the kernel's errno, and the volume's
directory is removed again: nothing is changed. Needs root.
)";

constexpr std::string_view kVolumeRemoveHelp = R"(usage: xferctl volume-remove NAME

Powers the volume NAME off (configfs /sys/kernel/config/xferblk/NAME/power:
0), which removes its disk, then removes its directory. Needs root.

Exit status 1 if there is no such volume, or the kernel refuses: a volume
whose disk is open (mounted, or in use by a program) cannot be powered off
(EBUSY).
)";

constexpr std::string_view kHelpHelp = R"(usage: xferctl help [COMMAND]

Prints the general help, or COMMAND's (list, show, reset, set, volumes,
volume-create, volume-remove, help).
)";

constexpr std::string_view kCommands[] = {"list",    "show",          "reset",         "set",
                                          "volumes", "volume-create", "volume-remove", "help"};

bool IsCommand(std::string_view word) {
  return std::find(std::begin(kCommands), std::end(kCommands), word) != std::end(kCommands);
}

// "-5" is a (bad) value for `set timeout-ms`, not an option.
bool LooksLikeNegativeNumber(std::string_view arg) {
  return arg.size() >= 2 && arg[0] == '-' && arg[1] >= '0' && arg[1] <= '9';
}

ParseResult Fail(std::string error, std::string topic) {
  ParseResult r;
  r.error = std::move(error);
  r.topic = std::move(topic);
  return r;
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// One or more decimal digits and nothing else.
bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

ValueCheck Valid(std::string value) { return {.ok = true, .value = std::move(value), .error = {}}; }

ValueCheck Invalid(std::string error) {
  return {.ok = false, .value = {}, .error = std::move(error)};
}

// What getopt_long returns for each long option (-h is 'h').
enum OptionCode : int {
  kOptJson = 256,
  kOptNoIoctl,
  kOptSysfsRoot,
  kOptHelp,
  kOptVersion,
  kOptLayout,
  kOptChunk
};

constexpr option kLongOptions[] = {
    {"json", no_argument, nullptr, kOptJson},
    {"no-ioctl", no_argument, nullptr, kOptNoIoctl},
    {"sysfs-root", required_argument, nullptr, kOptSysfsRoot},
    {"help", no_argument, nullptr, kOptHelp},
    {"version", no_argument, nullptr, kOptVersion},
    {"layout", required_argument, nullptr, kOptLayout},
    {"chunk", required_argument, nullptr, kOptChunk},
    {nullptr, 0, nullptr, 0},
};

// The arguments as getopt_long takes them: a program name, then each one as
// a mutable C string. A negative number would be read as an option cluster,
// so it goes in behind a space, which makes it an operand to getopt_long, and
// Text() gives it back as it was.
class Argv {
 public:
  explicit Argv(const std::vector<std::string>& args) : strings_{"xferctl"} {
    strings_.insert(strings_.end(), args.begin(), args.end());
    for (std::string& s : strings_) {
      if (LooksLikeNegativeNumber(s)) {
        s.insert(0, " ");
        hidden_.insert(s.data());
      }
      pointers_.push_back(s.data());
    }
    pointers_.push_back(nullptr);
  }
  Argv(const Argv&) = delete;
  Argv& operator=(const Argv&) = delete;

  int argc() const { return static_cast<int>(strings_.size()); }
  char** argv() { return pointers_.data(); }
  // The argument (or option value) at `p`, one of argv()'s strings.
  std::string Text(const char* p) const { return hidden_.contains(p) ? p + 1 : p; }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
  std::set<const char*> hidden_;
};

// What one getopt_long scan of some arguments found.
struct Scan {
  std::vector<std::string> operands;
  size_t scanned = 0;  // how many of the arguments
  std::string error;   // an option getopt_long refused
};

// What the options asked for besides the Options fields.
struct Flags {
  bool help = false;     // -h, --help
  bool version = false;  // --version
  // volume-create's options, as given (checked once the command is known).
  std::optional<std::string> layout;  // --layout
  std::optional<std::string> chunk;   // --chunk
};

// Runs getopt_long over `args` from scratch, setting `opt` and `flags` from
// the options. With `first_operand_only`, stops after the first operand (the
// command) so its arguments can be scanned on their own; otherwise options
// and operands may come in any order. "--" ends the options.
Scan ScanOptions(const std::vector<std::string>& args, bool first_operand_only, Options* opt,
                 Flags* flags) {
  Scan scan;
  Argv argv(args);
  optind = 0;  // a fresh scan: this runs twice per ParseArgs, and ParseArgs more than once
  opterr = 0;  // refusals are returned, not printed
  // "-": operands come back in place as 1, whatever POSIXLY_CORRECT says;
  // ":": a missing value is ':', not '?'.
  int c;
  while ((c = getopt_long(argv.argc(), argv.argv(), "-:h", kLongOptions, nullptr)) != -1) {
    switch (c) {
      case 1:
        scan.operands.push_back(argv.Text(optarg));
        if (first_operand_only) {
          scan.scanned = optind - 1;
          return scan;
        }
        break;
      case kOptJson:
        opt->json = true;
        break;
      case kOptNoIoctl:
        opt->use_ioctl = false;
        break;
      case kOptSysfsRoot:
        opt->sysfs_root = argv.Text(optarg);  // "" is refused once every option is read
        break;
      case 'h':
      case kOptHelp:
        flags->help = true;
        break;
      case kOptVersion:
        flags->version = true;
        break;
      case kOptLayout:
        flags->layout = argv.Text(optarg);
        break;
      case kOptChunk:
        flags->chunk = argv.Text(optarg);
        break;
      case ':':  // an option without its value; optopt is the option's code
        scan.error = optopt == kOptLayout  ? "--layout needs a layout (single, linear, stripe or "
                                             "mirror)"
                     : optopt == kOptChunk ? "--chunk needs a size in bytes"
                                           : "--sysfs-root needs a directory";
        break;
      default:  // '?'; a long option is named as typed: the argument just passed
        scan.error = "unknown option " + Quote(optopt == 0 || optopt >= kOptJson
                                                   ? argv.Text(argv.argv()[optind - 1])
                                                   : std::string{'-', static_cast<char>(optopt)});
        break;
    }
    if (!scan.error.empty()) return scan;
  }
  // Everything after "--" is an operand.
  for (int i = optind; i < argv.argc(); i++) scan.operands.push_back(argv.Text(argv.argv()[i]));
  scan.scanned = args.size();
  return scan;
}

}  // namespace

std::string VersionText() { return "xferctl " XFERBLK_VERSION "\n"; }

std::string HelpText(std::string_view topic) {
  if (topic == "list") return std::string(kListHelp);
  if (topic == "show") return std::string(kShowHelp);
  if (topic == "reset") return std::string(kResetHelp);
  if (topic == "set") return std::string(kSetHelp);
  if (topic == "volumes") return std::string(kVolumesHelp);
  if (topic == "volume-create") return std::string(kVolumeCreateHelp);
  if (topic == "volume-remove") return std::string(kVolumeRemoveHelp);
  if (topic == "help") return std::string(kHelpHelp);
  return std::string(kGeneralHelp);
}

ValueCheck CheckDiskName(std::string_view arg) {
  std::string_view name = arg;
  if (name.starts_with("/dev/")) name.remove_prefix(5);
  constexpr std::string_view kPrefix = "xferblk";
  const std::string_view number = name.starts_with(kPrefix) ? name.substr(kPrefix.size()) : "";
  // Up to 9 digits, without a leading zero: the name the driver gives disk N.
  if (!AllDigits(number) || number.size() > 9 || (number.size() > 1 && number[0] == '0'))
    return Invalid("invalid disk name " + Quote(arg) + ": expected xferblkN or /dev/xferblkN");
  return Valid(std::string(name));
}

ValueCheck CheckSendMode(std::string_view arg) {
  if (arg != "async" && arg != "sync")
    return Invalid("invalid send-mode " + Quote(arg) + ": expected async or sync");
  return Valid(std::string(arg));
}

ValueCheck CheckTimeoutMs(std::string_view arg) {
  const std::string range = std::to_string(kTimeoutMinMs) + " to " + std::to_string(kTimeoutMaxMs);
  if (!AllDigits(arg))
    return Invalid("invalid timeout-ms " + Quote(arg) + ": expected a decimal number of ms, " +
                   range);
  uint64_t v = 0;
  if (std::from_chars(arg.data(), arg.data() + arg.size(), v).ec != std::errc() ||
      v < kTimeoutMinMs || v > kTimeoutMaxMs)
    return Invalid("timeout-ms " + Quote(arg) + " out of range: " + range + " ms");
  return Valid(std::to_string(v));
}

ValueCheck CheckVolumeName(std::string_view arg) {
  const bool bad_char = std::any_of(arg.begin(), arg.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '/' || u <= ' ' || u == 0x7f;
  });
  if (arg.empty() || arg == "." || arg == ".." || bad_char)
    return Invalid("invalid volume name " + Quote(arg) +
                   ": expected a directory name without '/', blanks or control characters");
  return Valid(std::string(arg));
}

ValueCheck CheckLayout(std::string_view arg) {
  if (arg != "single" && arg != "linear" && arg != "stripe" && arg != "mirror")
    return Invalid("invalid layout " + Quote(arg) + ": expected single, linear, stripe or mirror");
  return Valid(std::string(arg));
}

ValueCheck CheckChunkSize(std::string_view arg) {
  const std::string range = std::to_string(kChunkMin) + " to " + std::to_string(kChunkMax);
  uint64_t v = 0;
  if (!AllDigits(arg) ||
      std::from_chars(arg.data(), arg.data() + arg.size(), v).ec != std::errc() || v < kChunkMin ||
      v > kChunkMax || (v & (v - 1)) != 0)
    return Invalid("invalid chunk size " + Quote(arg) +
                   ": expected a power of two of bytes, in decimal, from " + range);
  return Valid(std::to_string(v));
}

ValueCheck CheckTarget(std::string_view arg) {
  const bool blank = std::any_of(arg.begin(), arg.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= ' ' || u == 0x7f;
  });
  const bool pci = arg.starts_with("pci:") && arg.size() > 4;
  if (blank || (!pci && !arg.starts_with("/")))
    return Invalid("invalid target " + Quote(arg) +
                   ": expected pci:ADDRESS or the absolute path of a block device");
  if (arg.size() > kMaxTargetLength)
    return Invalid("target " + Quote(arg) + " is too long: at most " +
                   std::to_string(kMaxTargetLength) + " characters");
  return Valid(std::string(arg));
}

ParseResult ParseArgs(const std::vector<std::string>& args) {
  Options opt;
  Flags flags;

  // The options before the command, then the command.
  Scan global = ScanOptions(args, /*first_operand_only=*/true, &opt, &flags);
  if (!global.error.empty()) return Fail(global.error, "");
  std::vector<std::string> pos = std::move(global.operands);
  const std::string cmd = pos.empty() ? "list" : pos[0];
  if (!IsCommand(cmd)) return Fail("unknown command " + Quote(cmd), "");

  // Then the command's arguments, with options anywhere among them.
  const std::vector<std::string> after(args.begin() + global.scanned, args.end());
  Scan local = ScanOptions(after, /*first_operand_only=*/false, &opt, &flags);
  if (!local.error.empty()) return Fail(local.error, cmd);
  pos.insert(pos.end(), local.operands.begin(), local.operands.end());
  if (opt.sysfs_root.empty()) return Fail("--sysfs-root needs a directory", "");
  const std::vector<std::string> rest(pos.begin() + (pos.empty() ? 0 : 1), pos.end());

  ParseResult r;
  if (flags.help || cmd == "help") {
    // "xferctl help set", "xferctl set --help", "xferctl --help set ...".
    // With no command, --help is the general help, not list's.
    std::string topic = pos.empty() || cmd == "help" ? "" : cmd;
    if (cmd == "help" && !rest.empty()) {
      if (!IsCommand(rest[0]) || rest.size() > 1)
        return Fail(
            "help takes at most one command name (list, show, reset, set, volumes, "
            "volume-create, volume-remove, help)",
            "help");
      topic = rest[0];
    }
    opt.command = Command::kHelp;
    opt.help_topic = topic;
    r.ok = true;
    r.options = opt;
    return r;
  }
  if (flags.version) {
    // Anywhere on the line, like --help (which wins when both are given),
    // and over a bad value: "xferctl set xferblk0 send-mode x --version".
    opt.command = Command::kVersion;
    r.ok = true;
    r.options = opt;
    return r;
  }

  if ((flags.layout || flags.chunk) && cmd != "volume-create")
    return Fail("--layout and --chunk apply to volume-create only", cmd);
  if (cmd == "list" || cmd == "volumes") {
    if (!rest.empty()) return Fail(cmd + " takes no arguments", cmd);
    opt.command = cmd == "list" ? Command::kList : Command::kVolumes;
  } else if (cmd == "volume-remove") {
    if (rest.size() != 1) return Fail("volume-remove takes exactly one volume name", cmd);
    ValueCheck v = CheckVolumeName(rest[0]);
    if (!v.ok) return Fail(v.error, cmd);
    opt.command = Command::kVolumeRemove;
    opt.volume = v.value;
  } else if (cmd == "volume-create") {
    if (rest.empty()) return Fail("volume-create needs a volume name and targets", cmd);
    ValueCheck v = CheckVolumeName(rest[0]);
    if (!v.ok) return Fail(v.error, cmd);
    opt.command = Command::kVolumeCreate;
    opt.volume = v.value;
    if (!flags.layout)
      return Fail("volume-create needs --layout (single, linear, stripe or mirror)", cmd);
    ValueCheck l = CheckLayout(*flags.layout);
    if (!l.ok) return Fail(l.error, cmd);
    opt.layout = l.value;
    if (flags.chunk) {
      ValueCheck c = CheckChunkSize(*flags.chunk);
      if (!c.ok) return Fail(c.error, cmd);
      opt.chunk_size = c.value;
    }
    if (rest.size() < 2)
      return Fail("volume-create needs at least one target (pci:ADDRESS or a block device's path)",
                  cmd);
    if (rest.size() - 1 > kMaxTargets)
      return Fail("a volume has at most " + std::to_string(kMaxTargets) + " targets", cmd);
    for (size_t i = 1; i < rest.size(); i++) {
      ValueCheck t = CheckTarget(rest[i]);
      if (!t.ok) return Fail(t.error, cmd);
      opt.targets.push_back(t.value);
    }
  } else if (cmd == "show" || cmd == "reset") {
    if (rest.size() != 1) return Fail(cmd + " takes exactly one disk", cmd);
    ValueCheck d = CheckDiskName(rest[0]);
    if (!d.ok) return Fail(d.error, cmd);
    opt.command = cmd == "show" ? Command::kShow : Command::kReset;
    opt.disk = d.value;
  } else {  // set
    opt.command = Command::kSet;
    if (rest.empty()) return Fail("set needs a setting", "set");
    if (rest[0] == "timeout-ms") {
      if (rest.size() != 2) return Fail("usage: xferctl set timeout-ms N", "set");
      ValueCheck v = CheckTimeoutMs(rest[1]);
      if (!v.ok) return Fail(v.error, "set");
      opt.setting = Setting::kTimeoutMs;
      opt.value = v.value;
    } else if (rest[0] == "send-mode") {
      return Fail("send-mode is per disk: xferctl set DISK send-mode async|sync", "set");
    } else {
      ValueCheck d = CheckDiskName(rest[0]);
      if (!d.ok) return Fail(d.error, "set");
      opt.disk = d.value;
      if (rest.size() >= 2 && rest[1] == "timeout-ms")
        return Fail("timeout-ms is module-wide, not per disk: xferctl set timeout-ms N", "set");
      if (rest.size() < 2 || rest[1] != "send-mode")
        return Fail(rest.size() < 2 ? "set " + d.value + " needs a setting (send-mode)"
                                    : "unknown setting " + Quote(rest[1]) + " (send-mode)",
                    "set");
      if (rest.size() != 3) return Fail("usage: xferctl set DISK send-mode async|sync", "set");
      ValueCheck v = CheckSendMode(rest[2]);
      if (!v.ok) return Fail(v.error, "set");
      opt.setting = Setting::kSendMode;
      opt.value = v.value;
    }
  }
  if (opt.json && opt.command != Command::kList && opt.command != Command::kShow &&
      opt.command != Command::kVolumes)
    return Fail("--json applies to list, show and volumes only", cmd);

  r.ok = true;
  r.options = opt;
  return r;
}

}  // namespace xferctl
