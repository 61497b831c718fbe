// SPDX-License-Identifier: GPL-2.0-only
//
// xferctl's argument parser and the checks on the values `set` writes.

#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>
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
}

TEST(Args, JsonAloneIsJsonList) {
  ParseResult r = P({"--json"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.command, Command::kList);
  EXPECT_TRUE(r.options.json);
}

// Each command with the arguments it takes: what it is parsed into.
TEST(Args, CommandsAndTheirArguments) {
  using enum Command;
  using enum Setting;
  struct Case {
    std::vector<std::string> args;
    Command command;
    std::string disk;
    Setting setting = kNone;  // these two only for set
    std::string value = "";
  };
  for (const Case& c : std::vector<Case>{
           {{"list"}, kList, ""},
           {{"show", "xferblk3"}, kShow, "xferblk3"},
           {{"show", "/dev/xferblk12"}, kShow, "xferblk12"},
           {{"--", "show", "xferblk0"}, kShow, "xferblk0"},
           {{"reset", "xferblk1"}, kReset, "xferblk1"},
           {{"set", "xferblk1", "send-mode", "async"}, kSet, "xferblk1", kSendMode, "async"},
           {{"set", "xferblk1", "send-mode", "sync"}, kSet, "xferblk1", kSendMode, "sync"},
           {{"set", "timeout-ms", "5000"}, kSet, "", kTimeoutMs, "5000"},
       }) {
    SCOPED_TRACE(::testing::PrintToString(c.args));
    ParseResult r = P(c.args);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.options.command, c.command);
    EXPECT_EQ(r.options.disk, c.disk);
    EXPECT_EQ(r.options.setting, c.setting);
    EXPECT_EQ(r.options.value, c.value);
  }
}

// Each refused command line: the error, and the help it points to.
TEST(Args, RefusedWithTheErrorAndTheHelpTopic) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
    std::string topic;
  };
  const std::string kSendModeUsage = "usage: xferctl set DISK send-mode async|sync";
  for (const Case& c : std::vector<Case>{
           {{"list", "xferblk0"}, "list takes no arguments", "list"},
           {{"show"}, "show takes exactly one disk", "show"},
           {{"show", "xferblk0", "xferblk1"}, "show takes exactly one disk", "show"},
           {{"reset"}, "reset takes exactly one disk", "reset"},
           {{"set", "xferblk1", "send-mode", "bogus"},
            "invalid send-mode 'bogus': expected async or sync",
            "set"},
           {{"set"}, "set needs a setting", "set"},
           {{"set", "xferblk1"}, "set xferblk1 needs a setting (send-mode)", "set"},
           {{"set", "xferblk1", "colour", "blue"}, "unknown setting 'colour' (send-mode)", "set"},
           {{"set", "xferblk1", "send-mode"}, kSendModeUsage, "set"},
           {{"set", "xferblk1", "send-mode", "sync", "extra"}, kSendModeUsage, "set"},
           {{"set", "send-mode", "sync"},
            "send-mode is per disk: xferctl set DISK send-mode async|sync",
            "set"},
           {{"set", "xferblk0", "timeout-ms", "100"},
            "timeout-ms is module-wide, not per disk: xferctl set timeout-ms N",
            "set"},
           {{"set", "sdb", "send-mode", "sync"},
            "invalid disk name 'sdb': expected xferblkN or /dev/xferblkN",
            "set"},
           {{"set", "timeout-ms"}, "usage: xferctl set timeout-ms N", "set"},
           {{"set", "timeout-ms", "1", "2"}, "usage: xferctl set timeout-ms N", "set"},
           // A negative number is a bad value, not an option.
           {{"set", "timeout-ms", "-5"},
            "invalid timeout-ms '-5': expected a decimal number of ms, 100 to 3600000",
            "set"},
           {{"-5"}, "unknown command '-5'", ""},
           {{"frobnicate"}, "unknown command 'frobnicate'", ""},
           {{"frobnicate", "--bogus"}, "unknown command 'frobnicate'", ""},
           {{"--frobnicate"}, "unknown option '--frobnicate'", ""},
           {{"--no-ioctls"}, "unknown option '--no-ioctls'", ""},
           {{"--json=1"}, "unknown option '--json=1'", ""},
           {{"list", "--help=list"}, "unknown option '--help=list'", "list"},
           {{"show", "-x", "xferblk0"}, "unknown option '-x'", "show"},
           {{"show", "-xh", "xferblk0"}, "unknown option '-x'", "show"},
           {{"--sysfs-root"}, "--sysfs-root needs a directory", ""},
           {{"--sysfs-root="}, "--sysfs-root needs a directory", ""},
           {{"show", "xferblk0", "--sysfs-root"}, "--sysfs-root needs a directory", "show"},
           {{"--json", "reset", "xferblk0"},
            "--json applies to list, show and volumes only",
            "reset"},
           {{"set", "timeout-ms", "100", "--json"},
            "--json applies to list, show and volumes only",
            "set"},
           // "--" ends the options.
           {{"show", "--", "--json"},
            "invalid disk name '--json': expected xferblkN or /dev/xferblkN",
            "show"},
       }) {
    ParseResult r = P(c.args);
    EXPECT_FALSE(r.ok) << "accepted: " << ::testing::PrintToString(c.args);
    EXPECT_EQ(r.error, c.error) << ::testing::PrintToString(c.args);
    EXPECT_EQ(r.topic, c.topic) << ::testing::PrintToString(c.args);
  }
}

TEST(Args, Volumes) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"volumes"}, {"--json", "volumes"}, {"volumes", "--json"}}) {
    ParseResult r = P(args);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.options.command, Command::kVolumes);
    EXPECT_EQ(r.options.json, args.size() == 2) << ::testing::PrintToString(args);
  }
}

TEST(Args, VolumeCreate) {
  ParseResult r = P({"volume-create", "data", "--layout", "stripe", "--chunk", "0131072",
                     "pci:0000:00:04.0", "/dev/vdb"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.command, Command::kVolumeCreate);
  EXPECT_EQ(r.options.volume, "data");
  EXPECT_EQ(r.options.layout, "stripe");
  EXPECT_EQ(r.options.chunk_size, "131072");  // decimal: the kernel reads 0131072 as octal
  EXPECT_EQ(r.options.targets, (std::vector<std::string>{"pci:0000:00:04.0", "/dev/vdb"}));

  // Options anywhere, --chunk optional, "=" forms, eight targets.
  r = P({"--layout=linear", "volume-create", "v1", "/dev/a", "/dev/b", "/dev/c", "/dev/d", "/dev/e",
         "/dev/f", "/dev/g", "/dev/h"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.volume, "v1");
  EXPECT_EQ(r.options.layout, "linear");
  EXPECT_EQ(r.options.chunk_size, std::nullopt);
  EXPECT_EQ(r.options.targets.size(), 8u);
  EXPECT_EQ(r.options.targets.front(), "/dev/a");
  EXPECT_EQ(r.options.targets.back(), "/dev/h");
}

TEST(Args, VolumeRemove) {
  ParseResult r = P({"volume-remove", "data"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.command, Command::kVolumeRemove);
  EXPECT_EQ(r.options.volume, "data");
}

TEST(Args, VolumeCommandsRefused) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<std::string> nine = {"volume-create",
                                         "v",
                                         "--layout",
                                         "linear",
                                         "/a",
                                         "/b",
                                         "/c",
                                         "/d",
                                         "/e",
                                         "/f",
                                         "/g",
                                         "/h",
                                         "/i"};
  for (const Case& c : std::vector<Case>{
           {{"volumes", "data"}, "volumes takes no arguments"},
           {{"volumes", "--layout", "single"}, "--layout and --chunk apply to volume-create only"},
           {{"list", "--chunk", "4096"}, "--layout and --chunk apply to volume-create only"},
           {{"volume-remove"}, "volume-remove takes exactly one volume name"},
           {{"volume-remove", "a", "b"}, "volume-remove takes exactly one volume name"},
           {{"volume-remove", "../x"},
            "invalid volume name '../x': expected a directory name without '/', blanks or "
            "control characters"},
           {{"volume-remove", "--json", "data"}, "--json applies to list, show and volumes only"},
           {{"volume-create"}, "volume-create needs a volume name and targets"},
           {{"volume-create", "data", "/dev/vdb"},
            "volume-create needs --layout (single, linear, stripe or mirror)"},
           {{"volume-create", "data", "/dev/vdb", "--layout"},
            "--layout needs a layout (single, linear, stripe or mirror)"},
           {{"volume-create", "data", "--layout", "raid5", "/dev/vdb"},
            "invalid layout 'raid5': expected single, linear, stripe or mirror"},
           {{"volume-create", "data", "--layout", "stripe", "--chunk", "1000", "/a", "/b"},
            "invalid chunk size '1000': expected a power of two of bytes, in decimal, from 512 to "
            "1073741824"},
           {{"volume-create", "data", "--layout", "stripe", "/a", "--chunk"},
            "--chunk needs a size in bytes"},
           {{"volume-create", "data", "--layout", "single"},
            "volume-create needs at least one target (pci:ADDRESS or a block device's path)"},
           {{"volume-create", "data", "--layout", "single", "vdb"},
            "invalid target 'vdb': expected pci:ADDRESS or the absolute path of a block device"},
           {{"volume-create", "a b", "--layout", "single", "/dev/vdb"},
            "invalid volume name 'a b': expected a directory name without '/', blanks or control "
            "characters"},
           {nine, "a volume has at most 8 targets"},
       }) {
    ParseResult r = P(c.args);
    EXPECT_FALSE(r.ok) << "accepted: " << ::testing::PrintToString(c.args);
    EXPECT_EQ(r.error, c.error) << ::testing::PrintToString(c.args);
    EXPECT_EQ(r.topic, c.args[0]) << ::testing::PrintToString(c.args);
  }
}

TEST(VolumeValues, Name) {
  for (const char* good : {"data", "v1", "my-vol_2.x", ".hidden", "a:b"})
    EXPECT_EQ(CheckVolumeName(good).value, good) << good;
  for (const char* bad : {"", ".", "..", "a/b", "/data", "a b", "a\tb", "a\nb", "a\x7f"})
    EXPECT_FALSE(CheckVolumeName(bad).ok) << "'" << bad << "'";
}

TEST(VolumeValues, Layout) {
  for (const char* good : {"single", "linear", "stripe", "mirror"})
    EXPECT_EQ(CheckLayout(good).value, good);
  for (const char* bad : {"", "Stripe", "stripe\n", "raid0", " mirror"})
    EXPECT_FALSE(CheckLayout(bad).ok) << "'" << bad << "'";
}

TEST(VolumeValues, ChunkSize) {
  EXPECT_EQ(CheckChunkSize("512").value, "512");
  EXPECT_EQ(CheckChunkSize("65536").value, "65536");
  EXPECT_EQ(CheckChunkSize("1073741824").value, "1073741824");
  EXPECT_EQ(CheckChunkSize("0004096").value, "4096");
  for (const char* bad : {"", "0", "256", "511", "768", "65535", "2147483648", "0x1000", "64k",
                          "-512", " 512", "18446744073709551616"})
    EXPECT_FALSE(CheckChunkSize(bad).ok) << "'" << bad << "'";
}

TEST(VolumeValues, Target) {
  for (const char* good : {"pci:0000:00:04.0", "/dev/vdb", "/dev/disk/by-id/x", "/dev/xferblk3"})
    EXPECT_EQ(CheckTarget(good).value, good) << good;
  for (const char* bad :
       {"", "pci:", "vdb", "dev/vdb", "0000:00:04.0", "PCI:0000:00:04.0", "/dev/a b", "/dev/a\n"})
    EXPECT_FALSE(CheckTarget(bad).ok) << "'" << bad << "'";
  const std::string longest = "/" + std::string(kMaxTargetLength - 1, 'x');
  EXPECT_TRUE(CheckTarget(longest).ok);
  EXPECT_EQ(CheckTarget(longest + "x").error,
            "target '" + longest + "x' is too long: at most 63 characters");
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

// Even where POSIXLY_CORRECT would make getopt_long stop at the first
// operand.
TEST(Args, OptionsFollowTheCommandWhateverTheEnvironment) {
  ASSERT_EQ(::setenv("POSIXLY_CORRECT", "1", 1), 0);
  ParseResult r = P({"show", "xferblk0", "--json"});
  ::unsetenv("POSIXLY_CORRECT");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.options.json);
}

// As getopt_long does: a long option may be shortened to any prefix that
// names only it.
TEST(Args, UniquePrefixesOfLongOptions) {
  ParseResult r = P({"--js", "show", "xferblk0", "--no", "--sysfs=/x"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.options.json);
  EXPECT_FALSE(r.options.use_ioctl);
  EXPECT_EQ(r.options.sysfs_root, "/x");
}

// A value that looks like a negative number is a value wherever it stands.
TEST(Args, NegativeNumbersAreNeverOptions) {
  ParseResult r = P({"--sysfs-root", "-5", "list"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.sysfs_root, "-5");
  EXPECT_EQ(Err({"show", "-12"}), "invalid disk name '-12': expected xferblkN or /dev/xferblkN");
}

// getopt_long keeps its place in static state; every parse starts afresh,
// even after one that stopped in the middle of "-xh".
TEST(Args, EachParseStartsAfresh) {
  EXPECT_FALSE(P({"show", "-xh", "xferblk0"}).ok);
  ParseResult r = P({"-h"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.command, Command::kHelp);
  EXPECT_EQ(r.options.help_topic, "");
  r = P({"show", "xferblk2"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.disk, "xferblk2");
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

TEST(Args, SetSendModeRefusesBadValues) {
  // The kernel's sysfs_streq() would take "sync\n"; xferctl wants the word.
  for (const char* bad : {"", "SYNC", "Sync", "sync\n", " sync", "asynchronous", "1"})
    EXPECT_FALSE(P({"set", "xferblk1", "send-mode", bad}).ok) << bad;
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

TEST(Args, Help) {
  struct Case {
    std::vector<std::string> args;
    std::string topic;
  };
  for (const Case& c : std::vector<Case>{
           {{"--help"}, ""},
           {{"-h"}, ""},
           {{"help"}, ""},
           {{"help", "set"}, "set"},
           {{"help", "help"}, "help"},
           {{"set", "--help"}, "set"},
           {{"show", "-h"}, "show"},
           {{"reset", "xferblk0", "--help"}, "reset"},
           {{"help", "volumes"}, "volumes"},
           {{"volume-create", "--help"}, "volume-create"},
           {{"volume-remove", "x", "-h"}, "volume-remove"},
           // Help before the missing or bad values it explains.
           {{"volume-create", "data", "--layout", "raid5", "--help"}, "volume-create"},
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

TEST(Args, Version) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--version"},
                                             {"--json", "--version"},
                                             {"--version", "list"},
                                             {"show", "xferblk0", "--version"},
                                             // Like --help, it wins over a bad value.
                                             {"set", "xferblk0", "send-mode", "bogus", "--version"},
                                             {"--version", "reset", "--json"}}) {
    ParseResult r = ParseArgs(args);
    ASSERT_TRUE(r.ok) << ::testing::PrintToString(args) << ": " << r.error;
    EXPECT_EQ(r.options.command, Command::kVersion) << ::testing::PrintToString(args);
  }
  // --help wins when both are given.
  EXPECT_EQ(P({"--version", "--help"}).options.command, Command::kHelp);
  EXPECT_EQ(P({"help", "--version"}).options.command, Command::kHelp);
  // Still refused: what comes before it is read, and it takes no value.
  EXPECT_EQ(Err({"frobnicate", "--version"}), "unknown command 'frobnicate'");
  EXPECT_EQ(Err({"--version=1"}), "unknown option '--version=1'");
  EXPECT_EQ(Err({"-V"}), "unknown option '-V'");
}

TEST(Args, VersionText) {
  EXPECT_EQ(VersionText(), std::string("xferctl ") + XFERBLK_VERSION + "\n");
  // "NAME MAJOR.MINOR.PATCH" on one line: what help2man reads.
  EXPECT_TRUE(std::regex_match(VersionText(), std::regex("xferctl [0-9]+\\.[0-9]+\\.[0-9]+\n")))
      << VersionText();
  EXPECT_NE(HelpText("").find("  --version "), std::string::npos);
}

TEST(Args, HelpTexts) {
  const std::string general = HelpText("");
  for (const char* needle :
       {"usage: xferctl", "list", "show DISK", "reset DISK", "set DISK send-mode async|sync",
        "set timeout-ms N", "--json", "exit status:", "  0  success", "  1  runtime failure",
        "  2  usage error"})
    EXPECT_NE(general.find(needle), std::string::npos) << needle;
  for (const char* needle : {"volumes", "volume-create NAME --layout L [--chunk BYTES] TARGET...",
                             "volume-remove NAME", "pci:ADDRESS"})
    EXPECT_NE(general.find(needle), std::string::npos) << needle;
  for (const char* topic :
       {"list", "show", "reset", "set", "volumes", "volume-create", "volume-remove", "help"}) {
    std::string text = HelpText(topic);
    EXPECT_EQ(text.rfind("usage: xferctl", 0), 0u) << topic;
    EXPECT_NE(text, general) << topic;
  }
  EXPECT_EQ(HelpText("bogus"), general);
  EXPECT_NE(HelpText("set").find("100 to 3600000"), std::string::npos);
}

}  // namespace
}  // namespace xferctl
