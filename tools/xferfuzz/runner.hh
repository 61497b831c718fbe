// SPDX-License-Identifier: GPL-2.0-only
//
// Runs operations against QEMU: one instance (a start op and what follows
// it) in one fresh QEMU, with a fresh image. Operations go to QEMU's qtest
// stream in pipelines of up to `batch` ops, the QMP ones (unplug, system
// reset) and pci_setup alone; after each pipeline QEMU's new stderr is
// searched for sanitizer reports, and at the end QEMU is asked to quit and
// must exit cleanly.

#ifndef XFERBLK_TOOLS_XFERFUZZ_RUNNER_HH_
#define XFERBLK_TOOLS_XFERFUZZ_RUNNER_HH_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "classify.hh"
#include "op.hh"

namespace xferfuzz {

struct RunnerOptions {
  std::string qemu;                         // the binary
  std::chrono::milliseconds timeout{5000};  // for each qtest answer
  size_t batch = 64;                        // ops per pipeline
  bool all_leaks = false;                   // see FindSanitizerReport()
  std::filesystem::path scratch;            // for the image and sockets
  bool trace = false;                       // each op on stderr as it is sent, and QEMU's stderr
  std::vector<std::string> qemu_args;       // more arguments for QEMU
};

struct InstanceResult {
  size_t executed = 0;  // ops carried out (all of them unless stopped or failed)
  std::optional<Failure> failure;
  std::vector<std::string> notes;  // odd but not failures: QMP errors, refused commands
};

class Runner {
 public:
  explicit Runner(RunnerOptions options) : o_(std::move(options)) {}

  // Runs `ops`, the first of which is a start op. `stop` (may be empty) is
  // asked between pipelines whether to end early: QEMU is then asked to
  // quit as at the end.
  InstanceResult Run(std::span<const Op> ops, const std::function<bool()>& stop = {});

  uint64_t qemu_starts() const { return starts_; }

 private:
  RunnerOptions o_;
  uint64_t starts_ = 0;
};

// The qtest commands of a pipelined op (none for msixctl before the MSI-X
// capability is known: `msix_cap` 0).
std::vector<std::string> QtestLines(const Op& op, unsigned msix_cap);

}  // namespace xferfuzz

#endif  // XFERBLK_TOOLS_XFERFUZZ_RUNNER_HH_
