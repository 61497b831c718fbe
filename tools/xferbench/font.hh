// SPDX-License-Identifier: GPL-2.0-only
//
// A 5x7 bitmap font for printable ASCII, drawn for xferbench's charts.

#pragma once

#include <string_view>

namespace xferbench {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 7;
// Horizontal advance per character, one column of spacing included.
inline constexpr int kGlyphAdvance = kGlyphWidth + 1;

// True if pixel (x, y) of the glyph of c is set (x < 5, y < 7, y = 0 the
// top row). Characters outside ' '..'~' are drawn as '?'.
bool GlyphPixel(char c, int x, int y);

// True if c has a glyph of its own.
bool HasGlyph(char c);

// Width in pixels of text at a scale (no trailing spacing column).
int TextWidth(std::string_view text, int scale);

}  // namespace xferbench
