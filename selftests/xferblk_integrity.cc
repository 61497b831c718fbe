// No error may be lost. Each case issues one call whose I/O the block layer
// sends as several bios, makes the device fail exactly one block of it, and
// asks: did the call fail, and did the driver count exactly one failed
// parent (errors callers saw == the driver's parent_errors)?
//
//   - multi-bio O_DIRECT writes and reads (a contiguous buffer, scattered
//     pages, 512-byte pieces of separate pages) failing in their first or
//     last bio: direct I/O keeps a sibling's error in the first bio while
//     that bio may still be in the driver, which must not overwrite it;
//   - BLKDISCARD and BLKZEROOUT, which chain their bios (bio_chain) and keep
//     a child's error in its parent the same way;
//   - a command the device completes with success but a short byte count;
//   - (bio mode) a device that ignores reset and abort, then DMAs for a
//     command the driver has already failed: bus mastering must be off.
//
// Usage: xferblk_integrity [--mq]  (--mq: the data cases only, for a disk
// rebound in blk-mq mode, where a request is a parent).
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "../uapi/xferblk_hw.h"
#include "kselftest.h"
#include "xferblk_test.hh"

namespace {

constexpr size_t kPage = 4096;
constexpr unsigned kDmaErrorCounter =
    static_cast<unsigned>(XFERBLK_CNT_STATUS_BASE) + XFERBLK_STS_DMA_ERROR;

struct Layout {
  const char* name;
  std::vector<iovec> iov;
  size_t bytes = 0;
};

// Three ways one call becomes several bios: a bio holds at most 256
// bvecs, and pieces that are not physically contiguous are one bvec each.
// (One contiguous buffer is no layout for this: its pages are often
// physically contiguous too, and then any size fits one bio.)
std::vector<Layout> layouts(const xft::Buffer& buf, uint32_t block_size) {
  std::vector<Layout> out;
  Layout every_other{"300 pages, every other one", {}};
  for (size_t i = 0; i < 300; i++) every_other.iov.push_back({buf.data() + 2 * i * kPage, kPage});
  out.push_back(every_other);
  // Each page ends where none of the others starts: no two can merge.
  std::vector<iovec> pages;
  for (size_t i = 0; i < 300; i++) pages.push_back({buf.data() + i * kPage, kPage});
  std::vector<xft::Range> phys = xft::page_chunks(pages);
  std::vector<size_t> order(pages.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return phys[a].phys > phys[b].phys; });
  Layout reversed{"300 pages in falling physical order", {}};
  for (size_t i : order) reversed.iov.push_back(pages[i]);
  out.push_back(reversed);
  if (block_size == 512) {
    Layout bits{"520 pieces of 512 bytes, one per page", {}};
    for (size_t i = 0; i < 520; i++) bits.iov.push_back({buf.data() + i * kPage + 1024, 512});
    out.push_back(bits);
  }
  for (auto& l : out)
    for (const auto& v : l.iov) l.bytes += v.iov_len;
  return out;
}

struct Delta {
  const xft::Disk& d;
  uint64_t parents = xft::stat(d, "parents");
  uint64_t parent_errors = xft::stat(d, "parent_errors");
  uint64_t media_errors = xft::counters(d).dev_status.at(XFERBLK_STS_MEDIA_ERROR);
  uint64_t parents_now() const { return xft::stat(d, "parents") - parents; }
  uint64_t media_errors_now() const {
    return xft::counters(d).dev_status.at(XFERBLK_STS_MEDIA_ERROR) - media_errors;
  }
  uint64_t errors_now() const { return xft::stat(d, "parent_errors") - parent_errors; }
};

ssize_t rw(int fd, bool write, const std::vector<iovec>& iov, uint64_t off) {
  return write ? pwritev(fd, iov.data(), iov.size(), off) : preadv(fd, iov.data(), iov.size(), off);
}

void test_multi_bio(const xft::Disk& d, const xft::Bar0& bar, const char* mode) {
  const xft::Buffer buf(600 * kPage, false);
  const uint64_t base = 16 << 20, lbs = d.lim.block_size;
  int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
  if (fd < 0) ksft_exit_fail_msg("open %s: %s\n", d.dev.c_str(), strerror(errno));
  for (const Layout& l : layouts(buf, lbs)) {
    for (bool write : {true, false}) {
      for (bool last : {true, false}) {
        xft::Problems p;
        memset(buf.data(), write ? 0x5a : 0, buf.size());
        // Clean first: the call must succeed, and really be several bios.
        Delta clean{d};
        p.eq("clean call returned", rw(fd, write, l.iov, base), static_cast<ssize_t>(l.bytes));
        p.want(clean.parents_now() >= 2, "clean call was " + std::to_string(clean.parents_now()) +
                                             " parent(s), not several: no test");
        const uint64_t block = base / lbs + (last ? l.bytes / lbs - 1 : 0);
        bar.fail_lbas(block, 1);
        Delta fault{d};
        errno = 0;
        ssize_t n = rw(fd, write, l.iov, base);
        int err = errno;
        bar.fail_lbas(0, 0);
        p.eq("faulted call returned", n, -1);
        p.eq("errno", std::string(strerror(err)), std::string(strerror(ENODATA)));
        p.eq("parent_errors rose by", fault.errors_now(), 1u);
        ksft_test_result(p.ok(), "[%s] %s %s failing in its %s bio: the call fails%s\n", mode,
                         write ? "pwritev" : "preadv", l.name, last ? "last" : "first",
                         p.str().c_str());
      }
    }
  }
  close(fd);
}

// BLKDISCARD / BLKZEROOUT over 1 MiB, cut into chained bios by the block
// layer; one failing block, first or last, fails the call.
void test_chained(const xft::Disk& d, const xft::Bar0& bar, bool mq) {
  const char* mode = mq ? "mq" : "bio";
  const uint64_t off = 24 << 20, len = 1 << 20, lbs = d.lim.block_size;
  int fd = open(d.dev.c_str(), O_RDWR);
  if (fd < 0) ksft_exit_fail_msg("open %s: %s\n", d.dev.c_str(), strerror(errno));
  for (unsigned long req : {BLKDISCARD, BLKZEROOUT}) {
    const char* name = req == BLKDISCARD ? "BLKDISCARD" : "BLKZEROOUT";
    for (bool last : {false, true}) {
      xft::Problems p;
      uint64_t range[2] = {off, len};
      Delta clean{d};
      p.eq("clean call returned", ioctl(fd, req, range), 0);
      const uint64_t bios = clean.parents_now();
      // Write zeroes is cut to the limit and chained by the block layer;
      // a discard reaches a bio-based driver whole, and blk-mq splits it.
      p.want(bios >= 2 || (req == BLKDISCARD && !mq), "clean call was 1 bio");
      bar.fail_lbas(off / lbs + (last ? len / lbs - 1 : 0), 1);
      Delta fault{d};
      errno = 0;
      int rc = ioctl(fd, req, range);
      int err = errno;
      bar.fail_lbas(0, 0);
      p.eq("faulted call returned", rc, -1);
      p.want(err == ENODATA || err == EIO, std::string("errno ") + strerror(err));
      // Before 6.11 blkdev_issue_zeroout() answers a failed write-zeroes by
      // writing zeroed pages over the range, which fail in the same block:
      // two failed chains then, one error the caller sees. Each chain
      // fails in one command: the device's MEDIA_ERROR count says how many.
      const uint64_t chains = fault.media_errors_now();
      p.want(chains == 1 || (chains == 2 && req == BLKZEROOUT),
             "the device failed " + std::to_string(chains) + " commands");
      p.eq("parent_errors rose by", fault.errors_now(), chains);
      ksft_test_result(p.ok(), "[%s] %s of 1 MiB (%llu bios) failing in its %s block: fails%s\n",
                       mode, name, (unsigned long long)bios, last ? "last" : "first",
                       p.str().c_str());
    }
  }
  close(fd);
}

// FAULT_SHORT_NTH: status OK, one block less than asked. Not success.
void test_short(const xft::Disk& d, const xft::Bar0& bar) {
  xft::Buffer buf(64 << 10, false);
  int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
  for (bool write : {true, false}) {
    xft::Problems p;
    uint64_t errors = xft::stat(d, "errors"), faults = bar.counter(XFERBLK_CNT_FAULTS);
    Delta delta{d};
    bar.write32(XFERBLK_REG_FAULT_SHORT_NTH, 1);
    errno = 0;
    ssize_t n = write ? pwrite(fd, buf.data(), buf.size(), 1 << 20)
                      : pread(fd, buf.data(), buf.size(), 1 << 20);
    int err = errno;
    p.eq("returned", n, -1);
    p.eq("errno", std::string(strerror(err)), std::string(strerror(EIO)));
    p.eq("device faults injected", bar.counter(XFERBLK_CNT_FAULTS) - faults, 1u);
    p.eq("child errors", xft::stat(d, "errors") - errors, 1u);
    p.eq("parent_errors", delta.errors_now(), 1u);
    ksft_test_result(p.ok(), "a %s the device calls done but one block short fails with EIO%s\n",
                     write ? "write" : "read", p.str().c_str());
  }
  close(fd);
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Whether a 64 KiB write and read back works before @deadline_s, retrying.
bool recovers(const xft::Disk& d, double deadline_s) {
  xft::Buffer out(64 << 10, false), in(64 << 10, false);
  memset(out.data(), 0x2c, out.size());
  auto t0 = std::chrono::steady_clock::now();
  while (since(t0) < deadline_s) {
    int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
    bool ok = fd >= 0 && pwrite(fd, out.data(), out.size(), 2 << 20) == 65536 &&
              pread(fd, in.data(), in.size(), 2 << 20) == 65536 &&
              !memcmp(out.data(), in.data(), out.size());
    if (fd >= 0) close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

// A read hangs on a device that then ignores both the abort and the reset.
// The driver must fail the read, and before it does, turn bus mastering
// off: when the device later goes on with the command (FAULT_RELEASE) its
// DMA into the reader's buffer must fail. Once the device resets again
// the driver recovers by itself, bus mastering on.
void test_late_dma(const xft::Disk& d, const xft::Bar0& bar) {
  xft::ParamGuard timeout("timeout_ms", "1000");
  xft::Buffer buf(64 << 10, false);
  memset(buf.data(), 0xaa, buf.size());
  uint64_t resets = xft::stat(d, "resets");
  uint64_t dma_errors = bar.counter(kDmaErrorCounter);
  Delta delta{d};
  bar.write32(XFERBLK_REG_FAULT_STUCK, XFERBLK_STUCK_RESET | XFERBLK_STUCK_ABORT);
  bar.write32(XFERBLK_REG_FAULT_HANG_NTH, 1);
  int fd = open(d.dev.c_str(), O_RDONLY | O_DIRECT);
  auto t0 = std::chrono::steady_clock::now();
  errno = 0;
  ssize_t n = pread(fd, buf.data(), buf.size(), 5 << 20);
  int err = errno;
  double s = since(t0);
  close(fd);
  xft::Problems p;
  p.eq("read returned", n, -1);
  p.eq("errno", std::string(strerror(err)), std::string(strerror(EIO)));
  p.want(xft::stat(d, "resets") > resets, "no reset was tried");
  p.eq("parent_errors", delta.errors_now(), 1u);
  p.want(!xft::bus_master(d), "bus mastering still on");
  ksft_test_result(p.ok(), "a read the device will not give up fails with EIO after %.1f s%s\n", s,
                   p.str().c_str());

  // The buffer is the reader's again; the device now moves the hung data.
  memset(buf.data(), 0x55, buf.size());
  bar.write32(XFERBLK_REG_FAULT_RELEASE, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  size_t changed = 0;
  for (size_t i = 0; i < buf.size(); i++) changed += buf.data()[i] != 0x55;
  uint64_t refused = bar.counter(kDmaErrorCounter) - dma_errors;
  ksft_test_result(!changed && refused == 1,
                   "the device's late DMA for the failed read is refused (%llu DMA error); %zu "
                   "bytes of the reused buffer changed\n",
                   (unsigned long long)refused, changed);

  bar.write32(XFERBLK_REG_FAULT_STUCK, 0);
  t0 = std::chrono::steady_clock::now();
  bool ok = recovers(d, 30);
  ksft_test_result(ok && xft::bus_master(d),
                   "once the device resets the driver recovers by itself in %.1f s: I/O works, "
                   "bus mastering on\n",
                   since(t0));
}

}  // namespace

int main(int argc, char** argv) {
  bool mq = argc > 1 && std::string(argv[1]) == "--mq";
  auto disks = xft::disks();
  const xft::Disk& d = xft::disk_with(disks, "max-transfer=131072,logical_block_size=512");
  // Tiny discard and write-zeroes limits: a large discard needs many children.
  const xft::Disk& small =
      xft::disk_with(disks, "max-discard-blocks=64,max-write-zeroes-blocks=128");
  xft::Bar0 bar(d), small_bar(small);
  const char* mode = mq ? "mq" : "bio";
  size_t layouts_n = d.lim.block_size == 512 ? 3 : 2;

  ksft_print_header();
  ksft_set_plan(layouts_n * 4 + 4 + (mq ? 0 : 2 + 3));
  test_multi_bio(d, bar, mode);
  test_chained(small, small_bar, mq);
  if (!mq) {
    test_short(d, bar);
    test_late_dma(d, bar);
  }
  ksft_finished();
}
