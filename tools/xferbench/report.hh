// SPDX-License-Identifier: GPL-2.0-only
//
// The human table and the JSON file of `xferbench report`.

#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "fio.hh"
#include "manifest.hh"
#include "results.hh"

namespace xferbench {

// printf into a std::string.
std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// The unit a job's metric is shown in, and a value in it.
const char* UnitOf(Metric m);
double InUnit(Metric m, double value);            // bytes/s -> MiB/s; IOPS unchanged
std::string FormatValue(Metric m, double value);  // "812.3" or "30117"

// One line about a fio run, for progress output:
// "812.3 MiB/s, 812 IOPS, mean latency 19.70 ms".
std::string RunLine(const FioRun& run);

// The whole report: per job and device the median and spread, the target
// comparisons with their confidence intervals and met/missed/undecided/
// missing, and the memory measurements.
std::string FormatTable(const Results& r);

// Raw results and summary.
nlohmann::ordered_json ToJson(const Results& r);

}  // namespace xferbench
