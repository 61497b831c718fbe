// SPDX-License-Identifier: GPL-2.0-only

#include "stats.hh"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace xferbench {
namespace {

// Uniform in [0, n). The lowest 2^64 mod n outputs of the generator are
// rejected so that what remains is a whole multiple of n: no index is
// favoured.
uint64_t UniformBelow(std::mt19937_64& gen, uint64_t n) {
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n, in unsigned arithmetic
  while (true) {
    uint64_t x = gen();
    if (x >= threshold) return x % n;
  }
}

// The median of values, which it sorts.
double SortedMedian(std::vector<double>& values) {
  std::sort(values.begin(), values.end());
  return Quantile(values, 0.5);
}

}  // namespace

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

uint64_t SeedOf(const Pairs& pairs) {
  uint64_t h = 0xcbf29ce484222325;  // FNV-1a 64 offset basis
  auto mix = [&h](double v) {
    auto bits = std::bit_cast<uint64_t>(v);
    for (int i = 0; i < 8; ++i, bits >>= 8) {
      h ^= bits & 0xff;
      h *= 0x100000001b3;  // FNV-1a 64 prime
    }
  };
  for (const auto& [s, p] : pairs) {
    mix(s);
    mix(p);
  }
  return h;
}

Interval BootstrapRatioCI(const Pairs& pairs, double confidence, unsigned resamples,
                          uint64_t seed) {
  if (pairs.empty()) throw std::invalid_argument("bootstrap of no pairs");
  if (!(confidence > 0 && confidence < 1))
    throw std::invalid_argument("confidence must be between 0 and 1");
  if (resamples == 0) throw std::invalid_argument("bootstrap of no resamples");
  for (const auto& [s, p] : pairs)
    if (!std::isfinite(s) || !std::isfinite(p) || s < 0 || p <= 0)
      throw std::invalid_argument("bootstrap pair out of range");

  std::mt19937_64 gen(seed);
  const std::size_t n = pairs.size();
  std::vector<double> subjects(n);
  std::vector<double> peers(n);
  std::vector<double> ratios;
  ratios.reserve(resamples);
  for (unsigned r = 0; r < resamples; ++r) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto& [s, p] = pairs[UniformBelow(gen, n)];
      subjects[i] = s;
      peers[i] = p;
    }
    ratios.push_back(SortedMedian(subjects) / SortedMedian(peers));
  }
  std::sort(ratios.begin(), ratios.end());
  const double tail = (1 - confidence) / 2;
  return {Quantile(ratios, tail), Quantile(ratios, 1 - tail)};
}

}  // namespace xferbench
