// SPDX-License-Identifier: GPL-2.0-only
//
// xferbench's command line: `line` summarises one fio output for progress
// lines, `report` turns a raw results directory into the table, the JSON
// file and the chart, `undecided` lists the jobs whose targets more
// repetitions may decide.

#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace xferbench {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace xferbench
