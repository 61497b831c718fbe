// SPDX-License-Identifier: GPL-2.0-only
//
// xferctl as a function: parse, act, print, return the exit code. main()
// only forwards to it, so the tests drive the whole tool in-process.

#ifndef XFERCTL_CLI_HH_
#define XFERCTL_CLI_HH_

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ioctl.hh"

namespace xferctl {

// mkdir(2) and rmdir(2) of a volume's configfs directory, each returning 0
// or the errno. configfs fills a new directory with the volume's attributes,
// which a plain directory does not: the tests stand in for it.
struct VolumeDirs {
  std::function<int(const std::filesystem::path&)> make;
  std::function<int(const std::filesystem::path&)> remove;
};

// The real ones.
VolumeDirs RealVolumeDirs();

// Runs xferctl with the arguments after argv[0]; returns kExitOk,
// kExitFailure or kExitUsage (args.hh). The disks are opened for the ioctls
// with `open` (OpenDevNode unless a test stands in for the kernel), and the
// volumes' directories made and removed with `dirs` (RealVolumeDirs()).
int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        const DeviceOpener& open);
int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        const DeviceOpener& open, const VolumeDirs& dirs);

// The message for a failed sysfs write: a permission problem says root is
// needed (when not running as root), anything else is the kernel refusing
// the value, with its errno text.
std::string DescribeWriteError(const std::string& path, std::string_view value, int errnum,
                               bool is_root);

// The same for an ioctl (`what`, e.g. "XFERBLK_IOC_RESET_STATS") the driver
// refused on `disk`: EPERM says root (or, for root, CAP_SYS_ADMIN) is needed.
std::string DescribeIoctlError(std::string_view what, std::string_view disk, int errnum,
                               bool is_root);

// The steps of volume-create and volume-remove.
enum class VolumeStep { kMkdir, kLayout, kChunkSize, kTargets, kPowerOn, kPowerOff, kRmdir };

// The message for a step on volume `volume` that failed with errnum on
// `path`: "volume NAME: STEP failed: PATH: REASON (ENAME)", and what the
// errno means for that step when it says more (e.g. for kPowerOff, EBUSY:
// the volume's disk, `disk` if known, is open).
std::string DescribeVolumeError(std::string_view volume, VolumeStep step, const std::string& path,
                                int errnum, bool is_root, std::string_view disk = "");

}  // namespace xferctl

#endif  // XFERCTL_CLI_HH_
