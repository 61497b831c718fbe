// SPDX-License-Identifier: GPL-2.0-only

#include "chart.hh"

#include <algorithm>
#include <cmath>

#include "font.hh"
#include "report.hh"

namespace xferbench {
namespace {

constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kInk{30, 30, 30};
constexpr Rgb kGrid{225, 225, 225};
constexpr Rgb kAxis{120, 120, 120};
constexpr Rgb kMuted{150, 150, 150};
constexpr Rgb kMet{30, 130, 50};
constexpr Rgb kMissed{200, 40, 40};

constexpr int kPanelW = 620;
constexpr int kPanelH = 320;
constexpr int kColumns = 2;
constexpr int kHeaderH = 70;
constexpr int kMarginLeft = 70;
constexpr int kMarginRight = 16;
constexpr int kTitleH = 64;
constexpr int kLabelsH = 40;

// Shortens text from the end until it fits a width.
std::string Fit(std::string text, int width, int scale) {
  while (!text.empty() && TextWidth(text, scale) > width) text.pop_back();
  return text;
}

std::string TickLabel(Metric m, double v) {
  if (m == Metric::kIops && v >= 1000) return Format("%gk", v / 1000);
  return Format("%g", v);
}

void DrawPanel(Image& img, int x0, int y0, const JobDef& job, const Results& r) {
  std::vector<const Cell*> cells = r.CellsOf(job.id);
  std::string title = job.id + ": " + job.title;
  int title_scale = TextWidth(title, 2) <= kPanelW - 20 ? 2 : 1;
  img.Text(x0 + 10, y0 + 8, Fit(title, kPanelW - 20, title_scale), kInk, title_scale);
  int line = 0;
  for (const auto& c : r.comparisons) {
    if (c.def.job != job.id || line == 2) continue;
    std::string text = c.def.title + ": ";
    Rgb color = kMuted;
    if (c.verdict == Verdict::kMissing) {
      text += "missing";
    } else {
      text += Format("%.2fx, target %.2fx, %s", c.ratio, c.def.target, VerdictName(c.verdict));
      color = c.verdict == Verdict::kMet ? kMet : kMissed;
    }
    img.Text(x0 + 10, y0 + 28 + 10 * line++, Fit(text, kPanelW - 20, 1), color, 1);
  }

  int px = x0 + kMarginLeft;
  int pw = kPanelW - kMarginLeft - kMarginRight;
  int py = y0 + kTitleH;
  int ph = kPanelH - kTitleH - kLabelsH;
  int base = py + ph;
  img.Text(x0 + 10, py - 13, UnitOf(job.metric), kMuted, 1);

  double top = 0;
  for (const Cell* c : cells) top = std::max(top, InUnit(job.metric, c->summary.max));
  if (top <= 0) top = 1;
  double step = NiceStep(top * 1.15, 5);
  double axis_max = std::ceil(top * 1.15 / step) * step;
  for (double v = 0; v <= axis_max + step / 2; v += step) {
    int y = base - static_cast<int>(std::lround(v / axis_max * ph));
    img.HLine(px, px + pw, y, kGrid);
    std::string label = TickLabel(job.metric, v);
    img.Text(px - 6 - TextWidth(label, 1), y - 3, label, kAxis, 1);
  }
  img.VLine(px, py, base, kAxis);
  img.HLine(px, px + pw, base, kAxis);

  if (cells.empty()) return;
  int slot = pw / static_cast<int>(cells.size());
  int bar = std::min(slot * 6 / 10, 90);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const Cell* c = cells[i];
    int cx = px + slot * static_cast<int>(i) + slot / 2;
    auto ypos = [&](double v) {
      return base - static_cast<int>(std::lround(InUnit(job.metric, v) / axis_max * ph));
    };
    std::vector<std::string> lines = WrapText(r.manifest.Label(c->device), slot - 6, 1, 3);
    for (std::size_t l = 0; l < lines.size(); ++l)
      img.Text(cx - TextWidth(lines[l], 1) / 2, base + 6 + static_cast<int>(l) * 10, lines[l], kInk,
               1);
    if (c->summary.n == 0) {
      img.Text(cx - TextWidth("missing", 1) / 2, base - 14, "missing", kMuted, 1);
      continue;
    }
    int ym = ypos(c->summary.median);
    img.FillRect(cx - bar / 2, ym, bar, base - ym, DeviceColor(c->device, i));
    int ylo = ypos(c->summary.min);
    int yhi = ypos(c->summary.max);
    img.VLine(cx, yhi, ylo, kInk);
    img.HLine(cx - 6, cx + 6, yhi, kInk);
    img.HLine(cx - 6, cx + 6, ylo, kInk);
    std::string value = FormatValue(job.metric, c->summary.median);
    img.Text(cx - TextWidth(value, 1) / 2, std::min(yhi, ym) - 12, value, kInk, 1);
  }
}

}  // namespace

double NiceStep(double max, int ticks) {
  if (!(max > 0) || ticks < 1) return 1;
  double raw = max / ticks;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

std::vector<std::string> WrapText(const std::string& text, int width, int scale, int max_lines) {
  std::vector<std::string> lines;
  std::string cur;
  std::size_t i = 0;
  while (i <= text.size() && static_cast<int>(lines.size()) < max_lines) {
    std::size_t sp = text.find(' ', i);
    if (sp == std::string::npos) sp = text.size();
    std::string word = text.substr(i, sp - i);
    i = sp + 1;
    std::string joined = cur.empty() ? word : cur + " " + word;
    if (TextWidth(joined, scale) <= width) {
      cur = joined;
    } else {
      if (!cur.empty()) lines.push_back(cur);
      cur = Fit(word, width, scale);
    }
    if (sp == text.size()) break;
  }
  if (!cur.empty() && static_cast<int>(lines.size()) < max_lines) lines.push_back(cur);
  return lines;
}

Rgb DeviceColor(const std::string& device, std::size_t index) {
  if (device.starts_with("xferblk")) {
    if (device.ends_with("-mq") || device.ends_with("-sync")) return {120, 170, 225};
    return {40, 100, 190};
  }
  if (device.starts_with("nvme")) return {230, 130, 40};
  if (device.starts_with("virtio")) return {60, 160, 80};
  if (device.starts_with("null")) return {130, 130, 130};
  static constexpr Rgb kOthers[] = {{150, 90, 170}, {190, 80, 80}, {90, 170, 170}};
  return kOthers[index % 3];
}

Image DrawChart(const Results& r) {
  const auto& jobs = r.manifest.jobs;
  int rows = std::max(1, (static_cast<int>(jobs.size()) + kColumns - 1) / kColumns);
  Image img(kColumns * kPanelW, kHeaderH + rows * kPanelH, kWhite);
  img.Text(10, 10, "xferblk bench", kInk, 3);
  std::string sub = "bars: median of " + r.manifest.Meta("reps", "?") +
                    " runs; whiskers: slowest to fastest run; " + r.manifest.Meta("runtime", "?") +
                    " s per run, io_uring, direct";
  img.Text(10, 42, Fit(sub, img.width() - 20, 1), kMuted, 1);
  std::string guest = r.manifest.Meta("guest");
  if (!guest.empty()) img.Text(10, 54, Fit(guest, img.width() - 20, 1), kMuted, 1);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    int col = static_cast<int>(i) % kColumns;
    int row = static_cast<int>(i) / kColumns;
    int x0 = col * kPanelW;
    int y0 = kHeaderH + row * kPanelH;
    img.HLine(x0 + 4, x0 + kPanelW - 4, y0, kGrid);
    DrawPanel(img, x0, y0, jobs[i], r);
  }
  return img;
}

}  // namespace xferbench
