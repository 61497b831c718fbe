// SPDX-License-Identifier: GPL-2.0-only
//
// A strict little JSON parser (RFC 8259 grammar; numbers kept exactly when
// they are non-negative integers), so the tests can check that xferctl's
// JSON parses back and holds the values it should. Duplicate keys are an
// error: xferctl's keys must be unique.

#ifndef XFERCTL_TESTS_JSON_CHECK_HH_
#define XFERCTL_TESTS_JSON_CHECK_HH_

#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xferctl::testing {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  std::optional<uint64_t> uint;   // kNumber: set when a non-negative integer
  std::string text;               // kString; kNumber: its literal
  std::vector<JsonValue> items;   // kArray: elements; kObject: member values
  std::vector<std::string> keys;  // kObject: member keys, in order

  // The member called key, or throws.
  const JsonValue& operator[](std::string_view key) const {
    if (type != Type::kObject)
      throw std::runtime_error("not an object, looking up " + std::string(key));
    for (size_t i = 0; i < keys.size(); i++)
      if (keys[i] == key) return items[i];
    throw std::runtime_error("no key " + std::string(key));
  }
  bool Has(std::string_view key) const {
    for (const std::string& k : keys)
      if (k == key) return true;
    return false;
  }
  uint64_t U64() const {
    if (type != Type::kNumber || !uint) throw std::runtime_error("not an unsigned integer");
    return *uint;
  }
  const std::string& Str() const {
    if (type != Type::kString) throw std::runtime_error("not a string");
    return text;
  }
  bool IsNull() const { return type == Type::kNull; }
};

class JsonParser {
 public:
  // Parses a whole document (surrounding whitespace allowed); throws
  // std::runtime_error with the offset of the first problem.
  static JsonValue Parse(std::string_view s) {
    JsonParser p(s);
    p.Ws();
    JsonValue v = p.Value(0);
    p.Ws();
    if (p.pos_ != s.size()) p.Fail("trailing characters");
    return v;
  }

 private:
  explicit JsonParser(std::string_view s) : s_(s) {}

  [[noreturn]] void Fail(const std::string& why) const {
    throw std::runtime_error("JSON: " + why + " at offset " + std::to_string(pos_));
  }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  void Expect(char c) {
    if (Peek() != c) Fail(std::string("expected '") + c + "'");
    pos_++;
  }
  void Ws() {
    while (!AtEnd() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      pos_++;
  }
  void Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) Fail("bad literal");
    pos_ += word.size();
  }

  JsonValue Value(int depth) {
    if (depth > 64) Fail("nested too deep");
    JsonValue v;
    switch (Peek()) {
      case '{':
        return Object(depth);
      case '[':
        return Array(depth);
      case '"':
        v.type = JsonValue::Type::kString;
        v.text = String();
        return v;
      case 't':
        Literal("true");
        v.type = JsonValue::Type::kBool;
        v.boolean = true;
        return v;
      case 'f':
        Literal("false");
        v.type = JsonValue::Type::kBool;
        return v;
      case 'n':
        Literal("null");
        return v;
      default:
        return Number();
    }
  }

  JsonValue Object(int depth) {
    JsonValue v;
    v.type = JsonValue::Type::kObject;
    Expect('{');
    Ws();
    if (Peek() == '}') {
      pos_++;
      return v;
    }
    for (;;) {
      Ws();
      if (Peek() != '"') Fail("expected a key");
      std::string key = String();
      if (v.Has(key)) Fail("duplicate key " + key);
      Ws();
      Expect(':');
      Ws();
      v.keys.push_back(key);
      v.items.push_back(Value(depth + 1));
      Ws();
      if (Peek() == ',') {
        pos_++;
        continue;
      }
      Expect('}');
      return v;
    }
  }

  JsonValue Array(int depth) {
    JsonValue v;
    v.type = JsonValue::Type::kArray;
    Expect('[');
    Ws();
    if (Peek() == ']') {
      pos_++;
      return v;
    }
    for (;;) {
      Ws();
      v.items.push_back(Value(depth + 1));
      Ws();
      if (Peek() == ',') {
        pos_++;
        continue;
      }
      Expect(']');
      return v;
    }
  }

  std::string String() {
    Expect('"');
    std::string out;
    for (;;) {
      if (AtEnd()) Fail("unterminated string");
      char c = s_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) Fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (AtEnd()) Fail("unterminated escape");
      c = s_[pos_++];
      switch (c) {
        case '"':
        case '\\':
        case '/':
          out += c;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = 0;
          if (pos_ + 4 > s_.size()) Fail("short \\u escape");
          auto [end, ec] = std::from_chars(s_.data() + pos_, s_.data() + pos_ + 4, cp, 16);
          if (ec != std::errc() || end != s_.data() + pos_ + 4) Fail("bad \\u escape");
          if (cp >= 0x80) Fail("non-ASCII \\u escape (not needed by xferctl)");
          out += static_cast<char>(cp);
          pos_ += 4;
          break;
        }
        default:
          Fail("bad escape");
      }
    }
  }

  JsonValue Number() {
    const size_t start = pos_;
    auto digits = [&] {
      size_t n = 0;
      while (!AtEnd() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        pos_++;
        n++;
      }
      return n;
    };
    bool negative = Peek() == '-';
    if (negative) pos_++;
    if (Peek() == '0') {
      pos_++;
    } else if (digits() == 0) {
      Fail("expected a value");
    }
    bool integer = true;
    if (Peek() == '.') {
      pos_++;
      integer = false;
      if (digits() == 0) Fail("digits expected after '.'");
    }
    if (Peek() == 'e' || Peek() == 'E') {
      pos_++;
      integer = false;
      if (Peek() == '+' || Peek() == '-') pos_++;
      if (digits() == 0) Fail("digits expected in exponent");
    }
    JsonValue v;
    v.type = JsonValue::Type::kNumber;
    v.text = std::string(s_.substr(start, pos_ - start));
    if (integer && !negative) {
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), n);
      if (ec == std::errc() && end == v.text.data() + v.text.size()) v.uint = n;
    }
    return v;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace xferctl::testing

#endif  // XFERCTL_TESTS_JSON_CHECK_HH_
