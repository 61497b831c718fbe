// SPDX-License-Identifier: GPL-2.0-only

#include "sysfs.hh"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "size.hh"

namespace xferio {

namespace {

constexpr const char* kCounters[] = {"parents",       "children",  "errors",
                                     "parent_errors", "rejected",  "dev_rejected",
                                     "unsendable",    "cancelled", "dev_commands"};

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::string SysfsDirFor(dev_t rdev) {
  return "/sys/dev/block/" + std::to_string(major(rdev)) + ":" + std::to_string(minor(rdev));
}

Result<uint64_t> ReadNumber(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"cannot read " + path + ": " + std::strerror(errno)};
  std::string text;
  in >> text;
  auto v = ParseUint(text, path, 0, UINT64_MAX);
  if (!v) return Error{"unexpected contents in " + path + ": \"" + text + "\""};
  return *v;
}

Result<DeviceLimits> ReadDeviceLimits(const std::string& dir) {
  std::string queue = dir + "/queue";
  if (!IsDir(queue) && IsDir(dir + "/../queue")) queue = dir + "/../queue";
  DeviceLimits limits;
  auto lbs = ReadNumber(queue + "/logical_block_size");
  if (!lbs) return Error{lbs.error()};
  auto hw_kb = ReadNumber(queue + "/max_hw_sectors_kb");
  if (!hw_kb) return Error{hw_kb.error()};
  auto segs = ReadNumber(queue + "/max_segments");
  if (!segs) return Error{segs.error()};
  auto seg_size = ReadNumber(queue + "/max_segment_size");
  if (!seg_size) return Error{seg_size.error()};
  if (*lbs > UINT32_MAX || *segs > UINT32_MAX || *hw_kb > (UINT64_MAX >> 10)) {
    return Error{"implausible limits in " + queue};
  }
  limits.logical_block_size = static_cast<uint32_t>(*lbs);
  limits.max_hw_bytes = *hw_kb << 10;
  limits.max_segments = static_cast<uint32_t>(*segs);
  limits.max_segment_size = *seg_size;
  return limits;
}

std::vector<std::pair<std::string, uint64_t>> ReadDriverCounters(const std::string& dir) {
  std::vector<std::pair<std::string, uint64_t>> counters;
  const std::string base = dir + "/xferblk";
  if (!IsDir(base)) return counters;
  for (const char* name : kCounters) {
    if (auto v = ReadNumber(base + "/" + name)) counters.emplace_back(name, *v);
  }
  return counters;
}

std::vector<std::pair<std::string, uint64_t>> CounterDelta(
    const std::vector<std::pair<std::string, uint64_t>>& before,
    const std::vector<std::pair<std::string, uint64_t>>& after) {
  std::vector<std::pair<std::string, uint64_t>> delta;
  for (const auto& [name, value] : after) {
    for (const auto& [bname, bvalue] : before) {
      if (bname == name) delta.emplace_back(name, value - bvalue);
    }
  }
  return delta;
}

}  // namespace xferio
