// SPDX-License-Identifier: GPL-2.0-only
//
// The scaling curves: sweeps built from the manifest's curve records, their
// section of the table, results.json's "curves" and curves.svg/png, on fio
// outputs made up in memory.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "chart.hh"
#include "files.hh"
#include "fio_sample.hh"
#include "process.hh"
#include "report.hh"
#include "results.hh"

namespace xferbench {
namespace {

namespace fs = std::filesystem;

bool Has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

class CurvesTest : public ::testing::Test {
 protected:
  // A run of a curve's point whose output has `iops` and a p99 of p99_us.
  void AddPoint(const std::string& sweep, const std::string& dev, int x, int rep, double iops,
                double p99_us, int status = 0) {
    std::string file = "curves/" + sweep + "." + dev + "." + std::to_string(x) + "." +
                       std::to_string(rep) + ".json";
    files_[file] = samples::FioOutput(
        {iops * 4096, iops, static_cast<uint64_t>(iops * 2), 0, 50e3, {20e3, p99_us * 1e3, 0}});
    manifest_ += "curve\t" + sweep + "\t" + dev + "\t" + std::to_string(x) + "\t" +
                 std::to_string(rep) + "\t" + file + "\t" + std::to_string(status) + "\n";
  }

  Results Build() {
    return Analyze(ParseManifest(manifest_), [this](const std::string& f) {
      auto it = files_.find(f);
      if (it == files_.end()) throw std::runtime_error(f + ": cannot open");
      return ParseFioJson(it->second);
    });
  }

  // Two sweeps, as bench-guest.sh writes them: iodepth with two runs per
  // point (nvme's iodepth 2 failed, and it never ran iodepth 8),
  // virtio-blk missing; jobs with one run per point on a 2-vCPU guest.
  void AddBoth() {
    manifest_ +=
        "meta\tcurve_runtime\t2\nmeta\tcurve_ramp\t1\nmeta\tcurve_reps\t2\n"
        "sweep\tiodepth\tiodepth\txferblk,nvme,virtio-blk\t4 KiB random read, 1 job\t\n"
        "sweep\tjobs\tnumjobs\txferblk,nvme\t4 KiB random read, 1 to 4 jobs\t"
        "jobs beyond the guest's vCPUs share them\n";
    for (int rep = 1; rep <= 2; ++rep) {
      // Points in any order: the sweep sorts them.
      AddPoint("iodepth", "xferblk", 8, rep, 3000 + rep * 100, 300);
      AddPoint("iodepth", "xferblk", 1, rep, 1000 + rep * 100, 100 + rep * 10);
      AddPoint("iodepth", "xferblk", 2, rep, 2000 + rep * 100, 200);
      AddPoint("iodepth", "nvme", 1, rep, 900, 110);
      AddPoint("iodepth", "nvme", 2, rep, 0, 0, 1);
    }
    for (int x = 1; x <= 4; ++x) {
      AddPoint("jobs", "xferblk", x, 1, 5000.0 * (x < 2 ? x : 2), 400.0 * x);
      AddPoint("jobs", "nvme", x, 1, 4000.0 * (x < 2 ? x : 2), 500.0 * x);
    }
  }

  std::string manifest_ =
      "meta\treps\t5\nmeta\truntime\t3\nmeta\tramp\t1\nmeta\tcpus\t2\n"
      "meta\tguest\tLinux 6.12, 2 vCPUs under QEMU TCG\n"
      "job\tP3\tiops\t4 KiB random read\n"
      "device\txferblk\txferblk bio, 128 KiB\n"
      "device\tnvme\tnvme mdts=5, 128 KiB\n"
      "missing\tvirtio-blk\tno block device under PCI 0000:00:1a.0\n";
  std::map<std::string, std::string> files_;
};

TEST_F(CurvesTest, SweepsHaveTheirDevicesInOrderAndTheirPointsSorted) {
  AddBoth();
  Results r = Build();
  ASSERT_EQ(r.sweeps.size(), 2u);
  const Sweep& s = r.sweeps[0];
  EXPECT_EQ(s.def.id, "iodepth");
  EXPECT_EQ(s.def.vary, "iodepth");
  EXPECT_EQ(s.xs, (std::vector<int>{1, 2, 8}));
  ASSERT_EQ(s.curves.size(), 3u);
  EXPECT_EQ(s.curves[0].device, "xferblk");
  EXPECT_EQ(s.curves[1].device, "nvme");
  EXPECT_EQ(s.curves[2].device, "virtio-blk");

  const Curve* x = s.Find("xferblk");
  ASSERT_NE(x, nullptr);
  EXPECT_TRUE(x->missing.empty()) << x->missing;
  ASSERT_EQ(x->points.size(), 3u);
  EXPECT_EQ(x->points[0].x, 1);
  EXPECT_EQ(x->points[2].x, 8);
  const CurvePoint* p1 = x->Find(1);
  ASSERT_NE(p1, nullptr);
  EXPECT_EQ(p1->runs.size(), 2u);
  EXPECT_EQ(p1->iops.n, 2u);
  EXPECT_DOUBLE_EQ(p1->iops.min, 1100);
  EXPECT_DOUBLE_EQ(p1->iops.max, 1200);
  EXPECT_DOUBLE_EQ(p1->iops.median, 1150);
  EXPECT_DOUBLE_EQ(p1->clat_p99_ns.median, 115e3);
  EXPECT_DOUBLE_EQ(p1->lat_mean_ns.median, 50e3);
  EXPECT_EQ(p1->runs[0].record.job, "iodepth") << "a curve's run names its sweep";
  EXPECT_EQ(p1->runs[1].record.rep, 2);

  // nvme: iodepth 2 ran twice and failed twice, iodepth 8 never ran.
  const Curve* n = s.Find("nvme");
  ASSERT_NE(n, nullptr);
  EXPECT_TRUE(n->missing.empty());
  ASSERT_NE(n->Find(2), nullptr);
  EXPECT_EQ(n->Find(2)->iops.n, 0u);
  EXPECT_EQ(n->Find(2)->Failed(), 2u);
  EXPECT_EQ(n->Find(2)->runs[0].error, "fio exited with status 1");
  EXPECT_EQ(n->Find(8), nullptr);

  const Curve* v = s.Find("virtio-blk");
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->points.empty());
  EXPECT_EQ(v->missing, "no block device under PCI 0000:00:1a.0");
  EXPECT_EQ(s.Find("none"), nullptr);

  EXPECT_EQ(r.sweeps[1].xs, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(r.sweeps[1].def.note, "jobs beyond the guest's vCPUs share them");
  // The target jobs are untouched by curve records.
  EXPECT_TRUE(r.cells.empty() || r.cells[0].runs.empty());
}

TEST_F(CurvesTest, ADeviceWhoseEveryRunFailedIsMissingWithTheReason) {
  manifest_ += "sweep\ts\tiodepth\txferblk\tt\t\n";
  AddPoint("s", "xferblk", 1, 1, 0, 0, 2);
  AddPoint("s", "xferblk", 2, 1, 0, 0, 2);
  Results r = Build();
  ASSERT_EQ(r.sweeps.size(), 1u);
  EXPECT_EQ(r.sweeps[0].curves[0].missing, "every run failed: fio exited with status 2");
  EXPECT_EQ(r.sweeps[0].curves[0].points.size(), 2u) << "the failed runs are kept";
}

TEST_F(CurvesTest, RecordsOfAnUndefinedSweepOrAnUnlistedDeviceAreNotLost) {
  manifest_ += "sweep\ts\tiodepth\txferblk\tt\t\n";
  AddPoint("s", "xferblk", 1, 1, 100, 10);
  AddPoint("s", "other", 1, 1, 50, 10);
  AddPoint("orphan", "nvme", 8, 1, 70, 10);
  Results r = Build();
  ASSERT_EQ(r.sweeps.size(), 2u);
  ASSERT_EQ(r.sweeps[0].curves.size(), 2u);
  EXPECT_EQ(r.sweeps[0].curves[1].device, "other");
  EXPECT_EQ(r.sweeps[1].def.id, "orphan");
  EXPECT_EQ(r.sweeps[1].def.vary, "x");
  EXPECT_EQ(r.sweeps[1].def.title, "orphan");
  EXPECT_EQ(r.sweeps[1].curves[0].points[0].iops.median, 70);
}

TEST_F(CurvesTest, SharingVcpusIsForNumjobsSweepsPastTheGuestsCpus) {
  SweepDef jobs{"jobs", "numjobs", {}, "", ""};
  SweepDef depth{"iodepth", "iodepth", {}, "", ""};
  EXPECT_FALSE(SharesVcpus(jobs, 2, 2));
  EXPECT_TRUE(SharesVcpus(jobs, 3, 2));
  EXPECT_FALSE(SharesVcpus(depth, 128, 2));
  EXPECT_EQ(GuestCpus(ParseManifest("meta\tcpus\t2\n")), 2);
  EXPECT_EQ(GuestCpus(ParseManifest("meta\tcpus\tmany\n")), 1);
  EXPECT_EQ(GuestCpus(ParseManifest("")), 1);
}

TEST_F(CurvesTest, TheTableHasAColumnPerPointAndARowPerDevice) {
  AddBoth();
  std::string t = FormatCurves(Build());
  EXPECT_TRUE(Has(t,
                  "\nScaling curves: IOPS, median of 2 runs per point and device, 2 s each after "
                  "a 1 s ramp;\n"))
      << t;
  EXPECT_TRUE(Has(t, "\niodepth  4 KiB random read, 1 job\n")) << t;
  EXPECT_TRUE(Has(t, Format("\n  %-32s %4s %8d  %8d  %8d\n", "iodepth", "", 1, 2, 8))) << t;
  // Medians; a point whose runs all failed is "-", one never run blank.
  EXPECT_TRUE(Has(
      t, Format("\n  %-32s IOPS %8s  %8s  %8s\n", "xferblk bio, 128 KiB", "1150", "2150", "3150")))
      << t;
  EXPECT_TRUE(Has(t, Format("\n  %-32s  p99 %8s  %8s  %8s\n", "", "115 us", "200 us", "300 us")))
      << t;
  EXPECT_TRUE(
      Has(t, Format("\n  %-32s IOPS %8s  %8s  (2 failed)\n", "nvme mdts=5, 128 KiB", "900", "-")))
      << t;
  EXPECT_TRUE(Has(t, Format("\n  %-32s missing: no block device under PCI", "virtio-blk"))) << t;
  // The jobs sweep marks the points past the guest's 2 vCPUs and says why.
  EXPECT_TRUE(Has(t, Format("\n  %-32s %4s %8d  %8d  %8d* %8d*\n", "numjobs", "", 1, 2, 3, 4)))
      << t;
  EXPECT_TRUE(Has(t, "\n  *: more jobs than the guest's 2 vCPUs\n")) << t;
  EXPECT_TRUE(Has(t, "\n  note: jobs beyond the guest's vCPUs share them\n")) << t;
  EXPECT_FALSE(Has(t, " \n")) << "no trailing blanks";

  // Part of the whole table, after the targets' jobs.
  std::string table = FormatTable(Build());
  EXPECT_TRUE(Has(table, t)) << table;
}

TEST_F(CurvesTest, TheJsonHasEverySweepDeviceAndPoint) {
  AddBoth();
  nlohmann::ordered_json doc = ToJson(Build());
  ASSERT_TRUE(doc.contains("curves"));
  const auto& c = doc["curves"];
  ASSERT_TRUE(c.contains("iodepth"));
  ASSERT_TRUE(c.contains("jobs"));
  EXPECT_EQ(c["iodepth"]["vary"], "iodepth");
  EXPECT_EQ(c["iodepth"]["title"], "4 KiB random read, 1 job");
  EXPECT_EQ(c["iodepth"]["points"], nlohmann::json::array({1, 2, 8}));
  EXPECT_FALSE(c["iodepth"].contains("guest_vcpus"));

  const auto& x = c["iodepth"]["devices"]["xferblk"];
  EXPECT_EQ(x["label"], "xferblk bio, 128 KiB");
  EXPECT_FALSE(x.contains("missing"));
  ASSERT_EQ(x["points"].size(), 3u);
  const auto& p = x["points"][0];
  EXPECT_EQ(p["x"], 1);
  EXPECT_EQ(p["n"], 2);
  EXPECT_DOUBLE_EQ(p["iops"].get<double>(), 1150);
  EXPECT_DOUBLE_EQ(p["iops_min"].get<double>(), 1100);
  EXPECT_DOUBLE_EQ(p["iops_max"].get<double>(), 1200);
  EXPECT_DOUBLE_EQ(p["clat_p99_ns"].get<double>(), 115e3);
  EXPECT_DOUBLE_EQ(p["lat_mean_ns"].get<double>(), 50e3);
  EXPECT_FALSE(p.contains("shares_vcpus"));
  ASSERT_EQ(p["runs"].size(), 2u);
  EXPECT_EQ(p["runs"][1]["file"], "curves/iodepth.xferblk.1.2.json");
  EXPECT_EQ(p["runs"][1]["ok"], true);

  // A failed point: no value, not a made-up 0; the runs say why.
  const auto& failed = c["iodepth"]["devices"]["nvme"]["points"][1];
  EXPECT_EQ(failed["n"], 0);
  EXPECT_TRUE(failed["iops"].is_null());
  EXPECT_TRUE(failed["clat_p99_ns"].is_null());
  EXPECT_EQ(failed["runs"][0]["error"], "fio exited with status 1");
  const auto& v = c["iodepth"]["devices"]["virtio-blk"];
  EXPECT_EQ(v["missing"], "no block device under PCI 0000:00:1a.0");
  EXPECT_TRUE(v["points"].empty());

  // One run per point: no min and max; the jobs sweep says where vCPUs are
  // shared.
  const auto& j = c["jobs"];
  EXPECT_EQ(j["vary"], "numjobs");
  EXPECT_EQ(j["guest_vcpus"], 2);
  EXPECT_EQ(j["note"], "jobs beyond the guest's vCPUs share them");
  const auto& jp = j["devices"]["nvme"]["points"];
  ASSERT_EQ(jp.size(), 4u);
  EXPECT_FALSE(jp[0].contains("iops_min"));
  EXPECT_EQ(jp[1]["shares_vcpus"], false);
  EXPECT_EQ(jp[2]["shares_vcpus"], true);
  EXPECT_DOUBLE_EQ(jp[3]["iops"].get<double>(), 8000);
}

TEST_F(CurvesTest, WithoutCurveRecordsThereIsNoSectionAndAnEmptyObject) {
  Results r = Build();
  EXPECT_TRUE(r.sweeps.empty());
  EXPECT_EQ(FormatCurves(r), "");
  EXPECT_FALSE(Has(FormatTable(r), "Scaling"));
  nlohmann::ordered_json doc = ToJson(r);
  EXPECT_TRUE(doc["curves"].is_object());
  EXPECT_TRUE(doc["curves"].empty());
  EXPECT_FALSE(Has(GnuplotScript(r), "curves.svg\"\n"));
  EXPECT_FALSE(Has(GnuplotScript(r), "$curve"));
}

TEST(CurveChart, Log2AxisForPowersOfTwoSpanningEightTimes) {
  EXPECT_TRUE(Log2Axis({1, 2, 4, 8, 16, 32, 64, 128}));
  EXPECT_TRUE(Log2Axis({2, 16}));
  EXPECT_FALSE(Log2Axis({1, 2, 3, 4}));
  EXPECT_FALSE(Log2Axis({1, 2, 4}));
  EXPECT_FALSE(Log2Axis({1, 3, 64}));
  EXPECT_FALSE(Log2Axis({0, 8}));
  EXPECT_FALSE(Log2Axis({}));
}

TEST_F(CurvesTest, TheScriptHasAPanelPerSweep) {
  AddBoth();
  std::string s = GnuplotScript(Build());
  // x median min max per point with data; nvme's failed point has no row.
  EXPECT_TRUE(Has(s,
                  "$curve0_0 << EOD\n# iodepth, xferblk, IOPS: iodepth median min max\n"
                  "1 1150 1100 1200\n2 2150 2100 2200\n8 3150 3100 3200\nEOD\n"))
      << s;
  EXPECT_TRUE(Has(s,
                  "$curve0_1 << EOD\n# iodepth, nvme, IOPS: iodepth median min max\n"
                  "1 900 900 900\nEOD\n"))
      << s;
  EXPECT_FALSE(Has(s, "$curve0_2")) << "virtio-blk has no data";
  EXPECT_TRUE(Has(s, "$curve1_1 << EOD\n")) << s;
  for (const char* file : kCurveFiles)
    EXPECT_TRUE(Has(s, std::string("set output \"") + file + "\"\n")) << file;
  EXPECT_TRUE(Has(s, "set multiplot title \"xferblk bench: scaling curves\\nIOPS, median of 2"))
      << s;
  // iodepth: log2; two runs per point: error bars in the device's colour;
  // the missing device in the key.
  EXPECT_TRUE(Has(s,
                  "set logscale x 2\nset xrange [0.714286:11.2]\n"
                  "set xtics (\"1\" 1, \"2\" 2, \"8\" 8)\nset xlabel \"iodepth\"\n"))
      << s;
  EXPECT_TRUE(Has(s, Format("$curve0_0 using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.8 lc rgb "
                            "\"#%06x\" title \"xferblk bio, 128 KiB\"",
                            DeviceColor("xferblk", 0))))
      << s;
  EXPECT_TRUE(Has(s,
                  "NaN with linespoints lw 2 pt 7 lc rgb \"#3ca050\" title \"virtio-blk: "
                  "missing\""))
      << s;
  // jobs: linear, and a dashed line between 2 jobs (one per vCPU) and 3.
  EXPECT_TRUE(Has(s, "unset logscale x\nset xrange [0.7:4.3]\n")) << s;
  EXPECT_TRUE(Has(s, "set arrow from first 2.5, graph 0 to first 2.5, graph 1 nohead dashtype 2"))
      << s;
  EXPECT_TRUE(Has(s, "\"past here: more jobs than the 2 vCPUs\"")) << s;
}

TEST_F(CurvesTest, OneRunPerPointHasNoErrorBars) {
  manifest_ += "meta\tcurve_reps\t1\nsweep\ts\tiodepth\txferblk\tt\t\n";
  AddPoint("s", "xferblk", 1, 1, 100, 10);
  AddPoint("s", "xferblk", 2, 1, 150, 10);
  std::string s = GnuplotScript(Build());
  EXPECT_TRUE(Has(s, "$curve0_0 using 1:2 with linespoints ")) << s;
  EXPECT_FALSE(Has(s, "yerrorlines"));
  EXPECT_TRUE(Has(s, "unset logscale x\n")) << "1 and 2 span less than 8x";
  EXPECT_FALSE(Has(s, "set arrow from")) << "not a numjobs sweep";
}

class CurvesDrawTest : public CurvesTest {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("xferbench_curves_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(CurvesDrawTest, GnuplotDrawsTheCurvesAndARunWithoutThemLeavesNone) {
  if (FindProgram("gnuplot").empty()) GTEST_SKIP() << "gnuplot is not installed";
  AddBoth();
  ASSERT_EQ(DrawCharts(Build(), dir_.string()), "");
  std::string png = ReadText(dir_ / "curves.png").value_or("");
  ASSERT_GT(png.size(), 4u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  std::string svg = ReadText(dir_ / "curves.svg").value_or("");
  EXPECT_TRUE(Has(svg, "<svg"));
  EXPECT_TRUE(Has(svg, "xferblk bio, 128 KiB")) << svg.substr(0, 2000);
  EXPECT_TRUE(Has(svg, "virtio-blk: missing"));
  EXPECT_TRUE(Has(svg, "past here: more jobs than the 2 vCPUs"));

  // The same directory, a report without curves: the old ones go.
  manifest_ =
      "meta\treps\t1\njob\tP3\tiops\t4 KiB\ndevice\txferblk\tx\n"
      "run\tP3\txferblk\t1\tf\t0\n";
  files_["f"] = samples::FioOutput({4096, 1, 1});
  ASSERT_EQ(DrawCharts(Build(), dir_.string()), "");
  EXPECT_TRUE(fs::exists(dir_ / "chart.png"));
  EXPECT_FALSE(fs::exists(dir_ / "curves.png"));
  EXPECT_FALSE(fs::exists(dir_ / "curves.svg"));
}

}  // namespace
}  // namespace xferbench
