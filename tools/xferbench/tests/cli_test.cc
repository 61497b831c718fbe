// SPDX-License-Identifier: GPL-2.0-only
//
// The commands end to end on a raw directory made in a temporary directory.

#include "cli.hh"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "fio_sample.hh"
#include "process.hh"

namespace xferbench {
namespace {

namespace fs = std::filesystem;

const std::string kFio = samples::FioOutput({104857600, 100, 300, 0, 160e6, {150e6, 170e6, 190e6}});
const std::string kFioSlow = samples::FioOutput({52428800, 50, 150, 0, 320e6});

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("xferbench_cli_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "raw" / "fio");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const fs::path& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return xferbench::Run(args, out_, err_);
  }

  fs::path dir_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CliTest, ReportWritesTableJsonAndChart) {
  std::string runs;
  for (int rep = 1; rep <= 5; ++rep) {
    std::string r = std::to_string(rep);
    Write("raw/fio/a" + r + ".json", kFio);
    Write("raw/fio/b" + r + ".json", kFioSlow);
    runs += "run\tP1-read\txferblk\t" + r + "\tfio/a" + r + ".json\t0\n";
    runs += "run\tP1-read\tnvme\t" + r + "\tfio/b" + r + ".json\t0\n";
  }
  Write("raw/manifest.tsv",
        "meta\treps\t5\nmeta\truntime\t1\nmeta\tramp\t0\n"
        "job\tP1-read\tbw\t1 MiB sequential read\n"
        "job\tP2\tbw\t4 MiB random read\n"
        "device\txferblk\txferblk 128 KiB\ndevice\tnvme\tnvme mdts=5\n"
        "device\tmq\txferblk blk-mq\nmissing\tmq\tno queue_mode parameter\n" +
            runs +
            "compare\tP1-nvme\tP1-read\txferblk\t1.2\tnvme\txferblk / nvme\n"
            "compare\tP2\tP2\txferblk\t1.1\tmq\tbio / mq\n"
            "memory\tnvme\tmemory/nvme\t16\n");
  Write("raw/memory/nvme/slab-idle.txt", "bio-256 10 10 320 12 1\n");
  Write("raw/memory/nvme/slab-busy-1.txt", "bio-256 26 26 320 12 1\n");

  fs::path raw = dir_ / "raw";
  ASSERT_EQ(Run({"report", "--raw", raw.string()}), kExitOk) << err_.str();
  std::string table = out_.str();
  EXPECT_NE(table.find("2.00x"), std::string::npos) << table;
  EXPECT_NE(table.find("met"), std::string::npos);
  EXPECT_NE(table.find("missing: no queue_mode parameter"), std::string::npos);
  // 16 x 320 B / 16, give or take one slab of 12 objects on one CPU.
  EXPECT_NE(table.find("320 B +- 240 B"), std::string::npos) << table;

  // Written next to raw/ by default.
  std::ifstream t(dir_ / "table.txt");
  std::stringstream written;
  written << t.rdbuf();
  EXPECT_EQ(written.str(), table);
  std::ifstream j(dir_ / "results.json");
  auto doc = nlohmann::json::parse(j);
  EXPECT_EQ(doc["comparisons"][0]["verdict"], "met");
  EXPECT_EQ(doc["comparisons"][0]["pairs"], 5);
  EXPECT_DOUBLE_EQ(doc["comparisons"][0]["ci_low"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(doc["comparisons"][0]["ci_high"].get<double>(), 2.0);
  EXPECT_EQ(doc["comparisons"][1]["verdict"], "missing");
  EXPECT_EQ(doc["memory"][0]["slab_bytes_per_inflight_io"], 320.0);
  EXPECT_DOUBLE_EQ(doc["jobs"][0]["devices"][0]["clat_p99_ns"]["median"].get<double>(), 170e6);
  EXPECT_NE(table.find("p99.9"), std::string::npos);
  EXPECT_NE(table.find("190.00 ms"), std::string::npos) << table;

  EXPECT_TRUE(fs::exists(dir_ / "charts.gp"));
  if (FindProgram("gnuplot").empty()) {
    EXPECT_NE(err_.str().find("no charts: gnuplot not found"), std::string::npos) << err_.str();
    GTEST_SKIP() << "gnuplot is not installed: the charts were not drawn";
  }
  EXPECT_EQ(err_.str(), "");
  std::ifstream png(dir_ / "chart.png", std::ios::binary);
  char sig[4] = {};
  png.read(sig, 4);
  EXPECT_EQ(std::string(sig + 1, 3), "PNG");
  EXPECT_TRUE(fs::exists(dir_ / "chart.svg"));
  EXPECT_TRUE(fs::exists(dir_ / "latency.svg"));
  EXPECT_TRUE(fs::exists(dir_ / "latency.png"));
  // No curve records (BENCH_CURVES=0, or a raw directory from before the
  // curves): no section, an empty object, no curve charts.
  EXPECT_EQ(table.find("Scaling curves"), std::string::npos);
  EXPECT_TRUE(doc["curves"].is_object() && doc["curves"].empty());
  EXPECT_FALSE(fs::exists(dir_ / "curves.svg"));
  EXPECT_FALSE(fs::exists(dir_ / "curves.png"));
}

TEST_F(CliTest, ReportWithCurvesWritesTheirSectionJsonAndChart) {
  // As bench-guest.sh leaves them: one run per point of an iodepth sweep on
  // two devices, nothing else.
  std::string m =
      "meta\treps\t5\nmeta\tcpus\t2\nmeta\tcurve_runtime\t2\nmeta\tcurve_ramp\t1\n"
      "meta\tcurve_reps\t1\ndevice\txferblk\txferblk bio, 128 KiB\ndevice\tnvme\tnvme\n"
      "sweep\tiodepth\tiodepth\txferblk,nvme\t4 KiB random read, 1 job\t\n";
  for (int x : {1, 2, 4, 8}) {
    for (const char* dev : {"xferblk", "nvme"}) {
      std::string file = "curves/iodepth." + std::string(dev) + "." + std::to_string(x) + ".1.json";
      Write("raw/" + file,
            samples::FioOutput(
                {4096.0 * 1000 * x, 1000.0 * x, 2000, 0, 1e5, {5e4, 2e5 * x, 3e5 * x}}));
      m += "curve\tiodepth\t" + std::string(dev) + "\t" + std::to_string(x) + "\t1\t" + file +
           "\t0\n";
    }
  }
  Write("raw/manifest.tsv", m);
  ASSERT_EQ(Run({"report", "--raw", (dir_ / "raw").string()}), kExitOk) << err_.str();
  std::string table = out_.str();
  EXPECT_NE(table.find("Scaling curves: IOPS, median of 1 run per point"), std::string::npos)
      << table;
  EXPECT_NE(table.find("8000"), std::string::npos) << table;
  EXPECT_NE(table.find("1.60 ms"), std::string::npos) << table;
  std::ifstream j(dir_ / "results.json");
  auto doc = nlohmann::json::parse(j);
  EXPECT_EQ(doc["curves"]["iodepth"]["devices"]["nvme"]["points"].size(), 4u);
  EXPECT_DOUBLE_EQ(
      doc["curves"]["iodepth"]["devices"]["xferblk"]["points"][3]["iops"].get<double>(), 8000);
  if (FindProgram("gnuplot").empty()) GTEST_SKIP() << "gnuplot is not installed";
  EXPECT_EQ(err_.str(), "");
  EXPECT_TRUE(fs::exists(dir_ / "curves.svg"));
  EXPECT_TRUE(fs::exists(dir_ / "curves.png"));
}

TEST_F(CliTest, ReportQuietAndOutDirectory) {
  Write("raw/manifest.tsv", "meta\treps\t1\njob\tP3\tiops\t4 KiB\n");
  fs::path out = dir_ / "elsewhere";
  ASSERT_EQ(Run({"report", "--quiet", "--raw=" + (dir_ / "raw").string(), "--out", out.string(),
                 "--gnuplot", "/nonexistent/gnuplot"}),
            kExitOk)
      << err_.str();
  EXPECT_TRUE(out_.str().empty());
  EXPECT_TRUE(fs::exists(out / "results.json"));
  // No gnuplot: the script is left, the charts are skipped, and it says so.
  EXPECT_TRUE(fs::exists(out / "charts.gp"));
  EXPECT_FALSE(fs::exists(out / "chart.png"));
  EXPECT_NE(err_.str().find("no charts: /nonexistent/gnuplot not found"), std::string::npos)
      << err_.str();
}

TEST_F(CliTest, ReportFailsOnAMissingOrBadManifest) {
  EXPECT_EQ(Run({"report", "--raw", (dir_ / "raw").string()}), kExitFailure);
  EXPECT_NE(err_.str().find("manifest.tsv"), std::string::npos);
  Write("raw/manifest.tsv", "run\tP1\n");
  EXPECT_EQ(Run({"report", "--raw", (dir_ / "raw").string()}), kExitFailure);
  EXPECT_NE(err_.str().find("line 1"), std::string::npos);
}

TEST_F(CliTest, UndecidedListsTheJobsMoreRepetitionsMayDecide) {
  // P1-read: two pairs, too few (undecided); P3: five pairs, met; P5: no
  // peer ran (missing, which more repetitions do not mend); P2: ratios 2
  // and 1 in turn, undecided for two targets, listed once.
  Write("raw/fio/fast.json", kFio);
  Write("raw/fio/slow.json", kFioSlow);
  std::string m =
      "job\tP1-read\tbw\tread\njob\tP2\tbw\tsplit\njob\tP3\tbw\trandom\n"
      "job\tP5\tbw\tnull\n";
  auto run = [&](const char* job, const char* dev, const std::string& rep, const char* file) {
    m += std::string("run\t") + job + "\t" + dev + "\t" + rep + "\tfio/" + file + ".json\t0\n";
  };
  for (int rep = 1; rep <= 5; ++rep) {
    std::string r = std::to_string(rep);
    if (rep <= 2) run("P1-read", "a", r, "fast");
    if (rep <= 2) run("P1-read", "b", r, "slow");
    run("P3", "a", r, "fast");
    run("P3", "b", r, "slow");
    run("P2", "a", r, rep % 2 ? "fast" : "slow");
    run("P2", "b", r, "slow");
    run("P5", "a", r, "fast");
  }
  m += "compare\tP3\tP3\ta\t1.5\tb\tt\ncompare\tP2-x\tP2\ta\t1.5\tb\tt\n"
       "compare\tP1\tP1-read\ta\t1.5\tb\tt\ncompare\tP2-y\tP2\ta\t1.4\tb\tt\n"
       "compare\tP5\tP5\ta\t0.5\tb\tt\n";
  Write("raw/manifest.tsv", m);
  ASSERT_EQ(Run({"undecided", "--raw", (dir_ / "raw").string()}), kExitOk) << err_.str();
  // The manifest's job order, not the comparisons'.
  EXPECT_EQ(out_.str(), "P1-read\nP2\n");
  EXPECT_EQ(err_.str(), "");
  EXPECT_FALSE(fs::exists(dir_ / "table.txt")) << "undecided writes nothing";

  // Decided everywhere (P3 missed at 2.5): nothing printed.
  m = "job\tP3\tbw\trandom\ncompare\tP3\tP3\ta\t2.5\tb\tt\n";
  for (int rep = 1; rep <= 5; ++rep) {
    run("P3", "a", std::to_string(rep), "fast");
    run("P3", "b", std::to_string(rep), "slow");
  }
  Write("raw/manifest.tsv", m);
  ASSERT_EQ(Run({"undecided", "--raw=" + (dir_ / "raw").string()}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "");

  Write("raw/manifest.tsv", "run\tP1\n");
  EXPECT_EQ(Run({"undecided", "--raw", (dir_ / "raw").string()}), kExitFailure);
  EXPECT_NE(err_.str().find("line 1"), std::string::npos) << err_.str();
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CliTest, LineSummarisesOneRun) {
  Write("raw/fio/a1.json", kFio);
  ASSERT_EQ(Run({"line", (dir_ / "raw/fio/a1.json").string()}), kExitOk);
  EXPECT_EQ(out_.str(), "100.0 MiB/s, 100 IOPS, mean latency 160.00 ms, p99 170.00 ms\n");
  EXPECT_EQ(Run({"line", (dir_ / "raw/none.json").string()}), kExitFailure);
}

TEST_F(CliTest, BadUsageSaysWhatIsWrong) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{}, "no command"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
      {{"-x"}, "unknown option '-x'"},
      {{"--bogus", "report"}, "unknown option '--bogus'"},
      {{"line"}, "line takes one fio output"},
      {{"line", "a.json", "b.json"}, "line takes one fio output"},
      {{"line", "--raw", "x"}, "unknown option '--raw'"},
      {{"report", "--bogus"}, "unknown option '--bogus'"},
      {{"report", "--raw"}, "option '--raw' needs an argument"},
      {{"report", "--out="}, "option '--out' needs a non-empty argument"},
      {{"report", "--gnuplot", ""}, "option '--gnuplot' needs a non-empty argument"},
      {{"report", "--quiet=yes"}, "option '--quiet=yes' takes no argument"},
      {{"report", "stray"}, "unexpected argument 'stray'"},
      {{"undecided", "stray"}, "unexpected argument 'stray'"},
      {{"undecided", "--out", "x"}, "unknown option '--out'"},
      {{"undecided", "--raw"}, "option '--raw' needs an argument"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Run(c.args), kExitUsage) << c.message;
    EXPECT_EQ(err_.str().find(std::string("xferbench: ") + c.message + "\n"), 0u) << err_.str();
    EXPECT_NE(err_.str().find("usage: xferbench"), std::string::npos);
    EXPECT_TRUE(out_.str().empty());
  }
}

TEST_F(CliTest, Help) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{{"--help"},
                                                                             {"-h"},
                                                                             {"help"},
                                                                             {"report", "--help"},
                                                                             {"line", "-h"},
                                                                             {"undecided", "-h"}}) {
    EXPECT_EQ(Run(args), kExitOk) << args[0];
    EXPECT_EQ(out_.str().find("usage: xferbench"), 0u);
    EXPECT_TRUE(err_.str().empty());
  }
}

TEST_F(CliTest, Version) {
  const std::string expected = std::string("xferbench ") + XFERBLK_VERSION + "\n";
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"--version"},
                                             {"report", "--version"},
                                             {"undecided", "--version"},
                                             {"line", "--version"},
                                             {"line", "--version", "x", "y"}}) {
    EXPECT_EQ(Run(args), kExitOk) << args[0];
    EXPECT_EQ(out_.str(), expected);
    EXPECT_TRUE(err_.str().empty());
  }
  // "NAME MAJOR.MINOR.PATCH" on one line: what help2man reads.
  EXPECT_TRUE(std::regex_match(expected, std::regex("xferbench [0-9]+\\.[0-9]+\\.[0-9]+\n")));
  // --help wins; --version takes no value.
  EXPECT_EQ(Run({"--version", "--help"}), kExitOk);
  EXPECT_EQ(out_.str().find("usage: xferbench"), 0u);
  EXPECT_EQ(Run({"report", "--version=1"}), kExitUsage);
  EXPECT_EQ(err_.str().find("xferbench: option '--version=1' takes no argument\n"), 0u)
      << err_.str();
  EXPECT_NE(err_.str().find("       xferbench --version\n"), std::string::npos) << "in the usage";
}

}  // namespace
}  // namespace xferbench
