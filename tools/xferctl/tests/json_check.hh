// SPDX-License-Identifier: GPL-2.0-only
//
// Reading xferctl's JSON back in the tests: nlohmann_json, keeping member
// order (the order is part of the output), and a strict accessor for the
// 64-bit counters.

#ifndef XFERCTL_TESTS_JSON_CHECK_HH_
#define XFERCTL_TESTS_JSON_CHECK_HH_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xferctl::testing {

using Json = nlohmann::ordered_json;

// The whole of `text` as one document; throws Json::parse_error.
inline Json ParseJson(std::string_view text) { return Json::parse(text); }

// A non-negative integer, exactly; throws for anything else (a double, a
// negative number, a string...).
inline uint64_t U64(const Json& j) {
  if (!j.is_number_unsigned()) throw std::runtime_error("not an unsigned integer: " + j.dump());
  return j.get<uint64_t>();
}

// An object's keys, in order; throws for anything but an object.
inline std::vector<std::string> Keys(const Json& j) {
  if (!j.is_object()) throw std::runtime_error("not an object: " + j.dump());
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  return keys;
}

}  // namespace xferctl::testing

#endif  // XFERCTL_TESTS_JSON_CHECK_HH_
