// SPDX-License-Identifier: GPL-2.0-only
//
// Byte counts and plain numbers as they appear on the command line.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "result.hh"

namespace xferio {

// A byte count: decimal digits, then optionally a binary unit k, m, g or t
// (any case; 1k = 1024), then optionally "b" or "ib" ("4096", "4k", "4KiB",
// "1M", "2g"). No sign, no fraction, no hex. Zero is accepted here; callers
// that need a positive size say so themselves.
Result<uint64_t> ParseSize(std::string_view text);

// A plain decimal integer in [min, max]. `what` names the value in errors
// ("--qd must be 1 to 1024, not 0").
Result<uint64_t> ParseUint(std::string_view text, std::string_view what, uint64_t min,
                           uint64_t max);

// The shortest exact spelling: "512", "4k", "1m", "65024" (not a whole unit).
std::string FormatSize(uint64_t bytes);

// For people: "64.0 MiB", "512 B", "1.50 GiB".
std::string HumanBytes(uint64_t bytes);

}  // namespace xferio
