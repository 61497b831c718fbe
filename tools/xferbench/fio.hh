// SPDX-License-Identifier: GPL-2.0-only
//
// What xferbench needs from one fio run's JSON output (--output-format=json).

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xferbench {

// One direction (read or write) of one fio job.
struct FioDirection {
  uint64_t io_bytes = 0;
  uint64_t total_ios = 0;
  double bw_bytes = 0;  // bytes per second
  double iops = 0;
  double lat_mean_ns = 0;  // submission to completion
  double clat_p50_ns = 0;  // 0 when fio reported no percentiles
  double clat_p99_ns = 0;
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
  // The largest 99th percentile completion latency of any direction.
  double ClatP99Ns() const;
  // The first nonzero job error, or 0.
  int Error() const;
};

// Parses fio's JSON. Text before the first '{' (fio may print warnings
// into the same file) is skipped. Throws std::runtime_error with a
// message on anything that is not a fio JSON report.
FioRun ParseFioJson(std::string_view text);

// Reads and parses a file; the message of the exception names it.
FioRun ReadFioJson(const std::string& path);

}  // namespace xferbench
