// SPDX-License-Identifier: GPL-2.0-only
//
// The summary: exit codes, the failures kept, and the JSON document (read
// back with nlohmann_json, and checked for its contents and layout).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "report.hh"

namespace xferio {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using Json = nlohmann::ordered_json;

// The document ToJson printed, read back (members in order); a syntax error
// fails the test.
Json Parsed(const std::string& text) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    ADD_FAILURE() << e.what() << "\n" << text;
    return nullptr;
  }
}

// A non-negative integer, exactly (the counters are 64-bit).
uint64_t U64(const Json& j) {
  if (!j.is_number_unsigned()) throw std::runtime_error("not an unsigned integer: " + j.dump());
  return j.get<uint64_t>();
}

Summary Sample() {
  Summary s;
  s.device = "/dev/\"odd\"\\name";
  s.plan.mode = Mode::kVerify;
  s.plan.pattern = Pattern::kRandom;
  s.plan.sizes = {{512, 512}, {4096, 65536}};
  s.plan.layouts = {Layout::kFragmented};
  s.plan.qd = 16;
  s.plan.region_size = 64 << 20;
  s.plan.gen = 3;
  s.limits.logical_block_size = 512;
  s.limits.max_hw_bytes = 65536;
  s.limits.max_segments = 8;
  s.limits.max_segment_size = 65536;
  s.capacity = 256 << 20;
  s.passes = 2;
  s.last_gen = 4;
  s.write_ops = 10;
  s.read_ops = 12;
  s.write_bytes = 1 << 20;
  s.read_bytes = 1 << 20;
  s.blocks_checked = 2048;
  s.elapsed_s = 2.0;
  s.driver = {{"parents", 22}, {"children", 80}};
  return s;
}

TEST(Report, CleanRunIsOk) {
  Summary s = Sample();
  EXPECT_EQ(ExitCodeFor(s), kExitOk);
  std::string json = ToJson(s);
  const Json j = Parsed(json);
  for (const char* needle :
       {R"("device": "/dev/\"odd\"\\name")", R"("mode": "verify")", R"("pattern": "random")",
        R"("layouts": [
    "fragmented"
  ],)",
        R"("min": 4096)", R"("max": 65536)", R"("passes": 2)", R"("first": 3)", R"("last": 4)",
        R"("total": 22)", R"("total": 2097152)", R"("elapsed_s": 2.0,)", R"("mb_per_s": 1.05,)",
        R"("io_errors": 0)", R"("failures": 0)", R"("first_failures": [])", R"("children": 80)",
        R"("result": "ok")", R"("exit_code": 0)"}) {
    EXPECT_THAT(json, HasSubstr(needle)) << json;
  }
  // Key order and value types, as read back.
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys,
            (std::vector<std::string>{
                "device", "mode",   "pattern",     "block_sizes", "layouts",   "qd",
                "iopoll", "seed",   "region",      "limits",      "passes",    "generation",
                "ops",    "bytes",  "elapsed_s",   "mb_per_s",    "io_errors", "first_io_errors",
                "verify", "driver", "interrupted", "result",      "exit_code"}));
  EXPECT_EQ(j.at("device").get<std::string>(), s.device);
  EXPECT_EQ(j.at("block_sizes"), Json::parse(R"([512, {"min": 4096, "max": 65536}])"));
  EXPECT_EQ(U64(j.at("bytes").at("total")), 2097152u);
  EXPECT_TRUE(j.at("elapsed_s").is_number_float());
  EXPECT_EQ(j.at("elapsed_s").get<double>(), 2.0);
  EXPECT_EQ(j.at("mb_per_s").get<double>(), 1.05);
  EXPECT_TRUE(j.at("verify").at("enabled").get<bool>());
  EXPECT_FALSE(j.at("interrupted").get<bool>());
  EXPECT_EQ(U64(j.at("driver").at("parents")), 22u);
  std::string text = ToText(s);
  EXPECT_THAT(text, HasSubstr("2 passes, generation 3 to 4"));
  EXPECT_THAT(text, HasSubstr("driver: parents 22 children 80"));
  EXPECT_THAT(text, HasSubstr("result: ok (exit 0)"));
}

TEST(Report, VerifyFailuresListedByOffsetWithGenerations) {
  Summary s = Sample();
  s.failures.set_keep(3);
  const VerifyFailure failures[] = {
      // offset, fault, expected_gen, stamped, found_offset, found_gen
      {9216, Fault::kStale, 4, true, 9216, 3},
      {512, Fault::kMisplaced, 4, true, 4096, 4},
      {99999744, Fault::kCorrupt, 4, true, 1, 2},
      {1024, Fault::kUnstamped, 4, false, 0, 0},
  };
  for (const VerifyFailure& f : failures) s.failures.Add(f);
  s.io_errors.Add({.offset = 4096, .len = 8192, .write = true, .err = 5});
  EXPECT_EQ(ExitCodeFor(s), kExitVerifyFailure) << "a verify failure outranks an I/O error";
  std::string json = ToJson(s);
  const Json j = Parsed(json);
  EXPECT_THAT(json, HasSubstr(R"("failures": 4)"));
  EXPECT_THAT(json, HasSubstr(R"("offset": 512,
        "kind": "misplaced",
        "expected_gen": 4,
        "found_gen": 4,
        "found_offset": 4096)"));
  EXPECT_THAT(json, HasSubstr(R"("offset": 1024,
        "kind": "unstamped",
        "expected_gen": 4,
        "found_gen": null)"));
  EXPECT_THAT(json, HasSubstr(R"("offset": 9216,
        "kind": "stale",
        "expected_gen": 4,
        "found_gen": 3)"));
  EXPECT_THAT(json, Not(HasSubstr("99999744"))) << "only the 3 lowest offsets are listed";
  EXPECT_THAT(json, HasSubstr(R"("errno": 5)"));
  EXPECT_THAT(json, HasSubstr(R"("result": "verify_failure")"));
  EXPECT_THAT(json, HasSubstr(R"("exit_code": 1)"));
  const Json& first = j.at("verify").at("first_failures");
  ASSERT_EQ(first.size(), 3u);
  EXPECT_TRUE(first.at(1).at("found_gen").is_null());
  EXPECT_TRUE(first.at(1).at("found_offset").is_null());
  EXPECT_EQ(U64(first.at(2).at("found_offset")), 9216u);
  EXPECT_EQ(j.at("first_io_errors"),
            Json::parse(R"([{"op": "write", "offset": 4096, "len": 8192, "errno": 5,
                             "error": "Input/output error"}])"));
  std::string text = ToText(s);
  EXPECT_THAT(text, HasSubstr("offset 512: misplaced, holds the block written for offset 4096"));
  EXPECT_THAT(text, HasSubstr("offset 9216: stale, expected generation 4, found 3"));
  EXPECT_THAT(text, HasSubstr("... 1 more"));
  EXPECT_THAT(text, HasSubstr("write of 8192 bytes at offset 4096: Input/output error (errno 5)"));
  EXPECT_THAT(text, HasSubstr("result: verify_failure (exit 1)"));
}

TEST(Report, IoErrorAloneExitsTwo) {
  Summary s = Sample();
  s.io_errors.Add({.offset = 0, .len = 4096, .write = false, .err = 0, .done = 512});
  EXPECT_EQ(ExitCodeFor(s), kExitIoError);
  std::string json = ToJson(s);
  EXPECT_EQ(Parsed(json).at("first_io_errors"),
            Json::parse(R"([{"op": "read", "offset": 0, "len": 4096, "short": 512}])"));
  EXPECT_THAT(json, HasSubstr(R"("short": 512)"));
  EXPECT_THAT(json, HasSubstr(R"("exit_code": 2)"));
  EXPECT_THAT(ToText(s), HasSubstr("read of 4096 bytes at offset 0: short, 512 bytes moved"));
}

TEST(LowestOffsets, KeepsTheLowestWhateverTheOrder) {
  struct Item {
    uint64_t offset;
  };
  LowestOffsets<Item> log(4);
  for (uint64_t v : {90, 10, 70, 30, 50, 20, 80, 40, 60, 0}) log.Add({v});
  EXPECT_EQ(log.count(), 10u);
  auto kept = log.Sorted();
  ASSERT_EQ(kept.size(), 4u);
  EXPECT_EQ(kept[0].offset, 0u);
  EXPECT_EQ(kept[1].offset, 10u);
  EXPECT_EQ(kept[2].offset, 20u);
  EXPECT_EQ(kept[3].offset, 30u);
  LowestOffsets<Item> none(0);
  none.Add({1});
  EXPECT_EQ(none.count(), 1u);
  EXPECT_TRUE(none.Sorted().empty());
}

TEST(Report, JsonEscapesStrings) {
  Summary s = Sample();
  s.device = "line\nnext\ttab\x01";
  std::string json = ToJson(s);
  EXPECT_THAT(json, HasSubstr(R"("device": "line\nnext\ttab\u0001",)"));
  EXPECT_EQ(Parsed(json).at("device").get<std::string>(), s.device);
}

// Seconds with 3 decimals and MB/s with 2, as "%.3f" and "%.2f" print them;
// not finite: null.
TEST(Report, DoublesAreRoundedAndNonFiniteIsNull) {
  Summary s = Sample();
  s.elapsed_s = 1.23456;
  Json j = Parsed(ToJson(s));
  EXPECT_EQ(j.at("elapsed_s").get<double>(), 1.235);
  EXPECT_EQ(j.at("mb_per_s").get<double>(), 1.70);  // 2097152 / 1e6 / 1.23456 = 1.6987...
  EXPECT_THAT(ToJson(s), HasSubstr(R"("elapsed_s": 1.235,)"));
  s.elapsed_s = 0;
  j = Parsed(ToJson(s));
  EXPECT_EQ(j.at("elapsed_s").get<double>(), 0.0);
  EXPECT_EQ(j.at("mb_per_s").get<double>(), 0.0);
  s.elapsed_s = std::numeric_limits<double>::infinity();
  j = Parsed(ToJson(s));
  EXPECT_TRUE(j.at("elapsed_s").is_null());
  s.elapsed_s = std::nan("");
  j = Parsed(ToJson(s));
  EXPECT_TRUE(j.at("elapsed_s").is_null());
}

}  // namespace
}  // namespace xferio
