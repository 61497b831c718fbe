// SPDX-License-Identifier: GPL-2.0-only
//
// Whole files in and out for xferbench's parsers and writers.

#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace xferbench {

// The file's contents; nullopt if it cannot be opened.
std::optional<std::string> ReadText(const std::filesystem::path& path);

// Replaces a file's contents. Throws std::runtime_error naming it if it
// cannot be written.
void WriteText(const std::filesystem::path& path, std::string_view text);

// Reads a file and parses it with parse(std::string_view). Throws
// std::runtime_error naming the file if it cannot be opened or parse throws.
template <class Parse>
auto ParseFile(const std::string& path, Parse parse) {
  std::optional<std::string> text = ReadText(path);
  if (!text) throw std::runtime_error(path + ": cannot open");
  try {
    return parse(std::string_view(*text));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace xferbench
