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

namespace xferctl {

// Runs xferctl with the arguments after argv[0]; returns kExitOk,
// kExitFailure or kExitUsage (args.hh).
int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The message for a failed sysfs write: a permission problem says root is
// needed (when not running as root), anything else is the kernel refusing
// the value, with its errno text.
std::string DescribeWriteError(const std::string& path, std::string_view value, int errnum,
                               bool is_root);

}  // namespace xferctl

#endif  // XFERCTL_CLI_HH_
