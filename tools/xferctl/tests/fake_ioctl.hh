// SPDX-License-Identifier: GPL-2.0-only
//
// The driver's side of the ioctls in the tests: the XFERBLK_IOC_INFO answer
// for a disk like the fake sysfs tree's xferblk0 (fake_sysfs.hh).

#ifndef XFERCTL_TESTS_FAKE_IOCTL_HH_
#define XFERCTL_TESTS_FAKE_IOCTL_HH_

#include "uapi/xferblk.h"
#include "uapi/xferblk_hw.h"

namespace xferctl::testing {

// Two queues of 128, 512-byte blocks, 4 KiB and 2 segments per command,
// version 1.2, asynchronous sends, the driver's own splitting.
inline xferblk_info TwoQueueInfo() {
  xferblk_info info{};
  info.version = 1 << 16 | 2;
  info.capacity = 524288;
  info.block_size = 512;
  info.max_transfer = 4096;
  info.max_segments = 2;
  info.max_segment_size = 4096;
  info.seg_boundary = 0xffff;
  info.max_discard = 64;
  info.max_write_zeroes = 128;
  info.features = XFERBLK_FEAT_WRITE_CACHE | XFERBLK_FEAT_DISCARD;
  info.nr_queues = 2;
  info.queue_depth = 128;
  info.send_mode = XFERBLK_SEND_ASYNC;
  info.queue_mode = XFERBLK_QUEUE_BIO;
  return info;
}

}  // namespace xferctl::testing

#endif  // XFERCTL_TESTS_FAKE_IOCTL_HH_
