// SPDX-License-Identifier: GPL-2.0-only

#include "fio.hh"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

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
  EXPECT_DOUBLE_EQ(j.read.clat_p50_ns, 22675456);
  EXPECT_DOUBLE_EQ(j.read.clat_p99_ns, 47972352);
  EXPECT_EQ(j.read.runtime_ms, 3000u);
  EXPECT_EQ(j.write.total_ios, 0u);
  EXPECT_DOUBLE_EQ(run.BandwidthBytes(), 715827882);
  EXPECT_EQ(run.TotalIos(), 2048u);
  EXPECT_DOUBLE_EQ(run.LatencyMeanNs(), 23400000.0);
  EXPECT_DOUBLE_EQ(run.ClatP99Ns(), 47972352);
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
  EXPECT_DOUBLE_EQ(run.ClatP99Ns(), 0);  // no percentiles given
}

TEST(Fio, MissingFieldsAreZero) {
  FioRun run = ParseFioJson(R"({"jobs":[{"jobname":"x"}]})");
  EXPECT_EQ(run.TotalIos(), 0u);
  EXPECT_DOUBLE_EQ(run.LatencyMeanNs(), 0);
}

TEST(Fio, RejectsWhatIsNotAFioReport) {
  EXPECT_THROW(ParseFioJson(""), std::runtime_error);
  EXPECT_THROW(ParseFioJson("fio: failed to open /dev/nope\n"), std::runtime_error);
  EXPECT_THROW(ParseFioJson("{\"jobs\": [ {\"jobname\": "), std::runtime_error);
  EXPECT_THROW(ParseFioJson("{\"nojobs\": 1}"), std::runtime_error);
  EXPECT_THROW(ParseFioJson("{\"jobs\": []}"), std::runtime_error);
  EXPECT_THROW(ParseFioJson("{\"jobs\": [3]}"), std::runtime_error);
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
