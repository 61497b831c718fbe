// SPDX-License-Identifier: GPL-2.0-only

#include "report.hh"

#include <algorithm>
#include <array>
#include <cstdarg>
#include <cstdio>
#include <vector>

namespace xferbench {
namespace {

using nlohmann::ordered_json;

constexpr double kMiB = 1024.0 * 1024.0;

std::string Latency(double ns) {
  if (ns <= 0) return "-";
  if (ns >= 1e6) return Format("%.2f ms", ns / 1e6);
  return Format("%.0f us", ns / 1e3);
}

std::string Bytes(double b) {
  double a = b < 0 ? -b : b;
  if (a >= kMiB) return Format("%.2f MiB", b / kMiB);
  if (a >= 1024) return Format("%.1f KiB", b / 1024);
  return Format("%.0f B", b);
}

std::string Pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

ordered_json SummaryJson(const Summary& s) {
  return {{"n", s.n},   {"median", s.median}, {"min", s.min},  {"max", s.max},
          {"q1", s.q1}, {"q3", s.q3},         {"mean", s.mean}};
}

double PerIo(uint64_t n, uint64_t ios) {
  return ios ? static_cast<double>(n) / static_cast<double>(ios) : 0;
}

// A cell's latency columns: the mean, then each percentile of
// kPercentiles; medians over the runs.
std::string LatencyColumns(const Cell& c) {
  std::string s = Format(" %10s", Latency(c.latency.median).c_str());
  for (const Summary& p : c.clat) s += Format(" %10s", Latency(p.median).c_str());
  return s;
}

ordered_json RunJson(const RunResult& run) {
  ordered_json x = {{"rep", run.record.rep}, {"file", run.record.file},       {"ok", run.ok},
                    {"value", run.value},    {"bw_bytes", run.bw_bytes},      {"iops", run.iops},
                    {"ios", run.ios},        {"lat_mean_ns", run.lat_mean_ns}};
  for (std::size_t i = 0; i < kPercentiles.size(); ++i)
    x[kPercentiles[i].json_key] = run.clat_ns[i];
  if (!run.ok) x["error"] = run.error;
  return x;
}

ordered_json CellJson(const Manifest& m, const Cell& c) {
  ordered_json d = {{"id", c.device}, {"label", m.Label(c.device)}};
  if (!c.missing.empty()) d["missing"] = c.missing;
  d["summary"] = SummaryJson(c.summary);
  d["latency_mean_ns"] = SummaryJson(c.latency);
  for (std::size_t i = 0; i < kPercentiles.size(); ++i)
    d[kPercentiles[i].json_key] = SummaryJson(c.clat[i]);
  ordered_json runs = ordered_json::array();
  for (const auto& run : c.runs) runs.push_back(RunJson(run));
  d["runs"] = runs;
  return d;
}

ordered_json ComparisonJson(const Comparison& c) {
  ordered_json x = {{"id", c.def.id},         {"title", c.def.title},
                    {"job", c.def.job},       {"subject", c.def.subject},
                    {"peers", c.def.peers},   {"best_peer", c.best_peer},
                    {"target", c.def.target}, {"verdict", VerdictName(c.verdict)}};
  if (c.verdict != Verdict::kMissing) {
    x.update({{"ratio", c.ratio}, {"ratio_min", c.ratio_min}, {"ratio_max", c.ratio_max}});
    // No interval without a pair: null, not a made-up 0.
    x.update({{"ci_low", c.pairs ? ordered_json(c.ci.low) : ordered_json()},
              {"ci_high", c.pairs ? ordered_json(c.ci.high) : ordered_json()},
              {"confidence", c.confidence},
              {"pairs", c.pairs}});
  }
  if (!c.note.empty()) x["note"] = c.note;
  return x;
}

ordered_json MemoryJson(const Manifest& m, const MemoryResult& mr, int cpus) {
  ordered_json x = {{"device", mr.device},   {"label", m.Label(mr.device)},
                    {"iodepth", mr.iodepth}, {"module", mr.module},
                    {"job", mr.job},         {"ios", mr.ios},
                    {"info", mr.info},       {"traced", mr.traced}};
  ordered_json allocs = ordered_json::object();
  for (const auto& [event, tallies] : mr.allocs) {
    ordered_json e = ordered_json::object();
    for (const auto& [origin, t] : tallies)
      e[OriginName(origin)] = {{"events", t.events},
                               {"via_mempool", t.via_mempool},
                               {"bytes_alloc", t.bytes},
                               {"outside_pool_by_site", t.outside_pool}};
    allocs[event] = e;
  }
  x["allocations"] = allocs;
  x.update({{"driver_events_per_io", PerIo(mr.Events(Origin::kDriver), mr.ios)},
            {"driver_bytes_per_io", PerIo(mr.BytesTraced(Origin::kDriver), mr.ios)},
            {"driver_events_outside_pools", mr.EventsOutsidePools(Origin::kDriver)},
            {"block_layer_events_per_io", PerIo(mr.Events(Origin::kBlockLayer), mr.ios)},
            {"dio_bio_allocs_inline", mr.issue.inline_allocs},
            {"dio_bio_allocs_io_wq", mr.issue.iowq_allocs}});
  ordered_json slab = ordered_json::array();
  for (const auto& u : mr.slab) {
    slab.push_back({{"cache", u.name},
                    {"alias", u.alias},
                    {"driver", u.driver},
                    {"shared", u.shared},
                    {"objsize", u.objsize},
                    {"idle_objs", u.idle_objs},
                    {"busy_objs", u.busy_objs},
                    {"delta_bytes", u.DeltaBytes()}});
  }
  x["slab"] = slab;
  if (mr.has_interrupts)
    x.update({{"interrupts", mr.interrupts}, {"interrupts_per_io", PerIo(mr.interrupts, mr.ios)}});
  x.update({{"slab_busy_snapshots", mr.busy_snapshots},
            {"slab_delta_bytes", mr.SlabDeltaBytes()},
            {"slab_bytes_per_inflight_io", mr.SlabBytesPerInflight()},
            {"slab_uncertainty_per_inflight_io", mr.SlabUncertaintyPerInflight(cpus)},
            {"errors", mr.errors}});
  return x;
}

void FormatMemory(const Results& r, std::string& out) {
  if (r.memory.empty()) return;
  int cpus = GuestCpus(r.manifest);
  const char* row = "  %-30s %6s %9s %10s %8s %9s %7s %7s %19s\n";
  out += "\nMemory and interrupts, per fio I/O\n";
  out += Format(row, "", "", "driver", "driver", "outside", "block", "io-wq", "irq", "slab per");
  out += Format(row, "device", "I/Os", "allocs/IO", "bytes/IO", "pools", "allocs/IO", "retry",
                "per IO", "in-flight I/O");
  std::string job;
  for (const auto& m : r.memory) {
    if (m.job != job || &m == &r.memory.front()) {
      job = m.job;
      out += "  " + (job.empty() ? std::string("(job not recorded)") : job) + "\n";
    }
    std::string label = r.manifest.Label(m.device);
    std::string ios = Format("%llu", static_cast<unsigned long long>(m.ios));
    std::string slab = "-";
    if (m.busy_snapshots)
      slab = Bytes(m.SlabBytesPerInflight()) + " +- " + Bytes(m.SlabUncertaintyPerInflight(cpus));
    std::string irq = m.has_interrupts ? Format("%.2f", PerIo(m.interrupts, m.ios)) : "-";
    if (!m.traced) {
      out += Format(row, label.c_str(), ios.c_str(), "-", "-", "-", "-", "-", irq.c_str(),
                    slab.c_str());
      continue;
    }
    std::string retry = "-";
    double rate = m.issue.PuntRate();
    if (rate >= 0)
      retry = Format("%.0f%%", rate * 100);
    else if (m.issue.iowq_allocs)
      retry = "all";
    out += Format(
        row, label.c_str(), ios.c_str(),
        Format("%.2f", PerIo(m.Events(Origin::kDriver), m.ios)).c_str(),
        Bytes(PerIo(m.BytesTraced(Origin::kDriver), m.ios)).c_str(),
        Format("%llu", static_cast<unsigned long long>(m.EventsOutsidePools(Origin::kDriver)))
            .c_str(),
        Format("%.2f", PerIo(m.Events(Origin::kBlockLayer), m.ios)).c_str(), retry.c_str(),
        irq.c_str(), slab.c_str());
  }
  out +=
      "  driver allocs/IO, bytes/IO: slab and page allocations per fio I/O whose kernel stack\n"
      "  passes through the device's driver module (ftrace hist triggers on kmem_cache_alloc,\n"
      "  kmalloc and mm_page_alloc keyed by stack); what is allocated for an I/O is freed when\n"
      "  it completes, so bytes/IO bounds what one in-flight I/O holds. outside pools: the\n"
      "  driver's allocations that did not come through mempool_alloc (a bioset or mempool).\n"
      "  block allocs/IO: the same for stacks through submit_bio, blk-mq or bio splitting but\n"
      "  not the driver. io-wq retry: direct I/Os issued again from an io-wq worker per inline\n"
      "  attempt (io_uring's answer to EAGAIN, which a REQ_NOWAIT bio that needs splitting\n"
      "  gets). irq per IO: the device's MSI-X interrupts (/proc/interrupts) per fio I/O.\n"
      "  slab per in-flight: growth of the bio-*, biovec-* and driver caches in /proc/slabinfo\n"
      "  (each shrunk before each snapshot; caches merged with others left out) while the job\n"
      "  runs, median of the snapshots, divided by the iodepth; +- one slab per CPU of each\n"
      "  cache that grew, the least it may be off by: slabinfo counts the slabs CPUs allocate\n"
      "  from, and those they park frees on, as all in use. io-wq retry \"-\": no direct I/O\n"
      "  bio was allocated from a slab (small ones come from the per-CPU bio cache).\n";
  job.clear();
  for (const auto& m : r.memory) {
    if (m.job != job || &m == &r.memory.front()) {
      job = m.job;
      out += "  " + (job.empty() ? std::string("(job not recorded)") : job) + ":\n";
    }
    std::string label = r.manifest.Label(m.device);
    for (const auto& [event, tallies] : m.allocs) {
      auto it = tallies.find(Origin::kDriver);
      if (it == tallies.end()) continue;
      for (const auto& [site, n] : it->second.outside_pool)
        out += Format("    %s: %llu %s events outside pools from %s\n", label.c_str(),
                      static_cast<unsigned long long>(n), event.c_str(), site.c_str());
    }
    for (const auto& [event, dropped] : m.dropped)
      if (dropped)
        out += Format("    %s: %s histogram dropped %llu entries: counts are low\n", label.c_str(),
                      event.c_str(), static_cast<unsigned long long>(dropped));
    std::string caches;
    for (const auto& u : m.slab) {
      if (u.busy_objs == u.idle_objs) continue;
      std::string name = u.name;
      if (!u.alias.empty()) name = u.alias + " (as " + u.name + ")";
      if (u.driver) name += " [driver]";
      if (u.shared) name += " [merged, not counted]";
      caches += Format("%s%s %+.0f x %llu B", caches.empty() ? "" : ", ", name.c_str(),
                       u.busy_objs - u.idle_objs, static_cast<unsigned long long>(u.objsize));
    }
    if (m.busy_snapshots)
      out += Format("    %s, slab growth: %s\n", label.c_str(),
                    caches.empty() ? "none" : caches.c_str());
    for (const auto& e : m.errors) out += "    " + label + ": " + e + "\n";
  }
}

std::string TrimRight(std::string s) {
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

// A median, or "-" without a successful run.
std::string CurveIops(const Summary& s) { return s.n ? Format("%.0f", s.median) : "-"; }

// Words of text on lines of at most width characters, each after indent.
std::string Wrapped(const std::string& text, std::size_t width, const std::string& indent) {
  std::string out;
  std::string line;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t sp = std::min(text.find(' ', i), text.size());
    std::string word = text.substr(i, sp - i);
    i = sp + 1;
    if (word.empty()) continue;
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += indent + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += indent + line + "\n";
  return out;
}

ordered_json PointJson(const SweepDef& def, const CurvePoint& p, int cpus) {
  ordered_json x = {{"x", p.x}, {"n", p.iops.n}};
  x["iops"] = p.iops.n ? ordered_json(p.iops.median) : ordered_json();
  if (p.iops.n > 1) x.update({{"iops_min", p.iops.min}, {"iops_max", p.iops.max}});
  x["clat_p99_ns"] = p.clat_p99_ns.n ? ordered_json(p.clat_p99_ns.median) : ordered_json();
  x["lat_mean_ns"] = p.lat_mean_ns.n ? ordered_json(p.lat_mean_ns.median) : ordered_json();
  if (def.vary == "numjobs") x["shares_vcpus"] = SharesVcpus(def, p.x, cpus);
  ordered_json runs = ordered_json::array();
  for (const auto& run : p.runs) runs.push_back(RunJson(run));
  x["runs"] = runs;
  return x;
}

}  // namespace

int GuestCpus(const Manifest& m) {
  try {
    return std::max(1, std::stoi(m.Meta("cpus", "1")));
  } catch (const std::exception&) {
    return 1;
  }
}

bool SharesVcpus(const SweepDef& def, int x, int cpus) { return def.vary == "numjobs" && x > cpus; }

std::string FormatCurves(const Results& r) {
  if (r.sweeps.empty()) return {};
  const Manifest& m = r.manifest;
  int cpus = GuestCpus(m);
  std::string reps = m.Meta("curve_reps", "?");
  std::string out = Format(
      "\nScaling curves: IOPS, median of %s run%s per point and device, %s s each after a %s s "
      "ramp;\n  p99: completion latency, median of the runs; '-': no run succeeded\n",
      reps.c_str(), reps == "1" ? "" : "s", m.Meta("curve_runtime", "?").c_str(),
      m.Meta("curve_ramp", "?").c_str());
  for (const Sweep& sw : r.sweeps) {
    bool shared = false;
    out += Format("\n%s  %s\n", sw.def.id.c_str(), sw.def.title.c_str());
    // A column per point, 10 characters: the value right-aligned in 8 and
    // a '*' after the points whose jobs shared vCPUs.
    std::string head = Format("  %-32s %4s", sw.def.vary.c_str(), "");
    for (int x : sw.xs) {
      bool s = SharesVcpus(sw.def, x, cpus);
      shared |= s;
      head += Format(" %8d%s", x, s ? "*" : " ");
    }
    out += TrimRight(head) + "\n";
    for (const Curve& c : sw.curves) {
      std::string label = m.Label(c.device);
      if (!c.missing.empty()) {
        out += Format("  %-32s missing: %s\n", label.c_str(), c.missing.c_str());
        continue;
      }
      std::string iops = Format("  %-32s %4s", label.c_str(), "IOPS");
      std::string p99 = Format("  %-32s %4s", "", "p99");
      std::size_t failed = 0;
      for (int x : sw.xs) {
        const CurvePoint* p = c.Find(x);
        iops += Format(" %8s ", p ? CurveIops(p->iops).c_str() : "");
        p99 += Format(" %8s ", p ? Latency(p->clat_p99_ns.median).c_str() : "");
        if (p) failed += p->Failed();
      }
      iops = TrimRight(iops);
      if (failed) iops += Format("  (%zu failed)", failed);
      out += iops + "\n" + TrimRight(p99) + "\n";
    }
    if (shared)
      out += Format("  *: more jobs than the guest's %d vCPU%s\n", cpus, cpus == 1 ? "" : "s");
    if (!sw.def.note.empty()) out += Wrapped("note: " + sw.def.note, 94, "  ");
  }
  return out;
}

ordered_json CurvesJson(const Results& r) {
  int cpus = GuestCpus(r.manifest);
  ordered_json curves = ordered_json::object();
  for (const Sweep& sw : r.sweeps) {
    ordered_json s = {{"vary", sw.def.vary}, {"title", sw.def.title}, {"note", sw.def.note}};
    if (sw.def.vary == "numjobs") s["guest_vcpus"] = cpus;
    s["points"] = sw.xs;
    ordered_json devices = ordered_json::object();
    for (const Curve& c : sw.curves) {
      ordered_json d = {{"label", r.manifest.Label(c.device)}};
      if (!c.missing.empty()) d["missing"] = c.missing;
      ordered_json points = ordered_json::array();
      for (const auto& p : c.points) points.push_back(PointJson(sw.def, p, cpus));
      d["points"] = points;
      devices[c.device] = d;
    }
    s["devices"] = devices;
    curves[sw.def.id] = s;
  }
  return curves;
}

std::string Format(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  std::string s;
  if (n > 0) {
    s.resize(static_cast<std::size_t>(n) + 1);
    std::vsnprintf(s.data(), s.size(), fmt, ap2);
    s.resize(static_cast<std::size_t>(n));
  }
  va_end(ap2);
  return s;
}

const char* UnitOf(Metric m) { return m == Metric::kIops ? "IOPS" : "MiB/s"; }

double InUnit(Metric m, double value) { return m == Metric::kIops ? value : value / kMiB; }

std::string FormatValue(Metric m, double value) {
  return m == Metric::kIops ? Format("%.0f", value) : Format("%.1f", value / kMiB);
}

std::string RunLine(const FioRun& run) {
  std::string s = Format("%.1f MiB/s, %.0f IOPS, mean latency %s", run.BandwidthBytes() / kMiB,
                         run.Iops(), Latency(run.LatencyMeanNs()).c_str());
  double p99 = run.ClatNs()[PercentileIndex(99.0)];
  if (p99 > 0) s += ", p99 " + Latency(p99);
  if (run.Error()) s += Format(", error %d", run.Error());
  return s;
}

std::string FormatTable(const Results& r) {
  const Manifest& m = r.manifest;
  std::string out;
  // Undecided targets' jobs may have been run up to max_reps times.
  std::string more;
  std::string max_reps = m.Meta("max_reps");
  if (!max_reps.empty() && max_reps != m.Meta("reps"))
    more = " (up to " + max_reps + " for undecided targets)";
  out +=
      Format("xferblk bench: median of %s runs%s per job and device, %s s each after a %s s ramp\n",
             m.Meta("reps", "?").c_str(), more.c_str(), m.Meta("runtime", "?").c_str(),
             m.Meta("ramp", "?").c_str());
  std::string guest = m.Meta("guest");
  if (!guest.empty()) out += "guest: " + guest + "\n";
  std::string disks = m.Meta("disks");
  if (!disks.empty()) out += "disks: " + disks + "\n";
  std::string started = m.Meta("started");
  if (!started.empty()) out += "run: " + started + "\n";
  out +=
      "latency: mean (submission to completion) and completion latency percentiles, medians of "
      "the runs\n";

  for (const auto& job : m.jobs) {
    out += Format("\n%s  %s (%s)\n", job.id.c_str(), job.title.c_str(), UnitOf(job.metric));
    out += Format("  %-32s %10s %10s %10s %21s %10s", "device", "median", "min", "max", "IQR",
                  "mean lat");
    for (const auto& p : kPercentiles) out += Format(" %10s", p.name);
    out += Format(" %3s\n", "n");
    for (const Cell* c : r.CellsOf(job.id)) {
      std::string label = m.Label(c->device);
      if (c->summary.n == 0) {
        out += Format("  %-32s %s\n", label.c_str(), ("missing: " + c->missing).c_str());
        continue;
      }
      const Summary& s = c->summary;
      std::string iqr = FormatValue(job.metric, s.q1) + " - " + FormatValue(job.metric, s.q3);
      out +=
          Format("  %-32s %10s %10s %10s %21s", label.c_str(),
                 FormatValue(job.metric, s.median).c_str(), FormatValue(job.metric, s.min).c_str(),
                 FormatValue(job.metric, s.max).c_str(), iqr.c_str());
      out += LatencyColumns(*c) + Format(" %3zu", s.n);
      if (c->Failed()) out += Format("  (%zu failed)", c->Failed());
      out += "\n";
    }
  }

  if (!r.comparisons.empty()) {
    const char* row = "  %-62s %7s %15s %15s %5s %7s  %s";
    out += "\nTargets\n";
    out += Format(row, "comparison (medians)", "ratio", "range",
                  Format("%.0f%% CI", kConfidence * 100).c_str(), "pairs", "target", "verdict");
    out += "\n";
    // Per Verdict; kMissing is the last.
    std::array<std::size_t, static_cast<std::size_t>(Verdict::kMissing) + 1> count{};
    for (const auto& c : r.comparisons) {
      ++count[static_cast<std::size_t>(c.verdict)];
      std::string title = Pad(c.def.id, 16) + c.def.title;
      std::string target = Format("%.2fx", c.def.target);
      if (c.verdict == Verdict::kMissing) {
        out += Format(row, title.c_str(), "-", "-", "-", "-", target.c_str(),
                      ("missing: " + c.note).c_str());
        out += "\n";
        continue;
      }
      std::string range = Format("%.2f - %.2fx", c.ratio_min, c.ratio_max);
      std::string ci = c.pairs ? Format("%.2f - %.2fx", c.ci.low, c.ci.high) : "-";
      out += Format(row, title.c_str(), Format("%.2fx", c.ratio).c_str(), range.c_str(), ci.c_str(),
                    Format("%zu", c.pairs).c_str(), target.c_str(), VerdictName(c.verdict));
      if (c.def.peers.size() > 1) out += " (best peer: " + m.Label(c.best_peer) + ")";
      if (!c.note.empty()) out += " " + c.note;
      out += "\n";
    }
    auto n = [&](Verdict v) { return count[static_cast<std::size_t>(v)]; };
    out += Format("  %zu of %zu targets met, %zu missed, %zu undecided, %zu missing\n",
                  n(Verdict::kMet), r.comparisons.size(), n(Verdict::kMissed),
                  n(Verdict::kUndecided), n(Verdict::kMissing));
    out += Format(
        "  range: worst and best ratio of any two runs. %.0f%% CI: percentile bootstrap of the\n"
        "  ratio of medians over the repetitions that ran on both devices (pairs; %u resamples\n"
        "  of whole pairs). met: all the interval at or above the target; missed: all below;\n"
        "  undecided: it straddles the target, or fewer than %zu pairs\n",
        kConfidence * 100, kResamples, kMinPairs);
  }
  out += FormatCurves(r);
  FormatMemory(r, out);
  if (!m.missing.empty()) {
    out += "\nMissing\n";
    for (const auto& [dev, why] : m.missing)
      out += Format("  %s: %s\n", m.Label(dev).c_str(), why.c_str());
  }
  return out;
}

ordered_json ToJson(const Results& r) {
  const Manifest& m = r.manifest;
  int cpus = GuestCpus(m);
  ordered_json doc;
  ordered_json meta = ordered_json::object();
  for (const auto& [k, v] : m.meta) meta[k] = v;
  doc["meta"] = meta;

  ordered_json jobs = ordered_json::array();
  for (const auto& job : m.jobs) {
    ordered_json j = {{"id", job.id},
                      {"title", job.title},
                      {"metric", job.metric == Metric::kIops ? "iops" : "bw_bytes"}};
    ordered_json devices = ordered_json::array();
    for (const Cell* c : r.CellsOf(job.id)) devices.push_back(CellJson(m, *c));
    j["devices"] = devices;
    jobs.push_back(j);
  }
  doc["jobs"] = jobs;

  ordered_json cmps = ordered_json::array();
  for (const auto& c : r.comparisons) cmps.push_back(ComparisonJson(c));
  doc["comparisons"] = cmps;

  doc["curves"] = CurvesJson(r);

  ordered_json mem = ordered_json::array();
  for (const auto& mr : r.memory) mem.push_back(MemoryJson(m, mr, cpus));
  doc["memory"] = mem;
  return doc;
}

}  // namespace xferbench
