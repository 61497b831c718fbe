// The disk appears where the PCI device is, with the device's limits in
// /sys/block/<disk>/queue and the capacity of its image.
#include <climits>
#include <cstdlib>
#include <string>

#include "kselftest.h"
#include "xferblk_test.hh"

int main() {
  auto disks = xft::disks();
  ksft_print_header();
  ksft_set_plan(disks.size() * 3);

  for (const auto& d : disks) {
    std::string q = "/sys/block/" + d.name + "/queue/";
    uint64_t lbs = xft::read_u64(q + "logical_block_size");
    uint64_t max_kb = xft::read_u64(q + "max_hw_sectors_kb");
    uint64_t segs = xft::read_u64(q + "max_segments");
    uint64_t seg_size = xft::read_u64(q + "max_segment_size");
    bool ok = lbs == d.lim.block_size && max_kb == d.lim.max_xfer / 1024 &&
              segs == d.lim.max_segs && seg_size == d.lim.max_seg_size;
    ksft_test_result(ok, "%s [%s] queue limits: lbs %llu, max_hw %llu KiB, %llu segs of %llu\n",
                     d.name.c_str(), d.props.c_str(), (unsigned long long)lbs,
                     (unsigned long long)max_kb, (unsigned long long)segs,
                     (unsigned long long)seg_size);

    char real[PATH_MAX] = "";
    std::string link = "/sys/block/" + d.name + "/device";
    bool parent = realpath(link.c_str(), real) && std::string(real).ends_with("/" + d.pci);
    ksft_test_result(parent, "%s device is PCI %s (%s)\n", d.name.c_str(), d.pci.c_str(), real);

    const char* image = getenv("XFERBLK_IMAGE_BYTES");
    uint64_t want = image ? std::stoull(image) : 0;
    ksft_test_result(d.bytes == want, "%s capacity %llu bytes, image %llu\n", d.name.c_str(),
                     (unsigned long long)d.bytes, (unsigned long long)want);
  }
  ksft_finished();
}
