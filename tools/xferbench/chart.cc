// SPDX-License-Identifier: GPL-2.0-only

#include "chart.hh"

#include <algorithm>
#include <filesystem>

#include "files.hh"
#include "process.hh"
#include "report.hh"

namespace xferbench {
namespace {

enum class Kind { kThroughput, kLatency };

constexpr int kWidth = 1240;  // pixels: two panels side by side
constexpr int kColumns = 2;
constexpr int kPanelHeight = 340;
constexpr int kHeaderHeight = 70;
constexpr std::size_t kLabelWidth = 22;  // characters per line of a device's label
constexpr std::size_t kMaxComparisons = 2;
constexpr double kLatencyBarWidth = 0.26;
constexpr int kCurvePanelHeight = 400;
constexpr std::size_t kCurveTitleWidth = 72;  // characters per line of a curve panel's title
constexpr uint32_t kMet = 0x1e8232;
constexpr uint32_t kMissed = 0xc82828;
constexpr uint32_t kUndecided = 0xc07800;
constexpr uint32_t kMuted = 0x969696;
// Light to dark, one per entry of kPercentiles.
constexpr std::array<uint32_t, kPercentiles.size()> kPercentileColors = {0x9ecae1, 0x4292c6,
                                                                         0x08519c};

std::string Color(uint32_t rgb) { return Format("rgb \"#%06x\"", rgb); }

std::string Number(double v) { return Format("%.6g", v); }

// A latency in the panel's unit, or NaN (no bar) if the runs reported none.
std::string LatencyNumber(const Summary& s, double unit_ns) {
  return s.n ? Number(s.median / unit_ns) : "NaN";
}

struct LatencyUnit {
  const char* name;
  double ns;
};

// Microseconds unless some bar of the panel reaches a millisecond.
LatencyUnit LatencyUnitOf(const std::vector<const Cell*>& cells) {
  double top = 0;
  for (const Cell* c : cells)
    for (const Summary& p : c->clat) top = std::max(top, p.median);
  return top >= 1e6 ? LatencyUnit{"ms", 1e6} : LatencyUnit{"us", 1e3};
}

bool HasLatency(const Cell& c) {
  return std::any_of(c.clat.begin(), c.clat.end(), [](const Summary& s) { return s.n > 0; });
}

bool HasData(Kind kind, const Cell& c) {
  return kind == Kind::kThroughput ? c.summary.n > 0 : HasLatency(c);
}

std::string BlockName(Kind kind, std::size_t job) {
  return (kind == Kind::kThroughput ? "$bw" : "$lat") + std::to_string(job);
}

// Per job, $bwN (x median min max colour value) and $latN (x and a column
// per percentile); a device without data has no row.
std::string DataBlocks(const Results& r) {
  std::string out;
  const auto& jobs = r.manifest.jobs;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const JobDef& job = jobs[j];
    std::vector<const Cell*> cells = r.CellsOf(job.id);
    LatencyUnit unit = LatencyUnitOf(cells);
    std::string bw = BlockName(Kind::kThroughput, j) + " << EOD\n# " + job.id + ", " +
                     UnitOf(job.metric) + ": x median min max colour value\n";
    std::string lat =
        BlockName(Kind::kLatency, j) + " << EOD\n# " + job.id + ", " + unit.name + ": x";
    for (const auto& p : kPercentiles) lat += std::string(" ") + p.name;
    lat += "\n";
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const Cell& c = *cells[i];
      if (c.summary.n) {
        const Summary& s = c.summary;
        bw += Format("%zu %s %s %s %u %s\n", i, Number(InUnit(job.metric, s.median)).c_str(),
                     Number(InUnit(job.metric, s.min)).c_str(),
                     Number(InUnit(job.metric, s.max)).c_str(), DeviceColor(c.device, i),
                     GnuplotQuote(FormatValue(job.metric, s.median)).c_str());
      }
      if (HasLatency(c)) {
        lat += std::to_string(i);
        for (const Summary& p : c.clat) lat += " " + LatencyNumber(p, unit.ns);
        lat += "\n";
      }
    }
    out += bw + "EOD\n" + lat + "EOD\n";
  }
  return out;
}

// "label" at the top left of the panel, `line` lines above the plot.
std::string TopLabel(const std::string& text, double line, const std::string& style) {
  return Format("set label %s at graph 0, graph 1 offset 0, char %.1f left %s\n",
                GnuplotQuote(text).c_str(), line, style.c_str());
}

// The target verdicts of a job, for its throughput panel.
std::string ComparisonLabels(const Results& r, const JobDef& job) {
  std::string out;
  std::size_t n = 0;
  for (const auto& c : r.comparisons) {
    if (c.def.job != job.id || n == kMaxComparisons) continue;
    std::string text = c.def.title + ": ";
    uint32_t color = kMuted;
    if (c.verdict == Verdict::kMissing) {
      text += "missing";
    } else {
      text += Format("%.2fx", c.ratio);
      if (c.pairs) text += Format(" [%.2f, %.2f]", c.ci.low, c.ci.high);
      text += Format(", target %.2fx, %s", c.def.target, VerdictName(c.verdict));
      color = c.verdict == Verdict::kMet      ? kMet
              : c.verdict == Verdict::kMissed ? kMissed
                                              : kUndecided;
    }
    out += TopLabel(text, 2.3 - 1.1 * static_cast<double>(n++), "textcolor " + Color(color));
  }
  return out;
}

std::string PlotCommand(Kind kind, std::size_t j, bool any_data) {
  if (!any_data) return "set yrange [0:1]\nplot NaN notitle\n";
  std::string block = BlockName(kind, j);
  // Bars, whiskers (a candlestick without a box) and values.
  if (kind == Kind::kThroughput)
    return Format(
        "plot %1$s using 1:2:5 with boxes lc rgb variable notitle, \\\n"
        "  %1$s using 1:2:3:4:2 with candlesticks whiskerbars 0.15 lc rgb \"#1e1e1e\" notitle, \\\n"
        "  %1$s using 1:4:6 with labels offset 0, char 0.8 notitle\n",
        block.c_str());
  std::string plot = "plot ";
  for (std::size_t i = 0; i < kPercentiles.size(); ++i) {
    double shift = (static_cast<double>(i) - 1) * (kLatencyBarWidth + 0.01);
    plot += Format("%s%s using ($1%+.2f):%zu with boxes lc %s title %s", i ? ", \\\n  " : "",
                   block.c_str(), shift, i + 2, Color(kPercentileColors[i]).c_str(),
                   GnuplotQuote(kPercentiles[i].name).c_str());
  }
  return plot + "\n";
}

std::string Panel(Kind kind, const Results& r, std::size_t j, int height) {
  const JobDef& job = r.manifest.jobs[j];
  std::vector<const Cell*> cells = r.CellsOf(job.id);
  double panel = static_cast<double>(kPanelHeight) / height;
  double top = 1 - static_cast<double>(kHeaderHeight) / height;
  std::size_t row = j / kColumns;
  std::size_t col = j % kColumns;
  std::string out = "\n# " + job.id + "\nunset label\n";
  out += Format("set origin %.4f, %.4f\nset size %.4f, %.4f\n", 1.0 / kColumns * col,
                top - panel * static_cast<double>(row + 1), 1.0 / kColumns, panel);
  out += TopLabel(job.id + ": " + job.title, 3.5, "font \",11\"");
  out += Format("set xrange [-0.5:%zu.5]\nset yrange [0:*]\n",
                std::max<std::size_t>(cells.size(), 1) - 1);
  std::string tics;
  bool any_data = false;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    tics +=
        Format("%s%s %zu", i ? ", " : "",
               GnuplotQuote(WrapLabel(r.manifest.Label(cells[i]->device), kLabelWidth)).c_str(), i);
    if (HasData(kind, *cells[i])) {
      any_data = true;
    } else {
      out += Format("set label \"missing\" at first %zu, graph 0.06 center textcolor %s\n", i,
                    Color(kMuted).c_str());
    }
  }
  if (cells.empty())
    out += Format("set label \"no runs\" at graph 0.5, graph 0.5 center textcolor %s\n",
                  Color(kMuted).c_str());
  out += "set xtics (" + (tics.empty() ? "\"\" 0" : tics) + ")\n";
  if (kind == Kind::kThroughput) out += ComparisonLabels(r, job);
  out += Format("set ylabel \"%s\"\n",
                kind == Kind::kThroughput ? UnitOf(job.metric) : LatencyUnitOf(cells).name);
  return out + PlotCommand(kind, j, any_data);
}

std::string Multiplot(Kind kind, const Results& r, int height) {
  const Manifest& m = r.manifest;
  std::string median = "median of " + m.Meta("reps", "?") + " runs";
  std::string title =
      "xferblk bench: " +
      (kind == Kind::kThroughput
           ? "throughput\nbars: " + median + "; whiskers: slowest to fastest run"
           : "completion latency\nbars: p50, p99 and p99.9 of each run, " + median) +
      "; " + m.Meta("runtime", "?") + " s per run, io_uring, direct";
  std::string guest = m.Meta("guest");
  if (!guest.empty()) title += "\n" + guest;
  std::string out = "set multiplot title " + GnuplotQuote(title) + " font \",12\"\n";
  out += kind == Kind::kThroughput
             ? "unset key\nset boxwidth 0.6\n"
             : Format(
                   "set key at graph 0, graph 1.03 left bottom horizontal samplen 2\n"
                   "set boxwidth %.2f\n",
                   kLatencyBarWidth);
  for (std::size_t j = 0; j < m.jobs.size(); ++j) out += Panel(kind, r, j, height);
  return out + "unset multiplot\n";
}

std::string CurveBlock(std::size_t sweep, std::size_t curve) {
  return Format("$curve%zu_%zu", sweep, curve);
}

bool HasPoints(const Curve& c) {
  return std::any_of(c.points.begin(), c.points.end(),
                     [](const CurvePoint& p) { return p.iops.n > 0; });
}

// Per sweep and device with data, $curveS_D: x and the median, min and max
// IOPS of each point that has a successful run.
std::string CurveDataBlocks(const Results& r) {
  std::string out;
  for (std::size_t s = 0; s < r.sweeps.size(); ++s) {
    const Sweep& sw = r.sweeps[s];
    for (std::size_t d = 0; d < sw.curves.size(); ++d) {
      const Curve& c = sw.curves[d];
      if (!HasPoints(c)) continue;
      out += CurveBlock(s, d) + " << EOD\n# " + sw.def.id + ", " + c.device +
             ", IOPS: " + sw.def.vary + " median min max\n";
      for (const auto& p : c.points)
        if (p.iops.n)
          out += Format("%d %s %s %s\n", p.x, Number(p.iops.median).c_str(),
                        Number(p.iops.min).c_str(), Number(p.iops.max).c_str());
      out += "EOD\n";
    }
  }
  return out;
}

// The x range of a sweep's panel, with a margin around its points.
std::string CurveXRange(const std::vector<int>& xs) {
  if (xs.empty()) return "set xrange [0:1]\n";
  double lo = xs.front();
  double hi = xs.back();
  if (Log2Axis(xs))
    return Format("set xrange [%s:%s]\n", Number(lo / 1.4).c_str(), Number(hi * 1.4).c_str());
  double margin = lo == hi ? 1 : 0.3;
  return Format("set xrange [%s:%s]\n", Number(lo - margin).c_str(), Number(hi + margin).c_str());
}

std::string CurvePanel(const Results& r, std::size_t s, int height) {
  const Sweep& sw = r.sweeps[s];
  int cpus = GuestCpus(r.manifest);
  double panel = static_cast<double>(kCurvePanelHeight) / height;
  double top = 1 - static_cast<double>(kHeaderHeight) / height;
  std::size_t row = s / kColumns;
  std::size_t col = s % kColumns;
  std::string out = "\n# " + sw.def.id + "\nunset label\nunset arrow\n";
  out += Format("set origin %.4f, %.4f\nset size %.4f, %.4f\n", 1.0 / kColumns * col,
                top - panel * static_cast<double>(row + 1), 1.0 / kColumns, panel);
  out +=
      TopLabel(WrapLabel(sw.def.id + ": " + sw.def.title, kCurveTitleWidth), 3.5, "font \",11\"");
  out += Log2Axis(sw.xs) ? "set logscale x 2\n" : "unset logscale x\n";
  out += CurveXRange(sw.xs);
  std::string tics;
  for (int x : sw.xs) tics += Format("%s\"%d\" %d", tics.empty() ? "" : ", ", x, x);
  out += tics.empty() ? "set xtics autofreq\n" : "set xtics (" + tics + ")\n";
  out += "set xlabel " + GnuplotQuote(sw.def.vary) + "\nset ylabel \"IOPS\"\n";
  // Where the jobs start sharing vCPUs: between the last point that has a
  // vCPU per job and the first that does not.
  int first_shared = 0;
  for (int x : sw.xs)
    if (SharesVcpus(sw.def, x, cpus) && !first_shared) first_shared = x;
  if (first_shared) {
    double at = (cpus + first_shared) / 2.0;
    if (at <= sw.xs.front()) at = first_shared;
    out += Format("set arrow from first %s, graph 0 to first %s, graph 1 nohead dashtype 2 lc %s\n",
                  Number(at).c_str(), Number(at).c_str(), Color(kMuted).c_str());
    out += Format(
        "set label %s at first %s, graph 0.97 offset 0.5, 0 left textcolor %s\n",
        GnuplotQuote(Format("past here: more jobs than the %d vCPU%s", cpus, cpus == 1 ? "" : "s"))
            .c_str(),
        Number(at).c_str(), Color(kMuted).c_str());
  }
  bool any_data = false;
  bool spread = false;
  for (const Curve& c : sw.curves) {
    any_data |= HasPoints(c);
    for (const auto& p : c.points) spread |= p.iops.n > 1;
  }
  if (!any_data) {
    out += Format(
        "set yrange [0:1]\nset label \"no data\" at graph 0.5, graph 0.5 center textcolor %s\n",
        Color(kMuted).c_str());
  } else {
    out += "set yrange [0:*]\n";
  }
  if (sw.curves.empty()) return out + "plot NaN notitle\n";
  std::string plot = "plot ";
  for (std::size_t d = 0; d < sw.curves.size(); ++d) {
    const Curve& c = sw.curves[d];
    std::string color = Color(DeviceColor(c.device, d));
    std::string label = r.manifest.Label(c.device);
    if (d) plot += ", \\\n  ";
    if (!HasPoints(c)) {
      plot += Format("NaN with linespoints lw 2 pt 7 lc %s title %s", color.c_str(),
                     GnuplotQuote(label + ": missing").c_str());
      continue;
    }
    std::string block = CurveBlock(s, d);
    // With more than one run per point, bars from the slowest to the fastest.
    plot += Format("%s using %s with %s lw 2 pt 7 ps 0.8 lc %s title %s", block.c_str(),
                   spread ? "1:2:3:4" : "1:2", spread ? "yerrorlines" : "linespoints",
                   color.c_str(), GnuplotQuote(label).c_str());
  }
  return out + plot + "\n";
}

std::string CurvesMultiplot(const Results& r, int height) {
  const Manifest& m = r.manifest;
  std::string reps = m.Meta("curve_reps", "?");
  std::string title = "xferblk bench: scaling curves\nIOPS, median of " + reps + " run" +
                      (reps == "1" ? "" : "s") + " per point and device" +
                      (reps == "1" ? "" : " (bars: slowest to fastest run)") + "; " +
                      m.Meta("curve_runtime", "?") + " s per run, io_uring, direct";
  std::string guest = m.Meta("guest");
  if (!guest.empty()) title += "\n" + guest;
  std::string out = "set multiplot title " + GnuplotQuote(title) + " font \",12\"\n";
  out +=
      "set key inside right bottom vertical Left reverse samplen 2 opaque\n"
      "set grid xtics ytics lc rgb \"#e1e1e1\"\n"
      "set xtics scale 0.5\n";
  for (std::size_t s = 0; s < r.sweeps.size(); ++s) out += CurvePanel(r, s, height);
  return out +
         "unset multiplot\nunset logscale x\nunset arrow\nunset xlabel\n"
         "set grid noxtics ytics\nset xtics scale 0\n";
}

}  // namespace

bool Log2Axis(const std::vector<int>& xs) {
  if (xs.empty()) return false;
  for (int x : xs)
    if (x <= 0 || (x & (x - 1)) != 0) return false;
  auto [lo, hi] = std::minmax_element(xs.begin(), xs.end());
  return *hi >= 8 * *lo;
}

uint32_t DeviceColor(const std::string& device, std::size_t index) {
  if (device.starts_with("xferblk")) {
    if (device.ends_with("-mq") || device.ends_with("-sync")) return 0x78aae1;
    return 0x2864be;
  }
  if (device.starts_with("nvme")) return 0xe68228;
  if (device.starts_with("virtio")) return 0x3ca050;
  if (device.starts_with("null")) return 0x828282;
  static constexpr uint32_t kOthers[] = {0x965aaa, 0xbe5050, 0x5aaaaa};
  return kOthers[index % std::size(kOthers)];
}

std::string GnuplotQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string WrapLabel(std::string_view text, std::size_t width) {
  std::vector<std::string> lines;
  auto add = [&](const std::string& piece) {
    if (!lines.empty() && lines.back().size() + 1 + piece.size() <= width)
      lines.back() += " " + piece;
    else
      lines.push_back(piece);
  };
  // Whole comma-separated parts where they fit a line, else word by word.
  std::string part;
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i <= text.size()) {
    std::size_t sp = std::min(text.find(' ', i), text.size());
    std::string word(text.substr(i, sp - i));
    i = sp + 1;
    if (!word.empty()) {
      part += (part.empty() ? "" : " ") + word;
      words.push_back(word);
    }
    if (part.empty() || (!word.ends_with(',') && i <= text.size())) continue;
    if (part.size() <= width)
      add(part);
    else
      for (const auto& w : words) add(w);
    part.clear();
    words.clear();
  }
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

std::string GnuplotScript(const Results& r) {
  int rows = std::max<int>(1, (static_cast<int>(r.manifest.jobs.size()) + kColumns - 1) / kColumns);
  int height = kHeaderHeight + rows * kPanelHeight;
  std::string out =
      "# Written by `xferbench report` from the data of results.json; redraw with\n"
      "#   gnuplot charts.gp\n"
      "# in this directory. Draws chart.svg and chart.png (throughput), latency.svg and\n"
      "# latency.png (completion latency percentiles) and, when the run measured the\n"
      "# scaling curves, curves.svg and curves.png.\n"
      "png_terminal = strstrt(GPVAL_TERMINALS, \" pngcairo \") ? \"pngcairo\" : \"png\"\n";
  out += DataBlocks(r);
  out += CurveDataBlocks(r);
  out +=
      "set style fill solid 1.0 noborder\n"
      "set grid ytics lc rgb \"#e1e1e1\"\n"
      "set border 3 lc rgb \"#787878\"\n"
      "set xtics nomirror scale 0\n"
      "set ytics nomirror\n"
      "set tmargin 5\n"
      "set bmargin 4\n"
      "set offsets 0, 0, graph 0.12, 0\n";
  for (std::string_view file : kChartFiles) {
    bool svg = file.ends_with(".svg");
    out +=
        Format("\nset terminal %s size %d,%d font \"sans,10\" noenhanced background \"#ffffff\"\n",
               svg ? "svg" : "@png_terminal", kWidth, height);
    out += "set output " + GnuplotQuote(file) + "\n";
    out += Multiplot(file.starts_with("chart") ? Kind::kThroughput : Kind::kLatency, r, height);
  }
  if (!r.sweeps.empty()) {
    int curve_rows =
        std::max<int>(1, (static_cast<int>(r.sweeps.size()) + kColumns - 1) / kColumns);
    int curve_height = kHeaderHeight + curve_rows * kCurvePanelHeight;
    for (std::string_view file : kCurveFiles) {
      out += Format(
          "\nset terminal %s size %d,%d font \"sans,10\" noenhanced background \"#ffffff\"\n",
          file.ends_with(".svg") ? "svg" : "@png_terminal", kWidth, curve_height);
      out += "set output " + GnuplotQuote(file) + "\n";
      out += CurvesMultiplot(r, curve_height);
    }
  }
  return out + "set output\n";
}

std::string DrawCharts(const Results& r, const std::string& dir, const std::string& gnuplot) {
  std::filesystem::path script = std::filesystem::path(dir) / kChartScript;
  WriteText(script, GnuplotScript(r));
  // No chart of an earlier report may stand for this one, and a report
  // without curves leaves none.
  auto remove = [&](const char* file) {
    std::error_code ec;
    std::filesystem::remove(std::filesystem::path(dir) / file, ec);
  };
  std::for_each(kChartFiles.begin(), kChartFiles.end(), remove);
  std::for_each(kCurveFiles.begin(), kCurveFiles.end(), remove);
  std::string program = FindProgram(gnuplot);
  if (program.empty())
    return "no charts: " + gnuplot +
           " not found (install gnuplot-nox, or run scripts/setup-host.sh); " + script.string() +
           " draws them";
  ProgramResult run = RunProgram({program, kChartScript}, dir);
  if (run.status != 0)
    return "no charts: " + program + " " + script.string() + " failed" +
           (run.status > 0 ? " with status " + std::to_string(run.status) : "") + ":\n" +
           run.output;
  return {};
}

}  // namespace xferbench
