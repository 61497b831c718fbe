// SPDX-License-Identifier: GPL-2.0-only
//
// xferbench: the report tool of `make bench`. Everything is in the library
// (cli.cc); see 'xferbench --help'.

#include <iostream>
#include <string>
#include <vector>

#include "cli.hh"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  int rc = xferbench::Run(args, std::cout, std::cerr);
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "xferbench: cannot write the output\n";
    return xferbench::kExitFailure;
  }
  return rc;
}
