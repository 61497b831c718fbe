// SPDX-License-Identifier: GPL-2.0-only

#include "size.hh"

#include <cctype>
#include <cstdio>
#include <limits>

namespace xferio {

namespace {

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Reads the leading decimal digits of `text` into *value. Returns how many
// characters were digits, or -1 if the number does not fit in 64 bits.
int ReadDigits(std::string_view text, uint64_t* value) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); i++) {
    unsigned digit = static_cast<unsigned>(text[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return -1;
    v = v * 10 + digit;
  }
  *value = v;
  return static_cast<int>(i);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

Result<uint64_t> ParseSize(std::string_view text) {
  if (text.empty()) return Error{"empty size: expected a number such as 4096, 4k or 1m"};
  uint64_t value = 0;
  int digits = ReadDigits(text, &value);
  if (digits < 0) return Error{"size " + Quoted(text) + " is too large"};
  if (digits == 0) {
    return Error{"invalid size " + Quoted(text) +
                 ": expected a number with an optional k, m, g or t suffix"};
  }
  std::string_view rest = text.substr(static_cast<size_t>(digits));
  if (!rest.empty() && rest[0] == '.') {
    return Error{"invalid size " + Quoted(text) +
                 ": fractions are not supported (use 1536k, not 1.5m)"};
  }
  unsigned shift = 0;
  if (!rest.empty()) {
    switch (std::tolower(static_cast<unsigned char>(rest[0]))) {
      case 'k':
        shift = 10;
        break;
      case 'm':
        shift = 20;
        break;
      case 'g':
        shift = 30;
        break;
      case 't':
        shift = 40;
        break;
      default:
        break;
    }
    if (shift != 0) rest.remove_prefix(1);
    if (!rest.empty() && !EqualsIgnoreCase(rest, "b") &&
        !(shift != 0 && EqualsIgnoreCase(rest, "ib"))) {
      return Error{"invalid size " + Quoted(text) + ": unknown suffix " +
                   Quoted(text.substr(static_cast<size_t>(digits))) + " (use k, m, g or t)"};
    }
  }
  if (shift != 0 && value > (std::numeric_limits<uint64_t>::max() >> shift)) {
    return Error{"size " + Quoted(text) + " is too large"};
  }
  return value << shift;
}

Result<uint64_t> ParseUint(std::string_view text, std::string_view what, uint64_t min,
                           uint64_t max) {
  auto range = [&] {
    return std::string(what) + " must be " + std::to_string(min) + " to " + std::to_string(max);
  };
  uint64_t value = 0;
  int digits = ReadDigits(text, &value);
  if (text.empty() || digits == 0 || static_cast<size_t>(digits) != text.size()) {
    if (digits < 0) return Error{range() + ", not " + std::string(text)};
    return Error{std::string(what) + ": " + Quoted(text) + " is not a decimal number"};
  }
  if (value < min || value > max) return Error{range() + ", not " + std::string(text)};
  return value;
}

std::string FormatSize(uint64_t bytes) {
  static constexpr struct {
    unsigned shift;
    char unit;
  } kUnits[] = {{40, 't'}, {30, 'g'}, {20, 'm'}, {10, 'k'}};
  if (bytes != 0) {
    for (const auto& u : kUnits) {
      uint64_t unit = uint64_t{1} << u.shift;
      if (bytes % unit == 0) return std::to_string(bytes / unit) + u.unit;
    }
  }
  return std::to_string(bytes);
}

std::string HumanBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes) / 1024;
  size_t i = 0;
  while (v >= 1024 && i + 1 < std::size(kUnits)) {
    v /= 1024;
    i++;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), v < 10 ? "%.2f %s" : "%.1f %s", v, kUnits[i]);
  return buf;
}

}  // namespace xferio
