// The driver under a misbehaving device (spec 1.2 fault registers): every
// injected status reaches the caller as its documented errno; an LBA range
// that fails takes down exactly the parents touching it; completions for
// tags never issued, duplicated or surplus are counted and ignored; under
// random failures and jittered, reordered completions every acknowledged
// write reads back; nothing hangs. And on a device that lies at random
// (spec 1.3) no lie gets through and no block is wrong.
#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "../uapi/xferblk_hw.h"
#include "kselftest.h"
#include "xferblk_test.hh"

namespace {

constexpr size_t kBlock = 512;  // the unit each stamp covers

// Each block carries its own identity, so a misplaced or stale block shows.
// 32 bytes, so a whole number of stamps fills a block.
struct Stamp {
  uint64_t block;
  uint64_t generation;
  uint64_t check;
  uint64_t check2;
};
static_assert(kBlock % sizeof(Stamp) == 0);

uint64_t mix(uint64_t a, uint64_t b) { return (a * 0x9e3779b97f4a7c15ULL) ^ (b + 0x632be5ab); }

void stamp(uint8_t* p, uint64_t block, uint64_t gen) {
  Stamp s{block, gen, mix(block, gen), ~mix(gen, block)};
  for (size_t off = 0; off < kBlock; off += sizeof(s)) memcpy(p + off, &s, sizeof(s));
}

bool stamped(const uint8_t* p, uint64_t block, uint64_t gen) {
  Stamp s{block, gen, mix(block, gen), ~mix(gen, block)};
  for (size_t off = 0; off < kBlock; off += sizeof(s))
    if (memcmp(p + off, &s, sizeof(s))) return false;
  return true;
}

// The errno the spec promises for each status the device can report.
unsigned env_uint(const char* name, unsigned fallback) {
  const char* v = getenv(name);
  return v ? std::stoul(v) : fallback;
}

int expected_errno(uint32_t status) {
  switch (status) {
    case XFERBLK_STS_MEDIA_ERROR:
      return ENODATA;
    default:
      return EIO;
  }
}

int write_errno(const xft::Disk& d, uint64_t off, size_t bytes) {
  xft::Buffer buf(bytes, false);
  memset(buf.data(), 0x6e, bytes);
  int fd = open(d.dev.c_str(), O_WRONLY | O_DIRECT);
  errno = 0;
  ssize_t n = fd < 0 ? -1 : pwrite(fd, buf.data(), bytes, off);
  int err = n == static_cast<ssize_t>(bytes) ? 0 : (errno ? errno : EIO);
  if (fd >= 0) close(fd);
  return err;
}

// Each call is one parent: the driver must count exactly the failures the
// caller saw.
void test_error_mapping(const xft::Disk& d, const xft::Bar0& bar) {
  uint64_t parent_errors = xft::stat(d, "parent_errors");
  unsigned seen = 0;
  for (uint32_t s = XFERBLK_STS_INVALID_OPCODE; s < XFERBLK_STS_NR; s++) {
    bar.write32(XFERBLK_REG_FAULT_STATUS, s);
    bar.write32(XFERBLK_REG_FAULT_FAIL_NTH, 1);
    int err = write_errno(d, 1 << 20, 64 << 10);
    seen += err != 0;
    ksft_test_result(err == expected_errno(s), "device status %u reaches the caller as %s (%s)\n",
                     s, strerror(expected_errno(s)), strerror(err));
  }
  bar.write32(XFERBLK_REG_FAULT_DMA_NTH, 1);
  int err = write_errno(d, 1 << 20, 64 << 10);
  seen += err != 0;
  uint64_t counted = xft::stat(d, "parent_errors") - parent_errors;
  ksft_test_result(err == EIO && counted == seen,
                   "a bus error during DMA reaches the caller as %s (%s); %u errors seen, %llu "
                   "counted\n",
                   strerror(EIO), strerror(err), seen, (unsigned long long)counted);
  bar.write32(XFERBLK_REG_FAULT_STATUS, XFERBLK_STS_MEDIA_ERROR);
}

// 64 parents of 256 KiB in a row, written while a 4-block range that
// straddles parents 40 and 41 fails: exactly those two must fail. With the
// range off, every parent writes and verifies.
void test_lba_range(const xft::Disk& d, const xft::Bar0& bar) {
  const size_t parent = 256 << 10, n = 64;
  const uint64_t base = 8 << 20, lbs = d.lim.block_size;
  const uint64_t start = (base + 41 * parent) / lbs - 2, count = 4;

  xft::Buffer buf(parent * n, false), back(parent * n, false);
  for (size_t i = 0; i < parent * n / kBlock; i++) stamp(buf.data() + i * kBlock, i, 7);
  int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
  if (fd < 0) ksft_exit_fail_msg("open %s: %s\n", d.dev.c_str(), strerror(errno));
  bar.write32(XFERBLK_REG_FAULT_LBA_START, start & 0xffffffff);
  bar.write32(XFERBLK_REG_FAULT_LBA_START + 4, start >> 32);
  bar.write32(XFERBLK_REG_FAULT_LBA_COUNT + 4, 0);
  bar.write32(XFERBLK_REG_FAULT_LBA_COUNT, count);
  std::string failed;
  uint64_t parent_errors = xft::stat(d, "parent_errors");
  for (size_t p = 0; p < n; p++)
    if (pwrite(fd, buf.data() + p * parent, parent, base + p * parent) < 0)
      failed += (failed.empty() ? "" : ",") + std::to_string(p);
  bar.write32(XFERBLK_REG_FAULT_LBA_COUNT, 0);
  uint64_t counted = xft::stat(d, "parent_errors") - parent_errors;

  bool verified = pwrite(fd, buf.data(), parent * n, base) == static_cast<ssize_t>(parent * n) &&
                  pread(fd, back.data(), parent * n, base) == static_cast<ssize_t>(parent * n) &&
                  !memcmp(buf.data(), back.data(), parent * n);
  close(fd);
  ksft_test_result(failed == "40,41" && counted == 2,
                   "an LBA range failure fails exactly the parents that touch it: %s (want "
                   "40,41), %llu counted by the driver\n",
                   failed.c_str(), (unsigned long long)counted);
  ksft_test_result(verified, "with the range off all %zu parents write and verify\n", n);
}

void test_hostile_completions(const xft::Disk& d, const xft::Bar0& bar) {
  uint64_t bogus = xft::stat(d, "bogus_completions");
  const uint32_t kinds[] = {XFERBLK_HOSTILE_UNKNOWN_TAG, XFERBLK_HOSTILE_DUPLICATE,
                            XFERBLK_HOSTILE_EXTRA};
  bool served = true;
  for (uint32_t k : kinds) {
    bar.write32(XFERBLK_REG_FAULT_HOSTILE, k);
    served = served && write_errno(d, 2 << 20, 512 << 10) == 0;
  }
  xft::Buffer out(1 << 20, false), in(1 << 20, false);
  for (size_t i = 0; i < (1 << 20) / kBlock; i++) stamp(out.data() + i * kBlock, i, 9);
  int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
  bool ok = fd >= 0 && pwrite(fd, out.data(), 1 << 20, 3 << 20) == (1 << 20) &&
            pread(fd, in.data(), 1 << 20, 3 << 20) == (1 << 20) &&
            !memcmp(out.data(), in.data(), 1 << 20);
  if (fd >= 0) close(fd);
  uint64_t seen = xft::stat(d, "bogus_completions") - bogus;
  // 1 unknown tag + 1 duplicate + 8 surplus.
  ksft_test_result(seen == 10 && served && ok,
                   "bogus completions counted (%llu of 10) and ignored; I/O goes on and "
                   "verifies\n",
                   (unsigned long long)seen);
}

// Random reads and writes through io_uring, iodepth 32, no two in flight
// over the same block, while 1% of commands fail and completions jitter
// and reorder. Every 512-byte block written carries the run's nonce, so
// no earlier run can pass for this one; the test remembers the last
// acknowledged stamp of every block, checks each successful read against
// it as it completes and every block at the end. An I/O of at most 1 MiB
// from a page-aligned buffer is one bio, one parent, so the errors the
// callers saw must equal the driver's parent_errors exactly. A multi-bio
// run goes up to 8 MiB, where the block layer makes up to one bio per 256
// pages: each failed call then has between one failed parent and one per
// bio, and the check is those bounds.
// XFERBLK_SEED=<n> replays a run; each run prints its seed.
//
// The chaos run is the same workload on a device that lies (spec 1.3, "A
// lying device"): every kind of lie but REGISTER, each at XFERBLK_CHAOS_PPM
// (default 50000). The driver must refuse exactly the lies it can see
// through (its bogus_completions rise by the STRAY, DUPLICATE and EARLY
// lies told), fail the commands whose reports lie (STATUS, RESULT), and
// lose nothing to dropped interrupts or delays.
struct RunResult {
  unsigned ios = 0, failed = 0;
  uint64_t checked = 0, wrong = 0, faults = 0;
  bool counted = false;      // the driver's parent_errors agree with the failures seen
  bool lies_refused = true;  // chaos: bogus_completions == the refusable lies
  std::string lies;          // chaos: the lies told, per kind
  bool ok = false;
};

uint64_t lies_told(const xft::Bar0& bar, unsigned kind) {
  return bar.read64(XFERBLK_REG_FAULT_CHAOS_LIES + 8 * kind);
}

constexpr const char* kLieNames[XFERBLK_CHAOS_NR] = {"stray",  "duplicate", "early", "status",
                                                     "result", "no-irq",    "delay", "register"};

RunResult random_run(const xft::Disk& d, const xft::Bar0& bar, uint64_t seed, unsigned total,
                     bool multi_bio, bool chaos = false) {
  const uint64_t blocks = (64 << 20) / kBlock, base = (96 << 20) / kBlock;
  const unsigned depth = 32;
  const unsigned max_log2 = multi_bio ? 14 : 11;  // 512 B << max_log2
  const size_t max_bytes = kBlock << max_log2;
  std::mt19937_64 rng(seed);
  const uint64_t nonce = rng();
  std::vector<uint64_t> acked(blocks, 0);  // 0: never written this run; ~0: unknown
  std::vector<bool> busy(blocks, false);
  struct Io {
    uint64_t first, count, gen;
    bool write;
    uint8_t* buf;
  };
  std::vector<Io> ios(depth);
  xft::Buffer mem(depth * max_bytes, false);
  io_uring ring;
  if (io_uring_queue_init(depth, &ring, 0)) ksft_exit_fail_msg("io_uring_queue_init\n");
  int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
  if (fd < 0) ksft_exit_fail_msg("open %s: %s\n", d.dev.c_str(), strerror(errno));

  RunResult r;
  uint64_t max_failed_bios = 0;  // one per 256 pages of each failed call
  uint64_t parent_errors = xft::stat(d, "parent_errors");
  uint64_t faults = bar.counter(XFERBLK_CNT_FAULTS);
  uint64_t bogus = xft::stat(d, "bogus_completions");
  uint64_t lies0[XFERBLK_CHAOS_NR];
  for (unsigned k = 0; k < XFERBLK_CHAOS_NR; k++) lies0[k] = lies_told(bar, k);
  bar.write32(XFERBLK_REG_FAULT_SEED, static_cast<uint32_t>(rng()));
  if (chaos) {
    bar.write32(XFERBLK_REG_FAULT_CHAOS_KINDS,
                ((1u << XFERBLK_CHAOS_NR) - 1) & ~(1u << XFERBLK_CHAOS_REGISTER));
    bar.write32(XFERBLK_REG_FAULT_CHAOS_PPM, env_uint("XFERBLK_CHAOS_PPM", 50000));
  } else {
    bar.write32(XFERBLK_REG_FAULT_PROB_PPM, 10000);
    bar.write32(XFERBLK_REG_FAULT_JITTER_US, 2000);
  }
  std::vector<unsigned> free_slots;
  for (unsigned i = 0; i < depth; i++) free_slots.push_back(i);
  unsigned submitted = 0, gen = 0;
  while (r.ios < total) {
    while (submitted < total && !free_slots.empty()) {
      uint64_t count = 1ULL << (rng() % (max_log2 + 1));
      uint64_t first = rng() % (blocks - count);
      bool write = rng() % 2 == 0;
      bool clash = false;
      for (uint64_t b = first; b < first + count; b++) clash = clash || busy[b];
      if (clash) continue;
      unsigned slot = free_slots.back();
      free_slots.pop_back();
      Io& io = ios[slot];
      io = {first, count, ++gen, write, mem.data() + slot * max_bytes};
      for (uint64_t b = 0; b < count; b++) {
        busy[first + b] = true;
        if (write) stamp(io.buf + b * kBlock, first + b, nonce ^ io.gen);
      }
      io_uring_sqe* sqe = io_uring_get_sqe(&ring);
      if (write)
        io_uring_prep_write(sqe, fd, io.buf, count * kBlock, (base + first) * kBlock);
      else
        io_uring_prep_read(sqe, fd, io.buf, count * kBlock, (base + first) * kBlock);
      sqe->user_data = slot;
      io_uring_submit(&ring);
      submitted++;
    }
    io_uring_cqe* cqe;
    __kernel_timespec ts = {.tv_sec = 60, .tv_nsec = 0};
    if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts)) break;  // a hang
    Io& io = ios[cqe->user_data];
    bool ok = cqe->res == static_cast<int>(io.count * kBlock);
    for (uint64_t b = 0; b < io.count; b++) {
      uint64_t blk = io.first + b;
      busy[blk] = false;
      if (io.write) {
        // A failed write may have landed in part: its blocks are unknown.
        acked[blk] = ok ? nonce ^ io.gen : ~0ULL;
      } else if (ok && acked[blk] && acked[blk] != ~0ULL) {
        r.checked++;
        r.wrong += !stamped(io.buf + b * kBlock, blk, acked[blk]);
      }
    }
    r.failed += !ok;
    if (!ok) max_failed_bios += (io.count * kBlock + (256 << 12) - 1) / (256 << 12);
    free_slots.push_back(cqe->user_data);
    io_uring_cqe_seen(&ring, cqe);
    r.ios++;
  }
  bar.write32(XFERBLK_REG_FAULT_PROB_PPM, 0);
  bar.write32(XFERBLK_REG_FAULT_JITTER_US, 0);
  bar.write32(XFERBLK_REG_FAULT_CHAOS_PPM, 0);
  io_uring_queue_exit(&ring);
  r.faults = bar.counter(XFERBLK_CNT_FAULTS) - faults;
  uint64_t driver_errors = xft::stat(d, "parent_errors") - parent_errors;
  if (chaos) {
    // Lies behind a dropped interrupt wait for the driver's timeout scan
    // (at most a second apart).
    sleep(3);
    uint64_t told[XFERBLK_CHAOS_NR], refusable = 0;
    for (unsigned k = 0; k < XFERBLK_CHAOS_NR; k++) {
      told[k] = lies_told(bar, k) - lies0[k];
      r.faults += told[k];
      r.lies += std::string(k ? ", " : "") + kLieNames[k] + " " + std::to_string(told[k]);
    }
    refusable =
        told[XFERBLK_CHAOS_STRAY] + told[XFERBLK_CHAOS_DUPLICATE] + told[XFERBLK_CHAOS_EARLY];
    uint64_t refused = xft::stat(d, "bogus_completions") - bogus;
    r.lies_refused = refused == refusable;
    for (unsigned k = 0; k < XFERBLK_CHAOS_NR; k++)
      r.lies_refused = r.lies_refused && (told[k] > 0 || k == XFERBLK_CHAOS_REGISTER);
    ksft_print_msg("seed %llu: lies told: %s; %llu refused by the driver\n",
                   (unsigned long long)seed, r.lies.c_str(), (unsigned long long)refused);
  }

  xft::Buffer all(blocks * kBlock, false);
  bool read_ok = pread(fd, all.data(), blocks * kBlock, base * kBlock) ==
                 static_cast<ssize_t>(blocks * kBlock);
  close(fd);
  for (uint64_t b = 0; b < blocks && read_ok; b++) {
    if (!acked[b] || acked[b] == ~0ULL) continue;
    r.checked++;
    r.wrong += !stamped(all.data() + b * kBlock, b, acked[b]);
  }
  r.counted = multi_bio ? driver_errors >= r.failed && driver_errors <= max_failed_bios
                        : driver_errors == r.failed;
  r.ok = r.ios == total && r.failed > 0 && read_ok && !r.wrong && r.counted && r.lies_refused;
  ksft_print_msg(
      "seed %llu: %u I/Os, %u failed (driver counted %llu), %llu faults injected, "
      "%llu blocks checked, %llu wrong%s\n",
      (unsigned long long)seed, r.ios, r.failed, (unsigned long long)driver_errors,
      (unsigned long long)r.faults, (unsigned long long)r.checked, (unsigned long long)r.wrong,
      multi_bio ? " (multi-bio)" : "");
  return r;
}

uint64_t fresh_seed() {
  if (const char* s = getenv("XFERBLK_SEED")) return std::stoull(s, nullptr, 0);
  return (static_cast<uint64_t>(std::random_device{}()) << 32) | std::random_device{}();
}

// @runs runs; with @multi_bio the last one is a multi-bio run.
void test_random_faults(const xft::Disk& d, const xft::Bar0& bar, unsigned runs, unsigned ios,
                        bool multi_bio) {
  for (unsigned i = 0; i < runs; i++) {
    uint64_t seed = fresh_seed();
    bool multi = multi_bio && i == runs - 1;
    RunResult r = random_run(d, bar, seed, ios, multi);
    ksft_test_result(r.ok,
                     "seed %llu: %u reads and writes of 512 B-%s under 1%% failures and jitter: "
                     "%u failed, %s by the driver, none hung; %llu blocks verified, %llu wrong\n",
                     (unsigned long long)seed, r.ios, multi ? "8 MiB" : "1 MiB", r.failed,
                     r.counted ? "as many counted" : "MISCOUNTED", (unsigned long long)r.checked,
                     (unsigned long long)r.wrong);
  }
}

// The chaos run: a lying device, the same workload; XFERBLK_CHAOS_IOS
// I/Os (default 1500).
void test_chaos(const xft::Disk& d, const xft::Bar0& bar) {
  uint64_t seed = fresh_seed();
  RunResult r = random_run(d, bar, seed, env_uint("XFERBLK_CHAOS_IOS", 1500), false, true);
  ksft_test_result(r.ok,
                   "seed %llu: %u reads and writes on a lying device: %llu lies (%s), %s; %u "
                   "failed, %s by the driver, none hung; %llu blocks verified, %llu wrong\n",
                   (unsigned long long)seed, r.ios, (unsigned long long)r.faults, r.lies.c_str(),
                   r.lies_refused ? "every refusable one refused" : "MISCOUNTED REFUSALS", r.failed,
                   r.counted ? "as many counted" : "MISCOUNTED", (unsigned long long)r.checked,
                   (unsigned long long)r.wrong);
}

}  // namespace

// XFERBLK_FAULT_RUNS (default 4) random runs of XFERBLK_FAULT_IOS (1500)
// I/Os each, the last a multi-bio run, then a chaos run; with --soak only
// the random runs, for `make soak`, multi-bio if XFERBLK_FAULT_MULTI_BIO=1;
// with --chaos only a chaos run, for `make chaos`.
int main(int argc, char** argv) {
  bool soak = argc > 1 && std::string(argv[1]) == "--soak";
  bool chaos = argc > 1 && std::string(argv[1]) == "--chaos";
  auto disks = xft::disks();
  const xft::Disk& d = disks.front();
  xft::Bar0 bar(d);
  uint32_t version = bar.read32(XFERBLK_REG_VERSION);
  if (version < (1u << 16 | 2)) ksft_exit_skip("device version %#x has no 1.2 faults\n", version);
  unsigned runs = env_uint("XFERBLK_FAULT_RUNS", 4), ios = env_uint("XFERBLK_FAULT_IOS", 1500);
  ksft_print_header();
  if (soak) {
    ksft_set_plan(runs);
    test_random_faults(d, bar, runs, ios, env_uint("XFERBLK_FAULT_MULTI_BIO", 0));
    ksft_finished();
  }
  if (chaos) {
    ksft_set_plan(1);
    test_chaos(d, bar);
    ksft_finished();
  }
  bool lies = version >= (1u << 16 | 3);
  ksft_set_plan(XFERBLK_STS_NR - 1 + 1 + 2 + 1 + runs + lies);
  test_error_mapping(d, bar);
  test_lba_range(d, bar);
  test_hostile_completions(d, bar);
  test_random_faults(d, bar, runs, ios, true);
  if (lies) test_chaos(d, bar);
  ksft_finished();
}
