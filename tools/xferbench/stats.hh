// SPDX-License-Identifier: GPL-2.0-only
//
// Order statistics over the repetitions of one benchmark run, and the
// bootstrap confidence interval of a ratio between two devices' runs.

#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
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

// A confidence interval, low <= high.
struct Interval {
  double low = 0;
  double high = 0;
  bool operator==(const Interval&) const = default;
};

// Paired observations (subject, peer): repetition r of the subject and
// repetition r of the peer, run back to back.
using Pairs = std::vector<std::pair<double, double>>;

// A seed for BootstrapRatioCI made from the pairs themselves (FNV-1a over
// the bits of every value, in order): the same data always gives the same
// interval, and no clock or counter makes two reports of one run differ.
uint64_t SeedOf(const Pairs& pairs);

// The percentile bootstrap interval, at `confidence` (e.g. 0.95), of
// median(subjects) / median(peers): `resamples` times, draw pairs.size()
// pairs with replacement, both values of a pair together, and take the
// ratio of the medians of the draw; the interval is the (1 - confidence) / 2
// and (1 + confidence) / 2 quantiles (Quantile's type 7) of those ratios.
//
// Pairs are drawn whole so that what slowed or sped up one repetition of
// both devices (the host, TCG) cancels in the ratio instead of widening
// the interval. Medians, not means, because the ratio reported and the
// choice of the best peer are of medians (one stalled run out of five moves
// a mean, not a median) and the interval should describe the number shown;
// with 5 to 15 pairs, simulated, a median interval also held the true ratio
// 94% of the time or more, a mean one only 85 to 93%.
//
// The draws come from std::mt19937_64(seed), whose output the standard
// fixes, mapped to indices without std::uniform_int_distribution (whose
// algorithm each library chooses), so an interval is the same on any
// platform. Throws std::invalid_argument on no pairs, a confidence outside
// (0, 1), no resamples, a subject value below 0, a peer value not above 0
// or a value that is not finite.
Interval BootstrapRatioCI(const Pairs& pairs, double confidence, unsigned resamples, uint64_t seed);

}  // namespace xferbench
