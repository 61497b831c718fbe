// SPDX-License-Identifier: GPL-2.0-only
//
// xferfuzz's command line (getopt_long), its --help and --version.

#ifndef XFERBLK_TOOLS_XFERFUZZ_OPTIONS_HH_
#define XFERBLK_TOOLS_XFERFUZZ_OPTIONS_HH_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace xferfuzz {

// Exit statuses.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // QEMU failed (fuzzing), or did not survive a replay
constexpr int kExitUsage = 2;    // bad options, or the run could not be set up
constexpr int kExitNoQemu = 77;  // no QEMU binary given: ctest's SKIP_RETURN_CODE

struct Options {
  std::string qemu;                     // --qemu, else $XFERBLK_QEMU
  std::optional<uint64_t> seed;         // else random
  std::optional<uint64_t> ops;          // stop after this many operations
  std::optional<double> seconds;        // stop after this long
  size_t restart_every = 1000;          // operations per QEMU
  size_t batch = 64;                    // operations per qtest pipeline
  unsigned timeout_ms = 5000;           // a qtest command unanswered this long: a hang
  std::filesystem::path out_dir = ".";  // replay files of failures
  double minimize_seconds = 300;        // per failure; 0: no minimization
  unsigned max_failures = 1;            // stop after this many; 0: never
  bool all_leaks = false;
  bool trace = false;
  bool quiet = false;
  std::vector<std::string> replay;     // files or directories (their *.txt)
  std::vector<std::string> qemu_args;  // appended to QEMU's command line
  bool help = false;
  bool version = false;
};

// The fuzzing run's defaults when neither --ops nor --seconds is given.
constexpr double kDefaultSeconds = 60;

struct OptionsError {
  std::string message;
};

// Parses argv; `env_qemu` is $XFERBLK_QEMU (or null).
std::variant<Options, OptionsError> ParseOptions(int argc, char** argv, const char* env_qemu);

std::string UsageText(std::string_view prog);
std::string VersionText();

}  // namespace xferfuzz

#endif  // XFERBLK_TOOLS_XFERFUZZ_OPTIONS_HH_
