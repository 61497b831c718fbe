// SPDX-License-Identifier: GPL-2.0-only
//
// Made-up fio outputs for the tests, shaped like fio 3.33's JSON.

#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "fio.hh"

namespace xferbench::samples {

struct FioSample {
  double bw_bytes = 0;
  double iops = 0;
  uint64_t ios = 0;
  int error = 0;
  double lat_mean_ns = 1e6;
  Percentiles clat_ns{};  // 0: left out, as fio does without percentiles
};

// One read job's --output-format=json report.
inline std::string FioOutput(const FioSample& s) {
  nlohmann::json read = {{"bw_bytes", s.bw_bytes},
                         {"iops", s.iops},
                         {"total_ios", s.ios},
                         {"lat_ns", {{"mean", s.lat_mean_ns}}}};
  for (std::size_t i = 0; i < kPercentiles.size(); ++i)
    if (s.clat_ns[i] > 0)
      read["clat_ns"]["percentile"][std::to_string(kPercentiles[i].percent)] = s.clat_ns[i];
  nlohmann::json job = {{"jobname", "j"}, {"error", s.error}, {"read", read}};
  return nlohmann::json({{"fio version", "fio-3.33"}, {"jobs", {job}}}).dump();
}

}  // namespace xferbench::samples
