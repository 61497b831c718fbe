// SPDX-License-Identifier: GPL-2.0-only
//
// The subcommands.

#include "cli.hh"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "args.hh"
#include "format.hh"
#include "sysfs.hh"

namespace xferctl {
namespace {

constexpr std::string_view kPrefix = "xferctl: ";

// "no disk xferblk7; xferblk disks: xferblk0 xferblk1" (or why there are none).
std::string NoDisk(const Sysfs& sys, const std::string& disk) {
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

int List(const Options& opt, const Sysfs& sys, std::ostream& out, std::ostream& err) {
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
      disks.push_back(sys.ReadDisk(name));
    } catch (const SysfsError& e) {
      err << kPrefix << name << ": " << e.what() << "\n";
      rc = kExitFailure;
    }
  }
  out << (opt.json ? FormatListJson(module, disks) : FormatListHuman(module, disks));
  return rc;
}

int Show(const Options& opt, const Sysfs& sys, std::ostream& out, std::ostream& err) {
  if (!sys.HasDisk(opt.disk)) {
    err << kPrefix << NoDisk(sys, opt.disk) << "\n";
    return kExitFailure;
  }
  DiskInfo d = sys.ReadDisk(opt.disk);
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

int Reset(const Options& opt, const Sysfs& sys, std::ostream& out, std::ostream& err) {
  if (!sys.HasDisk(opt.disk)) {
    err << kPrefix << NoDisk(sys, opt.disk) << "\n";
    return kExitFailure;
  }
  if (!Write(sys.DiskAttr(opt.disk, "reset_counters"), "1", err)) return kExitFailure;
  out << opt.disk << ": counters reset\n";
  return kExitOk;
}

int Set(const Options& opt, const Sysfs& sys, std::ostream& out, std::ostream& err) {
  std::filesystem::path path;
  std::string what;
  if (opt.setting == Setting::kSendMode) {
    if (!sys.HasDisk(opt.disk)) {
      err << kPrefix << NoDisk(sys, opt.disk) << "\n";
      return kExitFailure;
    }
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

}  // namespace

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

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
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
  Sysfs sys(opt.sysfs_root);
  try {
    switch (opt.command) {
      case Command::kList:
        return List(opt, sys, out, err);
      case Command::kShow:
        return Show(opt, sys, out, err);
      case Command::kReset:
        return Reset(opt, sys, out, err);
      case Command::kSet:
        return Set(opt, sys, out, err);
      case Command::kHelp:
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
