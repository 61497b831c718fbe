// SPDX-License-Identifier: GPL-2.0-only

#include "image.hh"

#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <fstream>
#include <stdexcept>

#include "font.hh"

namespace xferbench {
namespace {

void AppendBytes(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}

void NoFlush(png_structp) {}

// libpng reports errors by longjmp to the setjmp in Encode; nothing with a
// destructor lives between the two.
bool Encode(const uint8_t* pixels, int width, int height, std::vector<uint8_t>* out) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, out, AppendBytes, NoFlush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < height; ++y) {
    // libpng takes a non-const row pointer but only reads it.
    png_write_row(png, const_cast<png_bytep>(pixels + static_cast<std::size_t>(y) * width * 3));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

Image::Image(int width, int height, Rgb background)
    : width_(std::max(width, 1)), height_(std::max(height, 1)) {
  pixels_.resize(static_cast<std::size_t>(width_) * height_ * 3);
  for (std::size_t i = 0; i < pixels_.size(); i += 3) {
    pixels_[i] = background.r;
    pixels_[i + 1] = background.g;
    pixels_[i + 2] = background.b;
  }
}

Rgb Image::At(int x, int y) const {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return {};
  std::size_t i = (static_cast<std::size_t>(y) * width_ + x) * 3;
  return {pixels_[i], pixels_[i + 1], pixels_[i + 2]};
}

void Image::Set(int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  std::size_t i = (static_cast<std::size_t>(y) * width_ + x) * 3;
  pixels_[i] = c.r;
  pixels_[i + 1] = c.g;
  pixels_[i + 2] = c.b;
}

void Image::FillRect(int x, int y, int w, int h, Rgb c) {
  int x0 = std::max(x, 0);
  int y0 = std::max(y, 0);
  int x1 = std::min(x + w, width_);
  int y1 = std::min(y + h, height_);
  for (int yy = y0; yy < y1; ++yy)
    for (int xx = x0; xx < x1; ++xx) Set(xx, yy, c);
}

void Image::HLine(int x0, int x1, int y, Rgb c) {
  if (x1 < x0) std::swap(x0, x1);
  FillRect(x0, y, x1 - x0 + 1, 1, c);
}

void Image::VLine(int x, int y0, int y1, Rgb c) {
  if (y1 < y0) std::swap(y0, y1);
  FillRect(x, y0, 1, y1 - y0 + 1, c);
}

void Image::Text(int x, int y, std::string_view text, Rgb c, int scale) {
  scale = std::max(scale, 1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    int gx = x + static_cast<int>(i) * kGlyphAdvance * scale;
    for (int py = 0; py < kGlyphHeight; ++py)
      for (int px = 0; px < kGlyphWidth; ++px)
        if (GlyphPixel(text[i], px, py)) FillRect(gx + px * scale, y + py * scale, scale, scale, c);
  }
}

std::vector<uint8_t> Image::EncodePng() const {
  std::vector<uint8_t> out;
  if (!Encode(pixels_.data(), width_, height_, &out)) throw std::runtime_error("libpng failed");
  return out;
}

void Image::WritePng(const std::string& path) const {
  std::vector<uint8_t> bytes = EncodePng();
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f) throw std::runtime_error(path + ": cannot write");
}

}  // namespace xferbench
