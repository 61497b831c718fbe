// SPDX-License-Identifier: GPL-2.0-only

#include "results.hh"

#include <algorithm>
#include <iterator>
#include <map>

namespace xferbench {

std::size_t Cell::Failed() const {
  return static_cast<std::size_t>(
      std::count_if(runs.begin(), runs.end(), [](const RunResult& r) { return !r.ok; }));
}

std::size_t CurvePoint::Failed() const {
  return static_cast<std::size_t>(
      std::count_if(runs.begin(), runs.end(), [](const RunResult& r) { return !r.ok; }));
}

const CurvePoint* Curve::Find(int x) const {
  for (const auto& p : points)
    if (p.x == x) return &p;
  return nullptr;
}

const Curve* Sweep::Find(const std::string& device) const {
  for (const auto& c : curves)
    if (c.device == device) return &c;
  return nullptr;
}

namespace {

// "1 pair", "2 pairs".
std::string Plural(std::size_t n, const std::string& what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// One run's output read and judged: ok if fio exited 0, reported no job
// error and completed some I/O.
RunResult LoadRun(const RunRecord& rec, Metric metric, const FioLoader& load) {
  RunResult rr;
  rr.record = rec;
  try {
    FioRun fio = load(rec.file);
    rr.bw_bytes = fio.BandwidthBytes();
    rr.iops = fio.Iops();
    rr.lat_mean_ns = fio.LatencyMeanNs();
    rr.clat_ns = fio.ClatNs();
    rr.ios = fio.TotalIos();
    rr.value = MetricValue(metric, fio);
    if (rec.status != 0)
      rr.error = "fio exited with status " + std::to_string(rec.status);
    else if (fio.Error() != 0)
      rr.error = "fio job error " + std::to_string(fio.Error());
    else if (rr.ios == 0)
      rr.error = "no I/O completed";
    else
      rr.ok = true;
  } catch (const std::exception& e) {
    rr.error = e.what();
  }
  return rr;
}

// Why a device has no data: the manifest's reason, else its first failure.
template <class Runs>
std::string MissingReason(const Manifest& manifest, const std::string& device, const Runs& runs) {
  auto m = manifest.missing.find(device);
  if (m != manifest.missing.end()) return m->second;
  if (!runs.empty()) return "every run failed: " + runs.front().error;
  return "not run";
}

CurvePoint MakePoint(int x, std::vector<RunResult> runs) {
  CurvePoint p;
  p.x = x;
  std::vector<double> iops;
  std::vector<double> lat;
  std::vector<double> p99;
  constexpr std::size_t k99 = PercentileIndex(99.0);
  for (const auto& rr : runs) {
    if (!rr.ok) continue;
    iops.push_back(rr.value);
    lat.push_back(rr.lat_mean_ns);
    if (rr.clat_ns[k99] > 0) p99.push_back(rr.clat_ns[k99]);
  }
  p.runs = std::move(runs);
  p.iops = Summarize(iops);
  p.lat_mean_ns = Summarize(lat);
  p.clat_p99_ns = Summarize(p99);
  return p;
}

}  // namespace

const char* VerdictName(Verdict v) {
  static constexpr const char* kNames[] = {"met", "missed", "undecided", "missing"};
  auto i = static_cast<std::size_t>(v);
  return i < std::size(kNames) ? kNames[i] : "?";
}

const Cell* Results::Find(const std::string& job, const std::string& device) const {
  for (const auto& c : cells)
    if (c.job == job && c.device == device) return &c;
  return nullptr;
}

std::vector<const Cell*> Results::CellsOf(const std::string& job) const {
  std::vector<const Cell*> out;
  for (const auto& c : cells)
    if (c.job == job) out.push_back(&c);
  return out;
}

double MetricValue(Metric m, const FioRun& run) {
  return m == Metric::kIops ? run.Iops() : run.BandwidthBytes();
}

Pairs PairRuns(const Cell& subject, const Cell& peer) {
  auto by_rep = [](const Cell& c) {
    std::map<int, double> out;
    for (const auto& run : c.runs)
      if (run.ok) out.emplace(run.record.rep, run.value);  // keeps the first
    return out;
  };
  std::map<int, double> peers = by_rep(peer);
  Pairs out;
  for (const auto& [rep, value] : by_rep(subject)) {
    auto it = peers.find(rep);
    if (it != peers.end()) out.emplace_back(value, it->second);
  }
  return out;
}

Comparison Compare(const CompareDef& def, const Cell* subject,
                   const std::vector<const Cell*>& peers) {
  Comparison c;
  c.def = def;
  const Cell* best = nullptr;
  std::vector<std::string> absent;
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const Cell* p = peers[i];
    if (!p || p->summary.n == 0) {
      absent.push_back(i < def.peers.size() ? def.peers[i] : "?");
      continue;
    }
    if (!best || p->summary.median > best->summary.median) best = p;
  }
  if (!subject || subject->summary.n == 0) {
    c.note =
        def.subject + ": " + (subject && !subject->missing.empty() ? subject->missing : "no data");
    return c;
  }
  if (!best) {
    c.note = "no peer has data";
    for (const auto* p : peers)
      if (p && !p->missing.empty()) c.note = p->device + ": " + p->missing;
    return c;
  }
  c.best_peer = best->device;
  const Summary& s = subject->summary;
  const Summary& b = best->summary;
  if (b.median <= 0 || b.min <= 0 || b.max <= 0) {
    c.note = best->device + " measured zero";
    return c;
  }
  c.ratio = s.median / b.median;
  c.ratio_min = s.min / b.max;
  c.ratio_max = s.max / b.min;
  c.confidence = kConfidence;
  Pairs pairs = PairRuns(*subject, *best);
  c.pairs = pairs.size();
  std::vector<std::string> notes;
  c.verdict = Verdict::kUndecided;
  if (pairs.empty()) {
    notes.push_back("no repetition succeeded on both");
  } else {
    // Every value of the best peer's successful runs is above 0 (its
    // minimum is), so the bootstrap's preconditions hold.
    c.ci = BootstrapRatioCI(pairs, kConfidence, kResamples, SeedOf(pairs));
    if (pairs.size() < kMinPairs)
      notes.push_back(Plural(pairs.size(), "pair") + ": too few to decide");
    else if (c.ci.low >= def.target)
      c.verdict = Verdict::kMet;
    else if (c.ci.high < def.target)
      c.verdict = Verdict::kMissed;
  }
  if (!absent.empty()) {
    std::string without = "without";
    for (const auto& a : absent) without += " " + a;
    notes.push_back(without + " (no data)");
  }
  for (const auto& n : notes) c.note += (c.note.empty() ? "" : "; ") + n;
  return c;
}

std::vector<std::string> UndecidedJobs(const Results& r) {
  std::vector<std::string> out;
  for (const auto& job : r.manifest.jobs)
    for (const auto& c : r.comparisons)
      if (c.def.job == job.id && c.verdict == Verdict::kUndecided) {
        out.push_back(job.id);
        break;
      }
  return out;
}

Results Analyze(const Manifest& manifest, const FioLoader& load) {
  Results r;
  r.manifest = manifest;
  for (const auto& job : manifest.jobs) {
    std::vector<std::string> devices;
    auto want = [&](const std::string& d) {
      if (std::find(devices.begin(), devices.end(), d) == devices.end()) devices.push_back(d);
    };
    for (const auto& run : manifest.runs)
      if (run.job == job.id) want(run.device);
    for (const auto& cmp : manifest.compares) {
      if (cmp.job != job.id) continue;
      want(cmp.subject);
      for (const auto& p : cmp.peers) want(p);
    }
    for (const auto& dev : devices) {
      Cell cell;
      cell.job = job.id;
      cell.device = dev;
      std::vector<double> values;
      std::vector<double> latencies;
      std::array<std::vector<double>, kPercentiles.size()> clat;
      for (const auto& rec : manifest.runs) {
        if (rec.job != job.id || rec.device != dev) continue;
        RunResult rr = LoadRun(rec, job.metric, load);
        if (rr.ok) {
          values.push_back(rr.value);
          latencies.push_back(rr.lat_mean_ns);
          for (std::size_t i = 0; i < clat.size(); ++i)
            if (rr.clat_ns[i] > 0) clat[i].push_back(rr.clat_ns[i]);
        }
        cell.runs.push_back(std::move(rr));
      }
      cell.summary = Summarize(values);
      cell.latency = Summarize(latencies);
      for (std::size_t i = 0; i < clat.size(); ++i) cell.clat[i] = Summarize(clat[i]);
      if (cell.summary.n == 0) cell.missing = MissingReason(manifest, dev, cell.runs);
      r.cells.push_back(std::move(cell));
    }
  }
  for (const auto& cmp : manifest.compares) {
    std::vector<const Cell*> peers;
    for (const auto& p : cmp.peers) peers.push_back(r.Find(cmp.job, p));
    r.comparisons.push_back(Compare(cmp, r.Find(cmp.job, cmp.subject), peers));
  }
  r.sweeps = AnalyzeSweeps(manifest, load);
  return r;
}

std::vector<Sweep> AnalyzeSweeps(const Manifest& manifest, const FioLoader& load) {
  std::vector<SweepDef> defs = manifest.sweeps;
  for (const auto& c : manifest.curves) {
    bool known =
        std::any_of(defs.begin(), defs.end(), [&](const SweepDef& d) { return d.id == c.sweep; });
    if (!known) defs.push_back({c.sweep, "x", {}, c.sweep, ""});
  }
  std::vector<Sweep> out;
  for (auto& def : defs) {
    Sweep sweep;
    std::vector<std::string> devices = def.devices;
    for (const auto& c : manifest.curves) {
      if (c.sweep != def.id) continue;
      if (std::find(devices.begin(), devices.end(), c.device) == devices.end())
        devices.push_back(c.device);
      if (std::find(sweep.xs.begin(), sweep.xs.end(), c.x) == sweep.xs.end())
        sweep.xs.push_back(c.x);
    }
    std::sort(sweep.xs.begin(), sweep.xs.end());
    for (const auto& dev : devices) {
      Curve curve;
      curve.device = dev;
      std::vector<RunResult> all;
      for (int x : sweep.xs) {
        std::vector<RunResult> runs;
        for (const auto& c : manifest.curves)
          if (c.sweep == def.id && c.device == dev && c.x == x)
            runs.push_back(
                LoadRun({c.sweep, c.device, c.rep, c.file, c.status}, Metric::kIops, load));
        if (runs.empty()) continue;
        all.insert(all.end(), runs.begin(), runs.end());
        curve.points.push_back(MakePoint(x, std::move(runs)));
      }
      bool any = std::any_of(curve.points.begin(), curve.points.end(),
                             [](const CurvePoint& p) { return p.iops.n > 0; });
      if (!any) curve.missing = MissingReason(manifest, dev, all);
      sweep.curves.push_back(std::move(curve));
    }
    sweep.def = std::move(def);
    out.push_back(std::move(sweep));
  }
  return out;
}

}  // namespace xferbench
