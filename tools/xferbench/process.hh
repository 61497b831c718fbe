// SPDX-License-Identifier: GPL-2.0-only
//
// Finding and running an external program (gnuplot, for the charts).

#pragma once

#include <string>
#include <vector>

namespace xferbench {

// Where a program is: itself if it names a path (holds a '/') that is an
// executable file, else the first executable match in the directories of
// PATH; "" if there is none.
std::string FindProgram(const std::string& program);

struct ProgramResult {
  int status = -1;     // the exit status; -1 if it could not run or was killed
  std::string output;  // what it wrote to stdout and stderr
};

// Runs argv (argv[0] as found by FindProgram) in directory dir, without
// standard input, and waits for it.
ProgramResult RunProgram(const std::vector<std::string>& argv, const std::string& dir);

}  // namespace xferbench
