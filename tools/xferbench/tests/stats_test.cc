// SPDX-License-Identifier: GPL-2.0-only

#include "stats.hh"

#include <gtest/gtest.h>

#include <stdexcept>

namespace xferbench {
namespace {

TEST(Stats, EmptyInputHasNoValues) {
  Summary s = Summarize({});
  EXPECT_EQ(s.n, 0u);
  EXPECT_EQ(s.median, 0);
  EXPECT_THROW(Quantile({}, 0.5), std::invalid_argument);
}

TEST(Stats, OneValueIsEveryStatistic) {
  Summary s = Summarize({7});
  EXPECT_EQ(s.n, 1u);
  EXPECT_DOUBLE_EQ(s.min, 7);
  EXPECT_DOUBLE_EQ(s.q1, 7);
  EXPECT_DOUBLE_EQ(s.median, 7);
  EXPECT_DOUBLE_EQ(s.q3, 7);
  EXPECT_DOUBLE_EQ(s.max, 7);
  EXPECT_DOUBLE_EQ(s.mean, 7);
}

TEST(Stats, OddCountMedianIsTheMiddleValueWhateverTheOrder) {
  Summary s = Summarize({5, 1, 4, 2, 3});
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 5);
  EXPECT_DOUBLE_EQ(s.q1, 2);
  EXPECT_DOUBLE_EQ(s.q3, 4);
  EXPECT_DOUBLE_EQ(s.mean, 3);
}

TEST(Stats, EvenCountInterpolates) {
  Summary s = Summarize({10, 40, 20, 30});
  EXPECT_DOUBLE_EQ(s.median, 25);
  // Type 7: q1 at position 0.75 between 10 and 20, q3 at 2.25 between 30 and 40.
  EXPECT_DOUBLE_EQ(s.q1, 17.5);
  EXPECT_DOUBLE_EQ(s.q3, 32.5);
}

TEST(Stats, QuantileEndsAreMinAndMaxAndOutOfRangeClamps) {
  std::vector<double> v = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(Quantile(v, 0), 1);
  EXPECT_DOUBLE_EQ(Quantile(v, 1), 4);
  EXPECT_DOUBLE_EQ(Quantile(v, -3), 1);
  EXPECT_DOUBLE_EQ(Quantile(v, 7), 4);
}

TEST(Stats, MedianResistsOneOutlier) {
  Summary s = Summarize({100, 101, 99, 100, 5});
  EXPECT_DOUBLE_EQ(s.median, 100);
  EXPECT_DOUBLE_EQ(s.min, 5);
  EXPECT_LT(s.mean, 100);
}

TEST(Stats, RelativeSpread) {
  EXPECT_DOUBLE_EQ(RelativeSpread(Summarize({90, 100, 110})), 0.2);
  EXPECT_DOUBLE_EQ(RelativeSpread(Summarize({0, 0})), 0);
}

}  // namespace
}  // namespace xferbench
