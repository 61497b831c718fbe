// Shared helpers of the in-guest xferblk selftests: which disks the runner
// started and with which device properties, the driver's and the device's
// counters, and a model of how the block layer turns an O_DIRECT buffer into
// bios, so a test can predict exactly how many children the driver must cut.
#pragma once

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
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
  xferblk_limits lim;  // what the driver must use for this device
  uint64_t bytes;      // capacity
};

// The first @max disks from XFERBLK_DISKS / XFERBLK_DISK_PROPS_<i>; aborts
// the test (ksft_exit_fail) when one of them has no block device.
std::vector<Disk> disks(size_t max = SIZE_MAX);

std::string read_file(const std::string& path);
uint64_t read_u64(const std::string& path);
bool write_file(const std::string& path, const std::string& value);

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
  void write32(uint32_t off, uint32_t value) const;

 private:
  volatile uint8_t* base_ = nullptr;
  size_t len_ = 0;
};

// One physically contiguous piece of a user buffer, as a bvec sees it.
struct Range {
  uint64_t phys;
  uint32_t len;
};

// The iovec cut at page boundaries, each chunk with its physical address
// (from /proc/self/pagemap: needs root and resident, locked pages).
std::vector<Range> page_chunks(const std::vector<iovec>& iov);

// What the driver should do with one O_DIRECT call over @iov.
struct Expect {
  unsigned parents = 0;
  unsigned children = 0;
};
Expect expect_split(const std::vector<iovec>& iov, const xferblk_limits& lim);

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

}  // namespace xft
