// SPDX-License-Identifier: GPL-2.0-only
//
// Human and JSON renderings of what sysfs.hh reads. The JSON keys are listed
// in 'xferctl list --help' (args.cc); a test holds the two together.

#ifndef XFERCTL_FORMAT_HH_
#define XFERCTL_FORMAT_HH_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sysfs.hh"

namespace xferctl {

// "512 B", "4 KiB", "1.5 GiB": binary units, one decimal unless exact.
std::string HumanBytes(uint64_t bytes);

// Human output: one block per disk, the module's parameters first in a list.
std::string FormatModuleHuman(const ModuleInfo& m);
std::string FormatDiskHuman(const DiskInfo& d);
std::string FormatListHuman(const ModuleInfo& m, const std::vector<DiskInfo>& disks);

// JSON output, two-space indented, ending in a newline.
std::string FormatDiskJson(const DiskInfo& d);
std::string FormatListJson(const ModuleInfo& m, const std::vector<DiskInfo>& disks);

}  // namespace xferctl

#endif  // XFERCTL_FORMAT_HH_
