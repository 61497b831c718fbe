// SPDX-License-Identifier: GPL-2.0-only
//
// xferfuzz's runs: fuzzing (instances from the generator until the budget
// is spent, each failure minimized and written as a replay file) and
// replaying files; the summary line.

#ifndef XFERBLK_TOOLS_XFERFUZZ_FUZZER_HH_
#define XFERBLK_TOOLS_XFERFUZZ_FUZZER_HH_

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "classify.hh"
#include "op.hh"
#include "options.hh"

namespace xferfuzz {

// The whole program: returns the exit status.
int Main(int argc, char** argv);

// The instances of a replay file's operations: split before each start op;
// a first instance without one gets the default start.
std::vector<std::vector<Op>> SplitInstances(std::vector<Op> ops);

// The text of a replay file: a comment header (`header` lines, each without
// "# ") and the operations.
std::string ReplayText(const std::vector<std::string>& header, std::span<const Op> ops);

// Whether a replay of a failure counts as the same failure.
inline bool SameFailure(const Failure& a, const Failure& b) {
  return a.kind == b.kind && a.signature == b.signature;
}

}  // namespace xferfuzz

#endif  // XFERBLK_TOOLS_XFERFUZZ_FUZZER_HH_
