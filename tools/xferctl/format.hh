// SPDX-License-Identifier: GPL-2.0-only
//
// Human and JSON renderings of what sysfs.hh reads. The JSON keys are listed
// in 'xferctl list --help' and 'xferctl volumes --help' (args.cc); a test
// holds them together.

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

// Volumes: one block each (human), or {"volumes": [VOLUME, ...]} with the
// keys listed in 'xferctl volumes --help' (JSON).
std::string FormatVolumesHuman(const std::vector<VolumeInfo>& volumes);
std::string FormatVolumesJson(const std::vector<VolumeInfo>& volumes);

}  // namespace xferctl

#endif  // XFERCTL_FORMAT_HH_
