// SPDX-License-Identifier: GPL-2.0-only
//
// The subcommands.

#include "cli.hh"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "args.hh"
#include "format.hh"
#include "sysfs.hh"

namespace xferctl {
namespace {

constexpr std::string_view kPrefix = "xferctl: ";

// "no disk xferblk7; xferblk disks: xferblk0 xferblk1" (or why there are none).
std::string NoDisk(const Sysfs& sys, const std::string& disk) {
  if (sys.IsVolumeDisk(disk))
    return disk + " is the disk of a volume, not an xferblk PCI disk: see 'xferctl volumes'";
  std::string msg = "no disk " + disk;
  std::vector<std::string> disks = sys.ListDisks();
  if (!disks.empty()) {
    msg += "; xferblk disks:";
    for (const std::string& d : disks) msg += " " + d;
  } else if (!sys.ReadModule().loaded) {
    msg += " (the xferblk module is not loaded)";
  } else {
    msg += " (there are no xferblk disks)";
  }
  return msg;
}

// Why VolumesDir() may not exist.
std::string NoVolumesDir(const Sysfs& sys) {
  return sys.VolumesDir().string() +
         " does not exist: the xferblk module is not loaded, or configfs is not mounted";
}

// "no volume x; volumes: a b" (or why there are none).
std::string NoVolume(const Sysfs& sys, const std::string& volume) {
  std::string msg = "no volume " + volume;
  std::vector<std::string> volumes = sys.ListVolumes();
  std::error_code ec;
  if (!volumes.empty()) {
    msg += "; volumes:";
    for (const std::string& v : volumes) msg += " " + v;
  } else if (!std::filesystem::is_directory(sys.VolumesDir(), ec)) {
    msg += " (" + NoVolumesDir(sys) + ")";
  } else {
    msg += " (there are no volumes)";
  }
  return msg;
}

// What a command needs besides its options: the sysfs tree, how to open a
// disk for the ioctls, and how to make and remove a volume's directory.
struct Context {
  const Options& opt;
  const Sysfs& sys;
  const DeviceOpener& open;
  const VolumeDirs& dirs;

  // The disk for the ioctls, or nullptr (--no-ioctl, or it cannot be opened:
  // not root, no such node, a fake sysfs tree); then sysfs it is.
  std::unique_ptr<Device> OpenDisk(const std::string& disk) const {
    if (!opt.use_ioctl) return nullptr;
    int e = 0;
    return open(sys, disk, &e);
  }
};

// The disk from sysfs, then what the ioctls report over it when they can
// be used. A driver without them (ENOTTY) or a failing call leaves the sysfs
// values; an answer that cannot be right is an error.
DiskInfo ReadDisk(const Context& ctx, const std::string& name) {
  DiskInfo d = ctx.sys.ReadDisk(name);
  std::unique_ptr<Device> dev = ctx.OpenDisk(name);
  if (!dev) return d;
  xferblk_info info{};
  xferblk_ioc_stats stats{};
  if (dev->Info(&info) != 0 || dev->Stats(&stats) != 0) return d;
  if (std::optional<std::string> why = ApplyIoctl(info, stats, &d)) throw SysfsError(*why, 0);
  return d;
}

std::string ModeText(uint32_t mode) {
  std::string_view name = SendModeName(mode);
  return name.empty() ? "mode " + std::to_string(mode) : std::string(name);
}

int List(const Context& ctx, std::ostream& out, std::ostream& err) {
  const Options& opt = ctx.opt;
  const Sysfs& sys = ctx.sys;
  int rc = kExitOk;
  ModuleInfo module;
  try {
    module = sys.ReadModule();
  } catch (const SysfsError& e) {
    err << kPrefix << e.what() << "\n";
    rc = kExitFailure;
  }
  std::vector<DiskInfo> disks;
  for (const std::string& name : sys.ListDisks()) {
    try {
      disks.push_back(ReadDisk(ctx, name));
    } catch (const SysfsError& e) {
      err << kPrefix << name << ": " << e.what() << "\n";
      rc = kExitFailure;
    }
  }
  out << (opt.json ? FormatListJson(module, disks) : FormatListHuman(module, disks));
  return rc;
}

int Show(const Context& ctx, std::ostream& out, std::ostream& err) {
  const Options& opt = ctx.opt;
  if (!ctx.sys.HasDisk(opt.disk)) {
    err << kPrefix << NoDisk(ctx.sys, opt.disk) << "\n";
    return kExitFailure;
  }
  DiskInfo d = ReadDisk(ctx, opt.disk);
  out << (opt.json ? FormatDiskJson(d) : FormatDiskHuman(d));
  return kExitOk;
}

bool IsRoot() { return ::geteuid() == 0; }

// Writes value to path; on failure prints why and returns false.
bool Write(const std::filesystem::path& path, const std::string& value, std::ostream& err) {
  try {
    Sysfs::WriteFile(path, value);
    return true;
  } catch (const SysfsError& e) {
    err << kPrefix << DescribeWriteError(path.string(), value, e.errnum(), IsRoot()) << "\n";
    return false;
  }
}

int Reset(const Context& ctx, std::ostream& out, std::ostream& err) {
  const Options& opt = ctx.opt;
  const Sysfs& sys = ctx.sys;
  if (!sys.HasDisk(opt.disk)) {
    err << kPrefix << NoDisk(sys, opt.disk) << "\n";
    return kExitFailure;
  }
  // A driver without the ioctl (ENOTTY) still has the sysfs attribute.
  if (std::unique_ptr<Device> dev = ctx.OpenDisk(opt.disk)) {
    int e = dev->ResetStats();
    if (e == 0) {
      out << opt.disk << ": counters reset\n";
      return kExitOk;
    }
    if (e != ENOTTY) {
      err << kPrefix << DescribeIoctlError("XFERBLK_IOC_RESET_STATS", opt.disk, e, IsRoot())
          << "\n";
      return kExitFailure;
    }
  }
  if (!Write(sys.DiskAttr(opt.disk, "reset_counters"), "1", err)) return kExitFailure;
  out << opt.disk << ": counters reset\n";
  return kExitOk;
}

// set DISK send-mode through the ioctls: the mode before and after from
// XFERBLK_IOC_INFO. Returns nullopt when the driver has no ioctls (ENOTTY),
// for the caller to use sysfs.
std::optional<int> SetSendModeIoctl(const Options& opt, Device& dev, std::ostream& out,
                                    std::ostream& err) {
  const uint32_t want = *SendModeValue(opt.value);
  xferblk_info before{}, after{};
  int e = dev.Info(&before);
  if (e == 0) e = dev.SetSendMode(want);
  if (e == ENOTTY) return std::nullopt;
  if (e != 0) {
    err << kPrefix
        << DescribeIoctlError("XFERBLK_IOC_SET_SEND_MODE (" + opt.value + ")", opt.disk, e,
                              IsRoot())
        << "\n";
    return kExitFailure;
  }
  e = dev.Info(&after);
  if (e != 0) {
    err << kPrefix << DescribeIoctlError("XFERBLK_IOC_INFO", opt.disk, e, IsRoot()) << "\n";
    return kExitFailure;
  }
  out << opt.disk << ": send_mode " << ModeText(before.send_mode) << " -> "
      << ModeText(after.send_mode) << "\n";
  if (after.send_mode != want) {
    err << kPrefix << "set send mode " << opt.value << " on /dev/" << opt.disk
        << " but XFERBLK_IOC_INFO reports " << ModeText(after.send_mode) << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int Set(const Context& ctx, std::ostream& out, std::ostream& err) {
  const Options& opt = ctx.opt;
  const Sysfs& sys = ctx.sys;
  std::filesystem::path path;
  std::string what;
  if (opt.setting == Setting::kSendMode) {
    if (!sys.HasDisk(opt.disk)) {
      err << kPrefix << NoDisk(sys, opt.disk) << "\n";
      return kExitFailure;
    }
    if (std::unique_ptr<Device> dev = ctx.OpenDisk(opt.disk))
      if (std::optional<int> rc = SetSendModeIoctl(opt, *dev, out, err)) return *rc;
    path = sys.DiskAttr(opt.disk, "send_mode");
    what = opt.disk + ": send_mode";
  } else {
    if (!sys.ReadModule().loaded) {
      err << kPrefix << "the xferblk module is not loaded (" << sys.ModuleDir().string()
          << " does not exist)\n";
      return kExitFailure;
    }
    path = sys.ModuleParam("timeout_ms");
    what = "xferblk: timeout_ms";
  }
  // Read before and after: the old value is shown, and the new one is what
  // the kernel reports, not what was asked for.
  std::string before = Sysfs::ReadFile(path);
  if (!before.empty() && before.back() == '\n') before.pop_back();
  if (!Write(path, opt.value, err)) return kExitFailure;
  std::string after = Sysfs::ReadFile(path);
  if (!after.empty() && after.back() == '\n') after.pop_back();
  out << what << " " << before << " -> " << after << "\n";
  if (after != opt.value) {
    err << kPrefix << "wrote '" << opt.value << "' to " << path.string() << " but it reads back '"
        << after << "'\n";
    return kExitFailure;
  }
  return kExitOk;
}

int Volumes(const Context& ctx, std::ostream& out, std::ostream& err) {
  const Sysfs& sys = ctx.sys;
  int rc = kExitOk;
  std::vector<VolumeInfo> volumes;
  for (const std::string& name : sys.ListVolumes()) {
    try {
      volumes.push_back(sys.ReadVolume(name));
    } catch (const SysfsError& e) {
      err << kPrefix << "volume " << name << ": " << e.what() << "\n";
      rc = kExitFailure;
    }
  }
  std::error_code ec;
  if (ctx.opt.json)
    out << FormatVolumesJson(volumes);
  else if (rc == kExitOk && !std::filesystem::is_directory(sys.VolumesDir(), ec))
    out << "no xferblk volumes (" << NoVolumesDir(sys) << ")\n";
  else
    out << FormatVolumesHuman(volumes);
  return rc;
}

// The text of a configfs attribute without its newline, or why not (*error).
std::string ReadAttr(const std::filesystem::path& path, std::string* error) {
  try {
    std::string text = Sysfs::ReadFile(path);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  } catch (const SysfsError& e) {
    *error = e.what();
    return "";
  }
}

int VolumeCreate(const Context& ctx, std::ostream& out, std::ostream& err) {
  const Options& opt = ctx.opt;
  const std::filesystem::path dir = ctx.sys.VolumeDir(opt.volume);
  const auto fail = [&](VolumeStep step, const std::filesystem::path& path, int errnum) {
    err << kPrefix << DescribeVolumeError(opt.volume, step, path.string(), errnum, IsRoot())
        << "\n";
  };
  // After mkdir, a failure removes the directory again (powering the volume
  // off first if it got that far), so nothing is changed.
  const auto undo = [&](bool powered) {
    if (powered) {
      try {
        Sysfs::WriteFile(dir / "power", "0");
      } catch (const SysfsError& e) {
        fail(VolumeStep::kPowerOff, dir / "power", e.errnum());
        err << kPrefix << "volume " << opt.volume << " is left powered on\n";
        return;
      }
    }
    if (int e = ctx.dirs.remove(dir)) {
      fail(VolumeStep::kRmdir, dir, e);
      err << kPrefix << "volume " << opt.volume << " is left, powered off\n";
      return;
    }
    err << kPrefix << "volume " << opt.volume << " was not created\n";
  };

  if (int e = ctx.dirs.make(dir)) {
    fail(VolumeStep::kMkdir, dir, e);
    return kExitFailure;
  }
  std::string targets;
  for (const std::string& t : opt.targets) targets += (targets.empty() ? "" : " ") + t;
  struct AttrWrite {
    VolumeStep step;
    const char* attr;
    std::string value;
  };
  std::vector<AttrWrite> writes = {{VolumeStep::kLayout, "layout", opt.layout}};
  if (opt.chunk_size) writes.push_back({VolumeStep::kChunkSize, "chunk_size", *opt.chunk_size});
  writes.push_back({VolumeStep::kTargets, "targets", targets});
  writes.push_back({VolumeStep::kPowerOn, "power", "1"});
  for (const AttrWrite& w : writes) {
    try {
      Sysfs::WriteFile(dir / w.attr, w.value);
    } catch (const SysfsError& e) {
      fail(w.step, dir / w.attr, e.errnum());
      undo(false);  // a failed power on leaves the volume off
      return kExitFailure;
    }
  }
  std::string error;
  const std::string disk = ReadAttr(dir / "disk", &error);
  if (disk.empty()) {
    err << kPrefix << "volume " << opt.volume << ": powered on, but "
        << (error.empty() ? (dir / "disk").string() + " is empty" : error) << "\n";
    undo(true);
    return kExitFailure;
  }
  out << disk << "\n";
  return kExitOk;
}

int VolumeRemove(const Context& ctx, std::ostream& out, std::ostream& err) {
  const Options& opt = ctx.opt;
  const Sysfs& sys = ctx.sys;
  if (!sys.HasVolume(opt.volume)) {
    err << kPrefix << NoVolume(sys, opt.volume) << "\n";
    return kExitFailure;
  }
  const std::filesystem::path dir = sys.VolumeDir(opt.volume);
  std::string error;  // the disk is only named in messages: not an error
  const std::string disk = ReadAttr(dir / "disk", &error);
  try {
    Sysfs::WriteFile(dir / "power", "0");
  } catch (const SysfsError& e) {
    err << kPrefix
        << DescribeVolumeError(opt.volume, VolumeStep::kPowerOff, (dir / "power").string(),
                               e.errnum(), IsRoot(), disk)
        << "\n";
    return kExitFailure;
  }
  if (int e = ctx.dirs.remove(dir)) {
    err << kPrefix
        << DescribeVolumeError(opt.volume, VolumeStep::kRmdir, dir.string(), e, IsRoot(), disk)
        << "\n";
    return kExitFailure;
  }
  out << "volume " << opt.volume << " removed" << (disk.empty() ? "" : ", and its disk " + disk)
      << "\n";
  return kExitOk;
}

std::string_view StepName(VolumeStep step) {
  switch (step) {
    case VolumeStep::kMkdir:
      return "mkdir";
    case VolumeStep::kLayout:
      return "setting the layout";
    case VolumeStep::kChunkSize:
      return "setting the chunk size";
    case VolumeStep::kTargets:
      return "setting the targets";
    case VolumeStep::kPowerOn:
      return "power on";
    case VolumeStep::kPowerOff:
      return "power off";
    case VolumeStep::kRmdir:
      return "rmdir";
  }
  return "";
}

// What errnum means for `step`, when it says more than its text; "" if not.
std::string VolumeHint(VolumeStep step, int errnum, bool is_root, std::string_view disk) {
  if ((errnum == EACCES || errnum == EPERM) && !is_root)
    return "changing xferblk volumes needs root";
  switch (step) {
    case VolumeStep::kMkdir:
      if (errnum == EEXIST) return "the volume already exists";
      if (errnum == ENOENT) return "is the xferblk module loaded, and configfs mounted?";
      return "";
    case VolumeStep::kLayout:
    case VolumeStep::kChunkSize:
    case VolumeStep::kTargets:
    case VolumeStep::kRmdir:
      return errnum == EBUSY ? "the volume is powered on" : "";
    case VolumeStep::kPowerOn: {
      std::string hint;
      switch (errnum) {
        case ENOENT:
          hint = "a target's path does not exist; ";
          break;
        case ENODEV:
          hint = "no xferblk PCI disk at a pci: target's address; ";
          break;
        case ENOTBLK:
          hint = "a target is not a block device; ";
          break;
        case EBUSY:
          hint = "a target is in use (mounted, open exclusively, or in another volume); ";
          break;
        case EINVAL:
          hint =
              "the targets do not make the layout (their number, block sizes or sizes, or "
              "one given twice); ";
          break;
      }
      return hint + "the kernel log (dmesg) says why";
    }
    case VolumeStep::kPowerOff:
      if (errnum != EBUSY) return "";
      return disk.empty() ? "its disk is open" : "its disk " + std::string(disk) + " is open";
  }
  return "";
}

}  // namespace

std::string DescribeVolumeError(std::string_view volume, VolumeStep step, const std::string& path,
                                int errnum, bool is_root, std::string_view disk) {
  std::string reason = std::strerror(errnum);
  if (const char* name = ::strerrorname_np(errnum)) reason += std::string(" (") + name + ")";
  const std::string hint = VolumeHint(step, errnum, is_root, disk);
  return "volume " + std::string(volume) + ": " + std::string(StepName(step)) + " failed: " + path +
         ": " + reason + (hint.empty() ? "" : ": " + hint);
}

VolumeDirs RealVolumeDirs() {
  return {
      .make = [](const std::filesystem::path& p) { return ::mkdir(p.c_str(), 0755) ? errno : 0; },
      .remove = [](const std::filesystem::path& p) { return ::rmdir(p.c_str()) ? errno : 0; }};
}

std::string DescribeWriteError(const std::string& path, std::string_view value, int errnum,
                               bool is_root) {
  const std::string reason = std::strerror(errnum);
  if ((errnum == EACCES || errnum == EPERM) && !is_root)
    return "cannot write " + path + ": " + reason + " (changing xferblk settings needs root)";
  if (errnum == EACCES || errnum == EPERM || errnum == EROFS)
    return "cannot write " + path + ": " + reason;
  if (errnum == ENOENT) return "cannot write " + path + ": " + reason + " (is the driver loaded?)";
  return "the kernel refused '" + std::string(value) + "' for " + path + ": " + reason;
}

std::string DescribeIoctlError(std::string_view what, std::string_view disk, int errnum,
                               bool is_root) {
  const std::string head = std::string(what) + " on /dev/" + std::string(disk) + ": ";
  const std::string reason = std::strerror(errnum);
  if (errnum == EPERM || errnum == EACCES)
    return head + reason +
           (is_root ? " (needs CAP_SYS_ADMIN)" : " (changing xferblk settings needs root)");
  return "the kernel refused " + head + reason;
}

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return Run(args, out, err, OpenDevNode);
}

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        const DeviceOpener& open) {
  return Run(args, out, err, open, RealVolumeDirs());
}

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        const DeviceOpener& open, const VolumeDirs& dirs) {
  ParseResult p = ParseArgs(args);
  if (!p.ok) {
    err << kPrefix << p.error << "\n";
    err << "Try 'xferctl " << (p.topic.empty() ? "" : p.topic + " ") << "--help'.\n";
    return kExitUsage;
  }
  const Options& opt = p.options;
  if (opt.command == Command::kHelp) {
    out << HelpText(opt.help_topic);
    return kExitOk;
  }
  if (opt.command == Command::kVersion) {
    out << VersionText();
    return kExitOk;
  }
  Sysfs sys(opt.sysfs_root);
  const Context ctx{opt, sys, open, dirs};
  try {
    switch (opt.command) {
      case Command::kList:
        return List(ctx, out, err);
      case Command::kShow:
        return Show(ctx, out, err);
      case Command::kReset:
        return Reset(ctx, out, err);
      case Command::kSet:
        return Set(ctx, out, err);
      case Command::kVolumes:
        return Volumes(ctx, out, err);
      case Command::kVolumeCreate:
        return VolumeCreate(ctx, out, err);
      case Command::kVolumeRemove:
        return VolumeRemove(ctx, out, err);
      case Command::kHelp:
      case Command::kVersion:
        break;
    }
  } catch (const SysfsError& e) {
    err << kPrefix << e.what() << "\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    err << kPrefix << e.what() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace xferctl
