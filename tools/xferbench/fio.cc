// SPDX-License-Identifier: GPL-2.0-only

#include "fio.hh"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

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

// fio names percentiles "50.000000", "99.000000", ...: match by value so a
// different number of decimals does not matter.
double Percentile(const json& dir, double which) {
  auto clat = dir.find("clat_ns");
  if (clat == dir.end() || !clat->is_object()) return 0;
  auto pct = clat->find("percentile");
  if (pct == clat->end() || !pct->is_object()) return 0;
  for (const auto& [key, value] : pct->items()) {
    try {
      if (std::stod(key) == which && value.is_number()) return value.get<double>();
    } catch (const std::exception&) {
      // not a percentile key
    }
  }
  return 0;
}

FioDirection ParseDirection(const json& job, const char* name) {
  FioDirection d;
  auto it = job.find(name);
  if (it == job.end() || !it->is_object()) return d;
  const json& dir = *it;
  d.io_bytes = Count(dir, "io_bytes");
  d.total_ios = Count(dir, "total_ios");
  d.bw_bytes = Number(dir, "bw_bytes");
  d.iops = Number(dir, "iops");
  d.runtime_ms = Count(dir, "runtime");
  auto lat = dir.find("lat_ns");
  if (lat != dir.end() && lat->is_object()) d.lat_mean_ns = Number(*lat, "mean");
  d.clat_p50_ns = Percentile(dir, 50.0);
  d.clat_p99_ns = Percentile(dir, 99.0);
  return d;
}

}  // namespace

double FioRun::BandwidthBytes() const {
  double sum = 0;
  for (const auto& j : jobs) sum += j.read.bw_bytes + j.write.bw_bytes;
  return sum;
}

double FioRun::Iops() const {
  double sum = 0;
  for (const auto& j : jobs) sum += j.read.iops + j.write.iops;
  return sum;
}

uint64_t FioRun::TotalIos() const {
  uint64_t sum = 0;
  for (const auto& j : jobs) sum += j.read.total_ios + j.write.total_ios;
  return sum;
}

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

double FioRun::ClatP99Ns() const {
  double worst = 0;
  for (const auto& j : jobs) worst = std::max({worst, j.read.clat_p99_ns, j.write.clat_p99_ns});
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

FioRun ReadFioJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return ParseFioJson(text.str());
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace xferbench
