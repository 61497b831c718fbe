// SPDX-License-Identifier: GPL-2.0-only
//
// From a manifest and its fio outputs to per job/device statistics and the
// target comparisons.

#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "fio.hh"
#include "manifest.hh"
#include "memory.hh"
#include "stats.hh"

namespace xferbench {

struct RunResult {
  RunRecord record;
  bool ok = false;
  std::string error;  // why not ok
  double value = 0;   // the job's metric: bytes/s or IOPS
  double bw_bytes = 0;
  double iops = 0;
  double lat_mean_ns = 0;
  Percentiles clat_ns{};  // fio's clat percentiles, kPercentiles
  uint64_t ios = 0;
};

// One job on one device: its repetitions and their summary (of the runs
// that succeeded).
struct Cell {
  std::string job;
  std::string device;
  std::vector<RunResult> runs;
  Summary summary;
  Summary latency;  // mean latency per run, ns
  // Per percentile of kPercentiles, its value per run (ns) over the runs
  // that reported it.
  std::array<Summary, kPercentiles.size()> clat;
  std::string missing;  // set when there is no successful run: why
  std::size_t Failed() const;
};

enum class Verdict { kMet, kMissed, kMissing };

const char* VerdictName(Verdict v);

struct Comparison {
  CompareDef def;
  std::string best_peer;  // the peer with the highest median
  double ratio = 0;       // median(subject) / median(best peer)
  double ratio_min = 0;   // min(subject) / max(best peer)
  double ratio_max = 0;   // max(subject) / min(best peer)
  Verdict verdict = Verdict::kMissing;
  std::string note;  // why missing, or which peers were missing
};

struct Results {
  Manifest manifest;
  std::vector<Cell> cells;  // by job in manifest order, devices in run order
  std::vector<Comparison> comparisons;
  std::vector<MemoryResult> memory;

  const Cell* Find(const std::string& job, const std::string& device) const;
  std::vector<const Cell*> CellsOf(const std::string& job) const;
};

// Reads a run's fio output (the path is the record's file, as given).
using FioLoader = std::function<FioRun(const std::string& file)>;

// Builds the cells and comparisons; a run whose output cannot be read or
// whose fio failed is kept with its error and left out of the statistics.
Results Analyze(const Manifest& manifest, const FioLoader& load);

// The metric of a run for a job.
double MetricValue(Metric m, const FioRun& run);

// Compares two cells' summaries (the subject against one or more peers).
Comparison Compare(const CompareDef& def, const Cell* subject,
                   const std::vector<const Cell*>& peers);

}  // namespace xferbench
