// SPDX-License-Identifier: GPL-2.0-only
//
// The charts of `xferbench report`, drawn by gnuplot from a script that
// carries its data inline (charts.gp, kept next to them):
//   chart.svg, chart.png      throughput: one panel per job, a bar per
//                             device at the median of its runs, whiskers
//                             from the slowest to the fastest run, the
//                             target verdicts above
//   latency.svg, latency.png  completion latency: the same panels, a bar per
//                             device and percentile (p50, p99, p99.9) at the
//                             median of its runs
//   curves.svg, curves.png    the scaling curves, only when the results have
//                             some: a panel per sweep, IOPS against its
//                             option, a line per device through the medians
//                             of its points (error bars from the slowest to
//                             the fastest run when a point ran more than
//                             once); a log2 axis when the points are powers
//                             of two spanning 8x or more (iodepth 1..128)

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "results.hh"

namespace xferbench {

inline constexpr const char* kChartScript = "charts.gp";
inline constexpr std::array<const char*, 4> kChartFiles = {"chart.svg", "chart.png", "latency.svg",
                                                           "latency.png"};
inline constexpr std::array<const char*, 2> kCurveFiles = {"curves.svg", "curves.png"};

// The colour of a device's bars, 0xRRGGBB (fixed per kind of device).
uint32_t DeviceColor(const std::string& device, std::size_t index);

// s as a gnuplot double-quoted string, quotes included.
std::string GnuplotQuote(std::string_view s);

// Breaks text into lines of at most width characters, joined by '\n': at
// the commas where it can, else at spaces; a longer word stays whole.
std::string WrapLabel(std::string_view text, std::size_t width);

// The script that draws the charts; their names are relative to the
// directory gnuplot runs in.
std::string GnuplotScript(const Results& r);

// Whether a sweep's axis is drawn in log2: its points are all powers of two
// and the largest is at least 8 times the smallest.
bool Log2Axis(const std::vector<int>& xs);

// Writes dir/charts.gp, removes the charts an earlier report left there and
// runs gnuplot (a program name looked up on PATH, or a path) on the script
// in dir. Returns "" once the charts are drawn, else a message saying why
// they were not. Throws std::runtime_error if the script cannot be written.
std::string DrawCharts(const Results& r, const std::string& dir,
                       const std::string& gnuplot = "gnuplot");

}  // namespace xferbench
