// SPDX-License-Identifier: GPL-2.0-only
//
// xferctl: inspect and tune xferblk disks. Everything is in the library
// (cli.cc); see 'xferctl --help' for commands, JSON keys and exit codes.

#include <iostream>
#include <string>
#include <vector>

#include "args.hh"
#include "cli.hh"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  int rc = xferctl::Run(args, std::cout, std::cerr);
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "xferctl: cannot write the output\n";
    return xferctl::kExitFailure;
  }
  return rc;
}
