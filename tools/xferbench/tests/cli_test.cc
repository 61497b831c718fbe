// SPDX-License-Identifier: GPL-2.0-only
//
// The commands end to end on a raw directory made in a temporary directory.

#include "cli.hh"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace xferbench {
namespace {

namespace fs = std::filesystem;

const char* kFio =
    R"({"fio version":"fio-3.33","jobs":[{"jobname":"j","error":0,)"
    R"("read":{"bw_bytes":104857600,"iops":100,"total_ios":300,"lat_ns":{"mean":160000000}}}]})";
const char* kFioSlow =
    R"({"fio version":"fio-3.33","jobs":[{"jobname":"j","error":0,)"
    R"("read":{"bw_bytes":52428800,"iops":50,"total_ios":150,"lat_ns":{"mean":320000000}}}]})";

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
  Write("raw/fio/a1.json", kFio);
  Write("raw/fio/a2.json", kFio);
  Write("raw/fio/b1.json", kFioSlow);
  Write("raw/fio/b2.json", kFioSlow);
  Write("raw/manifest.tsv",
        "meta\treps\t2\nmeta\truntime\t1\nmeta\tramp\t0\n"
        "job\tP1-read\tbw\t1 MiB sequential read\n"
        "job\tP2\tbw\t4 MiB random read\n"
        "device\txferblk\txferblk 128 KiB\ndevice\tnvme\tnvme mdts=5\n"
        "device\tmq\txferblk blk-mq\nmissing\tmq\tno queue_mode parameter\n"
        "run\tP1-read\txferblk\t1\tfio/a1.json\t0\nrun\tP1-read\txferblk\t2\tfio/a2.json\t0\n"
        "run\tP1-read\tnvme\t1\tfio/b1.json\t0\nrun\tP1-read\tnvme\t2\tfio/b2.json\t0\n"
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
  EXPECT_EQ(doc["comparisons"][1]["verdict"], "missing");
  EXPECT_EQ(doc["memory"][0]["slab_bytes_per_inflight_io"], 320.0);
  std::ifstream png(dir_ / "chart.png", std::ios::binary);
  char sig[4] = {};
  png.read(sig, 4);
  EXPECT_EQ(std::string(sig + 1, 3), "PNG");
}

TEST_F(CliTest, ReportQuietAndOutDirectory) {
  Write("raw/manifest.tsv", "meta\treps\t1\njob\tP3\tiops\t4 KiB\n");
  fs::path out = dir_ / "elsewhere";
  ASSERT_EQ(Run({"report", "--raw", (dir_ / "raw").string(), "--out", out.string(), "--quiet"}),
            kExitOk)
      << err_.str();
  EXPECT_TRUE(out_.str().empty());
  EXPECT_TRUE(fs::exists(out / "chart.png"));
  EXPECT_TRUE(fs::exists(out / "results.json"));
}

TEST_F(CliTest, ReportFailsOnAMissingOrBadManifest) {
  EXPECT_EQ(Run({"report", "--raw", (dir_ / "raw").string()}), kExitFailure);
  EXPECT_NE(err_.str().find("manifest.tsv"), std::string::npos);
  Write("raw/manifest.tsv", "run\tP1\n");
  EXPECT_EQ(Run({"report", "--raw", (dir_ / "raw").string()}), kExitFailure);
  EXPECT_NE(err_.str().find("line 1"), std::string::npos);
}

TEST_F(CliTest, LineSummarisesOneRun) {
  Write("raw/fio/a1.json", kFio);
  ASSERT_EQ(Run({"line", (dir_ / "raw/fio/a1.json").string()}), kExitOk);
  EXPECT_EQ(out_.str(), "100.0 MiB/s, 100 IOPS, mean latency 160.00 ms\n");
  EXPECT_EQ(Run({"line", (dir_ / "raw/none.json").string()}), kExitFailure);
}

TEST_F(CliTest, Usage) {
  EXPECT_EQ(Run({}), kExitUsage);
  EXPECT_EQ(Run({"frobnicate"}), kExitUsage);
  EXPECT_EQ(Run({"line"}), kExitUsage);
  EXPECT_EQ(Run({"report", "--bogus"}), kExitUsage);
  EXPECT_EQ(Run({"--help"}), kExitOk);
  EXPECT_NE(out_.str().find("usage: xferbench"), std::string::npos);
}

}  // namespace
}  // namespace xferbench
