// SPDX-License-Identifier: GPL-2.0-only
//
// The gnuplot script of the charts, and the charts gnuplot draws from it
// where gnuplot is installed.

#include "chart.hh"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "files.hh"
#include "fio_sample.hh"
#include "process.hh"
#include "report.hh"

namespace xferbench {
namespace {

namespace fs = std::filesystem;

constexpr double kMiB = 1024.0 * 1024.0;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// P1-read on xferblk (110, 115, 120, 125, 130 MiB/s; p50/p99/p99.9 medians
// 1.5, 4, 6 ms) and nvme (82 MiB/s five times, no percentiles), virtio-blk
// missing; P3 never ran.
Results Sample() {
  Manifest m = ParseManifest(
      "meta\treps\t5\nmeta\truntime\t3\n"
      "job\tP1-read\tbw\t1 MiB sequential read\n"
      "job\tP3\tiops\t4 KiB random read\n"
      "device\txferblk\txferblk bio, 128 KiB\ndevice\tnvme\tnvme mdts=5, 128 KiB\n"
      "missing\tvirtio-blk\tno virtio-blk here\n"
      "run\tP1-read\txferblk\t1\tx1\t0\nrun\tP1-read\txferblk\t2\tx2\t0\n"
      "run\tP1-read\txferblk\t3\tx3\t0\nrun\tP1-read\tnvme\t1\tn1\t0\n"
      "run\tP1-read\txferblk\t4\tx4\t0\nrun\tP1-read\txferblk\t5\tx5\t0\n"
      "run\tP1-read\tnvme\t2\tn1\t0\nrun\tP1-read\tnvme\t3\tn1\t0\n"
      "run\tP1-read\tnvme\t4\tn1\t0\nrun\tP1-read\tnvme\t5\tn1\t0\n"
      "compare\tP1-nvme\tP1-read\txferblk\t1.2\tnvme\txferblk / nvme\n"
      "compare\tP1-virtio\tP1-read\txferblk\t1.0\tvirtio-blk\txferblk / virtio-blk\n"
      "compare\tP3\tP3\txferblk\t1.1\tnvme\tP3 \"quoted\"\n");
  std::map<std::string, samples::FioSample> runs = {
      {"x1", {110 * kMiB, 110, 330, 0, 9e6, {1.4e6, 3.9e6, 5.9e6}}},
      {"x2", {120 * kMiB, 120, 360, 0, 9e6, {1.5e6, 4e6, 6e6}}},
      {"x3", {130 * kMiB, 130, 390, 0, 9e6, {1.6e6, 4.1e6, 6.1e6}}},
      {"x4", {115 * kMiB, 115, 345, 0, 9e6, {1.45e6, 3.95e6, 5.95e6}}},
      {"x5", {125 * kMiB, 125, 375, 0, 9e6, {1.55e6, 4.05e6, 6.05e6}}},
      {"n1", {82 * kMiB, 82, 246}},
  };
  return Analyze(m,
                 [&](const std::string& f) { return ParseFioJson(samples::FioOutput(runs[f])); });
}

bool Has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST(Chart, GnuplotQuote) {
  EXPECT_EQ(GnuplotQuote("plain"), "\"plain\"");
  EXPECT_EQ(GnuplotQuote("a\"b\\c\nd"), R"("a\"b\\c\nd")");
}

TEST(Chart, WrapLabel) {
  struct Case {
    const char* text;
    std::size_t width;
    const char* wrapped;
  } cases[] = {
      {"nvme mdts=5, 128 KiB", 22, "nvme mdts=5, 128 KiB"},
      {"xferblk blk-mq split, 64 KiB", 22, "xferblk blk-mq split,\n64 KiB"},
      {"xferblk async send, 200 us", 22, "xferblk async send,\n200 us"},
      {"a b c", 1, "a\nb\nc"},
      {"averyverylongword x", 5, "averyverylongword\nx"},
      {"  spaced   out ", 20, "spaced out"},
      {"", 5, ""},
  };
  for (const auto& c : cases) EXPECT_EQ(WrapLabel(c.text, c.width), c.wrapped) << c.text;
}

TEST(Chart, DeviceColoursByKind) {
  EXPECT_EQ(DeviceColor("xferblk", 0), DeviceColor("xferblk64", 3));
  EXPECT_NE(DeviceColor("xferblk", 0), DeviceColor("xferblk64-mq", 0));
  EXPECT_EQ(DeviceColor("xferblk-async", 0), DeviceColor("xferblk", 0));
  EXPECT_EQ(DeviceColor("xferblk-sync", 0), DeviceColor("xferblk64-mq", 0));
  EXPECT_NE(DeviceColor("nvme", 0), DeviceColor("virtio-blk", 0));
  EXPECT_NE(DeviceColor("other", 0), DeviceColor("other", 1));
}

TEST(Chart, ScriptHasAThroughputRowPerDeviceWithData) {
  std::string s = GnuplotScript(Sample());
  // x median min max colour value, in MiB/s.
  EXPECT_TRUE(Has(s, Format("\n0 120 110 130 %u \"120.0\"\n", DeviceColor("xferblk", 0)))) << s;
  EXPECT_TRUE(Has(s, Format("\n1 82 82 82 %u \"82.0\"\n", DeviceColor("nvme", 1)))) << s;
  EXPECT_FALSE(Has(s, "\n2 ")) << "virtio-blk has no data";
  EXPECT_TRUE(Has(s, "set label \"missing\" at first 2, graph 0.06")) << s;
  EXPECT_TRUE(Has(s, "set ylabel \"MiB/s\"\n"));
  EXPECT_TRUE(Has(s,
                  "set xtics (\"xferblk bio, 128 KiB\" 0, \"nvme mdts=5, 128 KiB\" 1, "
                  "\"virtio-blk\" 2)"))
      << s;
  // The verdicts above the panel, with the interval (110 / 82 to 130 / 82:
  // a resample's median is one of the runs, and one of 5 is the median of
  // a resample more than 2.5% of the time); quotes in titles are escaped.
  EXPECT_TRUE(Has(s, "\"xferblk / nvme: 1.46x [1.34, 1.59], target 1.20x, met\"")) << s;
  EXPECT_TRUE(Has(s,
                  "\"xferblk / nvme: 1.46x [1.34, 1.59], target 1.20x, met\" at graph 0, "
                  "graph 1 offset 0, char 2.3 left textcolor rgb \"#1e8232\"\n"))
      << s;
  EXPECT_TRUE(Has(s, "\"xferblk / virtio-blk: missing\""));
  EXPECT_TRUE(Has(s, "\"P3 \\\"quoted\\\": missing\"")) << s;
  // P3 has no data at all: an empty panel rather than a plot gnuplot
  // rejects.
  EXPECT_TRUE(Has(s, "plot NaN notitle"));
}

TEST(Chart, AnUndecidedVerdictHasItsOwnColour) {
  Results r = Sample();
  r.comparisons[0].verdict = Verdict::kUndecided;
  std::string s = GnuplotScript(r);
  EXPECT_TRUE(Has(s,
                  "target 1.20x, undecided\" at graph 0, graph 1 offset 0, char 2.3 left "
                  "textcolor rgb \"#c07800\"\n"))
      << s;
  r.comparisons[0].verdict = Verdict::kMissed;
  EXPECT_TRUE(Has(GnuplotScript(r),
                  "missed\" at graph 0, graph 1 offset 0, char 2.3 left "
                  "textcolor rgb \"#c82828\"\n"));
}

TEST(Chart, ScriptHasTheLatencyPercentilesInThePanelsUnit) {
  std::string s = GnuplotScript(Sample());
  // x p50 p99 p99.9: medians of the runs, in ms; nvme reported none.
  EXPECT_TRUE(Has(s, "# P1-read, ms: x p50 p99 p99.9\n0 1.5 4 6\nEOD\n")) << s;
  EXPECT_TRUE(Has(s, "title \"p99.9\""));
  EXPECT_TRUE(Has(s, "set label \"missing\" at first 1, graph 0.06"));
}

TEST(Chart, ScriptWritesEveryChart) {
  std::string s = GnuplotScript(Sample());
  for (const char* file : kChartFiles)
    EXPECT_TRUE(Has(s, std::string("set output \"") + file + "\"\n")) << file;
  EXPECT_TRUE(Has(s, "set terminal svg "));
  EXPECT_TRUE(Has(s, "set terminal @png_terminal "));
  EXPECT_TRUE(Has(s, "noenhanced")) << "null_blk must not become a subscript";
}

class DrawTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("xferbench_chart_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(DrawTest, WithoutGnuplotTheScriptIsLeftAndTheChartsSkipped) {
  WriteText(dir_ / "chart.png", "a chart of an earlier report");
  std::string why = DrawCharts(Sample(), dir_.string(), "/nonexistent/gnuplot");
  EXPECT_TRUE(Has(why, "/nonexistent/gnuplot not found")) << why;
  EXPECT_TRUE(Has(why, "gnuplot-nox")) << why;
  EXPECT_TRUE(fs::exists(dir_ / kChartScript));
  EXPECT_FALSE(fs::exists(dir_ / "chart.png"));
}

TEST_F(DrawTest, AFailingGnuplotIsReported) {
  std::string why = DrawCharts(Sample(), dir_.string(), "false");
  EXPECT_TRUE(Has(why, "failed with status 1")) << why;
}

TEST_F(DrawTest, GnuplotDrawsSvgAndPngWithText) {
  if (FindProgram("gnuplot").empty()) GTEST_SKIP() << "gnuplot is not installed";
  ASSERT_EQ(DrawCharts(Sample(), dir_.string()), "");
  for (const char* file : kChartFiles) {
    std::string bytes = Slurp(dir_ / file);
    ASSERT_FALSE(bytes.empty()) << file;
    if (std::string_view(file).ends_with(".png"))
      EXPECT_EQ(bytes.substr(1, 3), "PNG") << file;
    else
      EXPECT_TRUE(Has(bytes, "<svg")) << file;
  }
  // Real text, not pixels.
  std::string svg = Slurp(dir_ / "chart.svg");
  EXPECT_TRUE(Has(svg, "nvme mdts=5, 128 KiB")) << svg.substr(0, 2000);
  EXPECT_TRUE(Has(svg, "target 1.20x, met"));
  EXPECT_TRUE(Has(Slurp(dir_ / "latency.svg"), "p99.9"));
}

}  // namespace
}  // namespace xferbench
