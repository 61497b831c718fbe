// SPDX-License-Identifier: GPL-2.0-only

#include "minimize.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace xferfuzz {
namespace {

bool Has(const std::vector<size_t>& v, size_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(Minimize, FindsTheCulprits) {
  // Fails when 3, 50 and 97 are all in, in that order.
  size_t calls = 0;
  auto fails = [&](const std::vector<size_t>& v) {
    calls++;
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    return Has(v, 3) && Has(v, 50) && Has(v, 97);
  };
  std::vector<size_t> got = Minimize(100, fails, {});
  EXPECT_EQ(got, (std::vector<size_t>{3, 50, 97}));
  EXPECT_LT(calls, 200u);
}

TEST(Minimize, OneItem) {
  EXPECT_EQ(Minimize(1, [](const std::vector<size_t>&) { return true; }, {}),
            std::vector<size_t>{0});
  EXPECT_EQ(Minimize(10, [](const std::vector<size_t>& v) { return Has(v, 9); }, {}),
            std::vector<size_t>{9});
  EXPECT_TRUE(Minimize(0, [](const std::vector<size_t>&) { return true; }, {}).empty());
}

TEST(Minimize, NothingRemovable) {
  auto all = [](const std::vector<size_t>& v) { return v.size() == 8; };
  EXPECT_EQ(Minimize(8, all, {}).size(), 8u);
}

TEST(Minimize, OutOfTime) {
  size_t calls = 0;
  auto fails = [&](const std::vector<size_t>& v) {
    calls++;
    return Has(v, 1) && Has(v, 2);
  };
  std::vector<size_t> got = Minimize(1000, fails, [&] { return calls >= 3; });
  EXPECT_EQ(calls, 3u);
  EXPECT_TRUE(Has(got, 1) && Has(got, 2));
}

TEST(Minimize, FlakyPredicateKeepsAFailingSet) {
  // Whatever it is told, the answer is a set it was told fails (or all).
  std::set<std::vector<size_t>> failing;
  size_t n = 0;
  auto fails = [&](const std::vector<size_t>& v) {
    bool f = (n++ % 3) == 0 && Has(v, 7);
    if (f) failing.insert(v);
    return f;
  };
  std::vector<size_t> got = Minimize(64, fails, {});
  EXPECT_TRUE(got.size() == 64 || failing.count(got));
}

}  // namespace
}  // namespace xferfuzz
