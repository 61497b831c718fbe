// SPDX-License-Identifier: GPL-2.0-only
//
// The device's limits and the xferblk driver's counters, from sysfs. Every
// function takes the directory, so tests can point it at a fake tree.

#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "result.hh"
#include "workload.hh"

namespace xferio {

// "/sys/dev/block/MAJ:MIN" for a block device number.
std::string SysfsDirFor(dev_t rdev);

// Reads logical_block_size, max_hw_sectors_kb, max_segments and
// max_segment_size from `dir`/queue (or, for a partition, its disk's queue
// one directory up).
Result<DeviceLimits> ReadDeviceLimits(const std::string& dir);

// One unsigned number from a sysfs file.
Result<uint64_t> ReadNumber(const std::string& path);

// The xferblk counters present in `dir`/xferblk (nothing if there is no such
// directory), in a fixed order.
std::vector<std::pair<std::string, uint64_t>> ReadDriverCounters(const std::string& dir);

// after - before, name by name (counters missing from either are left out).
std::vector<std::pair<std::string, uint64_t>> CounterDelta(
    const std::vector<std::pair<std::string, uint64_t>>& before,
    const std::vector<std::pair<std::string, uint64_t>>& after);

}  // namespace xferio
