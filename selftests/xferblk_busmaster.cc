// Losing the bus: while the PCI bus master enable bit is cleared and set
// again every 0.2 s behind the driver's back (as block-layer test suites do
// to NVMe), random 4 KiB reads run at iodepth 16. The device can then
// neither fetch commands nor write completions nor raise interrupts, so
// commands time out, aborts go unanswered and the driver resets the
// controller. Callers must see only EIO, ENXIO or ENODEV; every read that
// succeeds returns the right data; nothing hangs; the errors callers saw
// equal the driver's parent_errors; the toggling stops with the bit off,
// and the driver must turn it back on itself (a reset re-enables bus
// mastering); afterwards the disk has its capacity and verifies.
//
// XFERBLK_BUSMASTER_SECS (default 10) sets how long the bus is toggled.
#include <fcntl.h>
#include <liburing.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "kselftest.h"
#include "xferblk_test.hh"

namespace {

constexpr size_t kIo = 4096;
constexpr uint64_t kBase = 32 << 20, kRegion = 16 << 20;

// Every 4 KiB of the region names its offset and the run's nonce.
void fill(uint8_t* p, uint64_t off, uint64_t nonce) {
  for (size_t i = 0; i < kIo; i += 16) {
    uint64_t v[2] = {off + i, nonce};
    memcpy(p + i, v, sizeof(v));
  }
}

bool filled(const uint8_t* p, uint64_t off, uint64_t nonce) {
  for (size_t i = 0; i < kIo; i += 16) {
    uint64_t v[2] = {off + i, nonce};
    if (memcmp(p + i, v, sizeof(v))) return false;
  }
  return true;
}

uint64_t capacity(const xft::Disk& d) {
  int fd = open(d.dev.c_str(), O_RDONLY);
  uint64_t bytes = 0;
  if (fd >= 0 && ioctl(fd, BLKGETSIZE64, &bytes)) bytes = 0;
  if (fd >= 0) close(fd);
  return bytes;
}

// Writes (or with !write, checks) the whole region; false on any failure.
bool region(const xft::Disk& d, uint64_t nonce, bool write) {
  xft::Buffer buf(1 << 20, false);
  int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
  bool ok = fd >= 0;
  for (uint64_t off = 0; ok && off < kRegion; off += buf.size()) {
    if (write) {
      for (size_t i = 0; i < buf.size(); i += kIo) fill(buf.data() + i, off + i, nonce);
      ok = pwrite(fd, buf.data(), buf.size(), kBase + off) == static_cast<ssize_t>(buf.size());
    } else {
      ok = pread(fd, buf.data(), buf.size(), kBase + off) == static_cast<ssize_t>(buf.size());
      for (size_t i = 0; ok && i < buf.size(); i += kIo)
        ok = filled(buf.data() + i, off + i, nonce);
    }
  }
  if (fd >= 0) close(fd);
  return ok;
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main() {
  auto disks = xft::disks(1);
  const xft::Disk& d = disks.front();
  const char* secs_env = getenv("XFERBLK_BUSMASTER_SECS");
  const double secs = secs_env ? std::stod(secs_env) : 10;
  const uint64_t seed =
      (static_cast<uint64_t>(std::random_device{}()) << 32) | std::random_device{}();
  std::mt19937_64 rng(seed);
  const uint64_t nonce = rng();

  ksft_print_header();
  ksft_set_plan(4);
  ksft_print_msg("seed %llu\n", (unsigned long long)seed);
  xft::ParamGuard timeout("timeout_ms", "1000");
  const uint64_t bytes = capacity(d);
  if (!region(d, nonce, true)) ksft_exit_fail_msg("cannot write the region before the test\n");

  uint64_t parent_errors = xft::stat(d, "parent_errors"), resets = xft::stat(d, "resets");
  std::atomic<bool> stop{false};
  std::thread toggler([&] {
    while (!stop) {
      xft::set_bus_master(d, false);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (stop) break;
      xft::set_bus_master(d, true);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  const unsigned depth = 16;
  xft::Buffer mem(depth * kIo, false);
  std::vector<uint64_t> offs(depth);
  io_uring ring;
  if (io_uring_queue_init(depth, &ring, 0)) ksft_exit_fail_msg("io_uring_queue_init\n");
  int fd = open(d.dev.c_str(), O_RDONLY | O_DIRECT);
  unsigned inflight = 0, done = 0, failed = 0, bad_errno = 0, wrong = 0;
  int first_bad = 0;
  bool hung = false;
  std::vector<unsigned> slots;
  for (unsigned i = 0; i < depth; i++) slots.push_back(i);
  auto t0 = std::chrono::steady_clock::now();
  while (!hung && (inflight || since(t0) < secs)) {
    while (since(t0) < secs && !slots.empty()) {
      unsigned slot = slots.back();
      slots.pop_back();
      offs[slot] = rng() % (kRegion / kIo) * kIo;
      io_uring_sqe* sqe = io_uring_get_sqe(&ring);
      io_uring_prep_read(sqe, fd, mem.data() + slot * kIo, kIo, kBase + offs[slot]);
      sqe->user_data = slot;
      io_uring_submit(&ring);
      inflight++;
    }
    io_uring_cqe* cqe;
    __kernel_timespec ts = {.tv_sec = 60, .tv_nsec = 0};
    if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts)) {
      hung = true;
      break;
    }
    unsigned slot = cqe->user_data;
    if (cqe->res == static_cast<int>(kIo)) {
      done++;
      wrong += !filled(mem.data() + slot * kIo, offs[slot], nonce);
    } else {
      failed++;
      int err = cqe->res < 0 ? -cqe->res : EIO;
      if (err != EIO && err != ENXIO && err != ENODEV && !bad_errno++) first_bad = err;
    }
    io_uring_cqe_seen(&ring, cqe);
    slots.push_back(slot);
    inflight--;
  }
  double elapsed = since(t0);
  stop = true;
  toggler.join();
  xft::set_bus_master(d, false);  // left off: only the driver may turn it on
  uint64_t counted = xft::stat(d, "parent_errors") - parent_errors;
  uint64_t reset_count = xft::stat(d, "resets") - resets;
  if (!hung) io_uring_queue_exit(&ring);
  close(fd);

  ksft_test_result(!hung && !bad_errno && !wrong,
                   "%.0f s of bus-master toggling: %u reads done (%.0f/s), %u failed, %u with an "
                   "errno other than EIO/ENXIO/ENODEV (first: %s), %u wrong, %s; %llu resets\n",
                   elapsed, done, done / elapsed, failed, bad_errno,
                   first_bad ? strerror(first_bad) : "none", wrong, hung ? "HUNG" : "none hung",
                   (unsigned long long)reset_count);
  ksft_test_result(counted == failed, "errors the callers saw (%u) == parent_errors (%llu)\n",
                   failed, (unsigned long long)counted);

  // Bus mastering is off now; only the driver's reset can turn it on.
  xft::Buffer out(kIo, false), in(kIo, false);
  memset(out.data(), 0x47, kIo);
  bool works = false;
  auto t1 = std::chrono::steady_clock::now();
  while (!works && since(t1) < 30) {
    int rw = open(d.dev.c_str(), O_RDWR | O_DIRECT);
    works = rw >= 0 && pwrite(rw, out.data(), kIo, kBase + kRegion) == ssize_t{kIo} &&
            pread(rw, in.data(), kIo, kBase + kRegion) == ssize_t{kIo} &&
            !memcmp(out.data(), in.data(), kIo);
    if (rw >= 0) close(rw);
    if (!works) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ksft_test_result(works && xft::bus_master(d) && capacity(d) == bytes,
                   "the driver recovered in %.1f s: bus mastering on, I/O works, capacity %llu "
                   "bytes as before\n",
                   since(t1), (unsigned long long)capacity(d));
  ksft_test_result(region(d, nonce, false), "all %llu MiB written before read back intact\n",
                   (unsigned long long)(kRegion >> 20));
  ksft_finished();
}
