// SPDX-License-Identifier: GPL-2.0-only
//
// The ioctls of uapi/xferblk.h, and what their answers mean for DiskInfo.

#include "ioctl.hh"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>

namespace xferctl {
namespace {

static_assert(kHistLabels.size() == XFERBLK_HIST_BUCKETS);
static_assert(kDriverCounters.size() == 10);

// The names of enum xferblk_send_mode and enum xferblk_queue_mode, indexed
// by value.
constexpr std::array<std::string_view, 2> kSendModeNames = {"async", "sync"};
static_assert(XFERBLK_SEND_ASYNC == 0 && XFERBLK_SEND_SYNC == 1);
constexpr std::array<std::string_view, 2> kQueueModeNames = {"bio", "mq"};
static_assert(XFERBLK_QUEUE_BIO == 0 && XFERBLK_QUEUE_MQ == 1);

// names[value], or "" for a value past the table.
template <size_t N>
std::string_view NameOf(const std::array<std::string_view, N>& names, uint32_t value) {
  return value < N ? names[value] : "";
}

class DevNode : public Device {
 public:
  explicit DevNode(int fd) : fd_(fd) {}
  ~DevNode() override { ::close(fd_); }
  DevNode(const DevNode&) = delete;
  DevNode& operator=(const DevNode&) = delete;

  int Info(xferblk_info* info) override { return Call(XFERBLK_IOC_INFO, info); }
  int Stats(xferblk_ioc_stats* stats) override { return Call(XFERBLK_IOC_STATS, stats); }
  int ResetStats() override { return Call(XFERBLK_IOC_RESET_STATS, nullptr); }
  int SetSendMode(uint32_t mode) override {
    xferblk_ioc_send_mode req{};
    req.mode = mode;
    return Call(XFERBLK_IOC_SET_SEND_MODE, &req);
  }

 private:
  int Call(unsigned long cmd, void* arg) {
    int ret;
    do {
      ret = ::ioctl(fd_, cmd, arg);
    } while (ret < 0 && errno == EINTR);
    return ret < 0 ? errno : 0;
  }

  int fd_;
};

}  // namespace

bool SameDevice(std::string_view dev_text, dev_t rdev) {
  size_t colon = dev_text.find(':');
  if (colon == std::string_view::npos) return false;
  std::optional<uint64_t> maj = ParseU64(dev_text.substr(0, colon));
  std::optional<uint64_t> min = ParseU64(dev_text.substr(colon + 1));
  // ParseU64 takes hex too; a dev file is decimal.
  if (!maj || !min || dev_text.find('x') != std::string_view::npos) return false;
  return *maj == major(rdev) && *min == minor(rdev);
}

std::unique_ptr<Device> OpenDevNode(const Sysfs& sys, std::string_view disk, int* err) {
  std::string dev_text;
  try {
    dev_text = Sysfs::ReadFile(sys.DiskDir(disk) / "dev");
  } catch (const SysfsError& e) {
    *err = e.errnum() ? e.errnum() : ENODEV;
    return nullptr;
  }
  const std::string path = "/dev/" + std::string(disk);
  // O_NONBLOCK: opening must not wait for anything; the ioctls do no I/O.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return nullptr;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISBLK(st.st_mode) || !SameDevice(dev_text, st.st_rdev)) {
    ::close(fd);
    *err = ENODEV;
    return nullptr;
  }
  *err = 0;
  return std::make_unique<DevNode>(fd);
}

std::string_view SendModeName(uint32_t mode) { return NameOf(kSendModeNames, mode); }

std::optional<uint32_t> SendModeValue(std::string_view name) {
  for (uint32_t mode = 0; mode < kSendModeNames.size(); mode++)
    if (kSendModeNames[mode] == name) return mode;
  return std::nullopt;
}

std::string_view QueueModeName(uint32_t mode) { return NameOf(kQueueModeNames, mode); }

std::optional<std::string> ApplyIoctl(const xferblk_info& info, const xferblk_ioc_stats& stats,
                                      DiskInfo* d) {
  if (SendModeName(info.send_mode).empty())
    return "XFERBLK_IOC_INFO: unknown send mode " + std::to_string(info.send_mode);
  if (QueueModeName(info.queue_mode).empty())
    return "XFERBLK_IOC_INFO: unknown queue mode " + std::to_string(info.queue_mode);
  if (stats.nr_queues == 0 || stats.nr_queues > XFERBLK_INFO_MAX_QUEUES)
    return "XFERBLK_IOC_STATS: " + std::to_string(stats.nr_queues) + " queues (1 to " +
           std::to_string(XFERBLK_INFO_MAX_QUEUES) + ")";
  if (info.nr_queues != stats.nr_queues)
    return "XFERBLK_IOC_INFO says " + std::to_string(info.nr_queues) +
           " queues, XFERBLK_IOC_STATS " + std::to_string(stats.nr_queues);

  // In kDriverCounters' order.
  const uint64_t values[] = {stats.parents,  stats.children,   stats.errors,        stats.rejected,
                             stats.bogus,    stats.unsendable, stats.parent_errors, stats.cancelled,
                             stats.timeouts, stats.resets};
  d->driver_counters.clear();
  for (size_t i = 0; i < kDriverCounters.size(); i++)
    d->driver_counters.push_back({std::string(kDriverCounters[i]), values[i]});
  d->children_hist.assign(stats.hist, stats.hist + XFERBLK_HIST_BUCKETS);
  d->queue_commands.assign(stats.queue_commands, stats.queue_commands + stats.nr_queues);
  d->send_mode = std::string(SendModeName(info.send_mode));
  d->queue_mode = std::string(QueueModeName(info.queue_mode));

  DeviceInfo dev;
  dev.version_major = info.version >> 16;
  dev.version_minor = info.version & 0xffff;
  dev.capacity_blocks = info.capacity;
  dev.block_size = info.block_size;
  dev.max_transfer = info.max_transfer;
  dev.max_segments = info.max_segments;
  dev.max_segment_size = info.max_segment_size;
  dev.seg_boundary = info.seg_boundary;
  dev.max_discard_blocks = info.max_discard;
  dev.max_write_zeroes_blocks = info.max_write_zeroes;
  dev.features = info.features;
  dev.nr_queues = info.nr_queues;
  dev.queue_depth = info.queue_depth;
  d->device = dev;
  d->source = "ioctl";
  return std::nullopt;
}

}  // namespace xferctl
