// SPDX-License-Identifier: GPL-2.0-only
//
// The bar chart of `xferbench report`: one panel per job, one bar per
// device at its median, whiskers from the fastest to the slowest run.

#pragma once

#include <string>
#include <vector>

#include "image.hh"
#include "results.hh"

namespace xferbench {

// A tick step of 1, 2 or 5 times a power of ten that splits [0, max] into
// at most `ticks` intervals.
double NiceStep(double max, int ticks);

// Breaks text into at most max_lines lines no wider than width pixels at a
// scale, at spaces where it can; a word too long is cut.
std::vector<std::string> WrapText(const std::string& text, int width, int scale, int max_lines);

// The colour of a device's bars (fixed per kind of device).
Rgb DeviceColor(const std::string& device, std::size_t index);

Image DrawChart(const Results& r);

}  // namespace xferbench
