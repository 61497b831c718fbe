// SPDX-License-Identifier: GPL-2.0-only

#include "options.hh"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace xferfuzz {
namespace {

std::variant<Options, OptionsError> Parse(std::initializer_list<const char*> args,
                                          const char* env = nullptr) {
  std::vector<std::string> storage = {"xferfuzz"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  return ParseOptions(static_cast<int>(storage.size()), argv.data(), env);
}

Options Ok(std::initializer_list<const char*> args, const char* env = nullptr) {
  auto r = Parse(args, env);
  if (auto* e = std::get_if<OptionsError>(&r)) ADD_FAILURE() << e->message;
  return std::get_if<Options>(&r) ? std::get<Options>(r) : Options{};
}

std::string Err(std::initializer_list<const char*> args) {
  auto r = Parse(args);
  if (auto* e = std::get_if<OptionsError>(&r)) return e->message;
  ADD_FAILURE() << "accepted";
  return {};
}

TEST(Options, Defaults) {
  Options o = Ok({});
  EXPECT_TRUE(o.qemu.empty());
  EXPECT_FALSE(o.seed || o.ops || o.seconds);
  EXPECT_EQ(o.restart_every, 1000u);
  EXPECT_EQ(o.batch, 64u);
  EXPECT_EQ(o.timeout_ms, 5000u);
  EXPECT_EQ(o.max_failures, 1u);
  EXPECT_EQ(Ok({}, "/q/env").qemu, "/q/env");
  EXPECT_EQ(Ok({"--qemu", "/q/opt"}, "/q/env").qemu, "/q/opt");
}

TEST(Options, Values) {
  Options o = Ok({"--seed",
                  "0x10",
                  "--ops",
                  "500",
                  "--seconds",
                  "2.5",
                  "--restart-every=300",
                  "--batch",
                  "8",
                  "--timeout",
                  "100",
                  "--out-dir",
                  "/tmp/x",
                  "--minimize-seconds",
                  "0",
                  "--max-failures",
                  "0",
                  "--all-leaks",
                  "-v",
                  "--quiet",
                  "--replay",
                  "a.txt",
                  "--replay",
                  "dir"});
  EXPECT_EQ(*o.seed, 16u);
  EXPECT_EQ(*o.ops, 500u);
  EXPECT_EQ(*o.seconds, 2.5);
  EXPECT_EQ(o.restart_every, 300u);
  EXPECT_EQ(o.batch, 8u);
  EXPECT_EQ(o.timeout_ms, 100u);
  EXPECT_EQ(o.out_dir, "/tmp/x");
  EXPECT_EQ(o.minimize_seconds, 0);
  EXPECT_EQ(o.max_failures, 0u);
  EXPECT_TRUE(o.all_leaks && o.trace && o.quiet);
  EXPECT_EQ(o.replay, (std::vector<std::string>{"a.txt", "dir"}));
  EXPECT_TRUE(Ok({"-h"}).help);
  EXPECT_TRUE(Ok({"--version"}).version);
}

TEST(Options, Errors) {
  EXPECT_EQ(Err({"--seed", "x"}), "--seed: 'x' is not a number (decimal or 0x hex)");
  EXPECT_EQ(Err({"--ops", "0"}), "--ops: '0' is not a positive number");
  EXPECT_EQ(Err({"--seconds", "-1"}), "--seconds: '-1' is not a number of seconds");
  EXPECT_EQ(Err({"--frob"}), "unknown option --frob (see --help)");
  EXPECT_EQ(Err({"--seed"}), "--seed needs a value");
  EXPECT_EQ(Err({"--quiet=1"}), "--quiet takes no value");
  EXPECT_EQ(Err({"-x"}), "unknown option -x (see --help)");
  EXPECT_EQ(Err({"stray"}), "unexpected argument 'stray' (see --help)");
}

TEST(Options, Help) {
  std::string help = UsageText("xferfuzz");
  EXPECT_TRUE(help.starts_with("usage: xferfuzz "));
  for (const char* opt :
       {"--qemu", "--seed", "--ops", "--seconds", "--restart-every", "--batch", "--timeout",
        "--replay", "--out-dir", "--minimize-seconds", "--version"}) {
    EXPECT_NE(help.find(opt), std::string::npos) << opt;
  }
  EXPECT_TRUE(VersionText().starts_with("xferfuzz "));
}

}  // namespace
}  // namespace xferfuzz
