// SPDX-License-Identifier: GPL-2.0-only
//
// xferfuzz end to end against tests/fake_qemu.cc, a stand-in for QEMU that
// fails in a chosen way once it has seen a controller RESET and then a
// FAULT_RELEASE write: detection, the seed and summary on stdout,
// minimization down to those two writes, the replay file and --replay.

#include "fuzzer.hh"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "op.hh"
#include "options.hh"
#include "uapi/xferblk_hw.h"

namespace xferfuzz {
namespace {

class FakeQemu : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (std::filesystem::temp_directory_path() / "xferfuzz-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    unsetenv("XFERBLK_QEMU");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs xferfuzz with the fake in `mode`; returns the exit status, its
  // stdout in out_.
  int Run(const char* mode, std::initializer_list<std::string> args, bool with_qemu = true) {
    setenv("FAKE_QEMU_MODE", mode, 1);
    std::vector<std::string> storage = {"xferfuzz", "--quiet", "--out-dir", dir_.string()};
    if (with_qemu) storage.insert(storage.end(), {"--qemu", FAKE_QEMU});
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& s : storage) argv.push_back(s.data());
    argv.push_back(nullptr);
    ::testing::internal::CaptureStdout();
    int rc = Main(static_cast<int>(storage.size()), argv.data());
    out_ = ::testing::internal::GetCapturedStdout();
    return rc;
  }

  // The replay files written.
  std::vector<std::filesystem::path> Replays() {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      if (e.path().extension() == ".txt") out.push_back(e.path());
    }
    return out;
  }

  static std::vector<Op> Read(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream text;
    text << in.rdbuf();
    return ParseOps(text.str());
  }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  std::filesystem::path dir_;
  std::string out_;
};

TEST_F(FakeQemu, NoFailure) {
  ASSERT_EQ(Run("ok", {"--seed", "7", "--ops", "3000", "--restart-every", "500"}), kExitOk) << out_;
  EXPECT_NE(out_.find("xferfuzz: seed 7 nonce 0x"), std::string::npos) << out_;
  EXPECT_NE(out_.find("\"ops\":3000"), std::string::npos) << out_;
  EXPECT_NE(out_.find("\"qemu_starts\":"), std::string::npos) << out_;
  EXPECT_NE(out_.find("\"failures\":0"), std::string::npos) << out_;
  EXPECT_NE(out_.find("\"ops_per_second\":"), std::string::npos) << out_;
  EXPECT_TRUE(Replays().empty());
}

TEST_F(FakeQemu, CrashMinimizedAndReplayed) {
  ASSERT_EQ(Run("abort", {"--seed", "3", "--ops", "20000", "--minimize-seconds", "120"}),
            kExitFailure)
      << out_;
  EXPECT_NE(out_.find("FAILURE with --seed 3 "), std::string::npos) << out_;
  EXPECT_NE(out_.find("crash: signal 6: fake-qemu: ../hw/xferblk/fake.c:7: fake_release: "
                      "Assertion `!released' failed."),
            std::string::npos)
      << out_;
  EXPECT_NE(out_.find("\"failures\":1"), std::string::npos) << out_;
  std::vector<std::filesystem::path> files = Replays();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_NE(out_.find("--replay " + files[0].string()), std::string::npos) << out_;

  // Down to the start, the RESET and the release.
  std::vector<Op> ops = Read(files[0]);
  ASSERT_EQ(ops.size(), 3u) << out_;
  EXPECT_EQ(ops[0].kind, OpKind::kStart);
  EXPECT_EQ(ops[1].kind, OpKind::kWrite);
  EXPECT_EQ(ops[1].addr.Absolute(), kBar0 + XFERBLK_REG_CTRL);
  EXPECT_TRUE(ops[1].value & XFERBLK_CTRL_RESET);
  EXPECT_EQ(ops[2].kind, OpKind::kWrite);
  EXPECT_EQ(ops[2].addr.Absolute(), kBar0 + XFERBLK_REG_FAULT_RELEASE);

  EXPECT_EQ(Run("abort", {"--replay", files[0].string()}), kExitFailure) << out_;
  EXPECT_NE(out_.find(": FAILED (QEMU 0, operation 2): crash: signal 6"), std::string::npos)
      << out_;
  EXPECT_EQ(Run("ok", {"--replay", files[0].string()}), kExitOk) << out_;
  EXPECT_NE(out_.find(": ok (3 operations)"), std::string::npos) << out_;
}

TEST_F(FakeQemu, SanitizerReports) {
  struct Case {
    const char* mode;
    const char* want;
  };
  for (const Case& c : {
           Case{"asan",
                "sanitizer: ==?==ERROR: AddressSanitizer: heap-use-after-free on address 0x? at "
                "pc 0x? bp 0x? sp 0x? [in xferblk_fake_release]"},
           Case{"ubsan",
                "sanitizer: ../hw/xferblk/fake.c:11:5: runtime error: shift exponent 64 is too "
                "large for 64-bit type 'long unsigned int'"},
           Case{"leak", "leak: LeakSanitizer: detected memory leaks [in xferblk_fake_alloc]"},
           Case{"exit", "exit: exit status 0"},
       }) {
    SCOPED_TRACE(c.mode);
    EXPECT_EQ(Run(c.mode, {"--seed", "3", "--ops", "20000", "--minimize-seconds", "0"}),
              kExitFailure)
        << out_;
    EXPECT_NE(out_.find(c.want), std::string::npos) << out_;
  }
}

TEST_F(FakeQemu, Hang) {
  EXPECT_EQ(
      Run("hang", {"--seed", "3", "--ops", "20000", "--timeout", "300", "--minimize-seconds", "0"}),
      kExitFailure)
      << out_;
  EXPECT_NE(out_.find("hang: hang"), std::string::npos) << out_;
  EXPECT_NE(out_.find("within 300 ms"), std::string::npos) << out_;
}

TEST_F(FakeQemu, ReplayDirectory) {
  Write("a.txt", "# no start: the default one\nw4 bar0+0x40 0x2\nstep 10\n");
  Write("b.txt",
        "start drive=null size=512 props=queues=2\npci_setup\nunplug\n"
        "start drive=raw size=4096\nsystem_reset\nw4 bar0+0x90 0x1\n");
  Write("c.md", "not a replay");
  EXPECT_EQ(Run("abort", {"--replay", dir_.string()}), kExitOk) << out_;
  EXPECT_NE(out_.find("a.txt: ok (3 operations)"), std::string::npos) << out_;
  EXPECT_NE(out_.find("b.txt: ok (6 operations)"), std::string::npos) << out_;
  EXPECT_EQ(out_.find("c.md"), std::string::npos) << out_;
  Write("d.txt", "w4 bar0+0x40 0x3\nw4 bar0+0x90 0x1\n");
  EXPECT_EQ(Run("abort", {"--replay", dir_.string()}), kExitFailure) << out_;
  Write("e.txt", "w4 bar0+0x40 0x3 0x4\n");
  EXPECT_EQ(Run("abort", {"--replay", dir_.string()}), kExitUsage) << out_;
}

TEST_F(FakeQemu, NoQemu) {
  EXPECT_EQ(Run("ok", {"--ops", "10"}, false), kExitNoQemu);
  EXPECT_EQ(Run("ok", {"--qemu", "/nonexistent/qemu", "--ops", "10"}, false), kExitUsage);
}

}  // namespace
}  // namespace xferfuzz
