// SPDX-License-Identifier: GPL-2.0-only

#include "stats.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>
#include <random>
#include <stdexcept>
#include <vector>

namespace xferbench {

// For readable failures.
std::ostream& operator<<(std::ostream& os, const Summary& s) {
  return os << "{n " << s.n << ", min " << s.min << ", q1 " << s.q1 << ", median " << s.median
            << ", q3 " << s.q3 << ", max " << s.max << ", mean " << s.mean << "}";
}

std::ostream& operator<<(std::ostream& os, const Interval& i) {
  return os << "[" << i.low << ", " << i.high << "]";
}

namespace {

TEST(Stats, Summaries) {
  struct Case {
    const char* what;
    std::vector<double> values;
    Summary want;  // n, min, q1, median, q3, max, mean
  } cases[] = {
      {"no values", {}, {}},
      {"one value is every statistic", {7}, {1, 7, 7, 7, 7, 7, 7}},
      {"odd count: the middle value, whatever the order", {5, 1, 4, 2, 3}, {5, 1, 2, 3, 4, 5, 3}},
      // Type 7: q1 at position 0.75 between 10 and 20, q3 at 2.25 between 30 and 40.
      {"even count interpolates", {10, 40, 20, 30}, {4, 10, 17.5, 25, 32.5, 40, 25}},
      {"the median resists one outlier", {100, 101, 99, 100, 5}, {5, 5, 99, 100, 100, 101, 81}},
  };
  for (const auto& c : cases) EXPECT_EQ(Summarize(c.values), c.want) << c.what;
}

TEST(Stats, QuantileEndsAreMinAndMaxAndOutOfRangeClamps) {
  std::vector<double> v = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(Quantile(v, 0), 1);
  EXPECT_DOUBLE_EQ(Quantile(v, 1), 4);
  EXPECT_DOUBLE_EQ(Quantile(v, -3), 1);
  EXPECT_DOUBLE_EQ(Quantile(v, 7), 4);
  EXPECT_THROW(Quantile({}, 0.5), std::invalid_argument);
}

TEST(Stats, RelativeSpread) {
  EXPECT_DOUBLE_EQ(RelativeSpread(Summarize({90, 100, 110})), 0.2);
  EXPECT_DOUBLE_EQ(RelativeSpread(Summarize({0, 0})), 0);
}

// Noise in [-1, 1) from the raw output of a seeded generator: the same
// numbers with any standard library (its distributions may differ).
class Noise {
 public:
  explicit Noise(uint64_t seed) : gen_(seed) {}
  double operator()() { return static_cast<double>(gen_() >> 11) * 0x1p-52 - 1; }

 private:
  std::mt19937_64 gen_;
};

// n pairs whose subject is about `ratio` times the peer, each value with
// its own relative noise of up to +-`noise`; the first pairs of a longer
// run are those of a shorter one.
Pairs NoisyPairs(std::size_t n, double ratio, double noise, uint64_t seed = 1) {
  Noise u(seed);
  Pairs out;
  for (std::size_t i = 0; i < n; ++i) {
    double peer = 100 * (1 + noise * u());
    double subject = 100 * ratio * (1 + noise * u());
    out.emplace_back(subject, peer);
  }
  return out;
}

double MedianOf(std::vector<double> v) { return Summarize(std::move(v)).median; }

// median(subjects) / median(peers) of all the pairs: the point estimate.
double RatioOfMedians(const Pairs& pairs) {
  std::vector<double> s;
  std::vector<double> p;
  for (const auto& [a, b] : pairs) {
    s.push_back(a);
    p.push_back(b);
  }
  return MedianOf(s) / MedianOf(p);
}

TEST(Bootstrap, IdenticalPairsGiveAZeroWidthIntervalAtTheRatio) {
  for (std::size_t n : {1, 2, 5, 12}) {
    Pairs pairs(n, {123.0, 45.0});
    Interval ci = BootstrapRatioCI(pairs, 0.95, 10000, SeedOf(pairs));
    EXPECT_EQ(ci, (Interval{123.0 / 45.0, 123.0 / 45.0})) << n << " pairs";
  }
}

TEST(Bootstrap, AConstantRatioUnderSharedNoiseStaysTight) {
  // Each repetition scales both devices alike (a busy host): the ratio is
  // 1.25 in every pair however much the repetitions differ.
  Noise u(7);
  Pairs pairs;
  for (int i = 0; i < 8; ++i) {
    double level = 100 * (1 + 0.5 * u());
    pairs.emplace_back(1.25 * level, level);
  }
  Interval ci = BootstrapRatioCI(pairs, 0.95, 10000, SeedOf(pairs));
  EXPECT_NEAR(ci.low, 1.25, 1e-12) << ci;
  EXPECT_NEAR(ci.high, 1.25, 1e-12) << ci;

  // The same values paired wrongly (the subject's runs rotated by one): the
  // noise no longer cancels and the interval opens. Resampling the two
  // sides independently would give this too: pairs must be drawn whole.
  Pairs shuffled = pairs;
  for (std::size_t i = 0; i < pairs.size(); ++i)
    shuffled[i].first = pairs[(i + 1) % pairs.size()].first;
  Interval wide = BootstrapRatioCI(shuffled, 0.95, 10000, SeedOf(shuffled));
  EXPECT_GT(wide.high - wide.low, 0.1) << wide;
}

TEST(Bootstrap, TheIntervalContainsThePointEstimate) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Pairs pairs = NoisyPairs(5, 1.3, 0.2, seed);
    double point = RatioOfMedians(pairs);
    Interval ci = BootstrapRatioCI(pairs, 0.95, 10000, SeedOf(pairs));
    EXPECT_LT(ci.low, ci.high) << "seed " << seed;
    EXPECT_LE(ci.low, point) << "seed " << seed << " " << ci;
    EXPECT_GE(ci.high, point) << "seed " << seed << " " << ci;
  }
}

TEST(Bootstrap, MoreRepetitionsNarrowTheInterval) {
  auto width = [](std::size_t n) {
    Pairs pairs = NoisyPairs(n, 1.3, 0.2);
    Interval ci = BootstrapRatioCI(pairs, 0.95, 10000, SeedOf(pairs));
    return ci.high - ci.low;
  };
  double w5 = width(5);
  double w20 = width(20);
  double w80 = width(80);
  // About 1/sqrt(n): halving per four times the pairs.
  EXPECT_LT(w20, 0.8 * w5) << w5 << " " << w20;
  EXPECT_LT(w80, 0.8 * w20) << w20 << " " << w80;
  EXPECT_GT(w80, 0);
}

TEST(Bootstrap, AHigherConfidenceWidensTheInterval) {
  Pairs pairs = NoisyPairs(10, 1.3, 0.2);
  Interval ci50 = BootstrapRatioCI(pairs, 0.5, 10000, 3);
  Interval ci95 = BootstrapRatioCI(pairs, 0.95, 10000, 3);
  Interval ci99 = BootstrapRatioCI(pairs, 0.99, 10000, 3);
  EXPECT_LT(ci95.low, ci50.low);
  EXPECT_GT(ci95.high, ci50.high);
  EXPECT_LE(ci99.low, ci95.low);
  EXPECT_GE(ci99.high, ci95.high);
}

TEST(Bootstrap, TwoPairsHaveAKnownDistribution) {
  // Resampling two pairs A and B gives AA (1/4), AB or BA (1/2: medians are
  // the means of the two, so (sA + sB) / (pA + pB)) and BB (1/4). An
  // interval whose tails, (1 - confidence) / 2 each, are below 1/4 runs from
  // AA's ratio to BB's; one whose tails are above 1/4 is AB's alone.
  Pairs pairs = {{120, 100}, {90, 50}};  // ratios 1.2 and 1.8; AB: 210 / 150
  for (double confidence : {0.95, 0.55}) {
    Interval ci = BootstrapRatioCI(pairs, confidence, 10000, 11);
    EXPECT_DOUBLE_EQ(ci.low, 1.2) << confidence;
    EXPECT_DOUBLE_EQ(ci.high, 1.8) << confidence;
  }
  for (double confidence : {0.45, 0.1}) {
    Interval ci = BootstrapRatioCI(pairs, confidence, 10000, 11);
    EXPECT_DOUBLE_EQ(ci.low, 210.0 / 150) << confidence;
    EXPECT_DOUBLE_EQ(ci.high, 210.0 / 150) << confidence;
  }
}

TEST(Bootstrap, TheSameSeedGivesTheSameInterval) {
  Pairs pairs = NoisyPairs(6, 1.1, 0.3);
  Interval a = BootstrapRatioCI(pairs, 0.95, 10000, SeedOf(pairs));
  Interval b = BootstrapRatioCI(pairs, 0.95, 10000, SeedOf(pairs));
  EXPECT_EQ(a, b);
  EXPECT_EQ(SeedOf(pairs), SeedOf(NoisyPairs(6, 1.1, 0.3)));
  // The seed follows the data: one value changed, or two pairs swapped.
  Pairs other = pairs;
  other[3].second = std::nextafter(other[3].second, 1e9);
  EXPECT_NE(SeedOf(other), SeedOf(pairs));
  other = pairs;
  std::swap(other[0], other[1]);
  EXPECT_NE(SeedOf(other), SeedOf(pairs));
}

TEST(Bootstrap, RejectsWhatItCannotResample) {
  const Pairs ok = {{1, 1}};
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(BootstrapRatioCI({}, 0.95, 100, 1), std::invalid_argument);
  EXPECT_THROW(BootstrapRatioCI(ok, 0, 100, 1), std::invalid_argument);
  EXPECT_THROW(BootstrapRatioCI(ok, 1, 100, 1), std::invalid_argument);
  EXPECT_THROW(BootstrapRatioCI(ok, std::nan(""), 100, 1), std::invalid_argument);
  EXPECT_THROW(BootstrapRatioCI(ok, 0.95, 0, 1), std::invalid_argument);
  EXPECT_THROW(BootstrapRatioCI({{1, 0}}, 0.95, 100, 1), std::invalid_argument);
  EXPECT_THROW(BootstrapRatioCI({{-1, 1}}, 0.95, 100, 1), std::invalid_argument);
  EXPECT_THROW(BootstrapRatioCI({{inf, 1}}, 0.95, 100, 1), std::invalid_argument);
  EXPECT_THROW(BootstrapRatioCI({{1, std::nan("")}}, 0.95, 100, 1), std::invalid_argument);
  // A subject of 0 is a measurement (nothing moved), not an error.
  EXPECT_EQ(BootstrapRatioCI({{0, 2}}, 0.95, 100, 1), (Interval{0, 0}));
}

}  // namespace
}  // namespace xferbench
