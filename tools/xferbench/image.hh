// SPDX-License-Identifier: GPL-2.0-only
//
// An RGB raster with the few drawing operations the chart needs, and its
// PNG encoding (libpng).

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xferbench {

struct Rgb {
  uint8_t r = 0;
  uint8_t g = 0;
  uint8_t b = 0;
  bool operator==(const Rgb&) const = default;
};

class Image {
 public:
  Image(int width, int height, Rgb background);

  int width() const { return width_; }
  int height() const { return height_; }
  Rgb At(int x, int y) const;

  // Drawing clips to the image.
  void Set(int x, int y, Rgb c);
  void FillRect(int x, int y, int w, int h, Rgb c);
  void HLine(int x0, int x1, int y, Rgb c);
  void VLine(int x, int y0, int y1, Rgb c);
  // Text with the bitmap font; (x, y) is the top left corner.
  void Text(int x, int y, std::string_view text, Rgb c, int scale = 1);

  // The image as a PNG file's bytes. Throws std::runtime_error if libpng
  // fails.
  std::vector<uint8_t> EncodePng() const;
  void WritePng(const std::string& path) const;

 private:
  int width_;
  int height_;
  std::vector<uint8_t> pixels_;  // row-major RGB
};

}  // namespace xferbench
