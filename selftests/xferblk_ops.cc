// The I/O contract beyond plain reads and writes: preflush and FUA on a
// split parent, discard and write-zeroes across split boundaries, sync
// versus async send, cancelling siblings after a failure, timeouts with
// abort, REQ_NOWAIT against a full ring, the small-I/O path (a bio that
// fits one command goes whole, without a parent or child), and interrupt
// coalescing.
//
// Disks (the order qemu/run-guest.sh was given): 0 with the device
// defaults, 1 with tiny limits and small discard/write-zeroes limits, 3 with
// a single queue. Needs xferblk_biotest.ko loaded.
#include <fcntl.h>
#include <liburing.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../uapi/xferblk_hw.h"
#include "kselftest.h"
#include "xferblk_test.hh"

namespace {

const char* kBiotest = "/sys/kernel/debug/xferblk_biotest/submit";
const char* kTracing = "/sys/kernel/tracing";

// Empties the trace buffer: only an open with O_TRUNC does.
void clear_trace() {
  int fd = open((std::string(kTracing) + "/trace").c_str(), O_WRONLY | O_TRUNC);
  if (fd < 0) ksft_exit_fail_msg("cannot clear the trace buffer: %s\n", strerror(errno));
  close(fd);
}

uint64_t delta(const xft::Disk& d, const std::string& name, uint64_t before) {
  return xft::stat(d, name) - before;
}

// Submits one bio through the helper module; returns 0 or the errno.
int biotest(const xft::Disk& d, const char* op, const char* flags, uint64_t sector, uint64_t bytes,
            unsigned seed) {
  std::ostringstream line;
  line << d.dev << ' ' << op << ' ' << flags << ' ' << sector << ' ' << bytes << ' ' << seed;
  int fd = open(kBiotest, O_WRONLY);
  if (fd < 0) ksft_exit_fail_msg("open %s: %s (module loaded?)\n", kBiotest, strerror(errno));
  std::string s = line.str();
  int err = write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size()) ? 0 : errno;
  close(fd);
  return err;
}

// Reads @bytes at byte offset @off with O_DIRECT.
std::vector<uint8_t> read_back(const xft::Disk& d, uint64_t off, size_t bytes) {
  xft::Buffer buf(bytes, false);
  int fd = open(d.dev.c_str(), O_RDONLY | O_DIRECT);
  bool ok = fd >= 0 && pread(fd, buf.data(), bytes, off) == static_cast<ssize_t>(bytes);
  if (fd >= 0) close(fd);
  if (!ok) ksft_exit_fail_msg("read back %s: %s\n", d.dev.c_str(), strerror(errno));
  return {buf.data(), buf.data() + bytes};
}

bool write_pattern(const xft::Disk& d, uint64_t off, size_t bytes, uint8_t value) {
  xft::Buffer buf(bytes, false);
  memset(buf.data(), value, bytes);
  int fd = open(d.dev.c_str(), O_WRONLY | O_DIRECT);
  bool ok = fd >= 0 && pwrite(fd, buf.data(), bytes, off) == static_cast<ssize_t>(bytes);
  if (fd >= 0) close(fd);
  return ok;
}

bool all(const std::vector<uint8_t>& v, size_t from, size_t to, uint8_t value) {
  for (size_t i = from; i < to; i++)
    if (v[i] != value) return false;
  return true;
}

// One O_DIRECT write and read back of @bytes; true if the data verified.
// errno is left from a failing call.
bool write_read(const xft::Disk& d, uint64_t off, size_t bytes, int flags, uint8_t seed) {
  xft::Buffer out(bytes, false), in(bytes, false);
  for (size_t i = 0; i < bytes; i++) out.data()[i] = static_cast<uint8_t>(seed + i * 13);
  int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT | flags);
  if (fd < 0) return false;
  bool ok = pwrite(fd, out.data(), bytes, off) == static_cast<ssize_t>(bytes) &&
            pread(fd, in.data(), bytes, off) == static_cast<ssize_t>(bytes) &&
            memcmp(out.data(), in.data(), bytes) == 0;
  int err = errno;
  close(fd);
  errno = err;
  return ok;
}

void trace_enable(bool on) {
  const char* v = on ? "1" : "0";
  xft::write_file(std::string(kTracing) + "/events/xferblk/xferblk_child_submit/enable", v);
  xft::write_file(std::string(kTracing) + "/events/xferblk/xferblk_child_complete/enable", v);
  if (on) clear_trace();
}

// Children per the planner's span rule, as the driver must cut them.
unsigned span_children(uint64_t first, uint64_t count, uint32_t max, uint32_t gran) {
  unsigned n = 0;
  while (count) {
    uint32_t take = xferblk_plan_span(first, count, max, gran);
    first += take;
    count -= take;
    n++;
  }
  return n;
}

void test_preflush_fua(const xft::Disk& d) {
  const uint64_t bytes = 1 << 20, sector = 8192;
  const unsigned k = bytes / d.lim.max_xfer;  // page-sized bvecs: only max_xfer binds
  uint64_t flushes = xft::stat(d, "dev_flushes"), fua = xft::stat(d, "dev_fua_writes");
  uint64_t children = xft::stat(d, "children");
  trace_enable(true);
  int err = biotest(d, "write", "preflush,fua", sector, bytes, 11);
  trace_enable(false);

  // Child 0 is the flush: it must have completed before child 1 was sent.
  std::ifstream trace(std::string(kTracing) + "/trace");
  std::string line;
  int flush_done = -1, first_data = -1, n = 0;
  while (std::getline(trace, line)) {
    if (line.find("child=0 ") != std::string::npos &&
        line.find("xferblk_child_complete") != std::string::npos && flush_done < 0)
      flush_done = n;
    if (line.find("child=1 ") != std::string::npos &&
        line.find("xferblk_child_submit") != std::string::npos && first_data < 0)
      first_data = n;
    n++;
  }
  uint64_t nflush = delta(d, "dev_flushes", flushes), nfua = delta(d, "dev_fua_writes", fua);
  uint64_t nchildren = delta(d, "children", children);
  auto data = read_back(d, sector * 512, bytes);
  bool pattern = true;
  for (size_t i = 0; i < bytes; i++)
    if (data[i] != static_cast<uint8_t>(11 + i * 7)) pattern = false;

  ksft_test_result(!err && nflush == 1 && nfua == k && nchildren == k + 1,
                   "PREFLUSH|FUA %llu-byte parent: %llu flush, %llu FUA writes, %llu children "
                   "(want 1, %u, %u)\n",
                   (unsigned long long)bytes, (unsigned long long)nflush, (unsigned long long)nfua,
                   (unsigned long long)nchildren, k, k + 1);
  ksft_test_result(flush_done >= 0 && first_data > flush_done,
                   "the flush completed (trace line %d) before the first data child was sent "
                   "(line %d)\n",
                   flush_done, first_data);
  ksft_test_result(pattern, "the PREFLUSH|FUA data reads back\n");
}

void test_fsync_and_dsync(const xft::Disk& d) {
  uint64_t flushes = xft::stat(d, "dev_flushes"), fua = xft::stat(d, "dev_fua_writes");
  int fd = open(d.dev.c_str(), O_RDWR);
  bool ok = fd >= 0 && fsync(fd) == 0;
  if (fd >= 0) close(fd);
  ksft_test_result(ok && delta(d, "dev_flushes", flushes) == 1,
                   "fsync of the disk sends one FLUSH (%llu)\n",
                   (unsigned long long)delta(d, "dev_flushes", flushes));

  // Each child of an O_DSYNC write carries FUA; the block device's write
  // sync then adds one FLUSH of its own.
  flushes = xft::stat(d, "dev_flushes");
  const size_t bytes = 4 * d.lim.max_xfer;
  ok = write_read(d, 16 << 20, bytes, O_DSYNC, 3);
  uint64_t nfua = delta(d, "dev_fua_writes", fua), nflush = delta(d, "dev_flushes", flushes);
  ksft_test_result(ok && nfua == 4 && nflush == 1,
                   "O_DSYNC write of 4 commands: %llu FUA writes, %llu flush\n",
                   (unsigned long long)nfua, (unsigned long long)nflush);
}

// Discard or write-zeroes of a range the driver must split, with data on
// both sides of it; the range reads back as zeros, the neighbours intact.
void test_zeroing(const xft::Disk& d, const char* op, const char* counter, uint32_t max) {
  const uint32_t lbs = d.lim.block_size, gran = 8;
  const uint64_t first = 4100, count = 2048;  // not granularity aligned
  const uint64_t off = (first - 16) * lbs, len = (count + 32) * lbs;
  bool seeded = write_pattern(d, off, len, 0xa7);
  uint64_t before = xft::stat(d, counter), children = xft::stat(d, "children");
  int err = biotest(d, op, "none", first * lbs / 512, count * lbs, 0);
  uint64_t commands = delta(d, counter, before), nchildren = delta(d, "children", children);
  auto v = read_back(d, off, len);
  unsigned want = span_children(first, count, max, gran);
  bool zeros = all(v, 16 * lbs, (16 + count) * lbs, 0);
  bool kept = all(v, 0, 16 * lbs, 0xa7) && all(v, (16 + count) * lbs, len, 0xa7);
  ksft_test_result(seeded && !err && zeros && kept && commands == want && nchildren == want,
                   "%s of %llu blocks at %llu: %llu commands, %llu children (want %u), zeros %s, "
                   "neighbours %s\n",
                   op, (unsigned long long)count, (unsigned long long)first,
                   (unsigned long long)commands, (unsigned long long)nchildren, want,
                   zeros ? "yes" : "no", kept ? "intact" : "damaged");
}

void test_ioctls(const xft::Disk& d) {
  const uint64_t off = 64 << 20, len = 3 << 20;
  int fd = open(d.dev.c_str(), O_RDWR);
  bool ok = fd >= 0;
  for (unsigned long req : {BLKDISCARD, BLKZEROOUT}) {
    ok = ok && write_pattern(d, off, len, 0x5c);
    uint64_t range[2] = {off, len};
    ok = ok && ioctl(fd, req, range) == 0 && all(read_back(d, off, len), 0, len, 0);
  }
  if (fd >= 0) close(fd);
  ksft_test_result(ok, "BLKDISCARD and BLKZEROOUT of 3 MiB read back as zeros\n");
}

void set_mode(const xft::Disk& d, const char* mode) {
  xft::write_file("/sys/block/" + d.name + "/xferblk/send_mode", mode);
}

// With completions held back 50 ms (long enough to cut every child even on
// a debug kernel), an 8-child parent has all 8 children on the device at
// once in async mode, and never more than 1 in sync mode.
void test_send_modes(const xft::Disk& d) {
  std::string initial = xft::read_file("/sys/block/" + d.name + "/xferblk/send_mode");
  const unsigned k = (1 << 20) / d.lim.max_xfer;
  xft::Bar0 bar(d);
  uint64_t inflight[2];
  bool ok[2];
  const char* modes[] = {"sync", "async"};
  bar.write32(XFERBLK_REG_FAULT_DELAY_US, 50000);
  for (int m = 0; m < 2; m++) {
    set_mode(d, modes[m]);
    xft::write_file("/sys/block/" + d.name + "/xferblk/reset_counters", "1");
    ok[m] = write_read(d, 32 << 20, 1 << 20, 0, 21);
    inflight[m] = xft::stat(d, "dev_max_inflight");
  }
  bar.write32(XFERBLK_REG_FAULT_DELAY_US, 0);
  set_mode(d, initial.substr(0, initial.find('\n')).c_str());
  ksft_test_result(ok[0] && ok[1], "sync and async send write and read the same data\n");
  ksft_test_result(inflight[0] == 1 && inflight[1] == k,
                   "most commands in flight for one %u-child parent: sync %llu (want 1), async "
                   "%llu (want %u)\n",
                   k, (unsigned long long)inflight[0], (unsigned long long)inflight[1], k);
}

void test_cancel(const xft::Disk& d) {
  xft::Bar0 bar(d);
  std::string initial = xft::read_file("/sys/block/" + d.name + "/xferblk/send_mode");
  const unsigned k = (1 << 20) / d.lim.max_xfer;

  // Sync send: the third child fails; the five after it are never sent.
  set_mode(d, "sync");
  uint64_t cmds = xft::stat(d, "dev_commands"), children = xft::stat(d, "children");
  uint64_t failed = xft::stat(d, "parent_errors"), faults = xft::stat(d, "dev_faults");
  bar.write32(XFERBLK_REG_FAULT_STATUS, XFERBLK_STS_MEDIA_ERROR);
  bar.write32(XFERBLK_REG_FAULT_FAIL_NTH, 3);
  bool failed_write = !write_read(d, 40 << 20, 1 << 20, 0, 5);
  ksft_test_result(
      failed_write && delta(d, "children", children) == 3 && delta(d, "dev_commands", cmds) == 3 &&
          delta(d, "parent_errors", failed) == 1 && delta(d, "dev_faults", faults) == 1,
      "sync: child 3 of %u fails: parent fails (%s), %llu children cut, %llu "
      "commands on the device\n",
      k, strerror(errno), (unsigned long long)delta(d, "children", children),
      (unsigned long long)delta(d, "dev_commands", cmds));

  // Async send: every child is accounted for, on the device or cancelled.
  set_mode(d, "async");
  cmds = xft::stat(d, "dev_commands");
  children = xft::stat(d, "children");
  uint64_t cancelled = xft::stat(d, "cancelled");
  bar.write32(XFERBLK_REG_FAULT_FAIL_NTH, 1);
  failed_write = !write_read(d, 40 << 20, 1 << 20, 0, 6);
  uint64_t c = delta(d, "children", children);
  ksft_test_result(failed_write && c >= 1 && c <= k &&
                       c == delta(d, "dev_commands", cmds) + delta(d, "cancelled", cancelled),
                   "async: child 1 fails: parent fails, %llu children = %llu on the device + "
                   "%llu cancelled\n",
                   (unsigned long long)c, (unsigned long long)delta(d, "dev_commands", cmds),
                   (unsigned long long)delta(d, "cancelled", cancelled));
  set_mode(d, initial.substr(0, initial.find('\n')).c_str());
  ksft_test_result(write_read(d, 40 << 20, 1 << 20, 0, 7), "the next I/O after a failure works\n");
}

void test_timeout(const xft::Disk& d) {
  const char* param = "/sys/module/xferblk/parameters/timeout_ms";
  std::string initial = xft::read_file(param);
  xft::Bar0 bar(d);
  xft::write_file(param, "1000");
  uint64_t aborts = xft::stat(d, "dev_aborts"), timeouts = xft::stat(d, "timeouts");
  bar.write32(XFERBLK_REG_FAULT_HANG_NTH, 1);
  auto t0 = std::chrono::steady_clock::now();
  bool ok = write_read(d, 48 << 20, 4096, 0, 9);
  int err = errno;
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ksft_test_result(!ok && err == EIO && s >= 0.9 && s < 5 && delta(d, "dev_aborts", aborts) == 1 &&
                       delta(d, "timeouts", timeouts) == 1,
                   "a command the device never completes is aborted: %s after %.2f s (timeout "
                   "1 s)\n",
                   strerror(err), s);
  xft::write_file(param, initial.substr(0, initial.find('\n')));
  ksft_test_result(write_read(d, 48 << 20, 64 << 10, 0, 10),
                   "the next I/O after a timeout works\n");
}

// /sys/block/<disk>/stat fields: writes completed is the 5th, sectors
// written the 7th.
std::vector<uint64_t> disk_stat(const xft::Disk& d) {
  std::stringstream ss(xft::read_file("/sys/block/" + d.name + "/stat"));
  std::vector<uint64_t> v;
  uint64_t x;
  while (ss >> x) v.push_back(x);
  return v;
}

// iostat sees the parent, not its children; blktrace sees one split per
// child cut off the front of the parent.
void test_accounting_and_splits(const xft::Disk& d) {
  const size_t bytes = 1 << 20;
  const unsigned k = bytes / d.lim.max_xfer;
  std::string ev = std::string(kTracing) + "/events/block/block_split/enable";
  clear_trace();
  xft::write_file(ev, "1");
  auto before = disk_stat(d);
  xft::Buffer buf(bytes, false);
  memset(buf.data(), 0x42, bytes);
  int fd = open(d.dev.c_str(), O_WRONLY | O_DIRECT);
  bool ok = fd >= 0 && pwrite(fd, buf.data(), bytes, 56 << 20) == static_cast<ssize_t>(bytes);
  if (fd >= 0) close(fd);
  auto after = disk_stat(d);
  xft::write_file(ev, "0");

  std::ifstream trace(std::string(kTracing) + "/trace");
  std::string line;
  unsigned splits = 0;
  while (std::getline(trace, line))
    if (line.find("block_split") != std::string::npos && line.find(" W") != std::string::npos)
      splits++;
  uint64_t ios = after.at(4) - before.at(4), sectors = after.at(6) - before.at(6);
  ksft_test_result(ok && ios == 1 && sectors == bytes / 512,
                   "/sys/block/%s/stat counts the parent: %llu write, %llu sectors\n",
                   d.name.c_str(), (unsigned long long)ios, (unsigned long long)sectors);
  ksft_test_result(ok && splits == k - 1, "block_split events for a %u-child parent: %u\n", k,
                   splits);
}

// Trace events of the small-I/O path and of children since @trace was
// cleared: whole dispatches, whole completions, child submits, child
// completions.
std::vector<unsigned> path_events() {
  const char* names[] = {"xferblk_whole_dispatch:", "xferblk_whole_complete:",
                         "xferblk_child_submit:", "xferblk_child_complete:"};
  std::vector<unsigned> n(4, 0);
  std::ifstream trace(std::string(kTracing) + "/trace");
  std::string line;
  while (std::getline(trace, line))
    for (int i = 0; i < 4; i++) n[i] += line.find(names[i]) != std::string::npos;
  return n;
}

void path_trace(bool on) {
  const char* v = on ? "1" : "0";
  for (const char* e : {"xferblk_whole_dispatch", "xferblk_whole_complete", "xferblk_child_submit",
                        "xferblk_child_complete"})
    xft::write_file(std::string(kTracing) + "/events/xferblk/" + e + "/enable", v);
  if (on) clear_trace();
}

// A bio one command can carry goes whole (no parent context, no child bio)
// unless whole_bios=N; one a byte larger is cut into two children either
// way. Each size is written and read back (two bios), in both settings,
// and the counters must be a parent's with its children either way. Then
// a whole bio that fails: its error reaches the caller and is counted.
void test_small_io_path(const xft::Disk& d) {
  const size_t lbs = d.lim.block_size, mx = d.lim.max_xfer;
  const size_t sizes[] = {4096, mx, mx + lbs};
  for (const char* whole : {"1", "0"}) {
    xft::ParamGuard param("whole_bios", whole);
    bool on = whole[0] == '1';
    for (size_t bytes : sizes) {
      unsigned children = bytes > mx ? 2 : 1;
      bool by_whole = on && children == 1;
      uint64_t parents = xft::stat(d, "parents"), nchildren = xft::stat(d, "children");
      uint64_t cmds = xft::stat(d, "dev_commands");
      path_trace(true);
      bool ok = write_read(d, 48 << 20, bytes, 0, static_cast<uint8_t>(bytes));
      path_trace(false);
      auto ev = path_events();
      unsigned want_whole = by_whole ? 2 : 0, want_child = by_whole ? 0 : 2 * children;
      ksft_test_result(
          ok && ev[0] == want_whole && ev[1] == want_whole && ev[2] == want_child &&
              ev[3] == want_child && delta(d, "parents", parents) == 2 &&
              delta(d, "children", nchildren) == 2 * children &&
              delta(d, "dev_commands", cmds) == 2 * children,
          "whole_bios=%s, %zu bytes written and read back%s: %u/%u whole dispatches/completions "
          "(want %u), %u/%u child submits/completions (want %u); %llu parents, %llu children "
          "(want 2, %u)\n",
          on ? "Y" : "N", bytes, ok ? "" : " FAILED", ev[0], ev[1], want_whole, ev[2], ev[3],
          want_child, (unsigned long long)delta(d, "parents", parents),
          (unsigned long long)delta(d, "children", nchildren), 2 * children);
    }
  }

  xft::Bar0 bar(d);
  uint64_t failed = xft::stat(d, "parent_errors"), errors = xft::stat(d, "errors");
  path_trace(true);
  bar.write32(XFERBLK_REG_FAULT_STATUS, XFERBLK_STS_MEDIA_ERROR);
  bar.write32(XFERBLK_REG_FAULT_FAIL_NTH, 1);
  bool failed_write = !write_read(d, 48 << 20, 4096, 0, 9);
  int err = errno;
  path_trace(false);
  auto ev = path_events();
  ksft_test_result(failed_write && err == ENODATA && ev[0] == 1 && ev[2] == 0 &&
                       delta(d, "parent_errors", failed) == 1 && delta(d, "errors", errors) == 1,
                   "a whole 4 KiB write that fails: %s (want %s), %llu parent error(s), %llu "
                   "command error(s) counted\n",
                   strerror(err), strerror(ENODATA),
                   (unsigned long long)delta(d, "parent_errors", failed),
                   (unsigned long long)delta(d, "errors", errors));
}

// Interrupt coalescing (sysfs irq_coalesce): bad settings are refused and
// change nothing; at its widest (255 entries, 65535 us) a lone command
// still interrupts at once, one per command, and with 32 in flight an
// interrupt carries several completions, the data read back intact. The
// device holds each completion 5 ms so that all 32 are in flight at once:
// under TCG it would otherwise finish each read before the guest has
// submitted the next, and a lone command never waits.
void test_irq_coalescing(const xft::Disk& d) {
  const std::string path = "/sys/block/" + d.name + "/xferblk/irq_coalesce";
  const std::string saved = xft::read_file(path);
  bool refused = true;
  for (const char* bad : {"256 10", "8", "8 65536", "8 10 1", "-1 5", "x y"})
    refused = refused && !xft::write_file(path, bad);
  ksft_test_result(refused && xft::read_file(path) == saved,
                   "irq_coalesce refuses bad settings and keeps %s", saved.c_str());

  xft::write_file(path, "255 65535");
  const size_t n = 32, rounds = 20, bytes = 4096;
  const uint64_t base = 72 << 20;
  xft::Buffer out(n * bytes, false), in(n * bytes, false);
  int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
  if (fd < 0) ksft_exit_fail_msg("open %s: %s\n", d.dev.c_str(), strerror(errno));
  for (size_t i = 0; i < n * bytes; i++) out.data()[i] = static_cast<uint8_t>(i * 7 + 3);
  uint64_t irqs = xft::stat(d, "dev_interrupts"), cmds = xft::stat(d, "dev_commands");
  bool ok = true;
  for (size_t i = 0; i < n; i++)
    ok = ok && pwrite(fd, out.data() + i * bytes, bytes, base + i * bytes) == ssize_t(bytes);
  irqs = xft::stat(d, "dev_interrupts") - irqs;
  cmds = xft::stat(d, "dev_commands") - cmds;
  ksft_test_result(ok && cmds == n && irqs == cmds,
                   "coalescing at 255 entries, 65535 us: %llu lone writes, %llu interrupts (want "
                   "one each)\n",
                   (unsigned long long)cmds, (unsigned long long)irqs);

  io_uring ring;
  if (io_uring_queue_init(n, &ring, 0)) ksft_exit_fail_msg("io_uring_queue_init\n");
  xft::Bar0 bar(d);
  bar.write32(XFERBLK_REG_FAULT_DELAY_US, 5000);
  irqs = xft::stat(d, "dev_interrupts");
  cmds = xft::stat(d, "dev_commands");
  bool same = true;
  for (size_t r = 0; r < rounds && ok; r++) {
    memset(in.data(), 0, n * bytes);
    for (size_t i = 0; i < n; i++) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring);
      io_uring_prep_read(sqe, fd, in.data() + i * bytes, bytes, base + i * bytes);
    }
    ok = io_uring_submit(&ring) == static_cast<int>(n);
    for (size_t i = 0; i < n && ok; i++) {
      io_uring_cqe* cqe;
      ok = io_uring_wait_cqe(&ring, &cqe) == 0 && cqe->res == static_cast<int>(bytes);
      io_uring_cqe_seen(&ring, cqe);
    }
    same = same && ok && memcmp(in.data(), out.data(), n * bytes) == 0;
  }
  io_uring_queue_exit(&ring);
  close(fd);
  bar.write32(XFERBLK_REG_FAULT_DELAY_US, 0);
  irqs = xft::stat(d, "dev_interrupts") - irqs;
  cmds = xft::stat(d, "dev_commands") - cmds;
  xft::write_file(path, saved);
  ksft_test_result(ok && same && cmds == n * rounds && 2 * irqs < cmds,
                   "%zu rounds of %zu reads in flight: %llu commands, %llu interrupts (want fewer "
                   "than half), data %s\n",
                   rounds, n, (unsigned long long)cmds, (unsigned long long)irqs,
                   same ? "intact" : "WRONG");
}

// Holds every completion back for 0.5 s and submits @fill 4 KiB writes
// (user_data 0..fill-1) from @buf at the start of the disk: more than a
// queue has tags, so the ring is full when this returns.
void fill_ring(const xft::Bar0& bar, io_uring* ring, int fd, uint8_t* buf, unsigned fill) {
  bar.write32(XFERBLK_REG_FAULT_DELAY_US, 500000);
  for (unsigned i = 0; i < fill; i++) {
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    io_uring_prep_write(sqe, fd, buf + 4096 * i, 4096, 4096ULL * i);
    sqe->user_data = i;
  }
  io_uring_submit(ring);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

// With every completion held back, fill the single queue, then a
// RWF_NOWAIT write must come back with EAGAIN instead of waiting.
void test_nowait(const xft::Disk& d) {
  xft::Bar0 bar(d);
  const unsigned fill = 160;  // more than a queue's 126 tags
  io_uring ring;
  if (io_uring_queue_init(256, &ring, 0)) ksft_exit_fail_msg("io_uring_queue_init failed\n");
  int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
  xft::Buffer buf(4096 * (fill + 1), false);
  fill_ring(bar, &ring, fd, buf.data(), fill);

  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  io_uring_prep_write(sqe, fd, buf.data() + 4096 * fill, 4096, 4096ULL * fill);
  sqe->rw_flags = RWF_NOWAIT;
  sqe->user_data = fill;
  auto t0 = std::chrono::steady_clock::now();
  io_uring_submit(&ring);
  int nowait_res = 1, failed = 0;
  double nowait_s = -1;
  for (unsigned seen = 0; seen <= fill; seen++) {
    io_uring_cqe* cqe;
    if (io_uring_wait_cqe(&ring, &cqe)) break;
    if (cqe->user_data == fill) {
      nowait_res = cqe->res;
      nowait_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } else if (cqe->res != 4096) {
      failed++;
    }
    io_uring_cqe_seen(&ring, cqe);
  }
  bar.write32(XFERBLK_REG_FAULT_DELAY_US, 0);
  io_uring_queue_exit(&ring);
  close(fd);
  ksft_test_result(nowait_res == -EAGAIN && nowait_s >= 0 && nowait_s < 0.3 && !failed,
                   "RWF_NOWAIT write against a full ring: %s after %.3f s; %d of %u others "
                   "failed\n",
                   nowait_res < 0 ? strerror(-nowait_res) : "success", nowait_s, failed, fill);
}

// A RWF_NOWAIT write that needs several commands: on an idle disk it is
// taken without waiting (async send: every child prepared first; sync send:
// the first child, the rest from the parent's worker) and lands; with the
// ring full it ends with EAGAIN at once and none of its children reaches
// the device (all or nothing), and the data there is unchanged.
void test_nowait_split(const xft::Disk& d) {
  xft::Bar0 bar(d);
  const unsigned fill = 160;              // more than a queue's 126 tags
  const size_t big = 4 * d.lim.max_xfer;  // four children at least
  const uint64_t big_off = 64ULL << 20;   // away from the filler writes
  const bool sync = xft::read_file("/sys/block/" + d.name + "/xferblk/send_mode") == "sync\n";
  io_uring ring;
  if (io_uring_queue_init(256, &ring, 0)) ksft_exit_fail_msg("io_uring_queue_init failed\n");
  int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
  xft::Buffer fillers(4096 * fill, false), data(big, false), back(big, false);

  auto nowait_write = [&](uint8_t pattern) {
    memset(data.data(), pattern, big);
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_write(sqe, fd, data.data(), big, big_off);
    sqe->rw_flags = RWF_NOWAIT;
    sqe->user_data = fill;
    io_uring_submit(&ring);
  };
  auto wait_all = [&](unsigned n, int* nowait_res) {
    for (unsigned seen = 0; seen < n; seen++) {
      io_uring_cqe* cqe;
      if (io_uring_wait_cqe(&ring, &cqe)) break;
      if (cqe->user_data == fill) *nowait_res = cqe->res;
      io_uring_cqe_seen(&ring, cqe);
    }
  };
  auto holds = [&](uint8_t pattern) {
    std::vector<uint8_t> want(big, pattern);
    return pread(fd, back.data(), big, big_off) == (ssize_t)big &&
           !memcmp(back.data(), want.data(), big);
  };

  memset(data.data(), 0x11, big);
  bool primed = pwrite(fd, data.data(), big, big_off) == (ssize_t)big;

  // Idle: the whole write goes out, whatever the send mode.
  uint64_t c0 = xft::stat(d, "children");
  int idle_res = 0;
  nowait_write(0x5a);
  wait_all(1, &idle_res);
  uint64_t idle_children = xft::stat(d, "children") - c0;
  const uint8_t now = 0x5a;
  bool idle_ok = primed && holds(now) && idle_res == (int)big && idle_children >= 4;
  ksft_test_result(idle_ok,
                   "RWF_NOWAIT %zu-byte write on an idle disk (%s send): %s in %llu children\n",
                   big, sync ? "sync" : "async", idle_res < 0 ? strerror(-idle_res) : "written",
                   (unsigned long long)idle_children);

  // Full ring: nothing of it may reach the device.
  uint64_t w0 = xft::stat(d, "dev_writes");
  fill_ring(bar, &ring, fd, fillers.data(), fill);
  int full_res = 1;
  nowait_write(0xa5);
  wait_all(fill + 1, &full_res);
  bar.write32(XFERBLK_REG_FAULT_DELAY_US, 0);
  uint64_t writes = xft::stat(d, "dev_writes") - w0;
  bool unchanged = holds(now);
  io_uring_queue_exit(&ring);
  close(fd);
  // Exactly the fillers reached the device, none of the write's children.
  ksft_test_result(full_res == -EAGAIN && unchanged && writes == fill,
                   "RWF_NOWAIT split write against a full ring: %s; %llu device writes "
                   "since (fillers only), data %s\n",
                   full_res < 0 ? strerror(-full_res) : "written", (unsigned long long)writes,
                   unchanged ? "unchanged" : "CHANGED");
}

}  // namespace

int main() {
  auto disks = xft::disks();
  // The device's default limits; tiny discard and write-zeroes limits; one queue.
  const xft::Disk& plain = xft::disk_with(disks, "max-transfer=131072,logical_block_size=512");
  const xft::Disk& tiny =
      xft::disk_with(disks, "max-discard-blocks=64,max-write-zeroes-blocks=128");
  const xft::Disk& single = xft::disk_with(disks, "queues=1");
  ksft_print_header();
  ksft_set_plan(30);

  test_preflush_fua(plain);
  test_fsync_and_dsync(plain);
  test_zeroing(tiny, "discard", "dev_discards", 64);
  test_zeroing(tiny, "zeroes", "dev_write_zeroes", 128);
  test_ioctls(plain);
  test_send_modes(plain);
  test_cancel(plain);
  test_timeout(plain);
  test_nowait(single);
  test_nowait_split(single);
  test_accounting_and_splits(plain);
  test_small_io_path(plain);
  test_irq_coalescing(plain);
  ksft_finished();
}
