// SPDX-License-Identifier: GPL-2.0-only
//
// xferfuzz: a seeded, reproducible fuzzer for the xferblk QEMU device model
// (see fuzzer.hh, and --help).

#include "fuzzer.hh"

int main(int argc, char** argv) { return xferfuzz::Main(argc, argv); }
