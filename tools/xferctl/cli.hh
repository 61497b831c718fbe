// SPDX-License-Identifier: GPL-2.0-only
//
// xferctl as a function: parse, act, print, return the exit code. main()
// only forwards to it, so the tests drive the whole tool in-process.

#ifndef XFERCTL_CLI_HH_
#define XFERCTL_CLI_HH_

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ioctl.hh"

namespace xferctl {

// Runs xferctl with the arguments after argv[0]; returns kExitOk,
// kExitFailure or kExitUsage (args.hh). The disks are opened for the ioctls
// with `open` (OpenDevNode unless a test stands in for the kernel).
int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        const DeviceOpener& open);

// The message for a failed sysfs write: a permission problem says root is
// needed (when not running as root), anything else is the kernel refusing
// the value, with its errno text.
std::string DescribeWriteError(const std::string& path, std::string_view value, int errnum,
                               bool is_root);

// The same for an ioctl (`what`, e.g. "XFERBLK_IOC_RESET_STATS") the driver
// refused on `disk`: EPERM says root (or, for root, CAP_SYS_ADMIN) is needed.
std::string DescribeIoctlError(std::string_view what, std::string_view disk, int errnum,
                               bool is_root);

}  // namespace xferctl

#endif  // XFERCTL_CLI_HH_
