// SPDX-License-Identifier: GPL-2.0-only
//
// The whole tool, in-process, against fake sysfs trees: output, the files it
// writes, messages and exit codes.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "args.hh"
#include "cli.hh"
#include "fake_ioctl.hh"
#include "fake_sysfs.hh"
#include "ioctl.hh"
#include "json_check.hh"

namespace xferctl {
namespace {

namespace fs = std::filesystem;
using testing::FakeDisk;
using testing::FakeSysfs;
using testing::Json;
using testing::ParseJson;
using testing::TwoQueueInfo;
using testing::U64;

struct Result {
  int rc;
  std::string out;
  std::string err;
};

class Cli : public ::testing::Test {
 protected:
  // Runs xferctl against the fake tree.
  Result X(std::vector<std::string> args) {
    args.insert(args.begin(), {"--sysfs-root", fake_.root().string()});
    std::ostringstream out, err;
    int rc = xferctl::Run(args, out, err);
    return {rc, out.str(), err.str()};
  }
  void AddDisks(int n) {
    for (int i = 0; i < n; i++) {
      FakeDisk d;
      d.name = "xferblk" + std::to_string(i);
      d.pci = "0000:00:0" + std::to_string(4 + i) + ".0";
      fake_.AddDisk(d);
    }
  }
  fs::path Attr(const std::string& disk, const std::string& attr) {
    return fake_.root() / "block" / disk / "xferblk" / attr;
  }
  fs::path Table(const std::string& disk, const std::string& name) {
    return fake_.root() / "kernel/debug/xferblk" / disk / name;
  }
  fs::path Param(const std::string& name) {
    return fake_.root() / "module/xferblk/parameters" / name;
  }

  FakeSysfs fake_;
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_F(Cli, ListHuman) {
  fake_.AddModule();
  AddDisks(2);
  Result r = X({});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(Contains(r.out, "module xferblk: split Y, send_mode async")) << r.out;
  EXPECT_TRUE(Contains(r.out, "\nxferblk0  PCI 0000:00:04.0\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "\nxferblk1  PCI 0000:00:05.0\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "  queues           2 (commands per queue: 1000 1048)\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "max_hw_sectors_kb 4, max_sectors_kb 4, max_segments 2")) << r.out;
  EXPECT_TRUE(Contains(r.out, "OK 2040, INVALID_OPCODE 0")) << r.out;
  EXPECT_TRUE(Contains(r.out, "XFER_TOO_LARGE 2")) << r.out;
  EXPECT_TRUE(Contains(r.out,
                       "  children/parent  1  2  3-4  5-8  9-16  17-32  33-64  65-128  "
                       "129-256  257+\n  parents          1  0  0    0    0     0      0"
                       "      0       0        7\n"))
      << r.out;
  EXPECT_EQ(X({"list"}).out, r.out);
}

TEST_F(Cli, ListJson) {
  fake_.AddModule("1234");
  AddDisks(3);
  Result r = X({"--json"});
  ASSERT_EQ(r.rc, kExitOk) << r.err;
  const Json j = ParseJson(r.out);
  EXPECT_EQ(U64(j.at("module").at("timeout_ms")), 1234u);
  ASSERT_EQ(j.at("disks").size(), 3u);
  const Json& d = j.at("disks").at(2);
  EXPECT_EQ(d.at("name").get<std::string>(), "xferblk2");
  EXPECT_EQ(d.at("pci_address").get<std::string>(), "0000:00:06.0");
  EXPECT_EQ(U64(d.at("capacity_bytes")), 268435456u);
  EXPECT_EQ(U64(d.at("limits").at("max_segments")), 2u);
  EXPECT_TRUE(d.at("limits").at("seg_boundary_mask").is_null());
  EXPECT_EQ(U64(d.at("queue_count")), 2u);
  EXPECT_EQ(U64(d.at("counters").at("children")), 2048u);
  EXPECT_EQ(U64(d.at("device_counters").at("dev_rejected")), 2u);
  EXPECT_EQ(U64(d.at("dev_status").at("ABORTED")), 6u);
  EXPECT_EQ(U64(d.at("children_hist").at("257+")), 7u);
}

TEST_F(Cli, ListWithNothingLoaded) {
  Result r = X({});
  EXPECT_EQ(r.rc, kExitOk);
  EXPECT_EQ(r.out, "module xferblk: not loaded\nno xferblk disks\n");
  r = X({"--json"});
  EXPECT_EQ(r.rc, kExitOk);
  EXPECT_TRUE(ParseJson(r.out).at("disks").empty());
}

TEST_F(Cli, ListReportsABrokenDiskAndShowsTheRest) {
  fake_.AddModule();
  AddDisks(2);
  fs::remove(Table("xferblk0", "dev_status"));
  Result r = X({"--json", "list"});
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_TRUE(Contains(r.err, "xferctl: xferblk0: cannot read ")) << r.err;
  EXPECT_TRUE(Contains(r.err, "dev_status: No such file or directory")) << r.err;
  const Json j = ParseJson(r.out);
  ASSERT_EQ(j.at("disks").size(), 1u);
  EXPECT_EQ(j.at("disks").at(0).at("name").get<std::string>(), "xferblk1");
}

TEST_F(Cli, Show) {
  fake_.AddModule();
  AddDisks(2);
  Result r = X({"show", "/dev/xferblk1"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.out.rfind("xferblk1  PCI 0000:00:05.0\n", 0), 0u) << r.out;
  EXPECT_FALSE(Contains(r.out, "xferblk0"));
  EXPECT_FALSE(Contains(r.out, "module xferblk"));

  r = X({"show", "xferblk0", "--json"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(ParseJson(r.out).at("name").get<std::string>(), "xferblk0");
}

// What is missing, and the command that needed it: exit status 1 and why.
struct Missing {
  bool module;  // with the module loaded
  int disks;    // and this many disks
  std::vector<std::string> args;
  std::string err;  // ROOT: the fake tree
};

// Test names show the command line.
void PrintTo(const Missing& m, std::ostream* os) { *os << ::testing::PrintToString(m.args); }

class CliMissing : public Cli, public ::testing::WithParamInterface<Missing> {};

TEST_P(CliMissing, IsARuntimeFailure) {
  const Missing& m = GetParam();
  if (m.module) fake_.AddModule();
  AddDisks(m.disks);
  Result r = X(m.args);
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.out, "");
  std::string err = m.err;
  if (size_t at = err.find("ROOT"); at != std::string::npos)
    err.replace(at, 4, fake_.root().string());
  EXPECT_EQ(r.err, err);
}

INSTANTIATE_TEST_SUITE_P(
    Commands, CliMissing,
    ::testing::Values(
        Missing{true,
                2,
                {"show", "xferblk7"},
                "xferctl: no disk xferblk7; xferblk disks: xferblk0 xferblk1\n"},
        Missing{false,
                0,
                {"show", "xferblk0"},
                "xferctl: no disk xferblk0 (the xferblk module is not loaded)\n"},
        Missing{
            true, 1, {"reset", "xferblk3"}, "xferctl: no disk xferblk3; xferblk disks: xferblk0\n"},
        Missing{true,
                0,
                {"set", "xferblk0", "send-mode", "sync"},
                "xferctl: no disk xferblk0 (there are no xferblk disks)\n"},
        Missing{false,
                0,
                {"set", "timeout-ms", "250"},
                "xferctl: the xferblk module is not loaded (ROOT/module/xferblk does not "
                "exist)\n"}));

// A command that changes something, with the module and two disks: what it
// prints, and what the files it may touch then hold (paths in the tree).
struct Change {
  std::vector<std::string> args;
  std::string out;
  std::vector<std::pair<std::string, std::string>> files;
};

void PrintTo(const Change& c, std::ostream* os) { *os << ::testing::PrintToString(c.args); }

class CliChange : public Cli, public ::testing::WithParamInterface<Change> {};

TEST_P(CliChange, WritesItsFileOnly) {
  const Change& c = GetParam();
  fake_.AddModule();
  AddDisks(2);
  Result r = X(c.args);
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.out, c.out);
  for (const auto& [file, text] : c.files)
    EXPECT_EQ(FakeSysfs::Read(fake_.root() / file), text) << file;
}

INSTANTIATE_TEST_SUITE_P(
    Commands, CliChange,
    ::testing::Values(Change{{"reset", "xferblk1"},
                             "xferblk1: counters reset\n",
                             {{"block/xferblk1/xferblk/reset_counters", "1"},
                              {"block/xferblk0/xferblk/reset_counters", ""}}},
                      Change{{"set", "xferblk1", "send-mode", "sync"},
                             "xferblk1: send_mode async -> sync\n",
                             {{"block/xferblk1/xferblk/send_mode", "sync"},
                              {"block/xferblk0/xferblk/send_mode", "async\n"}}},
                      // Written as 250: the kernel would read "0250" as octal.
                      Change{{"set", "timeout-ms", "0250"},
                             "xferblk: timeout_ms 30000 -> 250\n",
                             {{"module/xferblk/parameters/timeout_ms", "250"}}}));

TEST_F(Cli, ShowBrokenDisk) {
  fake_.AddModule();
  AddDisks(1);
  FakeSysfs::Write(Attr("xferblk0", "parents"), "many\n");
  Result r = X({"show", "xferblk0"});
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_TRUE(Contains(r.err, "parents: not a number: 'many'")) << r.err;
}

TEST_F(Cli, UsageErrors) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"show"},
                                             {"show", "sda"},
                                             {"frob"},
                                             {"--bogus"},
                                             {"set", "xferblk0", "send-mode", "x"},
                                             {"set", "timeout-ms", "50"},
                                             {"--json", "reset", "xferblk0"}}) {
    Result r = X(args);
    EXPECT_EQ(r.rc, kExitUsage) << ::testing::PrintToString(args);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("xferctl: ", 0), 0u) << r.err;
    EXPECT_TRUE(Contains(r.err, "Try 'xferctl ")) << r.err;
  }
  EXPECT_EQ(X({"show", "sda"}).err,
            "xferctl: invalid disk name 'sda': expected xferblkN or /dev/xferblkN\n"
            "Try 'xferctl show --help'.\n");
}

TEST_F(Cli, Help) {
  Result r = X({"--help"});
  EXPECT_EQ(r.rc, kExitOk);
  EXPECT_EQ(r.out, HelpText(""));
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(X({"set", "--help"}).out, HelpText("set"));
  EXPECT_EQ(X({"help", "list"}).out, HelpText("list"));
}

TEST_F(Cli, Version) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--version"}, {"show", "xferblk9", "--version"}}) {
    Result r = X(args);
    EXPECT_EQ(r.rc, kExitOk) << ::testing::PrintToString(args);
    EXPECT_EQ(r.out, VersionText());
    EXPECT_EQ(r.err, "");
  }
  EXPECT_EQ(X({"--version"}).out, std::string("xferctl ") + XFERBLK_VERSION + "\n");
}

TEST_F(Cli, SetSendModeBadValueWritesNothing) {
  fake_.AddModule();
  AddDisks(1);
  Result r = X({"set", "xferblk0", "send-mode", "bogus"});
  EXPECT_EQ(r.rc, kExitUsage);
  EXPECT_EQ(r.err,
            "xferctl: invalid send-mode 'bogus': expected async or sync\n"
            "Try 'xferctl set --help'.\n");
  EXPECT_EQ(FakeSysfs::Read(Attr("xferblk0", "send_mode")), "async\n");
}

TEST_F(Cli, KernelRefusalIsReportedWithItsErrno) {
  // A store that fails in write(2), as a sysfs store returning an error does.
  fake_.AddModule();
  AddDisks(1);
  fs::remove(Attr("xferblk0", "send_mode"));
  fs::create_symlink("/dev/full", Attr("xferblk0", "send_mode"));
  Result r = X({"set", "xferblk0", "send-mode", "sync"});
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "xferctl: the kernel refused 'sync' for " +
                       Attr("xferblk0", "send_mode").string() + ": No space left on device\n");
}

// The kernel's side of the ioctls for one disk: the answers to give, the
// errno for each call, and what was asked.
struct FakeKernel {
  xferblk_info info{};
  xferblk_ioc_stats stats{};
  int open_err = 0;  // the opener fails with this
  int info_err = 0, stats_err = 0, reset_err = 0, set_err = 0;
  bool set_ignored = false;  // SetSendMode succeeds but changes nothing
  int opens = 0, resets = 0;
  std::vector<uint32_t> set_modes;

  FakeKernel() {
    info = TwoQueueInfo();
    stats.nr_queues = info.nr_queues;
    stats.parents = 5000;  // unlike the fake sysfs tree's 8
    stats.children = 6000;
    stats.hist[3] = 42;
    stats.queue_commands[0] = 3000;
    stats.queue_commands[1] = 3001;
  }
};

class FakeDevice : public Device {
 public:
  explicit FakeDevice(FakeKernel& k) : k_(k) {}
  int Info(xferblk_info* info) override {
    if (!k_.info_err) *info = k_.info;
    return k_.info_err;
  }
  int Stats(xferblk_ioc_stats* stats) override {
    if (!k_.stats_err) *stats = k_.stats;
    return k_.stats_err;
  }
  int ResetStats() override {
    k_.resets++;
    return k_.reset_err;
  }
  int SetSendMode(uint32_t mode) override {
    k_.set_modes.push_back(mode);
    if (!k_.set_err && !k_.set_ignored) k_.info.send_mode = mode;
    return k_.set_err;
  }

 private:
  FakeKernel& k_;
};

class CliIoctl : public Cli {
 protected:
  void SetUp() override {
    fake_.AddModule();
    AddDisks(2);
  }
  // Runs xferctl with xferblk1 answering the ioctls through kernel_.
  Result X(std::vector<std::string> args) {
    args.insert(args.begin(), {"--sysfs-root", fake_.root().string()});
    std::ostringstream out, err;
    DeviceOpener open = [this](const Sysfs& sys, std::string_view disk,
                               int* e) -> std::unique_ptr<Device> {
      EXPECT_EQ(sys.root(), fake_.root());
      kernel_.opens++;
      *e = disk == "xferblk1" ? kernel_.open_err : ENOENT;
      if (*e) return nullptr;
      return std::make_unique<FakeDevice>(kernel_);
    };
    int rc = xferctl::Run(args, out, err, open);
    return {rc, out.str(), err.str()};
  }

  FakeKernel kernel_;
};

TEST_F(CliIoctl, ListTakesTheSnapshotFromTheIoctls) {
  Result r = X({"--json"});
  ASSERT_EQ(r.rc, kExitOk) << r.err;
  const Json j = ParseJson(r.out);
  const Json& d0 = j.at("disks").at(0);
  const Json& d1 = j.at("disks").at(1);
  // xferblk0 cannot be opened: sysfs.
  EXPECT_EQ(d0.at("source").get<std::string>(), "sysfs");
  EXPECT_TRUE(d0.at("device").is_null());
  EXPECT_EQ(U64(d0.at("counters").at("parents")), 8u);
  // xferblk1: counters, histogram, queues and modes from the ioctls; the
  // device's own counters and the queue limits still from sysfs.
  EXPECT_EQ(d1.at("source").get<std::string>(), "ioctl");
  EXPECT_EQ(U64(d1.at("counters").at("parents")), 5000u);
  EXPECT_EQ(U64(d1.at("counters").at("children")), 6000u);
  EXPECT_EQ(U64(d1.at("counters").at("errors")), 0u);
  EXPECT_EQ(U64(d1.at("children_hist").at("5-8")), 42u);
  EXPECT_EQ(U64(d1.at("children_hist").at("257+")), 0u);
  ASSERT_EQ(d1.at("queue_commands").size(), 2u);
  EXPECT_EQ(U64(d1.at("queue_commands").at(1)), 3001u);
  EXPECT_EQ(d1.at("queue_mode").get<std::string>(), "bio");
  EXPECT_EQ(U64(d1.at("device").at("max_transfer")), 4096u);
  EXPECT_EQ(U64(d1.at("device").at("seg_boundary")), 0xffffu);
  EXPECT_EQ(U64(d1.at("device_counters").at("dev_commands")), 2050u);
  EXPECT_EQ(U64(d1.at("limits").at("max_segments")), 2u);
  EXPECT_EQ(kernel_.opens, 2);
}

TEST_F(CliIoctl, ShowHumanHasTheDeviceLine) {
  Result r = X({"show", "xferblk1"});
  ASSERT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_TRUE(Contains(r.out, "\n  device           version 1.2, capacity_blocks 524288,"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "driver counters  parents 5000, children 6000,")) << r.out;
}

TEST_F(CliIoctl, NoIoctlMeansSysfsOnly) {
  Result r = X({"--json", "--no-ioctl", "show", "xferblk1"});
  ASSERT_EQ(r.rc, kExitOk) << r.err;
  const Json j = ParseJson(r.out);
  EXPECT_EQ(j.at("source").get<std::string>(), "sysfs");
  EXPECT_EQ(U64(j.at("counters").at("parents")), 8u);
  EXPECT_EQ(kernel_.opens, 0);
}

TEST_F(CliIoctl, FailingCallsFallBackToSysfs) {
  for (int FakeKernel::*err :
       {&FakeKernel::open_err, &FakeKernel::info_err, &FakeKernel::stats_err}) {
    kernel_ = FakeKernel();
    kernel_.*err = err == &FakeKernel::open_err ? EACCES : ENOTTY;
    Result r = X({"--json", "show", "xferblk1"});
    ASSERT_EQ(r.rc, kExitOk) << r.err;
    const Json j = ParseJson(r.out);
    EXPECT_EQ(j.at("source").get<std::string>(), "sysfs");
    EXPECT_EQ(U64(j.at("counters").at("parents")), 8u);
  }
}

TEST_F(CliIoctl, AnAnswerThatCannotBeRightIsAnError) {
  kernel_.stats.nr_queues = 0;
  Result r = X({"show", "xferblk1"});
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "xferctl: XFERBLK_IOC_STATS: 0 queues (1 to 64)\n");
  // In a list, that disk is reported and the others still shown.
  r = X({"--json"});
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.err, "xferctl: xferblk1: XFERBLK_IOC_STATS: 0 queues (1 to 64)\n");
  EXPECT_EQ(ParseJson(r.out).at("disks").size(), 1u);
}

TEST_F(CliIoctl, ResetThroughTheIoctl) {
  Result r = X({"reset", "xferblk1"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.out, "xferblk1: counters reset\n");
  EXPECT_EQ(kernel_.resets, 1);
  EXPECT_EQ(FakeSysfs::Read(Attr("xferblk1", "reset_counters")), "");
}

TEST_F(CliIoctl, ResetWithoutTheIoctlWritesSysfs) {
  kernel_.reset_err = ENOTTY;
  Result r = X({"reset", "xferblk1"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(kernel_.resets, 1);
  EXPECT_EQ(FakeSysfs::Read(Attr("xferblk1", "reset_counters")), "1");
  // Where the disk cannot be opened, sysfs too.
  r = X({"reset", "xferblk0"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(FakeSysfs::Read(Attr("xferblk0", "reset_counters")), "1");
}

TEST_F(CliIoctl, ResetRefused) {
  kernel_.reset_err = EPERM;
  Result r = X({"reset", "xferblk1"});
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "xferctl: " +
                DescribeIoctlError("XFERBLK_IOC_RESET_STATS", "xferblk1", EPERM, ::geteuid() == 0) +
                "\n");
  EXPECT_TRUE(Contains(r.err, "XFERBLK_IOC_RESET_STATS on /dev/xferblk1: Operation not permitted"));
  // Not retried through sysfs: the kernel said no.
  EXPECT_EQ(FakeSysfs::Read(Attr("xferblk1", "reset_counters")), "");
}

TEST_F(CliIoctl, SetSendModeThroughTheIoctl) {
  Result r = X({"set", "xferblk1", "send-mode", "sync"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.out, "xferblk1: send_mode async -> sync\n");
  EXPECT_EQ(kernel_.set_modes, std::vector<uint32_t>{XFERBLK_SEND_SYNC});
  EXPECT_EQ(kernel_.info.send_mode, XFERBLK_SEND_SYNC);
  EXPECT_EQ(FakeSysfs::Read(Attr("xferblk1", "send_mode")), "async\n");
  r = X({"set", "/dev/xferblk1", "send-mode", "async"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.out, "xferblk1: send_mode sync -> async\n");
  EXPECT_EQ(kernel_.set_modes, (std::vector<uint32_t>{XFERBLK_SEND_SYNC, XFERBLK_SEND_ASYNC}));
}

TEST_F(CliIoctl, SetSendModeRefusedByTheKernel) {
  kernel_.set_err = EOPNOTSUPP;  // a disk in the blk-mq comparison mode
  Result r = X({"set", "xferblk1", "send-mode", "sync"});
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "xferctl: the kernel refused XFERBLK_IOC_SET_SEND_MODE (sync) on /dev/xferblk1: " +
                std::string(std::strerror(EOPNOTSUPP)) + "\n");
  EXPECT_EQ(FakeSysfs::Read(Attr("xferblk1", "send_mode")), "async\n");
}

TEST_F(CliIoctl, SetSendModeThatDoesNotTakeIsAFailure) {
  kernel_.set_ignored = true;
  Result r = X({"set", "xferblk1", "send-mode", "sync"});
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.out, "xferblk1: send_mode async -> async\n");
  EXPECT_EQ(r.err,
            "xferctl: set send mode sync on /dev/xferblk1 but XFERBLK_IOC_INFO reports async\n");
}

TEST_F(CliIoctl, SetSendModeWithoutTheIoctlWritesSysfs) {
  kernel_.info_err = ENOTTY;
  Result r = X({"set", "xferblk1", "send-mode", "sync"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.out, "xferblk1: send_mode async -> sync\n");
  EXPECT_EQ(FakeSysfs::Read(Attr("xferblk1", "send_mode")), "sync");
  EXPECT_TRUE(kernel_.set_modes.empty());
}

TEST_F(CliIoctl, TimeoutIsNotADiskSetting) {
  Result r = X({"set", "timeout-ms", "500"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(kernel_.opens, 0);
}

TEST(DescribeIoctlError, Messages) {
  EXPECT_EQ(DescribeIoctlError("XFERBLK_IOC_RESET_STATS", "xferblk0", EPERM, false),
            "XFERBLK_IOC_RESET_STATS on /dev/xferblk0: Operation not permitted (changing "
            "xferblk settings needs root)");
  EXPECT_EQ(DescribeIoctlError("XFERBLK_IOC_RESET_STATS", "xferblk0", EPERM, true),
            "XFERBLK_IOC_RESET_STATS on /dev/xferblk0: Operation not permitted (needs "
            "CAP_SYS_ADMIN)");
  EXPECT_EQ(DescribeIoctlError("XFERBLK_IOC_SET_SEND_MODE (sync)", "xferblk2", EINVAL, true),
            "the kernel refused XFERBLK_IOC_SET_SEND_MODE (sync) on /dev/xferblk2: Invalid "
            "argument");
}

TEST(DescribeWriteError, Messages) {
  EXPECT_EQ(DescribeWriteError("/sys/x", "sync", EINVAL, true),
            "the kernel refused 'sync' for /sys/x: Invalid argument");
  EXPECT_EQ(DescribeWriteError("/sys/x", "sync", EACCES, false),
            "cannot write /sys/x: Permission denied (changing xferblk settings needs root)");
  EXPECT_EQ(DescribeWriteError("/sys/x", "sync", EPERM, false),
            "cannot write /sys/x: Operation not permitted (changing xferblk settings needs root)");
  EXPECT_EQ(DescribeWriteError("/sys/x", "sync", EACCES, true),
            "cannot write /sys/x: Permission denied");
  EXPECT_EQ(DescribeWriteError("/sys/x", "1", ENOENT, true),
            "cannot write /sys/x: No such file or directory (is the driver loaded?)");
}

TEST_F(Cli, NonRootIsToldItNeedsRoot) {
  fake_.AddModule();
  AddDisks(1);
  fs::permissions(Attr("xferblk0", "reset_counters"),
                  fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  if (::geteuid() != 0) {
    Result r = X({"reset", "xferblk0"});
    EXPECT_EQ(r.rc, kExitFailure);
    EXPECT_TRUE(Contains(r.err, "(changing xferblk settings needs root)")) << r.err;
    return;
  }
  // As root, run the command in a child that drops to nobody (65534). The
  // fake tree must be readable by it, as sysfs is.
  fs::permissions(fake_.root(), fs::perms::others_read | fs::perms::others_exec,
                  fs::perm_options::add);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(100);
    Result r = X({"reset", "xferblk0"});
    std::string msg = std::to_string(r.rc) + "\n" + r.err;
    ssize_t n = ::write(fds[1], msg.data(), msg.size());
    ::_exit(n == static_cast<ssize_t>(msg.size()) ? 0 : 101);
  }
  ::close(fds[1]);
  std::string got;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof(buf))) > 0;) got.append(buf, n);
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  EXPECT_EQ(got, "1\nxferctl: cannot write " + Attr("xferblk0", "reset_counters").string() +
                     ": Permission denied (changing xferblk settings needs root)\n");
  EXPECT_EQ(FakeSysfs::Read(Attr("xferblk0", "reset_counters")), "");
}

// --- volumes -----------------------------------------------------------------

TEST_F(Cli, ListAndShowLeaveVolumeDisksOut) {
  fake_.AddModule();
  AddDisks(1);
  testing::FakeVolume v;
  v.disk = "xferblk1";
  fake_.AddVolume(v);
  Result r = X({"--json", "list"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  const Json j = ParseJson(r.out);
  ASSERT_EQ(j.at("disks").size(), 1u);
  EXPECT_EQ(j.at("disks").at(0).at("name").get<std::string>(), "xferblk0");
  r = X({"list"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_FALSE(Contains(r.out, "xferblk1")) << r.out;

  for (const char* cmd : {"show", "reset"}) {
    r = X({cmd, "xferblk1"});
    EXPECT_EQ(r.rc, kExitFailure) << cmd;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              "xferctl: xferblk1 is the disk of a volume, not an xferblk PCI disk: see 'xferctl "
              "volumes'\n");
  }
}

TEST_F(Cli, VolumesHumanAndJson) {
  testing::FakeVolume on;
  on.name = "fast";
  on.disk = "xferblk3";
  fake_.AddVolume(on);
  testing::FakeVolume off;
  off.name = "cold";
  off.layout = "linear";
  off.targets = {"/dev/vdc"};
  fake_.AddVolume(off);

  Result r = X({"volumes"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out,
            "cold  powered off\n"
            "  layout           linear, chunk size 64 KiB\n"
            "  targets          #  target\n"
            "                   0  /dev/vdc\n"
            "\n"
            "fast  powered on, disk xferblk3\n"
            "  layout           stripe, chunk size 64 KiB\n"
            "  targets          #  target            device    state   children  errors\n"
            "                   0  pci:0000:00:04.0  xferblk0  live    1200      0\n"
            "                   1  /dev/vdb          vdb       failed  1199      3\n"
            "  counters         degraded 0, parents 512, parent_errors 1, read_retries 2, "
            "legs_failed 3\n");

  r = X({"volumes", "--json"});
  ASSERT_EQ(r.rc, kExitOk) << r.err;
  const Json j = ParseJson(r.out);
  ASSERT_EQ(j.at("volumes").size(), 2u);
  const Json& cold = j.at("volumes").at(0);
  EXPECT_EQ(cold.at("name").get<std::string>(), "cold");
  EXPECT_FALSE(cold.at("powered").get<bool>());
  EXPECT_TRUE(cold.at("disk").is_null());
  EXPECT_TRUE(cold.at("counters").is_null());
  EXPECT_EQ(cold.at("targets").at(0).at("spec").get<std::string>(), "/dev/vdc");
  const Json& fast = j.at("volumes").at(1);
  EXPECT_TRUE(fast.at("powered").get<bool>());
  EXPECT_EQ(fast.at("disk").get<std::string>(), "xferblk3");
  EXPECT_EQ(U64(fast.at("chunk_size")), 65536u);
  EXPECT_EQ(fast.at("targets").at(1).at("state").get<std::string>(), "failed");
  EXPECT_EQ(U64(fast.at("targets").at(1).at("errors")), 3u);
  EXPECT_EQ(U64(fast.at("counters").at("legs_failed")), 3u);
}

TEST_F(Cli, VolumesReportsABrokenVolumeAndShowsTheRest) {
  testing::FakeVolume bad;
  bad.name = "bad";
  bad.disk = "xferblk3";
  bad.files["targets"] = "0 pci:0000:00:04.0 xferblk0 live 1200 0\n";
  fake_.AddVolume(bad);
  fake_.AddVolume(testing::FakeVolume{});
  Result r = X({"--json", "volumes"});
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.err,
            "xferctl: volume bad: " + (fake_.root() / "block/xferblk3/volume/targets").string() +
                ": 1 targets, configfs has 2\n");
  const Json j = ParseJson(r.out);
  ASSERT_EQ(j.at("volumes").size(), 1u);
  EXPECT_EQ(j.at("volumes").at(0).at("name").get<std::string>(), "data");
}

TEST_F(Cli, VolumesWithoutConfigfs) {
  Result r = X({"volumes"});
  EXPECT_EQ(r.rc, kExitOk);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, "no xferblk volumes (" + (fake_.root() / "kernel/config/xferblk").string() +
                       " does not exist: the xferblk module is not loaded, or configfs is not "
                       "mounted)\n");
  EXPECT_EQ(X({"volumes", "--json"}).out, "{\n  \"volumes\": []\n}\n");
  fs::create_directories(fake_.root() / "kernel/config/xferblk");
  EXPECT_EQ(X({"volumes"}).out, "no xferblk volumes\n");
}

// configfs's side of volume-create and volume-remove in a plain tree: mkdir
// fills the directory with a new volume's attributes, as configfs does, and
// rmdir removes them with it, keeping what they held. It cannot react to a
// write: `disk` shows from the start what the kernel would show once powered.
struct FakeConfigfs {
  std::string disk = "xferblk5";
  std::string refuse;              // this attribute refuses writes (ENOSPC: a link to /dev/full)
  int make_err = 0;                // mkdir fails with this...
  int remove_err = 0;              // ...rmdir with this
  std::vector<std::string> calls;  // "mkdir NAME", "rmdir NAME"
  std::map<std::string, std::string> removed;  // the last removed directory's files
  VolumeDirs Dirs() {
    return {.make =
                [this](const fs::path& p) {
                  calls.push_back("mkdir " + p.filename().string());
                  if (make_err) return make_err;
                  if (::mkdir(p.c_str(), 0755) != 0) return errno;
                  for (const auto& [attr, text] :
                       std::map<std::string, std::string>{{"targets", ""},
                                                          {"layout", "single\n"},
                                                          {"chunk_size", "65536\n"},
                                                          {"power", "0\n"},
                                                          {"disk", disk + "\n"}}) {
                    if (attr == refuse)
                      fs::create_symlink("/dev/full", p / attr);
                    else
                      FakeSysfs::Write(p / attr, text);
                  }
                  return 0;
                },
            .remove =
                [this](const fs::path& p) {
                  calls.push_back("rmdir " + p.filename().string());
                  if (remove_err) return remove_err;
                  removed.clear();
                  for (const fs::directory_entry& e : fs::directory_iterator(p))
                    if (!e.is_symlink())
                      removed[e.path().filename().string()] = FakeSysfs::Read(e.path());
                  fs::remove_all(p);
                  return 0;
                }};
  }
};

class CliVolume : public Cli {
 protected:
  void SetUp() override { fs::create_directories(fake_.root() / "kernel/config/xferblk"); }
  // Runs xferctl with configfs_ standing in for configfs.
  Result X(std::vector<std::string> args) {
    args.insert(args.begin(), {"--sysfs-root", fake_.root().string()});
    std::ostringstream out, err;
    int rc = xferctl::Run(args, out, err, OpenDevNode, configfs_.Dirs());
    return {rc, out.str(), err.str()};
  }
  fs::path Dir(const std::string& name = "data") { return fake_.VolumeDir(name); }
  std::string Read(const std::string& attr, const std::string& name = "data") {
    return FakeSysfs::Read(Dir(name) / attr);
  }

  FakeConfigfs configfs_;
  const std::vector<std::string> create_ = {"volume-create",    "data",    "--layout",
                                            "stripe",           "--chunk", "131072",
                                            "pci:0000:00:04.0", "/dev/vdb"};
};

TEST_F(CliVolume, CreateWritesTheConfigurationAndPrintsTheDisk) {
  Result r = X(create_);
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.out, "xferblk5\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(configfs_.calls, std::vector<std::string>{"mkdir data"});
  EXPECT_EQ(Read("layout"), "stripe");
  EXPECT_EQ(Read("chunk_size"), "131072");
  EXPECT_EQ(Read("targets"), "pci:0000:00:04.0 /dev/vdb");
  EXPECT_EQ(Read("power"), "1");
}

TEST_F(CliVolume, CreateWithoutChunkLeavesTheDefault) {
  Result r = X({"volume-create", "solo", "--layout", "single", "/dev/vdb"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(Read("chunk_size", "solo"), "65536\n");
  EXPECT_EQ(Read("layout", "solo"), "single");
  EXPECT_EQ(Read("power", "solo"), "1");
}

// A step the kernel refuses: the error names it, its file and the errno, and
// the directory is removed again with what had been written before it (and
// nothing after it).
TEST_F(CliVolume, AFailedStepRemovesTheDirectory) {
  struct Case {
    std::string attr;
    std::string step;
    std::map<std::string, std::string> written;  // when it was removed
    std::string hint;
  };
  for (const Case& c : std::vector<Case>{
           {"layout", "setting the layout", {{"chunk_size", "65536\n"}, {"targets", ""}}, ""},
           {"chunk_size", "setting the chunk size", {{"layout", "stripe"}, {"targets", ""}}, ""},
           {"targets",
            "setting the targets",
            {{"layout", "stripe"}, {"chunk_size", "131072"}, {"power", "0\n"}},
            ""},
           {"power",
            "power on",
            {{"layout", "stripe"},
             {"chunk_size", "131072"},
             {"targets", "pci:0000:00:04.0 /dev/vdb"}},
            ": the kernel log (dmesg) says why"},
       }) {
    SCOPED_TRACE(c.attr);
    configfs_ = FakeConfigfs();
    configfs_.refuse = c.attr;
    Result r = X(create_);
    EXPECT_EQ(r.rc, kExitFailure);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "xferctl: volume data: " + c.step + " failed: " + (Dir() / c.attr).string() +
                         ": No space left on device (ENOSPC)" + c.hint +
                         "\nxferctl: volume data was not created\n");
    EXPECT_EQ(configfs_.calls, (std::vector<std::string>{"mkdir data", "rmdir data"}));
    EXPECT_FALSE(fs::exists(Dir()));
    for (const auto& [attr, text] : c.written) EXPECT_EQ(configfs_.removed[attr], text) << attr;
    if (c.attr != "power") {
      EXPECT_EQ(configfs_.removed["power"], "0\n");
    }
  }
}

// Without a stand-in, mkdir makes a plain directory: the first write finds
// no attribute there, and the directory goes again.
TEST_F(Cli, CreateInAPlainTreeRemovesTheDirectoryItMade) {
  fs::create_directories(fake_.root() / "kernel/config/xferblk");
  Result r = X({"volume-create", "data", "--layout", "single", "/dev/vdb"});
  const fs::path dir = fake_.VolumeDir("data");
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "xferctl: volume data: setting the layout failed: " + (dir / "layout").string() +
                       ": No such file or directory (ENOENT)\n"
                       "xferctl: volume data was not created\n");
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_TRUE(fs::is_empty(fake_.root() / "kernel/config/xferblk"));
}

TEST_F(CliVolume, CreateOverAnExistingVolumeChangesNothing) {
  testing::FakeVolume v;
  v.disk = "xferblk3";
  fake_.AddVolume(v);
  Result r = X(create_);
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "xferctl: volume data: mkdir failed: " + Dir().string() +
                       ": File exists (EEXIST): the volume already exists\n");
  EXPECT_EQ(configfs_.calls, std::vector<std::string>{"mkdir data"});
  EXPECT_EQ(Read("layout"), "stripe\n");
  EXPECT_EQ(Read("power"), "1\n");
}

TEST_F(CliVolume, CreateWithoutConfigfs) {
  fs::remove(fake_.root() / "kernel/config/xferblk");
  Result r = X(create_);
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.err, "xferctl: volume data: mkdir failed: " + Dir().string() +
                       ": No such file or directory (ENOENT): is the xferblk module loaded, and "
                       "configfs mounted?\n");
  EXPECT_FALSE(fs::exists(Dir()));
}

TEST_F(CliVolume, CreateWhenTheDirectoryCannotGoAgain) {
  configfs_.refuse = "targets";
  configfs_.remove_err = EIO;
  Result r = X(create_);
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_TRUE(Contains(r.err, "xferctl: volume data: setting the targets failed: ")) << r.err;
  EXPECT_TRUE(Contains(r.err, "\nxferctl: volume data: rmdir failed: " + Dir().string() +
                                  ": Input/output error (EIO)\n"
                                  "xferctl: volume data is left, powered off\n"))
      << r.err;
}

TEST_F(CliVolume, CreatePoweredWithoutADiskIsUndone) {
  configfs_.disk = "";
  Result r = X(create_);
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "xferctl: volume data: powered on, but " + (Dir() / "disk").string() +
                       " is empty\nxferctl: volume data was not created\n");
  EXPECT_EQ(configfs_.removed["power"], "0");  // powered off before the rmdir
  EXPECT_FALSE(fs::exists(Dir()));
}

TEST_F(CliVolume, Remove) {
  testing::FakeVolume v;
  v.disk = "xferblk3";
  fake_.AddVolume(v);
  Result r = X({"volume-remove", "data"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.out, "volume data removed, and its disk xferblk3\n");
  EXPECT_EQ(configfs_.calls, std::vector<std::string>{"rmdir data"});
  EXPECT_EQ(configfs_.removed["power"], "0");
  EXPECT_FALSE(fs::exists(Dir()));

  fake_.AddVolume(testing::FakeVolume{});  // powered off
  r = X({"volume-remove", "data"});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.out, "volume data removed\n");
}

TEST_F(CliVolume, RemoveRefusedKeepsTheVolume) {
  testing::FakeVolume v;
  v.disk = "xferblk3";
  fake_.AddVolume(v);
  fs::remove(Dir() / "power");
  fs::create_symlink("/dev/full", Dir() / "power");
  Result r = X({"volume-remove", "data"});
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "xferctl: volume data: power off failed: " + (Dir() / "power").string() +
                       ": No space left on device (ENOSPC)\n");
  EXPECT_TRUE(configfs_.calls.empty());  // no rmdir after a failed power off
  EXPECT_TRUE(fs::exists(Dir()));

  fs::remove(Dir() / "power");
  FakeSysfs::Write(Dir() / "power", "1\n");
  configfs_.remove_err = EBUSY;
  r = X({"volume-remove", "data"});
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.err, "xferctl: volume data: rmdir failed: " + Dir().string() +
                       ": Device or resource busy (EBUSY): the volume is powered on\n");
}

TEST_F(CliVolume, RemoveMissing) {
  Result r = X({"volume-remove", "data"});
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_EQ(r.err, "xferctl: no volume data (there are no volumes)\n");
  testing::FakeVolume other;
  other.name = "other";
  fake_.AddVolume(other);
  EXPECT_EQ(X({"volume-remove", "data"}).err, "xferctl: no volume data; volumes: other\n");
  fs::remove_all(fake_.root() / "kernel/config/xferblk");
  EXPECT_EQ(X({"volume-remove", "data"}).err,
            "xferctl: no volume data (" + (fake_.root() / "kernel/config/xferblk").string() +
                " does not exist: the xferblk module is not loaded, or configfs is not mounted)\n");
  EXPECT_TRUE(configfs_.calls.empty());
}

TEST(DescribeVolumeError, Messages) {
  using enum VolumeStep;
  EXPECT_EQ(DescribeVolumeError("data", kPowerOff, "/c/data/power", EBUSY, true, "xferblk5"),
            "volume data: power off failed: /c/data/power: Device or resource busy (EBUSY): its "
            "disk xferblk5 is open");
  EXPECT_EQ(DescribeVolumeError("data", kPowerOff, "/c/data/power", EBUSY, true),
            "volume data: power off failed: /c/data/power: Device or resource busy (EBUSY): its "
            "disk is open");
  EXPECT_EQ(DescribeVolumeError("data", kPowerOn, "/c/data/power", EBUSY, true),
            "volume data: power on failed: /c/data/power: Device or resource busy (EBUSY): a "
            "target is in use (mounted, open exclusively, or in another volume); the kernel log "
            "(dmesg) says why");
  EXPECT_EQ(DescribeVolumeError("data", kPowerOn, "/p", ENOENT, true),
            "volume data: power on failed: /p: No such file or directory (ENOENT): a target's "
            "path does not exist; the kernel log (dmesg) says why");
  EXPECT_EQ(DescribeVolumeError("data", kPowerOn, "/p", ENODEV, true),
            "volume data: power on failed: /p: No such device (ENODEV): no xferblk PCI disk at a "
            "pci: target's address; the kernel log (dmesg) says why");
  EXPECT_EQ(DescribeVolumeError("data", kPowerOn, "/p", EINVAL, true),
            "volume data: power on failed: /p: Invalid argument (EINVAL): the targets do not "
            "make the layout (their number, block sizes or sizes, or one given twice); the "
            "kernel log (dmesg) says why");
  EXPECT_EQ(DescribeVolumeError("data", kTargets, "/t", EINVAL, true),
            "volume data: setting the targets failed: /t: Invalid argument (EINVAL)");
  EXPECT_EQ(DescribeVolumeError("data", kLayout, "/l", EBUSY, true),
            "volume data: setting the layout failed: /l: Device or resource busy (EBUSY): the "
            "volume is powered on");
  EXPECT_EQ(DescribeVolumeError("data", kMkdir, "/c/data", EACCES, false),
            "volume data: mkdir failed: /c/data: Permission denied (EACCES): changing xferblk "
            "volumes needs root");
  EXPECT_EQ(DescribeVolumeError("data", kMkdir, "/c/data", EACCES, true),
            "volume data: mkdir failed: /c/data: Permission denied (EACCES)");
}

}  // namespace
}  // namespace xferctl
