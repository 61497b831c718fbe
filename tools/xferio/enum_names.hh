// SPDX-License-Identifier: GPL-2.0-only
//
// Names of enum values kept in a table indexed by the value, so that the
// name of a value and the value of a name come from the same place.

#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace xferio {

// names[i] names the enum value i (the enums count from 0 without gaps).
template <typename E, size_t N>
struct EnumNames {
  std::array<const char*, N> names;

  // "?" for a value the table does not cover.
  constexpr const char* Name(E value) const {
    const auto i = static_cast<size_t>(value);
    return i < N ? names[i] : "?";
  }

  constexpr std::optional<E> Value(std::string_view name) const {
    for (size_t i = 0; i < N; i++) {
      if (name == names[i]) return static_cast<E>(i);
    }
    return std::nullopt;
  }
};

}  // namespace xferio
