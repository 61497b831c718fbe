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

// met: the whole confidence interval of the ratio is at or above the
// target; missed: all of it is below; undecided: it straddles the target,
// or too few repetitions ran on both devices to tell; missing: no ratio.
enum class Verdict { kMet, kMissed, kUndecided, kMissing };

const char* VerdictName(Verdict v);

// How the interval of a ratio is computed (BootstrapRatioCI), and how many
// pairs a verdict needs. Below 5 pairs a percentile bootstrap of medians
// claims more than it knows: one pair gives a zero-width interval, and with
// 3 the "95%" interval is the range of the pairs' ratios, which holds the
// true ratio about 75% of the time (86% with 4, 94% with 5, in a simulation
// with +-20% noise shared by a repetition's runs and +-5..15% per run).
inline constexpr double kConfidence = 0.95;
inline constexpr unsigned kResamples = 10000;
inline constexpr std::size_t kMinPairs = 5;

struct Comparison {
  CompareDef def;
  std::string best_peer;  // the peer with the highest median
  double ratio = 0;       // median(subject) / median(best peer)
  double ratio_min = 0;   // min(subject) / max(best peer)
  double ratio_max = 0;   // max(subject) / min(best peer)
  // The kConfidence bootstrap interval of the ratio over the repetitions
  // that succeeded on both the subject and the best peer (0 and 0 if none).
  std::size_t pairs = 0;
  double confidence = 0;
  Interval ci;
  Verdict verdict = Verdict::kMissing;
  std::string note;  // why missing or undecided, or which peers were missing
};

// One point of a scaling curve on one device: its runs (RunResult::value
// is IOPS; record.job is the sweep's id) and their summaries, of the runs
// that succeeded.
struct CurvePoint {
  int x = 0;
  std::vector<RunResult> runs;
  Summary iops;
  Summary lat_mean_ns;
  Summary clat_p99_ns;  // over the runs that reported a p99
  std::size_t Failed() const;
};

// One device's curve: its points by ascending x.
struct Curve {
  std::string device;
  std::vector<CurvePoint> points;
  std::string missing;  // set when no point has a successful run: why
  const CurvePoint* Find(int x) const;
};

// A scaling curve on every device it names.
struct Sweep {
  SweepDef def;
  std::vector<int> xs;        // every point some device ran, ascending
  std::vector<Curve> curves;  // def.devices in order, then any other device run
  const Curve* Find(const std::string& device) const;
};

struct Results {
  Manifest manifest;
  std::vector<Cell> cells;  // by job in manifest order, devices in run order
  std::vector<Comparison> comparisons;
  std::vector<MemoryResult> memory;
  // The manifest's sweeps in order, then any sweep only its curve records
  // name (varying "x", titled by its id); empty without curve records.
  std::vector<Sweep> sweeps;

  const Cell* Find(const std::string& job, const std::string& device) const;
  std::vector<const Cell*> CellsOf(const std::string& job) const;
};

// Reads a run's fio output (the path is the record's file, as given).
using FioLoader = std::function<FioRun(const std::string& file)>;

// Builds the cells, comparisons and sweeps; a run whose output cannot be
// read or whose fio failed is kept with its error and left out of the
// statistics.
Results Analyze(const Manifest& manifest, const FioLoader& load);

// The sweeps of a manifest (Results::sweeps), alone.
std::vector<Sweep> AnalyzeSweeps(const Manifest& manifest, const FioLoader& load);

// The metric of a run for a job.
double MetricValue(Metric m, const FioRun& run);

// The metric of subject and peer in each repetition that succeeded on both,
// by repetition number (a repetition listed twice counts once: its first
// successful run).
Pairs PairRuns(const Cell& subject, const Cell& peer);

// Compares the subject's runs with the best (highest median) of the peers'.
Comparison Compare(const CompareDef& def, const Cell* subject,
                   const std::vector<const Cell*>& peers);

// The jobs, in manifest order and each once, that have an undecided
// comparison: those more repetitions may decide.
std::vector<std::string> UndecidedJobs(const Results& r);

}  // namespace xferbench
