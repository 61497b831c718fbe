// SPDX-License-Identifier: GPL-2.0-only
//
// Order statistics over the repetitions of one benchmark run.

#pragma once

#include <cstddef>
#include <vector>

namespace xferbench {

// Five-number summary plus mean; all zero when n == 0.
struct Summary {
  std::size_t n = 0;
  double min = 0;
  double q1 = 0;
  double median = 0;
  double q3 = 0;
  double max = 0;
  double mean = 0;
  bool operator==(const Summary&) const = default;
};

// Quantile p in [0, 1] of sorted values, by linear interpolation between
// closest ranks (R's type 7: p = 0 is the minimum, p = 1 the maximum).
// Requires a non-empty, ascending input.
double Quantile(const std::vector<double>& sorted, double p);

// Summary of values in any order; an empty input gives n == 0.
Summary Summarize(std::vector<double> values);

// Relative spread (max - min) / median, 0 when the median is 0.
double RelativeSpread(const Summary& s);

}  // namespace xferbench
