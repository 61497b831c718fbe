// SPDX-License-Identifier: GPL-2.0-only
//
// The summary: exit codes, the failures kept, and the JSON document (checked
// for well-formedness by a small parser below, and for its contents).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "report.hh"

namespace xferio {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A strict recursive-descent check of JSON syntax (RFC 8259), enough to tell
// that the writer's commas, brackets and escapes are right.
class JsonChecker {
 public:
  explicit JsonChecker(const std::string& text) : s_(text) {}
  bool Valid() {
    Space();
    if (!Value()) return false;
    Space();
    return i_ == s_.size();
  }

 private:
  void Space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) i_++;
  }
  bool Eat(char c) {
    Space();
    if (i_ < s_.size() && s_[i_] == c) {
      i_++;
      return true;
    }
    return false;
  }
  bool Literal(const char* word) {
    std::string w(word);
    if (s_.compare(i_, w.size(), w) != 0) return false;
    i_ += w.size();
    return true;
  }
  bool String() {
    if (!Eat('"')) return false;
    while (i_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (i_ >= s_.size()) return false;
        char e = s_[i_++];
        if (e == 'u') {
          for (int k = 0; k < 4; k++) {
            if (i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_++])))
              return false;
          }
        } else if (std::string("\"\\/bfnrt").find(e) == std::string::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool Number() {
    size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') i_++;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) i_++;
    if (i_ < s_.size() && s_[i_] == '.') {
      i_++;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) i_++;
    }
    return i_ > start;
  }
  bool Value() {
    Space();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '{') {
      i_++;
      if (Eat('}')) return true;
      do {
        Space();
        if (!String() || !Eat(':') || !Value()) return false;
      } while (Eat(','));
      return Eat('}');
    }
    if (c == '[') {
      i_++;
      if (Eat(']')) return true;
      do {
        if (!Value()) return false;
      } while (Eat(','));
      return Eat(']');
    }
    if (c == '"') return String();
    if (c == 't') return Literal("true");
    if (c == 'f') return Literal("false");
    if (c == 'n') return Literal("null");
    return Number();
  }

  const std::string& s_;
  size_t i_ = 0;
};

TEST(JsonChecker, CatchesMistakes) {
  EXPECT_TRUE(JsonChecker(R"({"a": [1, 2.5, "x\n", null, true, {}], "b": {"c": []}})").Valid());
  EXPECT_FALSE(JsonChecker(R"({"a": 1,})").Valid());
  EXPECT_FALSE(JsonChecker(R"({"a": 1 "b": 2})").Valid());
  EXPECT_FALSE(JsonChecker(R"(["a)").Valid());
  EXPECT_FALSE(JsonChecker("[\"tab\there\"]").Valid());
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
  EXPECT_TRUE(JsonChecker(json).Valid()) << json;
  for (const char* needle : {R"("device": "/dev/\"odd\"\\name")",
                             R"("mode": "verify")",
                             R"("pattern": "random")",
                             R"("layouts": [)",
                             R"("fragmented")",
                             R"("min": 4096)",
                             R"("max": 65536)",
                             R"("passes": 2)",
                             R"("first": 3)",
                             R"("last": 4)",
                             R"("total": 22)",
                             R"("total": 2097152)",
                             R"("elapsed_s": 2.000)",
                             R"("mb_per_s": 1.05)",
                             R"("io_errors": 0)",
                             R"("failures": 0)",
                             R"("first_failures": [])",
                             R"("children": 80)",
                             R"("result": "ok")",
                             R"("exit_code": 0)"}) {
    EXPECT_THAT(json, HasSubstr(needle)) << json;
  }
  std::string text = ToText(s);
  EXPECT_THAT(text, HasSubstr("2 passes, generation 3 to 4"));
  EXPECT_THAT(text, HasSubstr("driver: parents 22 children 80"));
  EXPECT_THAT(text, HasSubstr("result: ok (exit 0)"));
}

TEST(Report, VerifyFailuresListedByOffsetWithGenerations) {
  Summary s = Sample();
  s.failures.set_keep(3);
  s.failures.Add({.offset = 9216,
                  .fault = Fault::kStale,
                  .expected_gen = 4,
                  .stamped = true,
                  .found_offset = 9216,
                  .found_gen = 3});
  s.failures.Add({.offset = 512,
                  .fault = Fault::kMisplaced,
                  .expected_gen = 4,
                  .stamped = true,
                  .found_offset = 4096,
                  .found_gen = 4});
  s.failures.Add({.offset = 99999744,
                  .fault = Fault::kCorrupt,
                  .expected_gen = 4,
                  .stamped = true,
                  .found_offset = 1,
                  .found_gen = 2});
  s.failures.Add({.offset = 1024, .fault = Fault::kUnstamped, .expected_gen = 4});
  s.io_errors.Add({.offset = 4096, .len = 8192, .write = true, .err = 5});
  EXPECT_EQ(ExitCodeFor(s), kExitVerifyFailure) << "a verify failure outranks an I/O error";
  std::string json = ToJson(s);
  EXPECT_TRUE(JsonChecker(json).Valid()) << json;
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
  EXPECT_TRUE(JsonChecker(json).Valid()) << json;
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

TEST(JsonQuote, Escapes) {
  EXPECT_EQ(JsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(JsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonQuote("line\nnext\ttab\x01"), "\"line\\nnext\\ttab\\u0001\"");
}

}  // namespace
}  // namespace xferio
