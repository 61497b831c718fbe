// What the tools share: quoting a string for the JSON they print.
#pragma once

#include <string>
#include <string_view>

namespace xferblk {

// A JSON string literal, quotes included, with ", \ and control characters
// escaped (\n, \r, \t by name, the rest as \u00XX).
std::string JsonQuote(std::string_view s);

}  // namespace xferblk
