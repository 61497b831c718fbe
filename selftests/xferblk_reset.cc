// The last resort: on a device that cannot abort (abort=off), a command
// that never completes makes the driver reset the controller once the
// timeout expires. The hung command fails with EIO, the other
// commands in flight end too (failed or done, none left hanging), and the
// disk works afterwards. Then (spec 1.3) the same reset while the device
// lies in every CTRL, STATUS and queue register read it can: the hung
// write still fails cleanly, and once the lies stop the driver brings the
// controller back by itself. Runs on the first disk, which must have
// abort=off.
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

namespace {

bool write_and_verify(const xft::Disk& d, size_t bytes, uint64_t off, uint8_t fill) {
  xft::Buffer out(bytes, false), in(bytes, false);
  memset(out.data(), fill, bytes);
  int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
  bool ok = fd >= 0 && pwrite(fd, out.data(), bytes, off) == static_cast<ssize_t>(bytes) &&
            pread(fd, in.data(), bytes, off) == static_cast<ssize_t>(bytes) &&
            !memcmp(out.data(), in.data(), bytes);
  if (fd >= 0) close(fd);
  return ok;
}

uint64_t register_lies(const xft::Bar0& bar) {
  return bar.read64(XFERBLK_REG_FAULT_CHAOS_LIES + 8 * XFERBLK_CHAOS_REGISTER);
}

// Hung writes make the driver reset the controller while half of the
// register reads it makes lie, until at least 5 lies were told (each reset
// reads a few registers; a write that finds the controller broken fails at
// once). Every hung write must fail, nothing may hang;
// once the lies stop, the driver must recover within 30 s (it retries each
// timeout period while the controller is broken) and the data verify.
void test_lying_registers(const xft::Disk& d, const xft::Bar0& bar) {
  uint64_t lies = register_lies(bar), resets = xft::stat(d, "resets");
  bar.write32(XFERBLK_REG_FAULT_CHAOS_KINDS, 1u << XFERBLK_CHAOS_REGISTER);
  bar.write32(XFERBLK_REG_FAULT_CHAOS_PPM, 500000);
  auto t0 = std::chrono::steady_clock::now();
  xft::Buffer buf(65536, false);
  memset(buf.data(), 0x5a, 65536);
  bool failed = true;
  unsigned writes = 0;
  for (; writes < 20 && register_lies(bar) - lies < 5; writes++) {
    bar.write32(XFERBLK_REG_FAULT_HANG_NTH, 1);
    int fd = open(d.dev.c_str(), O_WRONLY | O_DIRECT);
    failed = failed && fd >= 0 && pwrite(fd, buf.data(), 65536, 2 << 20) < 0 && errno == EIO;
    if (fd >= 0) close(fd);
    bar.write32(XFERBLK_REG_FAULT_HANG_NTH, 0);
    // A broken controller fails writes at once and retries its reset
    // each period (250 ms here): let it, so each write meets a reset.
    usleep(300000);
  }
  double hung_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Let a few broken-controller retries meet the lies too.
  sleep(3);
  bar.write32(XFERBLK_REG_FAULT_CHAOS_PPM, 0);
  lies = register_lies(bar) - lies;
  t0 = std::chrono::steady_clock::now();
  bool back = false;
  for (int i = 0; i < 30 && !back; i++) {
    back = write_and_verify(d, 1 << 20, 6 << 20, 0x4c + i);
    if (!back) sleep(1);
  }
  double back_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ksft_test_result(failed && lies >= 5 && xft::stat(d, "resets") > resets && back,
                   "resets among %llu lying register reads: %u hung writes %s in %.1f s, %llu "
                   "reset attempts; the controller is back %.1f s after the lies stop\n",
                   (unsigned long long)lies, writes, failed ? "fail with EIO" : "DID NOT ALL FAIL",
                   hung_s, (unsigned long long)(xft::stat(d, "resets") - resets), back_s);
}

}  // namespace

int main() {
  auto disks = xft::disks(1);  // the others may be hostile, with no disk
  const xft::Disk& d = disks.front();
  if (d.props.find("abort=off") == std::string::npos)
    ksft_exit_skip("the first disk must have abort=off\n");
  xft::Bar0 bar(d);
  bool lies = bar.read32(XFERBLK_REG_VERSION) >= (1u << 16 | 3);
  ksft_print_header();
  ksft_set_plan(3 + lies);

  const char* param = "/sys/module/xferblk/parameters/timeout_ms";
  std::string initial = xft::read_file(param);
  xft::write_file(param, "1000");
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

  ksft_test_result(hung_res == -EIO && xft::stat(d, "resets") == resets + 1,
                   "the hung write fails with %s after %.1f s: one controller reset\n",
                   hung_res < 0 ? strerror(-hung_res) : "success", s);
  ksft_test_result(ended == n, "all %u writes ended (%u); none was left hanging\n", n, ended);

  bool ok = write_and_verify(d, 1 << 20, 4 << 20, 0x3d);
  ksft_test_result(ok, "after the reset the disk writes and reads back 1 MiB\n");
  if (lies) test_lying_registers(d, bar);
  xft::write_file(param, initial.substr(0, initial.find('\n')));
  ksft_finished();
}
