// Arms or disarms the LBA fault of an xferblk device for the shell tests
// (spec 1.2 fault registers, reached through BAR0): commands touching
// [start, start + count) fail; count 0 disarms.
// Usage: xferblk_fault <pci-address> <start-lba> <count>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "xferblk_test.hh"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <pci-address> <start-lba> <count>\n", argv[0]);
    return 2;
  }
  xft::Disk d{};
  d.pci = argv[1];
  const xft::Bar0 bar(d);
  bar.fail_lbas(std::strtoull(argv[2], nullptr, 0), std::strtoull(argv[3], nullptr, 0));
  return 0;
}
