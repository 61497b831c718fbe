// SPDX-License-Identifier: GPL-2.0-only

#include "fio.hh"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace xferbench {
namespace {

// A trimmed fio 3.33 report: one read job.
const char* kReadJob = R"({
  "fio version" : "fio-3.33",
  "timestamp" : 1795341442,
  "jobs" : [
    {
      "jobname" : "P1-read",
      "groupid" : 0,
      "error" : 0,
      "read" : {
        "io_bytes" : 2147483648,
        "io_kbytes" : 2097152,
        "bw_bytes" : 715827882,
        "bw" : 699050,
        "iops" : 682.666667,
        "runtime" : 3000,
        "total_ios" : 2048,
        "short_ios" : 0,
        "clat_ns" : {
          "min" : 1000, "max" : 90000000, "mean" : 23000000.5,
          "percentile" : {
            "1.000000" : 11000000,
            "50.000000" : 22675456,
            "99.000000" : 47972352,
            "99.900000" : 60000000
          }
        },
        "lat_ns" : { "min" : 1200, "max" : 90000100, "mean" : 23400000.0 }
      },
      "write" : {
        "io_bytes" : 0, "bw_bytes" : 0, "iops" : 0.0, "runtime" : 0, "total_ios" : 0,
        "lat_ns" : { "min" : 0, "max" : 0, "mean" : 0.0 }
      }
    }
  ]
})";

TEST(Fio, ParsesOneReadJob) {
  FioRun run = ParseFioJson(kReadJob);
  EXPECT_EQ(run.version, "fio-3.33");
  ASSERT_EQ(run.jobs.size(), 1u);
  const FioJob& j = run.jobs[0];
  EXPECT_EQ(j.name, "P1-read");
  EXPECT_EQ(j.error, 0);
  EXPECT_EQ(j.read.io_bytes, 2147483648u);
  EXPECT_EQ(j.read.total_ios, 2048u);
  EXPECT_DOUBLE_EQ(j.read.bw_bytes, 715827882);
  EXPECT_NEAR(j.read.iops, 682.666667, 1e-6);
  EXPECT_DOUBLE_EQ(j.read.lat_mean_ns, 23400000.0);
  EXPECT_EQ(j.read.clat_ns, (Percentiles{22675456, 47972352, 60000000}));
  EXPECT_EQ(j.read.runtime_ms, 3000u);
  EXPECT_EQ(j.write.total_ios, 0u);
  EXPECT_DOUBLE_EQ(run.BandwidthBytes(), 715827882);
  EXPECT_EQ(run.TotalIos(), 2048u);
  EXPECT_DOUBLE_EQ(run.LatencyMeanNs(), 23400000.0);
  EXPECT_EQ(run.ClatNs(), (Percentiles{22675456, 47972352, 60000000}));
  EXPECT_EQ(run.Error(), 0);
}

TEST(Fio, SkipsWarningsBeforeTheJson) {
  std::string text = std::string("fio: io_uring: sqpoll not available\n") + kReadJob;
  EXPECT_EQ(ParseFioJson(text).jobs.size(), 1u);
}

TEST(Fio, SumsJobsAndDirectionsAndWeighsLatencyByIos) {
  FioRun run = ParseFioJson(R"({"jobs":[
    {"jobname":"a","error":0,
     "read":{"bw_bytes":100,"iops":10,"total_ios":30,"lat_ns":{"mean":1000}},
     "write":{"bw_bytes":50,"iops":5,"total_ios":10,"lat_ns":{"mean":5000}}},
    {"jobname":"b","error":5,
     "read":{"bw_bytes":1,"iops":1,"total_ios":0,"lat_ns":{"mean":99999}}}]})");
  EXPECT_DOUBLE_EQ(run.BandwidthBytes(), 151);
  EXPECT_DOUBLE_EQ(run.Iops(), 16);
  EXPECT_EQ(run.TotalIos(), 40u);
  // (30 * 1000 + 10 * 5000) / 40; the direction without I/O does not count.
  EXPECT_DOUBLE_EQ(run.LatencyMeanNs(), 2000);
  EXPECT_EQ(run.Error(), 5);
  EXPECT_EQ(run.ClatNs(), Percentiles{});  // no percentiles given
}

// What fio 3.33 wrote for a job of bench/ (percentile_list=50:99:99.9),
// trimmed to the read direction's latencies.
const char* kBenchJob = R"({
  "fio version" : "fio-3.33",
  "jobs" : [
    {
      "jobname" : "P1-read",
      "error" : 0,
      "read" : {
        "io_bytes" : 2748317696, "bw_bytes" : 2745572123, "iops" : 2618.381618,
        "runtime" : 1001, "total_ios" : 2621,
        "clat_ns" : {
          "min" : 484738, "max" : 11065545, "mean" : 6024811.567722,
          "stddev" : 1061942.783132, "N" : 2621,
          "percentile" : {
            "50.000000" : 5734400,
            "99.000000" : 9502720,
            "99.900000" : 11075584
          }
        },
        "lat_ns" : { "min" : 1167621, "max" : 11093296, "mean" : 6076768.857306 }
      }
    }
  ]
})";

TEST(Fio, ReadsThePercentilesTheBenchJobsAskFor) {
  FioRun run = ParseFioJson(kBenchJob);
  EXPECT_EQ(run.jobs[0].read.clat_ns, (Percentiles{5734400, 9502720, 11075584}));
  EXPECT_EQ(run.jobs[0].write.clat_ns, Percentiles{});
  EXPECT_EQ(run.ClatNs()[PercentileIndex(99.9)], 11075584);
}

TEST(Fio, PercentilesMatchByValueAndTheWorstDirectionCounts) {
  FioRun run = ParseFioJson(R"({"jobs":[{"jobname":"rw",
    "read":{"total_ios":1,"clat_ns":{"percentile":{"50":10,"99.0":20,"99.9000":30,"x":1,"1.0":5}}},
    "write":{"total_ios":1,"clat_ns":{"percentile":{"50.000000":15,"99.000000":"bad"}}}}]})");
  EXPECT_EQ(run.jobs[0].read.clat_ns, (Percentiles{10, 20, 30}));
  EXPECT_EQ(run.jobs[0].write.clat_ns, (Percentiles{15, 0, 0}));
  EXPECT_EQ(run.ClatNs(), (Percentiles{15, 20, 30}));
}

TEST(Fio, MissingFieldsAreZero) {
  FioRun run = ParseFioJson(R"({"jobs":[{"jobname":"x"}]})");
  EXPECT_EQ(run.TotalIos(), 0u);
  EXPECT_DOUBLE_EQ(run.LatencyMeanNs(), 0);
}

TEST(Fio, RejectsWhatIsNotAFioReport) {
  for (const char* text : {"", "fio: failed to open /dev/nope\n", R"({"jobs": [ {"jobname": )",
                           R"({"nojobs": 1})", R"({"jobs": []})", R"({"jobs": [3]})", "[{}]"})
    EXPECT_THROW(ParseFioJson(text), std::runtime_error) << text;
}

// The job files of bench/ must ask fio for exactly kPercentiles, or the
// table's p50/p99/p99.9 columns and results.json's clat_*_ns fields would be
// empty for every cell.
TEST(Fio, TheBenchJobsAskForEveryPercentileOfTheTable) {
  namespace fs = std::filesystem;
  const fs::path dir = XFERBLK_BENCH_DIR;
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  std::string common = slurp(dir / "common.fio");
  ASSERT_FALSE(common.empty()) << dir / "common.fio";
  std::string list;
  for (std::istringstream lines(common); std::getline(lines, list);)
    if (list.starts_with("percentile_list=")) break;
  ASSERT_TRUE(list.starts_with("percentile_list=")) << common;
  std::vector<double> asked;
  std::istringstream values(list.substr(list.find('=') + 1));
  for (std::string v; std::getline(values, v, ':');) asked.push_back(std::stod(v));
  ASSERT_EQ(asked.size(), kPercentiles.size()) << list;
  for (std::size_t i = 0; i < kPercentiles.size(); ++i)
    EXPECT_EQ(asked[i], kPercentiles[i].percent) << kPercentiles[i].name;

  // Every job takes it from common.fio and none asks for other percentiles.
  std::size_t jobs = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path& f = entry.path();
    if (f.extension() != ".fio" || f.filename() == "common.fio") continue;
    ++jobs;
    std::string text = slurp(f);
    EXPECT_NE(text.find("\ninclude common.fio\n"), std::string::npos) << f;
    EXPECT_EQ(text.find("percentile"), std::string::npos) << f;
  }
  EXPECT_GE(jobs, 7u);
}

TEST(Fio, ReadNamesTheFileInItsErrors) {
  try {
    ReadFioJson("/nonexistent/xferbench/fio.json");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/xferbench/fio.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace xferbench
