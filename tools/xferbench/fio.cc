// SPDX-License-Identifier: GPL-2.0-only

#include "fio.hh"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "files.hh"

namespace xferbench {
namespace {

using nlohmann::json;

double Number(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return 0;
  return it->get<double>();
}

uint64_t Count(const json& obj, const char* key) {
  double v = Number(obj, key);
  return v > 0 ? static_cast<uint64_t>(v) : 0;
}

// The member `key` of obj if it is an object, else nullptr.
const json* Object(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_object() ? &*it : nullptr;
}

// fio names percentiles "50.000000", "99.900000", ...: match by value so a
// different number of decimals does not matter.
Percentiles ClatPercentiles(const json& dir) {
  Percentiles out{};
  const json* clat = Object(dir, "clat_ns");
  const json* pct = clat ? Object(*clat, "percentile") : nullptr;
  if (!pct) return out;
  for (const auto& [key, value] : pct->items()) {
    double which = 0;
    try {
      which = std::stod(key);
    } catch (const std::exception&) {
      continue;  // not a percentile key
    }
    for (std::size_t i = 0; i < kPercentiles.size(); ++i)
      if (kPercentiles[i].percent == which && value.is_number()) out[i] = value.get<double>();
  }
  return out;
}

FioDirection ParseDirection(const json& job, const char* name) {
  FioDirection d;
  const json* dir = Object(job, name);
  if (!dir) return d;
  d.io_bytes = Count(*dir, "io_bytes");
  d.total_ios = Count(*dir, "total_ios");
  d.bw_bytes = Number(*dir, "bw_bytes");
  d.iops = Number(*dir, "iops");
  d.runtime_ms = Count(*dir, "runtime");
  if (const json* lat = Object(*dir, "lat_ns")) d.lat_mean_ns = Number(*lat, "mean");
  d.clat_ns = ClatPercentiles(*dir);
  return d;
}

// The sum of a field over every job and both directions.
template <class T>
T Sum(const std::vector<FioJob>& jobs, T FioDirection::*field) {
  T sum{};
  for (const auto& j : jobs) sum += j.read.*field + j.write.*field;
  return sum;
}

}  // namespace

double FioRun::BandwidthBytes() const { return Sum(jobs, &FioDirection::bw_bytes); }

double FioRun::Iops() const { return Sum(jobs, &FioDirection::iops); }

uint64_t FioRun::TotalIos() const { return Sum(jobs, &FioDirection::total_ios); }

double FioRun::LatencyMeanNs() const {
  double weighted = 0;
  double ios = 0;
  for (const auto& j : jobs) {
    for (const FioDirection* d : {&j.read, &j.write}) {
      if (d->total_ios == 0) continue;
      weighted += d->lat_mean_ns * static_cast<double>(d->total_ios);
      ios += static_cast<double>(d->total_ios);
    }
  }
  return ios > 0 ? weighted / ios : 0;
}

Percentiles FioRun::ClatNs() const {
  Percentiles worst{};
  for (const auto& j : jobs)
    for (std::size_t i = 0; i < worst.size(); ++i)
      worst[i] = std::max({worst[i], j.read.clat_ns[i], j.write.clat_ns[i]});
  return worst;
}

int FioRun::Error() const {
  for (const auto& j : jobs)
    if (j.error != 0) return j.error;
  return 0;
}

FioRun ParseFioJson(std::string_view text) {
  auto start = text.find('{');
  if (start == std::string_view::npos) throw std::runtime_error("no JSON object in fio output");
  json doc = json::parse(text.substr(start), nullptr, false);
  if (doc.is_discarded()) throw std::runtime_error("fio output is not valid JSON");
  if (!doc.is_object()) throw std::runtime_error("fio output is not a JSON object");
  auto jobs = doc.find("jobs");
  if (jobs == doc.end() || !jobs->is_array()) throw std::runtime_error("fio output has no jobs");

  FioRun run;
  auto version = doc.find("fio version");
  if (version != doc.end() && version->is_string()) run.version = version->get<std::string>();
  for (const json& j : *jobs) {
    if (!j.is_object()) throw std::runtime_error("fio job is not an object");
    FioJob job;
    auto name = j.find("jobname");
    if (name != j.end() && name->is_string()) job.name = name->get<std::string>();
    job.error = static_cast<int>(Number(j, "error"));
    job.read = ParseDirection(j, "read");
    job.write = ParseDirection(j, "write");
    run.jobs.push_back(std::move(job));
  }
  if (run.jobs.empty()) throw std::runtime_error("fio output has no jobs");
  return run;
}

FioRun ReadFioJson(const std::string& path) { return ParseFile(path, ParseFioJson); }

}  // namespace xferbench
