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
  for (int rep = 1; rep <= 3; ++rep) {
    AddRun("P1-read", "xferblk", rep, 100 + rep * 10, 0);  // 110 120 130
    AddRun("P1-read", "nvme", rep, 80 + rep, 0);           // 81 82 83
  }
  manifest_ += "compare\tP1-nvme\tP1-read\txferblk\t1.2\tnvme\txferblk / nvme\n";
  Results r = Build();
  const Cell* x = r.Find("P1-read", "xferblk");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->summary.n, 3u);
  EXPECT_NEAR(x->summary.median, 120 * kMiB, 1);
  ASSERT_EQ(r.comparisons.size(), 1u);
  const Comparison& c = r.comparisons[0];
  EXPECT_EQ(c.verdict, Verdict::kMet);
  EXPECT_EQ(c.best_peer, "nvme");
  EXPECT_NEAR(c.ratio, 120.0 / 82, 1e-6);
  EXPECT_NEAR(c.ratio_min, 110.0 / 83, 1e-6);
  EXPECT_NEAR(c.ratio_max, 130.0 / 81, 1e-6);
}

TEST_F(ResultsTest, TargetMissedBelowTheRatio) {
  AddRun("P1-read", "xferblk", 1, 100, 0);
  AddRun("P1-read", "nvme", 1, 90, 0);
  manifest_ += "compare\tP1-nvme\tP1-read\txferblk\t1.2\tnvme\txferblk / nvme\n";
  Results r = Build();
  EXPECT_EQ(r.comparisons[0].verdict, Verdict::kMissed);
  EXPECT_NEAR(r.comparisons[0].ratio, 100.0 / 90, 1e-9);
}

TEST_F(ResultsTest, IopsJobsCompareIopsAgainstTheBestPeer) {
  AddRun("P3", "xferblk", 1, 100, 33000);
  AddRun("P3", "nvme", 1, 500, 20000);  // bandwidth is not the metric
  AddRun("P3", "virtio-blk", 1, 1, 30000);
  manifest_ += "compare\tP3\tP3\txferblk\t1.1\tnvme,virtio-blk\txferblk / best\n";
  Results r = Build();
  const Comparison& c = r.comparisons[0];
  EXPECT_EQ(c.best_peer, "virtio-blk");
  EXPECT_NEAR(c.ratio, 1.1, 1e-9);
  EXPECT_EQ(c.verdict, Verdict::kMet);
  EXPECT_TRUE(c.note.empty());
}

TEST_F(ResultsTest, AMissingPeerIsNotedAndTheOtherUsed) {
  AddRun("P3", "xferblk", 1, 0, 100);
  AddRun("P3", "nvme", 1, 0, 50);
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
  for (int rep = 1; rep <= 3; ++rep) {
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
  EXPECT_EQ(j["jobs"][0]["devices"][0]["runs"].size(), 3u);
  EXPECT_EQ(j["jobs"][0]["devices"][0]["summary"]["n"], 3);
  EXPECT_EQ(j["comparisons"][0]["verdict"], "met");
  EXPECT_DOUBLE_EQ(j["comparisons"][0]["ratio"].get<double>(), 2.0);
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
