// SPDX-License-Identifier: GPL-2.0-only
//
// Command-line and size parsing: what is accepted, and that what is not
// gets an error that says what was wrong.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "options.hh"
#include "size.hh"

namespace xferio {
namespace {

using ::testing::HasSubstr;

TEST(ParseSize, AcceptsNumbersAndBinaryUnits) {
  const struct {
    const char* text;
    uint64_t bytes;
  } cases[] = {
      {"0", 0},
      {"512", 512},
      {"4096", 4096},
      {"4k", 4096},
      {"4K", 4096},
      {"4kb", 4096},
      {"4KiB", 4096},
      {"4kib", 4096},
      {"1m", 1 << 20},
      {"1M", 1 << 20},
      {"1MiB", 1 << 20},
      {"2g", 2ULL << 30},
      {"1t", 1ULL << 40},
      {"512b", 512},
      {"16777215t", 16777215ULL << 40},
      {"18446744073709551615", UINT64_MAX},
  };
  for (const auto& c : cases) {
    auto size = ParseSize(c.text);
    ASSERT_TRUE(size.ok()) << c.text << ": " << size.error();
    EXPECT_EQ(*size, c.bytes) << c.text;
  }
}

TEST(ParseSize, RejectsBadInputWithAReason) {
  const struct {
    const char* text;
    const char* error;
  } cases[] = {
      {"", "empty size"},
      {"abc", "invalid size \"abc\": expected a number"},
      {"-4k", "invalid size \"-4k\": expected a number"},
      {" 4k", "invalid size \" 4k\""},
      {"k", "invalid size \"k\""},
      {"4x", "unknown suffix \"x\""},
      {"4 k", "unknown suffix \" k\""},
      {"4k5", "unknown suffix \"k5\""},
      {"0x10", "unknown suffix \"x10\""},
      {"4ib", "unknown suffix \"ib\""},
      {"4kk", "unknown suffix \"kk\""},
      {"1.5m", "fractions are not supported"},
      {"18446744073709551616", "is too large"},
      {"16777216t", "is too large"},
      {"99999999999999999999k", "is too large"},
  };
  for (const auto& c : cases) {
    auto size = ParseSize(c.text);
    ASSERT_FALSE(size.ok()) << "\"" << c.text << "\" parsed as " << *size;
    EXPECT_THAT(size.error(), HasSubstr(c.error)) << c.text;
  }
}

TEST(ParseUint, RangeAndSyntax) {
  EXPECT_EQ(*ParseUint("16", "--qd", 1, 1024), 16u);
  EXPECT_EQ(ParseUint("0", "--qd", 1, 1024).error(), "--qd must be 1 to 1024, not 0");
  EXPECT_EQ(ParseUint("1025", "--qd", 1, 1024).error(), "--qd must be 1 to 1024, not 1025");
  EXPECT_EQ(ParseUint("4k", "--qd", 1, 1024).error(), "--qd: \"4k\" is not a decimal number");
  EXPECT_EQ(ParseUint("", "--qd", 1, 1024).error(), "--qd: \"\" is not a decimal number");
  EXPECT_THAT(ParseUint("99999999999999999999", "--seed", 0, UINT64_MAX).error(),
              HasSubstr("--seed must be 0 to"));
}

TEST(FormatSize, ShortestExactSpelling) {
  EXPECT_EQ(FormatSize(0), "0");
  EXPECT_EQ(FormatSize(512), "512");
  EXPECT_EQ(FormatSize(4096), "4k");
  EXPECT_EQ(FormatSize(65024), "65024");
  EXPECT_EQ(FormatSize(1 << 20), "1m");
  EXPECT_EQ(FormatSize(3ULL << 30), "3g");
  EXPECT_EQ(FormatSize(1536 << 10), "1536k");
  for (uint64_t v : {512ULL, 4096ULL, 65024ULL, 1ULL << 20, 3ULL << 30, 5ULL << 40}) {
    EXPECT_EQ(*ParseSize(FormatSize(v)), v) << "round trip of " << v;
  }
}

TEST(HumanBytes, Units) {
  EXPECT_EQ(HumanBytes(512), "512 B");
  EXPECT_EQ(HumanBytes(1536), "1.50 KiB");
  EXPECT_EQ(HumanBytes(64ULL << 20), "64.0 MiB");
  EXPECT_EQ(HumanBytes(3ULL << 40), "3.00 TiB");
}

Result<ParsedArgs> Parse(std::vector<std::string> args) { return ParseArgs(args); }

TEST(ParseArgs, Defaults) {
  auto p = Parse({"--mode", "verify", "/dev/xferblk0"});
  ASSERT_TRUE(p.ok()) << p.error();
  const Options& o = p->options;
  EXPECT_FALSE(p->help);
  EXPECT_EQ(o.device, "/dev/xferblk0");
  EXPECT_EQ(o.mode, Mode::kVerify);
  EXPECT_EQ(o.pattern, Pattern::kSequential);
  EXPECT_EQ(o.bs, std::vector<BsItem>{BsItem{.automatic = true}});
  EXPECT_EQ(o.layouts, std::vector<Layout>{Layout::kContiguous});
  EXPECT_EQ(o.qd, 16u);
  EXPECT_FALSE(o.runtime_s);
  EXPECT_FALSE(o.total);
  EXPECT_EQ(o.offset, 0u);
  EXPECT_FALSE(o.size);
  EXPECT_EQ(o.seed, 1u);
  EXPECT_EQ(o.gen, 1u);
  EXPECT_TRUE(o.verify);
  EXPECT_FALSE(o.iopoll);
  EXPECT_FALSE(o.json);
  EXPECT_EQ(o.max_report, 10u);
}

TEST(ParseArgs, EveryOptionBothSpellings) {
  auto p = Parse({"--mode=write", "--pattern",
                  "random",       "--bs=4k,128k-1m,auto",
                  "--layout",     "fragmented,misaligned",
                  "--qd=32",      "--runtime",
                  "30s",          "--total=1g",
                  "--offset",     "1m",
                  "--size=64m",   "--seed",
                  "42",           "--gen=7",
                  "--max-report", "3",
                  "--iopoll",     "--json",
                  "/dev/xferblk1"});
  ASSERT_TRUE(p.ok()) << p.error();
  const Options& o = p->options;
  EXPECT_EQ(o.mode, Mode::kWrite);
  EXPECT_EQ(o.pattern, Pattern::kRandom);
  std::vector<BsItem> bs = {{false, 4096, 4096}, {false, 128 << 10, 1 << 20}, {true, 0, 0}};
  EXPECT_EQ(o.bs, bs);
  std::vector<Layout> layouts = {Layout::kFragmented, Layout::kMisaligned};
  EXPECT_EQ(o.layouts, layouts);
  EXPECT_EQ(o.qd, 32u);
  EXPECT_EQ(o.runtime_s, 30u);
  EXPECT_EQ(o.total, 1ULL << 30);
  EXPECT_EQ(o.offset, 1u << 20);
  EXPECT_EQ(o.size, 64u << 20);
  EXPECT_EQ(o.seed, 42u);
  EXPECT_EQ(o.gen, 7u);
  EXPECT_EQ(o.max_report, 3u);
  EXPECT_TRUE(o.iopoll);
  EXPECT_TRUE(o.json);
  EXPECT_EQ(o.device, "/dev/xferblk1");
}

TEST(ParseArgs, ShortNamesLastWinsAndAll) {
  auto p = Parse({"/dev/x", "--mode", "write", "--mode", "read", "--no-verify", "--pattern", "seq",
                  "--layout", "all,contiguous", "--pattern", "rand"});
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->options.mode, Mode::kRead);
  EXPECT_FALSE(p->options.verify);
  EXPECT_EQ(p->options.pattern, Pattern::kRandom);
  std::vector<Layout> all = {Layout::kContiguous, Layout::kFragmented, Layout::kMisaligned};
  EXPECT_EQ(p->options.layouts, all);
}

TEST(ParseArgs, DoubleDashEndsOptions) {
  auto p = Parse({"--mode", "read", "--", "-odd-name"});
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->options.device, "-odd-name");
}

TEST(ParseArgs, HelpNeedsNothingElse) {
  for (const char* flag : {"--help", "-h"}) {
    auto p = Parse({flag});
    ASSERT_TRUE(p.ok()) << p.error();
    EXPECT_TRUE(p->help);
  }
  auto p = Parse({"--mode", "bogus", "--help"});
  EXPECT_FALSE(p.ok()) << "a bad option is reported even with --help";
}

TEST(ParseArgs, VersionNeedsNothingElse) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--version"}, {"--mode", "read", "--version"}, {"--version", "/dev/a", "/dev/b"}}) {
    auto p = Parse(args);
    ASSERT_TRUE(p.ok()) << p.error();
    EXPECT_TRUE(p->version);
    EXPECT_FALSE(p->help);
  }
  auto p = Parse({"--version", "--help"});
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_TRUE(p->help) << "--help wins: main() checks it first";
  EXPECT_FALSE(Parse({"--mode", "bogus", "--version"}).ok())
      << "a bad option is reported even with --version";
  EXPECT_FALSE(Parse({"--version=1"}).ok());
  EXPECT_FALSE(Parse({"--mode", "read", "/dev/x"})->version);
}

TEST(VersionText, NameAndProjectVersion) {
  EXPECT_EQ(VersionText(), std::string("xferio ") + XFERBLK_VERSION + "\n");
  EXPECT_THAT(VersionText(), ::testing::MatchesRegex("xferio [0-9]+\\.[0-9]+\\.[0-9]+\n"));
  EXPECT_THAT(UsageText("xferio"), HasSubstr("  --version "));
}

// Parses args, which must be refused with an error containing `error`.
void ExpectRefused(const std::vector<std::string>& args, const std::string& error) {
  auto p = Parse(args);
  std::string joined;
  for (const auto& a : args) joined += a + " ";
  ASSERT_FALSE(p.ok()) << joined << "was accepted";
  EXPECT_THAT(p.error(), HasSubstr(error)) << joined;
}

TEST(ParseArgs, BadCommandLinesAreExplained) {
  const struct {
    std::vector<std::string> args;
    const char* error;
  } cases[] = {
      {{"--mode", "verify"}, "no device given"},
      {{"--mode", "verify", "/dev/a", "/dev/b"},
       "more than one device given: \"/dev/a\" and \"/dev/b\""},
      {{"/dev/x"}, "--mode is required (read, write or verify)"},
      {{"--mode", "erase", "/dev/x"}, "--mode: unknown mode \"erase\" (read, write or verify)"},
      {{"--mode", "read", "/dev/x", "--qd"}, "--qd needs a value"},
      {{"--mode", "write", "--no-verify", "/dev/x"}, "--no-verify only applies to --mode read"},
  };
  for (const auto& c : cases) ExpectRefused(c.args, c.error);
}

TEST(ParseArgs, BadOptionsAreExplained) {
  // Each given between "--mode read" and the device.
  const struct {
    std::vector<std::string> options;
    const char* error;
  } cases[] = {
      {{"--bogus"}, "unknown option --bogus (see --help)"},
      {{"--bogus=1"}, "unknown option --bogus (see --help)"},
      {{"--s", "1m"}, "unknown option --s (see --help)"},  // --size or --seed?
      {{"-q"}, "unknown option -q"},
      {{"-qh"}, "unknown option -q"},
      {{"--qd", "0"}, "--qd must be 1 to 1024, not 0"},
      {{"--qd", "2000"}, "--qd must be 1 to 1024, not 2000"},
      {{"--qd=many"}, "--qd: \"many\" is not a decimal number"},
      {{"--qd="}, "--qd: \"\" is not a decimal number"},
      {{"--pattern", "zigzag"}, "unknown pattern \"zigzag\""},
      {{"--bs", "4k,,1m"}, "--bs: empty entry in \"4k,,1m\""},
      {{"--bs", "1m-4k"}, "range \"1m-4k\" runs backwards (1m > 4k)"},
      {{"--bs", "4q"}, "--bs: invalid size \"4q\": unknown suffix \"q\""},
      {{"--bs", "0"}, "--bs must be more than 0"},
      {{"--bs", "4k-"}, "--bs: empty size"},
      {{"--layout", "twisted"}, "unknown layout \"twisted\""},
      {{"--json=yes"}, "--json takes no value"},
      {{"--help=yes"}, "--help takes no value"},
      {{"--version=yes"}, "--version takes no value"},
      {{"--runtime", "0"}, "--runtime (seconds) must be 1 to"},
      {{"--runtime", "1m"}, "is not a decimal number"},
      {{"--size", "0"}, "--size must be more than 0"},
      {{"--total", "0"}, "--total must be more than 0"},
      {{"--offset", "1.5g"}, "--offset: invalid size \"1.5g\": fractions"},
      {{"--gen", "0"}, "--gen must be 1 to"},
      {{"--seed", "-1"}, "--seed: \"-1\" is not a decimal number"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"--mode", "read"};
    args.insert(args.end(), c.options.begin(), c.options.end());
    args.push_back("/dev/x");
    ExpectRefused(args, c.error);
  }
}

// getopt_long keeps its place in static state; every parse starts afresh,
// even after one that stopped in the middle of "-qh".
TEST(ParseArgs, EachParseStartsAfresh) {
  ASSERT_FALSE(Parse({"-qh"}).ok());
  auto p = Parse({"-h"});
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_TRUE(p->help);
  ASSERT_FALSE(Parse({"--mode", "read", "/dev/x", "--qd"}).ok());
  p = Parse({"/dev/y", "--mode", "write"});
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->options.device, "/dev/y");
}

// Options may follow the device even where POSIXLY_CORRECT would make
// getopt_long stop at the first operand.
TEST(ParseArgs, OptionsAfterTheDeviceWhateverTheEnvironment) {
  ASSERT_EQ(::setenv("POSIXLY_CORRECT", "1", 1), 0);
  auto p = Parse({"/dev/x", "--mode", "read", "--json"});
  ::unsetenv("POSIXLY_CORRECT");
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->options.device, "/dev/x");
  EXPECT_EQ(p->options.mode, Mode::kRead);
  EXPECT_TRUE(p->options.json);
}

// As getopt_long does: a long option may be shortened to any prefix that
// names only it.
TEST(ParseArgs, UniquePrefixesOfLongOptions) {
  auto p = Parse({"--mo", "read", "--max", "3", "--si=1m", "--js", "/dev/x"});
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->options.mode, Mode::kRead);
  EXPECT_EQ(p->options.max_report, 3u);
  EXPECT_EQ(p->options.size, 1u << 20);
  EXPECT_TRUE(p->options.json);
}

// The names in reports and the words --mode, --pattern and --layout take
// come from the same tables.
TEST(Names, OfEveryValueAndTheOptionsTakeThem) {
  const std::pair<Mode, const char*> modes[] = {
      {Mode::kRead, "read"}, {Mode::kWrite, "write"}, {Mode::kVerify, "verify"}};
  for (const auto& [mode, name] : modes) {
    EXPECT_STREQ(ModeName(mode), name);
    auto p = Parse({"--mode", name, "/dev/x"});
    ASSERT_TRUE(p.ok()) << p.error();
    EXPECT_EQ(p->options.mode, mode) << name;
  }
  const std::pair<Pattern, const char*> patterns[] = {{Pattern::kSequential, "sequential"},
                                                      {Pattern::kRandom, "random"}};
  for (const auto& [pattern, name] : patterns) {
    EXPECT_STREQ(PatternName(pattern), name);
    auto p = Parse({"--mode", "read", "--pattern", name, "/dev/x"});
    ASSERT_TRUE(p.ok()) << p.error();
    EXPECT_EQ(p->options.pattern, pattern) << name;
  }
  const std::pair<Layout, const char*> layouts[] = {{Layout::kContiguous, "contiguous"},
                                                    {Layout::kFragmented, "fragmented"},
                                                    {Layout::kMisaligned, "misaligned"}};
  for (const auto& [layout, name] : layouts) {
    EXPECT_STREQ(LayoutName(layout), name);
    auto l = ParseLayoutList(name);
    ASSERT_TRUE(l.ok()) << l.error();
    EXPECT_EQ(*l, std::vector<Layout>{layout}) << name;
  }
  // A value past the table.
  EXPECT_STREQ(ModeName(static_cast<Mode>(3)), "?");
  EXPECT_STREQ(PatternName(static_cast<Pattern>(2)), "?");
  EXPECT_STREQ(LayoutName(static_cast<Layout>(-1)), "?");
}

TEST(Usage, DocumentsOptionsAndExitCodes) {
  std::string text = UsageText("xferio");
  EXPECT_THAT(text, HasSubstr("usage: xferio --mode MODE"));
  for (const char* option : {"--mode", "--pattern", "--bs", "--layout", "--qd", "--runtime",
                             "--total", "--offset", "--size", "--seed", "--gen", "--no-verify",
                             "--max-report", "--json", "--help", "--version"}) {
    EXPECT_THAT(text, HasSubstr(option));
  }
  // The values, each list in a section of its own ("Name:" then indented
  // "  value  text" lines: what help2man makes a subsection of the man page).
  for (const char* value :
       {"\nModes:\n  read ", "\n  write ", "\n  verify ", "\nI/O sizes (--bs):\n  SIZE ",
        "\n  LO-HI ", "\n  auto ", "\nLayouts (--layout):\n  contiguous ", "\n  fragmented ",
        "\n  misaligned ", "\n  all "}) {
    EXPECT_THAT(text, HasSubstr(value));
  }
  // 80 columns.
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
    EXPECT_LE(end - start, 80u) << text.substr(start, end - start);
  for (const char* status :
       {"Exit status", "  0  ", "  1  verify failure", "  2  I/O error", "  3  usage error"}) {
    EXPECT_THAT(text, HasSubstr(status));
  }
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitVerifyFailure, 1);
  EXPECT_EQ(kExitIoError, 2);
  EXPECT_EQ(kExitUsage, 3);
}

}  // namespace
}  // namespace xferio
