// SPDX-License-Identifier: GPL-2.0-only
//
// xferio's command line: what the user asked for, before anything is known
// about the device. Checks that need the device (block size multiples, the
// region inside the disk) are in workload.hh.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hh"

namespace xferio {

// Exit statuses (also in --help).
enum ExitCode : int {
  kExitOk = 0,
  kExitVerifyFailure = 1,  // a block read back was not what was written there
  kExitIoError = 2,        // a read or write failed or came back short; or no io_uring
  kExitUsage = 3,          // bad options, or a path that is not a usable block device
};

enum class Mode { kRead, kWrite, kVerify };
enum class Pattern { kSequential, kRandom };
enum class Layout { kContiguous, kFragmented, kMisaligned };

// One element of --bs: "auto", a size, or a range lo-hi (each I/O draws a
// multiple of the logical block size in [lo, hi]).
struct BsItem {
  bool automatic = false;
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool operator==(const BsItem&) const = default;
};

struct Options {
  std::string device;
  Mode mode = Mode::kVerify;
  Pattern pattern = Pattern::kSequential;
  std::vector<BsItem> bs = {BsItem{.automatic = true}};
  std::vector<Layout> layouts = {Layout::kContiguous};
  uint32_t qd = 16;
  std::optional<uint64_t> runtime_s;
  std::optional<uint64_t> total;
  uint64_t offset = 0;
  std::optional<uint64_t> size;
  uint64_t seed = 1;
  uint64_t gen = 1;
  bool verify = true;   // --no-verify: read mode without checking stamps
  bool iopoll = false;  // --iopoll: an IORING_SETUP_IOPOLL ring
  bool json = false;
  uint32_t max_report = 10;
};

struct ParsedArgs {
  bool help = false;     // --help: print UsageText() and exit 0
  bool version = false;  // --version: print VersionText() and exit 0 (--help wins)
  Options options;
};

constexpr uint32_t kMaxQueueDepth = 1024;
constexpr uint64_t kMaxGeneration = (uint64_t{1} << 62);

// args: the command line without argv[0].
Result<ParsedArgs> ParseArgs(const std::vector<std::string>& args);

Result<std::vector<BsItem>> ParseBsList(std::string_view text);
Result<std::vector<Layout>> ParseLayoutList(std::string_view text);

const char* ModeName(Mode mode);
const char* PatternName(Pattern pattern);
const char* LayoutName(Layout layout);

std::string UsageText(std::string_view prog);

// What --version prints: "xferio MAJOR.MINOR.PATCH\n" (the project's VERSION).
std::string VersionText();

}  // namespace xferio
