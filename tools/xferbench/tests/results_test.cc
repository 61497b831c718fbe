// SPDX-License-Identifier: GPL-2.0-only
//
// Analyze(), Compare() and the table and JSON built from them, on fio
// outputs made up in memory.

#include "results.hh"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

#include "fio_sample.hh"
#include "report.hh"

namespace xferbench {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

class ResultsTest : public ::testing::Test {
 protected:
  // Adds a run of `job` on `dev` whose output has the given bandwidth (MiB/s)
  // and IOPS.
  void AddRun(const std::string& job, const std::string& dev, int rep, double mib, double iops,
              int status = 0, int error = 0, Percentiles clat_ns = {}) {
    std::string file = job + "." + dev + "." + std::to_string(rep) + ".json";
    files_[file] = samples::FioOutput({mib * kMiB, iops, 100, error, 1e6, clat_ns});
    manifest_ += "run\t" + job + "\t" + dev + "\t" + std::to_string(rep) + "\t" + file + "\t" +
                 std::to_string(status) + "\n";
  }

  Results Build() {
    Manifest m = ParseManifest(manifest_);
    return Analyze(m, [this](const std::string& f) {
      auto it = files_.find(f);
      if (it == files_.end()) throw std::runtime_error(f + ": cannot open");
      return ParseFioJson(it->second);
    });
  }

  std::string manifest_ =
      "meta\treps\t3\nmeta\truntime\t3\nmeta\tramp\t1\n"
      "meta\tdisks\tall 8 disks: raw images over file, aio=io_uring\n"
      "job\tP1-read\tbw\t1 MiB sequential read\n"
      "job\tP3\tiops\t4 KiB random read\n"
      "device\txferblk\txferblk 128 KiB\n"
      "device\tnvme\tnvme mdts=5\n"
      "device\tvirtio-blk\tvirtio-blk\n";
  std::map<std::string, std::string> files_;
};

TEST_F(ResultsTest, MediansAndTargetMet) {
  for (int rep = 1; rep <= 5; ++rep) {
    AddRun("P1-read", "xferblk", rep, 100 + rep * 10, 0);  // 110 120 130 140 150
    AddRun("P1-read", "nvme", rep, 80 + rep, 0);           // 81 82 83 84 85
  }
  manifest_ += "compare\tP1-nvme\tP1-read\txferblk\t1.2\tnvme\txferblk / nvme\n";
  Results r = Build();
  const Cell* x = r.Find("P1-read", "xferblk");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->summary.n, 5u);
  EXPECT_NEAR(x->summary.median, 130 * kMiB, 1);
  ASSERT_EQ(r.comparisons.size(), 1u);
  const Comparison& c = r.comparisons[0];
  EXPECT_EQ(c.verdict, Verdict::kMet);
  EXPECT_EQ(c.best_peer, "nvme");
  EXPECT_NEAR(c.ratio, 130.0 / 83, 1e-6);
  EXPECT_NEAR(c.ratio_min, 110.0 / 85, 1e-6);
  EXPECT_NEAR(c.ratio_max, 150.0 / 81, 1e-6);
  // The interval: every resample's ratio lies between the extremes of
  // the pairs' medians, all above the target.
  EXPECT_EQ(c.pairs, 5u);
  EXPECT_EQ(c.confidence, kConfidence);
  EXPECT_GE(c.ci.low, 110.0 / 81 - 1e-9);
  EXPECT_LE(c.ci.high, 150.0 / 85 + 1e-9);
  EXPECT_LT(c.ci.low, c.ratio);
  EXPECT_GT(c.ci.high, c.ratio);
}

TEST_F(ResultsTest, TargetMissedWhenTheWholeIntervalIsBelow) {
  for (int rep = 1; rep <= 5; ++rep) {
    AddRun("P1-read", "xferblk", rep, 100 + rep, 0);  // 101 ... 105
    AddRun("P1-read", "nvme", rep, 90 + rep, 0);      // 91 ... 95
  }
  manifest_ += "compare\tP1-nvme\tP1-read\txferblk\t1.2\tnvme\txferblk / nvme\n";
  Results r = Build();
  const Comparison& c = r.comparisons[0];
  EXPECT_EQ(c.verdict, Verdict::kMissed);
  EXPECT_NEAR(c.ratio, 103.0 / 93, 1e-9);
  EXPECT_LT(c.ci.high, 1.2);
  EXPECT_TRUE(c.note.empty()) << c.note;
}

TEST_F(ResultsTest, UndecidedWhenTheIntervalStraddlesTheTarget) {
  // Medians 120 / 100 = 1.2 exactly, the target: the median alone would say
  // met, but the repetitions range from 1.0 to 1.4 in ratio.
  const double subject[] = {100, 120, 140, 110, 130};
  for (int rep = 1; rep <= 5; ++rep) {
    AddRun("P1-read", "xferblk", rep, subject[rep - 1], 0);
    AddRun("P1-read", "nvme", rep, 100, 0);
  }
  manifest_ += "compare\tP1-nvme\tP1-read\txferblk\t1.2\tnvme\txferblk / nvme\n";
  Results r = Build();
  const Comparison& c = r.comparisons[0];
  EXPECT_DOUBLE_EQ(c.ratio, 1.2);
  EXPECT_EQ(c.verdict, Verdict::kUndecided);
  EXPECT_LT(c.ci.low, 1.2);
  EXPECT_GT(c.ci.high, 1.2);
  EXPECT_EQ(c.pairs, 5u);
  EXPECT_EQ(UndecidedJobs(r), (std::vector<std::string>{"P1-read"}));

  std::string table = FormatTable(r);
  EXPECT_NE(table.find("undecided"), std::string::npos) << table;
  EXPECT_NE(table.find("0 of 1 targets met, 0 missed, 1 undecided, 0 missing"), std::string::npos)
      << table;
  auto j = ToJson(r)["comparisons"][0];
  EXPECT_EQ(j["verdict"], "undecided");
  EXPECT_EQ(j["pairs"], 5);
  EXPECT_DOUBLE_EQ(j["confidence"].get<double>(), 0.95);
  EXPECT_DOUBLE_EQ(j["ci_low"].get<double>(), c.ci.low);
  EXPECT_DOUBLE_EQ(j["ci_high"].get<double>(), c.ci.high);
}

TEST_F(ResultsTest, TooFewPairsAreUndecidedWhateverTheInterval) {
  // Far above the target, but one pair shows no spread, and up to four an
  // interval narrower than it should be.
  manifest_ += "compare\tP1-nvme\tP1-read\txferblk\t1.2\tnvme\txferblk / nvme\n";
  for (int rep = 1; rep <= static_cast<int>(kMinPairs); ++rep) {
    AddRun("P1-read", "xferblk", rep, 300, 0);
    AddRun("P1-read", "nvme", rep, 100, 0);
    Comparison c = Build().comparisons[0];
    EXPECT_EQ(c.pairs, static_cast<std::size_t>(rep));
    EXPECT_EQ(c.ci, (Interval{3, 3}));
    if (rep < static_cast<int>(kMinPairs)) {
      EXPECT_EQ(c.verdict, Verdict::kUndecided) << rep;
      EXPECT_NE(c.note.find(std::to_string(rep) + (rep == 1 ? " pair:" : " pairs:") +
                            " too few to decide"),
                std::string::npos)
          << c.note;
    } else {
      EXPECT_EQ(c.verdict, Verdict::kMet) << rep;
      EXPECT_TRUE(c.note.empty()) << c.note;
    }
  }
}

TEST_F(ResultsTest, RunsArePairedByRepetitionAndAFailedRunDropsItsPair) {
  // Repetition 2 failed on the subject, 4 on the peer, 5 ran only on the
  // subject: pairs 1 and 3 remain.
  AddRun("P1-read", "xferblk", 1, 130, 0);
  AddRun("P1-read", "xferblk", 2, 999, 0, /*status=*/1);
  AddRun("P1-read", "xferblk", 3, 120, 0);
  AddRun("P1-read", "xferblk", 4, 110, 0);
  AddRun("P1-read", "xferblk", 5, 500, 0);
  AddRun("P1-read", "nvme", 3, 60, 0);  // out of order in the manifest
  AddRun("P1-read", "nvme", 1, 65, 0);
  AddRun("P1-read", "nvme", 2, 70, 0);
  AddRun("P1-read", "nvme", 4, 80, 0, 0, /*error=*/5);
  Results r = Build();
  const Cell* x = r.Find("P1-read", "xferblk");
  const Cell* n = r.Find("P1-read", "nvme");
  ASSERT_NE(x, nullptr);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(PairRuns(*x, *n), (Pairs{{130 * kMiB, 65 * kMiB}, {120 * kMiB, 60 * kMiB}}));
  EXPECT_EQ(PairRuns(*n, *x), (Pairs{{65 * kMiB, 130 * kMiB}, {60 * kMiB, 120 * kMiB}}));
}

TEST_F(ResultsTest, NoPairAtAllIsUndecided) {
  AddRun("P1-read", "xferblk", 1, 130, 0);
  AddRun("P1-read", "xferblk", 2, 130, 0);
  AddRun("P1-read", "nvme", 3, 65, 0);
  manifest_ += "compare\tP1-nvme\tP1-read\txferblk\t1.2\tnvme\txferblk / nvme\n";
  Results r = Build();
  const Comparison& c = r.comparisons[0];
  EXPECT_EQ(c.verdict, Verdict::kUndecided);
  EXPECT_EQ(c.pairs, 0u);
  EXPECT_DOUBLE_EQ(c.ratio, 2.0);
  EXPECT_NE(c.note.find("no repetition succeeded on both"), std::string::npos) << c.note;
  auto j = ToJson(r)["comparisons"][0];
  EXPECT_TRUE(j["ci_low"].is_null());
  EXPECT_TRUE(j["ci_high"].is_null());
  EXPECT_EQ(j["pairs"], 0);
}

TEST_F(ResultsTest, TheIntervalIsReproducible) {
  const double subject[] = {100, 125, 140, 110, 131};
  const double peer[] = {90, 101, 99, 95, 97};
  for (int rep = 1; rep <= 5; ++rep) {
    AddRun("P1-read", "xferblk", rep, subject[rep - 1], 0);
    AddRun("P1-read", "nvme", rep, peer[rep - 1], 0);
  }
  manifest_ += "compare\tP1-nvme\tP1-read\txferblk\t1.2\tnvme\txferblk / nvme\n";
  Interval a = Build().comparisons[0].ci;
  Interval b = Build().comparisons[0].ci;
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  EXPECT_LT(a.low, a.high);
}

TEST_F(ResultsTest, IopsJobsCompareIopsAgainstTheBestPeer) {
  for (int rep = 1; rep <= 5; ++rep) {
    AddRun("P3", "xferblk", rep, 100, 33000);
    AddRun("P3", "nvme", rep, 500, 20000);  // bandwidth is not the metric
    AddRun("P3", "virtio-blk", rep, 1, 30000);
  }
  manifest_ += "compare\tP3\tP3\txferblk\t1.1\tnvme,virtio-blk\txferblk / best\n";
  Results r = Build();
  const Comparison& c = r.comparisons[0];
  EXPECT_EQ(c.best_peer, "virtio-blk");
  EXPECT_NEAR(c.ratio, 1.1, 1e-9);
  // The interval is 1.1 to 1.1: exactly on the target is met.
  EXPECT_EQ(c.ci, (Interval{1.1, 1.1}));
  EXPECT_EQ(c.verdict, Verdict::kMet);
  EXPECT_TRUE(c.note.empty());
}

TEST_F(ResultsTest, TheBestPeerIsChosenByMedianAndTheIntervalIsAgainstIt) {
  // virtio-blk's median (100) beats nvme's (95), though nvme's best run is
  // far faster: the interval pairs xferblk with virtio-blk.
  const double nvme[] = {95, 90, 400, 80, 500};
  for (int rep = 1; rep <= 5; ++rep) {
    AddRun("P3", "xferblk", rep, 0, 150);
    AddRun("P3", "nvme", rep, 0, nvme[rep - 1]);
    AddRun("P3", "virtio-blk", rep, 0, 100);
  }
  manifest_ += "compare\tP3\tP3\txferblk\t1.1\tnvme,virtio-blk\txferblk / best\n";
  Results r = Build();
  const Comparison& c = r.comparisons[0];
  EXPECT_EQ(c.best_peer, "virtio-blk");
  EXPECT_EQ(c.ci, (Interval{1.5, 1.5}));
  EXPECT_EQ(c.verdict, Verdict::kMet);
}

TEST_F(ResultsTest, AMissingPeerIsNotedAndTheOtherUsed) {
  for (int rep = 1; rep <= 5; ++rep) {
    AddRun("P3", "xferblk", rep, 0, 100);
    AddRun("P3", "nvme", rep, 0, 50);
  }
  manifest_ += "missing\tvirtio-blk\tno virtio-blk in this QEMU\n";
  manifest_ += "compare\tP3\tP3\txferblk\t1.1\tnvme,virtio-blk\txferblk / best\n";
  Results r = Build();
  const Comparison& c = r.comparisons[0];
  EXPECT_EQ(c.verdict, Verdict::kMet);
  EXPECT_NE(c.note.find("virtio-blk"), std::string::npos);
  const Cell* v = r.Find("P3", "virtio-blk");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->missing, "no virtio-blk in this QEMU");
}

TEST_F(ResultsTest, MissingSubjectMakesTheComparisonMissing) {
  AddRun("P1-read", "nvme", 1, 90, 0);
  manifest_ += "device\txferblk64-mq\txferblk blk-mq\n";
  manifest_ += "missing\txferblk64-mq\tdriver has no queue_mode parameter\n";
  manifest_ += "compare\tP2\tP1-read\tnvme\t1.1\txferblk64-mq\tbio / mq\n";
  manifest_ += "compare\tP2b\tP1-read\txferblk64-mq\t1.1\tnvme\tmq / bio\n";
  Results r = Build();
  ASSERT_EQ(r.comparisons.size(), 2u);
  EXPECT_EQ(r.comparisons[0].verdict, Verdict::kMissing);
  EXPECT_NE(r.comparisons[0].note.find("queue_mode"), std::string::npos);
  EXPECT_EQ(r.comparisons[1].verdict, Verdict::kMissing);
  EXPECT_NE(r.comparisons[1].note.find("queue_mode"), std::string::npos);
  std::string table = FormatTable(r);
  EXPECT_NE(table.find("missing: driver has no queue_mode parameter"), std::string::npos);
}

TEST_F(ResultsTest, FailedRunsAreKeptButLeftOutOfTheStatistics) {
  AddRun("P1-read", "xferblk", 1, 100, 0);
  AddRun("P1-read", "xferblk", 2, 5000, 0, /*status=*/1);
  AddRun("P1-read", "xferblk", 3, 5000, 0, 0, /*error=*/5);
  manifest_ += "run\tP1-read\txferblk\t4\tgone.json\t0\n";
  Results r = Build();
  const Cell* x = r.Find("P1-read", "xferblk");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->runs.size(), 4u);
  EXPECT_EQ(x->Failed(), 3u);
  EXPECT_EQ(x->summary.n, 1u);
  EXPECT_NEAR(x->summary.median, 100 * kMiB, 1);
  EXPECT_NE(x->runs[1].error.find("status 1"), std::string::npos);
  EXPECT_NE(x->runs[2].error.find("job error 5"), std::string::npos);
  EXPECT_NE(x->runs[3].error.find("gone.json"), std::string::npos);
}

TEST_F(ResultsTest, EveryRunFailedSaysWhy) {
  AddRun("P1-read", "nvme", 1, 100, 0, 2);
  Results r = Build();
  const Cell* n = r.Find("P1-read", "nvme");
  ASSERT_NE(n, nullptr);
  EXPECT_NE(n->missing.find("every run failed"), std::string::npos);
}

TEST_F(ResultsTest, TableAndJsonCarryEverything) {
  for (int rep = 1; rep <= 5; ++rep) {
    AddRun("P1-read", "xferblk", rep, 100, 0);
    AddRun("P1-read", "nvme", rep, 50, 0);
  }
  manifest_ += "compare\tP1-nvme\tP1-read\txferblk\t1.2\tnvme\txferblk / nvme\n";
  Results r = Build();
  std::string table = FormatTable(r);
  EXPECT_NE(table.find("median of 3 runs"), std::string::npos);
  EXPECT_NE(table.find("disks: all 8 disks"), std::string::npos);
  EXPECT_NE(table.find("xferblk 128 KiB"), std::string::npos);
  EXPECT_NE(table.find("100.0"), std::string::npos);
  EXPECT_NE(table.find("2.00x"), std::string::npos);
  EXPECT_NE(table.find("met"), std::string::npos);
  EXPECT_NE(table.find("1 of 1 targets met"), std::string::npos);

  auto j = ToJson(r);
  EXPECT_EQ(j["meta"]["reps"], "3");
  ASSERT_EQ(j["jobs"].size(), 2u);
  EXPECT_EQ(j["jobs"][0]["id"], "P1-read");
  EXPECT_EQ(j["jobs"][0]["devices"][0]["runs"].size(), 5u);
  EXPECT_EQ(j["jobs"][0]["devices"][0]["summary"]["n"], 5);
  EXPECT_EQ(j["comparisons"][0]["verdict"], "met");
  EXPECT_DOUBLE_EQ(j["comparisons"][0]["ratio"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["comparisons"][0]["ci_low"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["comparisons"][0]["ci_high"].get<double>(), 2.0);
  EXPECT_EQ(j["comparisons"][0]["pairs"], 5);
  EXPECT_NE(table.find("2.00 - 2.00x     5   1.20x  met\n"), std::string::npos) << table;
}

TEST_F(ResultsTest, TheSummaryLineCountsEveryVerdict) {
  // P1-read: met against nvme, missed against virtio-blk; P3: undecided
  // against nvme; the blk-mq comparison: missing.
  const double jitter[] = {1.0, 1.3, 0.8, 1.2, 0.9};
  for (int rep = 1; rep <= 5; ++rep) {
    AddRun("P1-read", "xferblk", rep, 100, 0);
    AddRun("P1-read", "nvme", rep, 50, 0);
    AddRun("P1-read", "virtio-blk", rep, 200, 0);
    AddRun("P3", "xferblk", rep, 0, 110 * jitter[rep - 1]);
    AddRun("P3", "nvme", rep, 0, 100);
  }
  manifest_ +=
      "compare\tP1-nvme\tP1-read\txferblk\t1.2\tnvme\txferblk / nvme\n"
      "compare\tP1-virtio\tP1-read\txferblk\t1.0\tvirtio-blk\txferblk / virtio-blk\n"
      "compare\tP3\tP3\txferblk\t1.1\tnvme\txferblk IOPS / nvme\n"
      "compare\tP2\tP3\txferblk\t1.1\tmq\tbio / mq\n";
  Results r = Build();
  ASSERT_EQ(r.comparisons.size(), 4u);
  EXPECT_EQ(r.comparisons[0].verdict, Verdict::kMet);
  EXPECT_EQ(r.comparisons[1].verdict, Verdict::kMissed);
  EXPECT_EQ(r.comparisons[2].verdict, Verdict::kUndecided);
  EXPECT_EQ(r.comparisons[3].verdict, Verdict::kMissing);
  EXPECT_EQ(UndecidedJobs(r), (std::vector<std::string>{"P3"}));
  std::string table = FormatTable(r);
  EXPECT_NE(table.find("1 of 4 targets met, 1 missed, 1 undecided, 1 missing\n"), std::string::npos)
      << table;
  for (const char* v : {"  met", "  missed", "  undecided", "  missing: "})
    EXPECT_NE(table.find(v), std::string::npos) << v << "\n" << table;
  EXPECT_NE(table.find("95% CI pairs  target  verdict"), std::string::npos) << table;
  auto j = ToJson(r)["comparisons"];
  EXPECT_EQ(j[0]["verdict"], "met");
  EXPECT_EQ(j[1]["verdict"], "missed");
  EXPECT_EQ(j[2]["verdict"], "undecided");
  EXPECT_EQ(j[3]["verdict"], "missing");
  EXPECT_FALSE(j[3].contains("ci_low"));
  EXPECT_STREQ(VerdictName(Verdict::kUndecided), "undecided");
}

TEST_F(ResultsTest, TheHeaderSaysHowFarUndecidedJobsWereRepeated) {
  EXPECT_NE(FormatTable(Build()).find("median of 3 runs per job and device, 3 s"),
            std::string::npos);
  manifest_ += "meta\tmax_reps\t9\n";
  EXPECT_NE(FormatTable(Build()).find(
                "median of 3 runs (up to 9 for undecided targets) per job and device"),
            std::string::npos)
      << FormatTable(Build());
}

TEST_F(ResultsTest, LatencyPercentilesAreMediansOfTheRunsThatReportedThem) {
  AddRun("P3", "xferblk", 1, 0, 100, 0, 0, {400e3, 2e6, 9e6});
  AddRun("P3", "xferblk", 2, 0, 100, 0, 0, {600e3, 3e6, 5e6});
  AddRun("P3", "xferblk", 3, 0, 100, 0, 0, {500e3, 4e6, 7e6});
  AddRun("P3", "nvme", 1, 0, 100);  // no percentiles
  Results r = Build();
  const Cell* x = r.Find("P3", "xferblk");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->runs[0].clat_ns, (Percentiles{400e3, 2e6, 9e6}));
  EXPECT_DOUBLE_EQ(x->clat[0].median, 500e3);
  EXPECT_DOUBLE_EQ(x->clat[1].median, 3e6);
  EXPECT_DOUBLE_EQ(x->clat[2].median, 7e6);
  EXPECT_EQ(x->clat[2].n, 3u);
  EXPECT_EQ(r.Find("P3", "nvme")->clat[1].n, 0u);

  std::string table = FormatTable(r);
  EXPECT_NE(table.find("mean lat        p50        p99      p99.9   n"), std::string::npos)
      << table;
  EXPECT_NE(table.find("1.00 ms     500 us    3.00 ms    7.00 ms   3"), std::string::npos) << table;
  EXPECT_NE(table.find("1.00 ms          -          -          -   1"), std::string::npos) << table;

  auto j = ToJson(r)["jobs"][1]["devices"][0];
  EXPECT_EQ(j["label"], "xferblk 128 KiB");
  EXPECT_DOUBLE_EQ(j["clat_p50_ns"]["median"].get<double>(), 500e3);
  EXPECT_DOUBLE_EQ(j["clat_p99_ns"]["max"].get<double>(), 4e6);
  EXPECT_DOUBLE_EQ(j["clat_p99_9_ns"]["min"].get<double>(), 5e6);
  EXPECT_DOUBLE_EQ(j["runs"][0]["clat_p99_9_ns"].get<double>(), 9e6);
}

TEST_F(ResultsTest, EveryCellHasEveryPercentileInTheTableAndTheJson) {
  for (int rep = 1; rep <= 3; ++rep) {
    AddRun("P1-read", "xferblk", rep, 100, 0, 0, 0, {1e6, 2e6, 3e6});
    AddRun("P1-read", "nvme", rep, 90, 0, 0, 0, {4e6, 5e6, 6e6});
    AddRun("P3", "xferblk", rep, 0, 100, 0, 0, {70e3, 80e3, 90e3});
  }
  manifest_ += "missing\tvirtio-blk\tno virtio-blk in this QEMU\n";
  manifest_ += "compare\tP1-virtio\tP1-read\txferblk\t1\tvirtio-blk\txferblk / virtio\n";
  Results r = Build();
  std::string table = FormatTable(r);
  // One header per job with every percentile, and each cell with data
  // showing its three medians.
  std::string header;
  for (const auto& p : kPercentiles) header += Format(" %10s", p.name);
  std::size_t headers = 0;
  for (std::size_t at = table.find(header); at != std::string::npos;
       at = table.find(header, at + 1))
    ++headers;
  EXPECT_EQ(headers, 2u) << table;
  EXPECT_NE(table.find("    1.00 ms    2.00 ms    3.00 ms   3\n"), std::string::npos) << table;
  EXPECT_NE(table.find("    4.00 ms    5.00 ms    6.00 ms   3\n"), std::string::npos) << table;
  EXPECT_NE(table.find("      70 us      80 us      90 us   3\n"), std::string::npos) << table;

  // In results.json, every cell, the missing one too, and every run.
  auto j = ToJson(r);
  std::size_t cells = 0;
  for (const auto& job : j["jobs"])
    for (const auto& cell : job["devices"]) {
      ++cells;
      for (const auto& p : kPercentiles) {
        ASSERT_TRUE(cell.contains(p.json_key)) << cell["id"] << " " << p.json_key;
        EXPECT_TRUE(cell[p.json_key].contains("median")) << cell["id"] << " " << p.json_key;
        for (const auto& run : cell["runs"]) EXPECT_TRUE(run.contains(p.json_key));
      }
    }
  EXPECT_EQ(cells, 4u);  // P1-read: xferblk, nvme, virtio-blk; P3: xferblk
  EXPECT_DOUBLE_EQ(j["jobs"][0]["devices"][1]["clat_p99_9_ns"]["median"].get<double>(), 6e6);
  EXPECT_EQ(j["jobs"][0]["devices"][2]["clat_p50_ns"]["n"], 0);
}

TEST(Report, FormatValueAndRunLine) {
  EXPECT_EQ(FormatValue(Metric::kBandwidth, 3 * kMiB / 2), "1.5");
  EXPECT_EQ(FormatValue(Metric::kIops, 30117.4), "30117");
  EXPECT_STREQ(UnitOf(Metric::kIops), "IOPS");
  FioRun run = ParseFioJson(samples::FioOutput({812 * kMiB, 812, 10}));
  EXPECT_EQ(RunLine(run), "812.0 MiB/s, 812 IOPS, mean latency 1.00 ms");
  run = ParseFioJson(samples::FioOutput({812 * kMiB, 812, 10, 0, 1e6, {1e6, 2.5e6, 3e6}}));
  EXPECT_EQ(RunLine(run), "812.0 MiB/s, 812 IOPS, mean latency 1.00 ms, p99 2.50 ms");
}

}  // namespace
}  // namespace xferbench
