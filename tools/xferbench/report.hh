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

// The guest's vCPU count (meta cpus), at least 1.
int GuestCpus(const Manifest& m);

// Whether a point of a sweep ran more fio jobs than the guest has vCPUs
// (a numjobs sweep past `cpus`): its jobs shared vCPUs.
bool SharesVcpus(const SweepDef& def, int x, int cpus);

// The whole report: per job and device the median and spread, the target
// comparisons with their confidence intervals and met/missed/undecided/
// missing, the scaling curves and the memory measurements.
std::string FormatTable(const Results& r);

// The table's section of the scaling curves: per sweep a column per point,
// per device a row of median IOPS and one of median p99 completion
// latency; "" when there is no sweep.
std::string FormatCurves(const Results& r);

// Raw results and summary.
nlohmann::ordered_json ToJson(const Results& r);

// results.json's "curves": per sweep id its option, title, note and per
// device id its label (or why it is missing) and its points: x, the number
// of successful runs n, the median IOPS (min and max too when n > 1), the
// median p99 completion latency and mean latency, for a numjobs sweep
// whether the point's jobs shared vCPUs, and the runs. An empty object
// when there is no sweep.
nlohmann::ordered_json CurvesJson(const Results& r);

}  // namespace xferbench
