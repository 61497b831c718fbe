// Shared helpers of the in-guest xferblk selftests: which disks the runner
// started and with which device properties, the driver's and the device's
// counters, a model of how the block layer turns an O_DIRECT buffer into
// bios, so a test can predict exactly how many children the driver must cut,
// and, for the tests of the userspace tools, running a tool (they read its
// JSON with nlohmann_json).
#pragma once

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

extern "C" {
#include "../kmod/plan.h"
}

namespace xft {

// One xferblk disk as the runner configured it.
struct Disk {
  std::string pci;   // PCI address, e.g. 0000:00:10.0
  std::string name;  // xferblkN
  std::string dev;   // /dev/xferblkN
  std::string props;
  std::map<std::string, std::string> prop;  // its device properties, defaults filled in
  xferblk_limits lim;                       // what the driver must use for this device
  uint64_t bytes;                           // capacity
};

// The first @max disks from XFERBLK_DISKS / XFERBLK_DISK_PROPS_<i>; aborts
// the test (ksft_exit_fail) when one of them has no block device.
std::vector<Disk> disks(size_t max = SIZE_MAX);

// The disk a test needs, named by its shape: the first of @disks whose
// device properties include every name=value of @shape (e.g.
// "queues=1,logical_block_size=4096"); skips the test (ksft_exit_skip)
// when the guest has none.
const Disk& disk_with(const std::vector<Disk>& disks, const std::string& shape);

std::string read_file(const std::string& path);
uint64_t read_u64(const std::string& path);
bool write_file(const std::string& path, const std::string& value);

// Where the driver keeps attribute @name of disk @d: /sys/block/<disk>/xferblk/
// for single values, debugfs (/sys/kernel/debug/xferblk/<disk>/) for the
// counters that are tables (children_hist, queue_commands, dev_status).
std::string attr_path(const Disk& d, const std::string& name);

// A snapshot of the counters in /sys/block/<disk>/xferblk/.
struct Counters {
  uint64_t parents, children, errors, rejected, dev_commands, dev_rejected;
  std::vector<uint64_t> dev_status;
};
Counters counters(const Disk& d);

// One counter from /sys/block/<disk>/xferblk/<name>.
uint64_t stat(const Disk& d, const std::string& name);

// BAR0 of the disk's PCI device, mapped through its resource file: how the
// tests reach the device's test-only fault registers.
class Bar0 {
 public:
  explicit Bar0(const Disk& d);
  ~Bar0();
  Bar0(const Bar0&) = delete;
  Bar0& operator=(const Bar0&) = delete;
  uint32_t read32(uint32_t off) const;
  uint64_t read64(uint32_t off) const;  // low half first
  void write32(uint32_t off, uint32_t value) const;
  // A 64-bit register as two 32-bit writes, high half first.
  void write64(uint32_t off, uint64_t value) const;
  // FAULT_LBA_START/COUNT: commands touching [start, start + count) fail;
  // count 0 disarms.
  void fail_lbas(uint64_t start, uint64_t count) const;
  uint64_t counter(unsigned index) const;  // the device's COUNTER[index]

 private:
  volatile uint8_t* base_ = nullptr;
  size_t len_ = 0;
};

// The bus master enable bit of the disk's PCI command register, read and
// written through its config file behind the driver's back (a device
// losing the bus).
bool bus_master(const Disk& d);
void set_bus_master(const Disk& d, bool on);

// A module parameter set for the scope of this object, restored after.
class ParamGuard {
 public:
  ParamGuard(const std::string& name, const std::string& value);
  ~ParamGuard();
  ParamGuard(const ParamGuard&) = delete;
  ParamGuard& operator=(const ParamGuard&) = delete;

 private:
  std::string path_, saved_;
};

// One physically contiguous piece of a user buffer, as a bvec sees it.
struct Range {
  uint64_t phys;
  uint32_t len;
  unsigned seg = 0;         // the iovec element it lies in
  bool folio_tail = false;  // continues the previous chunk's folio, contiguously
};

// The iovec cut at page boundaries, each chunk with its physical address
// (from /proc/self/pagemap: needs root and resident, locked pages).
std::vector<Range> page_chunks(const std::vector<iovec>& iov);

// Whether the running kernel builds direct-I/O bios from folio runs
// (iov_iter_extract_bvecs(), 7.x) rather than page by page (6.1, 6.12).
bool bios_from_folios();

// Parents per bucket of children, as xferblk/children_hist counts them:
// 1, 2, 3-4, 5-8, ..., 257+.
constexpr size_t kHistBuckets = 10;
using Hist = std::array<uint64_t, kHistBuckets>;
size_t hist_bucket(uint64_t children);

// What the driver should do with one O_DIRECT call over @iov.
struct Expect {
  unsigned parents = 0;
  unsigned children = 0;
  uint64_t segments = 0;  // SG entries of all children (the device's dev_segments)
  Hist hist{};            // parents per bucket of children
};
Expect expect_split(const std::vector<iovec>& iov, const xferblk_limits& lim);

// The same for a buffer whose physical pages are given (page_chunks() reads
// the real ones): one Range per piece of @iov cut at page boundaries, in
// order. Lets a test ask what the split would be for any placement of pages.
Expect expect_split(const std::vector<iovec>& iov, const std::vector<Range>& pages,
                    const xferblk_limits& lim);

// Memory mapped, populated and locked; freed on destruction.
class Buffer {
 public:
  Buffer(size_t bytes, bool huge);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  uint8_t* data() const { return ptr_; }
  size_t size() const { return size_; }

 private:
  void* map_ = nullptr;
  size_t map_len_ = 0;
  uint8_t* ptr_ = nullptr;
  size_t size_ = 0;
};

// A program run to its end, with what it printed.
struct Proc {
  int exit_code = -1;  // -1: killed by a signal; 127: could not be run
  std::string out;
  std::string err;
};

// Runs @argv (argv[0] a path) with stdin from /dev/null, capturing stdout and
// stderr. With @uid >= 0 the child drops to that uid and gid first (all
// capabilities go with root's uid).
Proc run(const std::vector<std::string>& argv, int uid = -1);

// A userspace tool `make selftests` installed next to the test binaries
// (build/selftests/xferio, build/selftests/xferctl), copied to a private
// world-readable directory in /tmp that is removed at exit; returns the
// copy's path. Aborts the test with ksft_exit_fail if the tool is missing.
std::string tool(const std::string& name);

// What one check found wrong, collected so a single KTAP line can name
// every mismatch: want() for a condition, eq() for a value.
struct Problems {
  std::vector<std::string> list;
  void want(bool ok, const std::string& what) {
    if (!ok) list.push_back(what);
  }
  template <typename A, typename B>
  void eq(const std::string& what, const A& got, const B& want) {
    if (!(got == want)) {
      std::ostringstream s;
      s << what << " " << got << ", want " << want;
      list.push_back(s.str());
    }
  }
  bool ok() const { return list.empty(); }
  std::string str() const {
    std::string s;
    for (const auto& p : list) s += (s.empty() ? ": " : "; ") + p;
    return s;
  }
};

}  // namespace xft
