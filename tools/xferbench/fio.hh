// SPDX-License-Identifier: GPL-2.0-only
//
// What xferbench needs from one fio run's JSON output (--output-format=json).

#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xferbench {

// The completion latency percentiles xferbench reads from fio's clat_ns
// percentiles (the jobs in bench/ ask for exactly these with
// percentile_list=50:99:99.9), with their names in the table and charts
// and their keys in results.json.
struct PercentileDef {
  double percent;
  const char* name;
  const char* json_key;
};
inline constexpr std::array<PercentileDef, 3> kPercentiles = {{
    {50.0, "p50", "clat_p50_ns"},
    {99.0, "p99", "clat_p99_ns"},
    {99.9, "p99.9", "clat_p99_9_ns"},
}};
// The index of a percentile in kPercentiles.
consteval std::size_t PercentileIndex(double percent) {
  for (std::size_t i = 0; i < kPercentiles.size(); ++i)
    if (kPercentiles[i].percent == percent) return i;
  throw "not one of kPercentiles";
}
// Nanoseconds per entry of kPercentiles; 0 where fio reported none.
using Percentiles = std::array<double, kPercentiles.size()>;

// One direction (read or write) of one fio job.
struct FioDirection {
  uint64_t io_bytes = 0;
  uint64_t total_ios = 0;
  double bw_bytes = 0;  // bytes per second
  double iops = 0;
  double lat_mean_ns = 0;  // submission to completion
  Percentiles clat_ns{};
  uint64_t runtime_ms = 0;
};

struct FioJob {
  std::string name;
  int error = 0;
  FioDirection read;
  FioDirection write;
};

struct FioRun {
  std::string version;
  std::vector<FioJob> jobs;

  // Sums over every job and both directions.
  double BandwidthBytes() const;
  double Iops() const;
  uint64_t TotalIos() const;
  // Mean latency over every direction that moved data, weighted by its
  // I/O count; 0 if none did.
  double LatencyMeanNs() const;
  // Per percentile, the largest of any direction.
  Percentiles ClatNs() const;
  // The first nonzero job error, or 0.
  int Error() const;
};

// Parses fio's JSON. Text before the first '{' (fio may print warnings
// into the same file) is skipped. Throws std::runtime_error with a
// message on anything that is not a fio JSON report.
FioRun ParseFioJson(std::string_view text);

// Reads and parses a file; the message of an exception names it.
FioRun ReadFioJson(const std::string& path);

}  // namespace xferbench
