// SPDX-License-Identifier: GPL-2.0-only
//
// The bitmap font, the raster, PNG encoding and the chart's helpers.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "chart.hh"
#include "font.hh"
#include "image.hh"

namespace xferbench {
namespace {

// Rows of a glyph as text, for readable failures.
std::string Render(char c) {
  std::string s;
  for (int y = 0; y < kGlyphHeight; ++y) {
    for (int x = 0; x < kGlyphWidth; ++x) s += GlyphPixel(c, x, y) ? '#' : '.';
    s += '\n';
  }
  return s;
}

TEST(Font, EveryPrintableCharacterHasADistinctGlyph) {
  std::set<std::string> seen;
  for (char c = '!'; c <= '~'; ++c) {
    EXPECT_TRUE(HasGlyph(c));
    std::string g = Render(c);
    EXPECT_NE(g.find('#'), std::string::npos) << "blank glyph for '" << c << "'";
    EXPECT_TRUE(seen.insert(g).second) << "glyph of '" << c << "' repeats another:\n" << g;
  }
  EXPECT_EQ(Render(' ').find('#'), std::string::npos);
}

TEST(Font, ShapesOfAFewGlyphs) {
  EXPECT_EQ(Render('1'), "..#..\n.##..\n..#..\n..#..\n..#..\n..#..\n.###.\n");
  EXPECT_EQ(Render('-'), ".....\n.....\n.....\n#####\n.....\n.....\n.....\n");
  EXPECT_FALSE(GlyphPixel('A', -1, 0));
  EXPECT_FALSE(GlyphPixel('A', 5, 0));
  EXPECT_FALSE(GlyphPixel('A', 0, 7));
}

TEST(Font, UnknownCharactersDrawAsQuestionMark) {
  EXPECT_FALSE(HasGlyph('\n'));
  EXPECT_EQ(Render('\x7f'), Render('?'));
  EXPECT_EQ(Render('\n'), Render('?'));
}

TEST(Font, TextWidth) {
  EXPECT_EQ(TextWidth("", 1), 0);
  EXPECT_EQ(TextWidth("A", 1), 5);
  EXPECT_EQ(TextWidth("AB", 1), 11);
  EXPECT_EQ(TextWidth("AB", 2), 22);
}

TEST(Image, DrawsAndClips) {
  Rgb white{255, 255, 255};
  Rgb red{255, 0, 0};
  Image img(10, 8, white);
  img.FillRect(-5, -5, 7, 7, red);  // clipped to (0,0)-(1,1)
  EXPECT_EQ(img.At(0, 0), red);
  EXPECT_EQ(img.At(1, 1), red);
  EXPECT_EQ(img.At(2, 2), white);
  img.Set(100, 100, red);  // ignored
  img.HLine(9, 5, 7, red);
  EXPECT_EQ(img.At(5, 7), red);
  EXPECT_EQ(img.At(9, 7), red);
  EXPECT_EQ(img.At(4, 7), white);
  img.VLine(3, 6, 4, red);
  EXPECT_EQ(img.At(3, 5), red);
}

TEST(Image, TextSetsTheGlyphsPixelsAtScale) {
  Rgb white{255, 255, 255};
  Rgb ink{0, 0, 0};
  Image img(20, 20, white);
  img.Text(1, 1, "-", ink, 2);
  // The bar of '-' is row 3: pixels y 7..8, x 1..10 at scale 2.
  EXPECT_EQ(img.At(1, 7), ink);
  EXPECT_EQ(img.At(10, 8), ink);
  EXPECT_EQ(img.At(11, 8), white);
  EXPECT_EQ(img.At(1, 6), white);
}

TEST(Image, EncodesAPng) {
  Image img(3, 2, {1, 2, 3});
  std::vector<uint8_t> png = img.EncodePng();
  ASSERT_GT(png.size(), 33u);
  const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  EXPECT_TRUE(std::equal(sig, sig + 8, png.begin()));
  EXPECT_EQ(std::string(png.begin() + 12, png.begin() + 16), "IHDR");
  // Width and height, big-endian, then 8-bit RGB.
  EXPECT_EQ(png[19], 3);
  EXPECT_EQ(png[23], 2);
  EXPECT_EQ(png[24], 8);
  EXPECT_EQ(png[25], 2);
  EXPECT_EQ(std::string(png.end() - 8, png.end() - 4), "IEND");
}

TEST(Chart, NiceSteps) {
  EXPECT_DOUBLE_EQ(NiceStep(100, 5), 20);
  EXPECT_DOUBLE_EQ(NiceStep(1000, 4), 500);
  EXPECT_DOUBLE_EQ(NiceStep(7, 5), 2);
  EXPECT_DOUBLE_EQ(NiceStep(0.3, 3), 0.1);
  EXPECT_DOUBLE_EQ(NiceStep(0, 5), 1);
}

TEST(Chart, WrapText) {
  // 6 px per character at scale 1, less the last column: 34 px fit 5 characters.
  EXPECT_EQ(WrapText("nvme mdts=5", 34, 1, 3), (std::vector<std::string>{"nvme", "mdts="}));
  EXPECT_EQ(WrapText("nvme mdts=5", 100, 1, 3), (std::vector<std::string>{"nvme mdts=5"}));
  EXPECT_EQ(WrapText("a b c d", 5, 1, 2), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(WrapText("", 50, 1, 2).empty());
}

TEST(Chart, DeviceColoursByKind) {
  EXPECT_EQ(DeviceColor("xferblk", 0), DeviceColor("xferblk64", 3));
  EXPECT_FALSE(DeviceColor("xferblk", 0) == DeviceColor("xferblk64-mq", 0));
  EXPECT_EQ(DeviceColor("xferblk-async", 0), DeviceColor("xferblk", 0));
  EXPECT_EQ(DeviceColor("xferblk-sync", 0), DeviceColor("xferblk64-mq", 0));
  EXPECT_FALSE(DeviceColor("nvme", 0) == DeviceColor("virtio-blk", 0));
}

}  // namespace
}  // namespace xferbench
