// The last resort: on a device that cannot abort (abort=off), a command
// that never completes makes the driver reset the controller once the
// timeout expires. The hung command fails with EIO, the other
// commands in flight end too (failed or done, none left hanging), and the
// disk works afterwards. Runs on the first disk, which must have abort=off.
#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "../uapi/xferblk_hw.h"
#include "kselftest.h"
#include "xferblk_test.hh"

int main() {
  auto disks = xft::disks(1);  // the others may be hostile, with no disk
  const xft::Disk& d = disks.front();
  if (d.props.find("abort=off") == std::string::npos)
    ksft_exit_skip("the first disk must have abort=off\n");
  ksft_print_header();
  ksft_set_plan(3);

  const char* param = "/sys/module/xferblk/parameters/timeout_ms";
  std::string initial = xft::read_file(param);
  xft::write_file(param, "1000");
  xft::Bar0 bar(d);
  uint64_t resets = xft::stat(d, "resets");

  // The first of 8 writes hangs; the others are held back 200 ms each.
  const unsigned n = 8;
  io_uring ring;
  if (io_uring_queue_init(n, &ring, 0)) ksft_exit_fail_msg("io_uring_queue_init\n");
  int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
  xft::Buffer buf(n * 65536, false);
  memset(buf.data(), 0x77, n * 65536);
  bar.write32(XFERBLK_REG_FAULT_HANG_NTH, 1);
  bar.write32(XFERBLK_REG_FAULT_DELAY_US, 200000);
  auto t0 = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < n; i++) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_write(sqe, fd, buf.data() + i * 65536, 65536, (1ULL << 20) + i * 65536);
    sqe->user_data = i;
    io_uring_submit(&ring);
  }
  int hung_res = 1;
  unsigned ended = 0;
  for (; ended < n; ended++) {
    io_uring_cqe* cqe;
    __kernel_timespec ts = {.tv_sec = 20, .tv_nsec = 0};
    if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts)) break;
    if (cqe->user_data == 0) hung_res = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  bar.write32(XFERBLK_REG_FAULT_DELAY_US, 0);
  io_uring_queue_exit(&ring);
  close(fd);
  xft::write_file(param, initial.substr(0, initial.find('\n')));

  ksft_test_result(hung_res == -EIO && xft::stat(d, "resets") == resets + 1,
                   "the hung write fails with %s after %.1f s: one controller reset\n",
                   hung_res < 0 ? strerror(-hung_res) : "success", s);
  ksft_test_result(ended == n, "all %u writes ended (%u); none was left hanging\n", n, ended);

  xft::Buffer out(1 << 20, false), in(1 << 20, false);
  memset(out.data(), 0x3d, 1 << 20);
  fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
  bool ok = fd >= 0 && pwrite(fd, out.data(), 1 << 20, 4 << 20) == (1 << 20) &&
            pread(fd, in.data(), 1 << 20, 4 << 20) == (1 << 20) &&
            !memcmp(out.data(), in.data(), 1 << 20);
  if (fd >= 0) close(fd);
  ksft_test_result(ok, "after the reset the disk writes and reads back 1 MiB\n");
  ksft_finished();
}
