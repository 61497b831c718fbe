// SPDX-License-Identifier: GPL-2.0-only

#include "stats.hh"

#include <gtest/gtest.h>

#include <ostream>
#include <stdexcept>

namespace xferbench {

// For readable failures.
std::ostream& operator<<(std::ostream& os, const Summary& s) {
  return os << "{n " << s.n << ", min " << s.min << ", q1 " << s.q1 << ", median " << s.median
            << ", q3 " << s.q3 << ", max " << s.max << ", mean " << s.mean << "}";
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

}  // namespace
}  // namespace xferbench
