// With splitting turned off (the test-only "split" parameter) a bio larger
// than the device's transfer limit reaches the device whole: the device must
// reject it without touching the image, the caller must see EIO, and
// turning splitting back on must make the same I/O work.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kselftest.h"
#include "xferblk_test.hh"

namespace {

const char* kSplit = "/sys/module/xferblk/parameters/split";
constexpr int kStatusXferTooLarge = 4;  // XFERBLK_STS_XFER_TOO_LARGE

}  // namespace

int main() {
  auto disks = xft::disks();
  const xft::Disk& d = disks.front();
  ksft_print_header();
  ksft_set_plan(4);

  // At most the driver's 256 SG entries, larger than the limit.
  size_t bytes = std::min<size_t>(4 * size_t(d.lim.max_xfer), 1 << 20);
  xft::Buffer buf(bytes, false), back(bytes, false);
  memset(buf.data(), 0x5a, bytes);
  int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
  if (fd < 0) ksft_exit_fail_msg("open %s: %s\n", d.dev.c_str(), strerror(errno));

  // Known contents first, so a rejected write can be shown to change nothing.
  memset(back.data(), 0xa5, bytes);
  bool seeded = pwrite(fd, back.data(), bytes, 0) == static_cast<ssize_t>(bytes);

  if (!xft::write_file(kSplit, "N")) ksft_exit_fail_msg("cannot turn splitting off\n");
  xft::Counters before = xft::counters(d);
  errno = 0;
  ssize_t n = pwrite(fd, buf.data(), bytes, 0);
  int err = errno;
  xft::Counters after = xft::counters(d);
  xft::write_file(kSplit, "Y");

  ksft_test_result(n < 0 && err == EIO, "unsplit %zu-byte write fails with EIO (got %zd, %s)\n",
                   bytes, n, strerror(err));
  uint64_t too_large =
      after.dev_status.at(kStatusXferTooLarge) - before.dev_status.at(kStatusXferTooLarge);
  ksft_test_result(after.dev_rejected > before.dev_rejected && too_large >= 1 &&
                       after.rejected > before.rejected,
                   "device rejected it: %llu XFER_TOO_LARGE, driver saw %llu rejections\n",
                   (unsigned long long)too_large,
                   (unsigned long long)(after.rejected - before.rejected));

  memset(buf.data(), 0, bytes);
  bool untouched = seeded && pread(fd, buf.data(), bytes, 0) == static_cast<ssize_t>(bytes) &&
                   memcmp(buf.data(), back.data(), bytes) == 0;
  ksft_test_result(untouched, "the image is unchanged after the rejection\n");

  memset(buf.data(), 0x3c, bytes);
  bool ok = pwrite(fd, buf.data(), bytes, 0) == static_cast<ssize_t>(bytes) &&
            pread(fd, back.data(), bytes, 0) == static_cast<ssize_t>(bytes) &&
            memcmp(buf.data(), back.data(), bytes) == 0;
  ksft_test_result(ok, "with splitting back on the same write succeeds and verifies\n");
  close(fd);
  ksft_finished();
}
