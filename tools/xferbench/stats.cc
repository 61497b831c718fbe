// SPDX-License-Identifier: GPL-2.0-only

#include "stats.hh"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace xferbench {

double Quantile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) throw std::invalid_argument("quantile of no values");
  p = std::clamp(p, 0.0, 1.0);
  double pos = p * static_cast<double>(sorted.size() - 1);
  auto lo = static_cast<std::size_t>(std::floor(pos));
  std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

Summary Summarize(std::vector<double> values) {
  Summary s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.n = values.size();
  s.min = values.front();
  s.max = values.back();
  s.q1 = Quantile(values, 0.25);
  s.median = Quantile(values, 0.5);
  s.q3 = Quantile(values, 0.75);
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(s.n);
  return s;
}

double RelativeSpread(const Summary& s) {
  if (s.median == 0) return 0;
  return (s.max - s.min) / s.median;
}

}  // namespace xferbench
