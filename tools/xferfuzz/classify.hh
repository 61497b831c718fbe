// SPDX-License-Identifier: GPL-2.0-only
//
// What counts as QEMU failing, from its stderr and how it ended: a crash
// (a signal: SIGSEGV, SIGABRT from an assertion...), an exit nobody asked
// for, a hang, or a sanitizer report (ASan, UBSan, LSan, TSan, MSan) on
// stderr. Each failure has a signature, which a minimized replay must
// reproduce: the kind, and the line that names the bug (the sanitizer's
// headline and the first frame in our code, the assertion), with what
// changes from run to run (addresses, pids) blanked out.

#ifndef XFERBLK_TOOLS_XFERFUZZ_CLASSIFY_HH_
#define XFERBLK_TOOLS_XFERFUZZ_CLASSIFY_HH_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace xferfuzz {

struct Failure {
  std::string kind;       // "crash", "exit", "hang", "sanitizer", "leak"
  std::string signature;  // what a replay must reproduce
  std::string detail;     // for people: what happened, and QEMU's stderr
  size_t op = 0;          // index, in its instance, of the op it showed at
};

// A sanitizer report in `err` (QEMU's stderr), if there is one. A leak
// report counts only if `all_leaks` or one of its stacks is in the device
// model (a frame in an xferblk_ function or hw/xferblk/): QEMU leaks a
// little at exit on its own.
std::optional<Failure> FindSanitizerReport(std::string_view err, bool all_leaks);

// How QEMU ended. `status` is its wait status (nullopt: still running);
// `killed`: we had to SIGKILL it; `expected`: we asked it to quit (SIGTERM),
// so a clean exit is no failure.
std::optional<Failure> ClassifyEnd(std::optional<int> status, bool killed, bool expected,
                                   std::string_view err, bool all_leaks);

// A failure for QEMU not answering in time; `what` says what it was doing.
Failure HangFailure(const std::string& what, std::string_view err);

// The line of an assertion failure or other fatal message in `err`
// ("...: Assertion `x' failed.", GLib's "ERROR:...", "qemu: hardware
// error"), normalized; empty if none.
std::string FatalLine(std::string_view err);

// `line` with hex numbers ("0x?"), pids ("==?==") and thread ids blanked.
std::string Normalize(std::string_view line);

// The last `max_lines` lines of `err`.
std::string Tail(std::string_view err, size_t max_lines);

}  // namespace xferfuzz

#endif  // XFERBLK_TOOLS_XFERFUZZ_CLASSIFY_HH_
