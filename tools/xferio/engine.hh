// SPDX-License-Identifier: GPL-2.0-only
//
// The io_uring engine: runs a plan's passes against an open file descriptor
// and fills in a Summary.
//
// A pass is a list of chunks (workload.hh). Up to plan.qd are in flight, each
// in its own buffer ("arena") laid out by the layout builder. A write stamps
// every block first; a read fills its arena with a poison byte first, so a
// block the read did not deliver shows up as unstamped, and afterwards checks
// every block and that the gaps between its iovecs still hold the poison.
// Contiguous and misaligned buffers go as IORING_OP_READ/WRITE, fragmented
// ones as IORING_OP_READV/WRITEV.

#pragma once

#include <csignal>
#include <optional>
#include <string>

#include "report.hh"
#include "workload.hh"

namespace xferio {

// The byte a read buffer is filled with before the read.
constexpr unsigned char kPoison = 0xa5;

// Runs `plan` on `fd` (opened with O_DIRECT, and for writing unless the mode
// is read). `summary` must already hold the plan; its counters are filled in.
// `stop`, if given, is polled: once it is nonzero no new I/O is issued and
// the run ends when what is in flight has completed. Returns an error only
// if the run could not be set up.
std::optional<std::string> RunWorkload(const RunPlan& plan, int fd, Summary* summary,
                                       const volatile std::sig_atomic_t* stop);

}  // namespace xferio
