// SPDX-License-Identifier: GPL-2.0-only

#include "manifest.hh"

#include <charconv>
#include <stdexcept>

#include "files.hh"

namespace xferbench {
namespace {

int ParseInt(const std::string& s, const char* what) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size())
    throw std::runtime_error(std::string("bad ") + what + " '" + s + "'");
  return v;
}

double ParseDouble(const std::string& s, const char* what) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != s.size() || !(v > 0))
    throw std::runtime_error(std::string("bad ") + what + " '" + s + "'");
  return v;
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

void Expect(const std::vector<std::string>& f, std::size_t n) {
  if (f.size() < n)
    throw std::runtime_error("'" + f[0] + "' needs " + std::to_string(n - 1) + " fields, has " +
                             std::to_string(f.size() - 1));
}

void ParseRecord(const std::vector<std::string>& f, Manifest& m) {
  const std::string& kind = f[0];
  if (kind == "meta") {
    Expect(f, 3);
    m.meta.emplace_back(f[1], f[2]);
  } else if (kind == "job") {
    Expect(f, 4);
    JobDef j{f[1], Metric::kBandwidth, f[3]};
    if (f[2] == "iops")
      j.metric = Metric::kIops;
    else if (f[2] != "bw")
      throw std::runtime_error("unknown metric '" + f[2] + "'");
    if (m.FindJob(j.id)) throw std::runtime_error("job '" + j.id + "' defined twice");
    m.jobs.push_back(std::move(j));
  } else if (kind == "device") {
    Expect(f, 3);
    if (m.FindDevice(f[1])) throw std::runtime_error("device '" + f[1] + "' defined twice");
    m.devices.push_back({f[1], f[2]});
  } else if (kind == "missing") {
    Expect(f, 3);
    m.missing[f[1]] = f[2];
  } else if (kind == "run") {
    Expect(f, 6);
    m.runs.push_back({f[1], f[2], ParseInt(f[3], "repetition"), f[4], ParseInt(f[5], "status")});
  } else if (kind == "compare") {
    Expect(f, 7);
    CompareDef c{f[1], f[2], f[3], ParseDouble(f[4], "target"), SplitCommas(f[5]), f[6]};
    if (c.peers.empty()) throw std::runtime_error("compare '" + c.id + "' has no peers");
    m.compares.push_back(std::move(c));
  } else if (kind == "memory") {
    Expect(f, 4);
    MemoryRecord r;
    r.device = f[1];
    r.dir = f[2];
    r.iodepth = ParseInt(f[3], "iodepth");
    if (f.size() > 4 && !f[4].empty()) r.module = f[4];
    if (f.size() > 5) r.job = f[5];
    m.memory.push_back(std::move(r));
  } else if (kind == "sweep") {
    Expect(f, 5);
    SweepDef s{f[1], f[2], SplitCommas(f[3]), f[4], f.size() > 5 ? f[5] : ""};
    if (s.vary.empty()) throw std::runtime_error("sweep '" + s.id + "' varies nothing");
    if (m.FindSweep(s.id)) throw std::runtime_error("sweep '" + s.id + "' defined twice");
    m.sweeps.push_back(std::move(s));
  } else if (kind == "curve") {
    Expect(f, 7);
    CurveRecord c{f[1],
                  f[2],
                  ParseInt(f[3], "point"),
                  ParseInt(f[4], "repetition"),
                  f[5],
                  ParseInt(f[6], "status")};
    if (c.x <= 0) throw std::runtime_error("bad point '" + f[3] + "'");
    m.curves.push_back(std::move(c));
  }
}

}  // namespace

const JobDef* Manifest::FindJob(std::string_view id) const {
  for (const auto& j : jobs)
    if (j.id == id) return &j;
  return nullptr;
}

const SweepDef* Manifest::FindSweep(std::string_view id) const {
  for (const auto& s : sweeps)
    if (s.id == id) return &s;
  return nullptr;
}

const DeviceDef* Manifest::FindDevice(std::string_view id) const {
  for (const auto& d : devices)
    if (d.id == id) return &d;
  return nullptr;
}

std::string Manifest::Label(std::string_view device) const {
  const DeviceDef* d = FindDevice(device);
  return d && !d->label.empty() ? d->label : std::string(device);
}

std::string Manifest::Meta(std::string_view key, std::string_view fallback) const {
  for (const auto& [k, v] : meta)
    if (k == key) return v;
  return std::string(fallback);
}

std::vector<std::string> SplitTabs(std::string_view line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      out.emplace_back(line.substr(start));
      return out;
    }
    out.emplace_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

Manifest ParseManifest(std::string_view text) {
  Manifest m;
  std::size_t lineno = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    try {
      ParseRecord(SplitTabs(line), m);
    } catch (const std::exception& e) {
      throw std::runtime_error("manifest line " + std::to_string(lineno) + ": " + e.what());
    }
  }
  return m;
}

Manifest ReadManifest(const std::string& path) { return ParseFile(path, ParseManifest); }

}  // namespace xferbench
