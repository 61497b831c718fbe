// SPDX-License-Identifier: GPL-2.0-only
//
// xferctl's argument parser and the checks on the values `set` writes.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "args.hh"

namespace xferctl {
namespace {

ParseResult P(std::vector<std::string> args) { return ParseArgs(args); }

// Parses args that must be refused; returns the error text.
std::string Err(std::vector<std::string> args) {
  ParseResult r = ParseArgs(args);
  EXPECT_FALSE(r.ok) << "accepted: " << ::testing::PrintToString(args);
  EXPECT_FALSE(r.error.empty());
  return r.error;
}

TEST(Args, NoArgumentsIsHumanList) {
  ParseResult r = P({});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.command, Command::kList);
  EXPECT_FALSE(r.options.json);
  EXPECT_EQ(r.options.sysfs_root, "/sys");
  EXPECT_TRUE(r.options.use_ioctl);
}

TEST(Args, NoIoctl) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--no-ioctl"},
           {"show", "xferblk0", "--no-ioctl"},
           {"--no-ioctl", "reset", "xferblk0"},
           {"set", "xferblk0", "send-mode", "sync", "--no-ioctl"}}) {
    ParseResult r = P(args);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_FALSE(r.options.use_ioctl) << ::testing::PrintToString(args);
  }
  EXPECT_EQ(Err({"--no-ioctls"}), "unknown option '--no-ioctls'");
}

TEST(Args, JsonAloneIsJsonList) {
  ParseResult r = P({"--json"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.command, Command::kList);
  EXPECT_TRUE(r.options.json);
}

TEST(Args, ListTakesNoArguments) {
  EXPECT_TRUE(P({"list"}).ok);
  EXPECT_EQ(Err({"list", "xferblk0"}), "list takes no arguments");
  EXPECT_EQ(P({"list", "xferblk0"}).topic, "list");
}

TEST(Args, ShowTakesOneDisk) {
  ParseResult r = P({"show", "xferblk3"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.command, Command::kShow);
  EXPECT_EQ(r.options.disk, "xferblk3");

  r = P({"show", "/dev/xferblk12"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.disk, "xferblk12");

  EXPECT_EQ(Err({"show"}), "show takes exactly one disk");
  EXPECT_EQ(Err({"show", "xferblk0", "xferblk1"}), "show takes exactly one disk");
}

TEST(Args, OptionsMayFollowTheCommand) {
  ParseResult r = P({"show", "xferblk0", "--json", "--sysfs-root", "/tmp/fake"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.options.json);
  EXPECT_EQ(r.options.sysfs_root, "/tmp/fake");
  EXPECT_EQ(r.options.disk, "xferblk0");

  r = P({"--sysfs-root=/x", "--json", "show", "xferblk0"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.sysfs_root, "/x");
}

TEST(Args, BadDiskNamesAreUsageErrors) {
  for (const char* bad :
       {"sda", "xferblk", "xferblk01", "xferblkx", "xferblk0x", "../xferblk0", "xferblk0/../../etc",
        "/dev/sda", "/sys/block/xferblk0", "XFERBLK0", "xferblk12345678901", ""}) {
    std::string e = Err({"show", bad});
    EXPECT_NE(e.find("invalid disk name"), std::string::npos) << bad << ": " << e;
    ValueCheck c = CheckDiskName(bad);
    EXPECT_FALSE(c.ok) << bad;
  }
  EXPECT_EQ(P({"reset", "sda"}).topic, "reset");
}

TEST(Args, ResetTakesOneDisk) {
  ParseResult r = P({"reset", "xferblk1"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.command, Command::kReset);
  EXPECT_EQ(r.options.disk, "xferblk1");
  EXPECT_EQ(Err({"reset"}), "reset takes exactly one disk");
}

TEST(Args, SetSendMode) {
  for (const char* mode : {"async", "sync"}) {
    ParseResult r = P({"set", "xferblk1", "send-mode", mode});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.options.command, Command::kSet);
    EXPECT_EQ(r.options.setting, Setting::kSendMode);
    EXPECT_EQ(r.options.disk, "xferblk1");
    EXPECT_EQ(r.options.value, mode);
  }
}

TEST(Args, SetSendModeRefusesBadValues) {
  EXPECT_EQ(Err({"set", "xferblk1", "send-mode", "bogus"}),
            "invalid send-mode 'bogus': expected async or sync");
  EXPECT_EQ(P({"set", "xferblk1", "send-mode", "bogus"}).topic, "set");
  // The kernel's sysfs_streq() would take "sync\n"; xferctl wants the word.
  for (const char* bad : {"", "SYNC", "Sync", "sync\n", " sync", "asynchronous", "1"})
    EXPECT_FALSE(P({"set", "xferblk1", "send-mode", bad}).ok) << bad;
}

TEST(Args, SetNeedsAWellFormedSetting) {
  EXPECT_EQ(Err({"set"}), "set needs a setting");
  EXPECT_EQ(Err({"set", "xferblk1"}), "set xferblk1 needs a setting (send-mode)");
  EXPECT_EQ(Err({"set", "xferblk1", "colour", "blue"}), "unknown setting 'colour' (send-mode)");
  EXPECT_EQ(Err({"set", "xferblk1", "send-mode"}), "usage: xferctl set DISK send-mode async|sync");
  EXPECT_EQ(Err({"set", "xferblk1", "send-mode", "sync", "extra"}),
            "usage: xferctl set DISK send-mode async|sync");
  EXPECT_EQ(Err({"set", "send-mode", "sync"}),
            "send-mode is per disk: xferctl set DISK send-mode async|sync");
  EXPECT_EQ(Err({"set", "xferblk0", "timeout-ms", "100"}),
            "timeout-ms is module-wide, not per disk: xferctl set timeout-ms N");
  EXPECT_NE(Err({"set", "sdb", "send-mode", "sync"}).find("invalid disk name 'sdb'"),
            std::string::npos);
}

TEST(Args, SetTimeout) {
  ParseResult r = P({"set", "timeout-ms", "5000"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.command, Command::kSet);
  EXPECT_EQ(r.options.setting, Setting::kTimeoutMs);
  EXPECT_EQ(r.options.value, "5000");
  EXPECT_TRUE(r.options.disk.empty());
  EXPECT_EQ(Err({"set", "timeout-ms"}), "usage: xferctl set timeout-ms N");
  EXPECT_EQ(Err({"set", "timeout-ms", "1", "2"}), "usage: xferctl set timeout-ms N");
}

TEST(Args, NegativeTimeoutIsABadValueNotAnOption) {
  EXPECT_EQ(Err({"set", "timeout-ms", "-5"}),
            "invalid timeout-ms '-5': expected a decimal number of ms, 100 to 3600000");
}

TEST(SetValues, TimeoutRange) {
  EXPECT_TRUE(CheckTimeoutMs("100").ok);
  EXPECT_TRUE(CheckTimeoutMs("3600000").ok);
  EXPECT_FALSE(CheckTimeoutMs("99").ok);
  EXPECT_FALSE(CheckTimeoutMs("0").ok);
  EXPECT_FALSE(CheckTimeoutMs("3600001").ok);
  EXPECT_FALSE(CheckTimeoutMs("18446744073709551616").ok);  // 2^64
  EXPECT_FALSE(CheckTimeoutMs("99999999999999999999999").ok);
  EXPECT_EQ(CheckTimeoutMs("99").error, "timeout-ms '99' out of range: 100 to 3600000 ms");
  EXPECT_EQ(CheckTimeoutMs("3600001").error,
            "timeout-ms '3600001' out of range: 100 to 3600000 ms");
}

TEST(SetValues, TimeoutMustBePlainDecimal) {
  for (const char* bad : {"", " 100", "100 ", "+100", "-100", "0x100", "1e3", "100ms", "10.5",
                          "1,000", "abc", "100\n"}) {
    ValueCheck c = CheckTimeoutMs(bad);
    EXPECT_FALSE(c.ok) << "'" << bad << "'";
    EXPECT_NE(c.error.find("timeout-ms"), std::string::npos);
  }
}

TEST(SetValues, TimeoutIsNormalisedBecauseTheKernelReadsOctal) {
  // kstrtouint(val, 0, ...) would read "0100" as 64 and refuse it.
  ValueCheck c = CheckTimeoutMs("0100");
  ASSERT_TRUE(c.ok) << c.error;
  EXPECT_EQ(c.value, "100");
  EXPECT_EQ(CheckTimeoutMs("000030000").value, "30000");
}

TEST(SetValues, SendMode) {
  EXPECT_TRUE(CheckSendMode("async").ok);
  EXPECT_TRUE(CheckSendMode("sync").ok);
  EXPECT_EQ(CheckSendMode("sync").value, "sync");
  EXPECT_FALSE(CheckSendMode("bogus").ok);
  EXPECT_FALSE(CheckSendMode("").ok);
}

TEST(SetValues, DiskName) {
  EXPECT_EQ(CheckDiskName("xferblk0").value, "xferblk0");
  EXPECT_EQ(CheckDiskName("/dev/xferblk7").value, "xferblk7");
  EXPECT_EQ(CheckDiskName("xferblk123456789").value, "xferblk123456789");
  EXPECT_EQ(CheckDiskName("sda").error,
            "invalid disk name 'sda': expected xferblkN or /dev/xferblkN");
}

TEST(Args, UnknownCommandAndOptions) {
  EXPECT_EQ(Err({"frobnicate"}), "unknown command 'frobnicate'");
  EXPECT_EQ(P({"frobnicate"}).topic, "");
  EXPECT_EQ(Err({"--frobnicate"}), "unknown option '--frobnicate'");
  EXPECT_EQ(Err({"show", "-x", "xferblk0"}), "unknown option '-x'");
  EXPECT_EQ(P({"show", "-x", "xferblk0"}).topic, "show");
  EXPECT_EQ(Err({"--sysfs-root"}), "--sysfs-root needs a directory");
  EXPECT_EQ(Err({"--sysfs-root="}), "--sysfs-root needs a directory");
}

TEST(Args, JsonOnlyForListAndShow) {
  EXPECT_EQ(Err({"--json", "reset", "xferblk0"}), "--json applies to list and show only");
  EXPECT_EQ(Err({"set", "timeout-ms", "100", "--json"}), "--json applies to list and show only");
}

TEST(Args, DoubleDashEndsOptions) {
  EXPECT_EQ(Err({"show", "--", "--json"}),
            "invalid disk name '--json': expected xferblkN or /dev/xferblkN");
  ParseResult r = P({"--", "show", "xferblk0"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.disk, "xferblk0");
}

TEST(Args, Help) {
  struct Case {
    std::vector<std::string> args;
    std::string topic;
  };
  for (const Case& c :
       std::vector<Case>{{{"--help"}, ""},
                         {{"-h"}, ""},
                         {{"help"}, ""},
                         {{"help", "set"}, "set"},
                         {{"help", "help"}, "help"},
                         {{"set", "--help"}, "set"},
                         {{"show", "-h"}, "show"},
                         {{"reset", "xferblk0", "--help"}, "reset"},
                         {{"--help", "list"}, "list"},
                         // Help wins over a bad value: it explains it.
                         {{"set", "xferblk0", "send-mode", "bogus", "--help"}, "set"}}) {
    ParseResult r = ParseArgs(c.args);
    ASSERT_TRUE(r.ok) << ::testing::PrintToString(c.args) << ": " << r.error;
    EXPECT_EQ(r.options.command, Command::kHelp);
    EXPECT_EQ(r.options.help_topic, c.topic) << ::testing::PrintToString(c.args);
  }
  EXPECT_FALSE(P({"help", "bogus"}).ok);
  EXPECT_FALSE(P({"help", "set", "show"}).ok);
}

TEST(Args, HelpTexts) {
  const std::string general = HelpText("");
  for (const char* needle :
       {"usage: xferctl", "list", "show DISK", "reset DISK", "set DISK send-mode async|sync",
        "set timeout-ms N", "--json", "exit status:", "  0  success", "  1  runtime failure",
        "  2  usage error"})
    EXPECT_NE(general.find(needle), std::string::npos) << needle;
  for (const char* topic : {"list", "show", "reset", "set", "help"}) {
    std::string text = HelpText(topic);
    EXPECT_EQ(text.rfind("usage: xferctl", 0), 0u) << topic;
    EXPECT_NE(text, general) << topic;
  }
  EXPECT_EQ(HelpText("bogus"), general);
  EXPECT_NE(HelpText("set").find("100 to 3600000"), std::string::npos);
}

}  // namespace
}  // namespace xferctl
