// SPDX-License-Identifier: GPL-2.0-only
//
// The driver's ioctls (uapi/xferblk.h) on /dev/xferblkN: one consistent
// snapshot of a disk's counters per call, and the two settings. xferctl uses
// them when it can open the disk and falls back to sysfs otherwise (not
// root, an older driver, a fake sysfs tree). The device is an interface so
// the tests can stand in for the kernel.

#ifndef XFERCTL_IOCTL_HH_
#define XFERCTL_IOCTL_HH_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sysfs.hh"
#include "uapi/xferblk.h"

namespace xferctl {

// One open disk. Each call returns 0 or the errno the kernel gave.
class Device {
 public:
  virtual ~Device() = default;
  virtual int Info(xferblk_info* info) = 0;
  virtual int Stats(xferblk_ioc_stats* stats) = 0;
  virtual int ResetStats() = 0;
  virtual int SetSendMode(uint32_t mode) = 0;
};

// Opens DISK ("xferblkN") of the sysfs tree `sys` for the ioctls, or returns
// nullptr with *err set to why not.
using DeviceOpener =
    std::function<std::unique_ptr<Device>(const Sysfs& sys, std::string_view disk, int* err)>;

// The real opener: /dev/DISK, read-only, and only if it is the block device
// sysfs names (DISK/dev in `sys`), so a fake tree or a stray node named like
// the disk is never used (ENODEV).
std::unique_ptr<Device> OpenDevNode(const Sysfs& sys, std::string_view disk, int* err);

// Whether the text of a sysfs "dev" file ("MAJ:MIN\n") names `rdev`.
bool SameDevice(std::string_view dev_text, dev_t rdev);

// "async"/"sync" for enum xferblk_send_mode, "" for anything else; and back.
std::string_view SendModeName(uint32_t mode);
std::optional<uint32_t> SendModeValue(std::string_view name);

// "bio"/"mq" for enum xferblk_queue_mode, "" for anything else.
std::string_view QueueModeName(uint32_t mode);

// Fills what the ioctls report into `d` (read from sysfs before): the driver
// counters, histogram, per-queue commands and send mode from the snapshot,
// and the device's own description (d->device). Returns why the answer
// cannot be right (and leaves `d` alone) or nothing.
std::optional<std::string> ApplyIoctl(const xferblk_info& info, const xferblk_ioc_stats& stats,
                                      DiskInfo* d);

}  // namespace xferctl

#endif  // XFERCTL_IOCTL_HH_
