// The ioctls of uapi/xferblk.h, held to that header's contract:
//   - XFERBLK_IOC_INFO describes the disk as sysfs (queue/ limits, xferblk/
//     attributes) and the PCI device's registers do, with every reserved
//     word zero;
//   - XFERBLK_IOC_STATS after I/O is the sysfs counters, moved by exactly
//     the split the I/O must produce;
//   - XFERBLK_IOC_RESET_STATS zeroes them; XFERBLK_IOC_SET_SEND_MODE switches
//     xferblk/send_mode, and the driver then sends as that mode says;
//   - every malformed call fails with its errno and changes nothing: an
//     unknown number on our magic, or a known number with the wrong size or
//     direction encoded (ENOTTY), a pointer the kernel cannot read or write
//     (EFAULT), a non-zero flag or an out-of-range mode, an argument to
//     RESET_STATS (EINVAL); without CAP_SYS_ADMIN (dropped with capset(2) in
//     a forked child that stays uid 0) RESET_STATS and SET_SEND_MODE fail
//     with EPERM while INFO and STATS still work.
// "Changes nothing" is checked on the STATS snapshot, the sysfs counters and
// send_mode, with counters that are not zero and a request for the other
// send mode, so a call wrongly carried out would show.
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "../uapi/xferblk.h"
#include "../uapi/xferblk_hw.h"
#include "kselftest.h"
#include "xferblk_test.hh"

namespace {

using xft::Problems;

constexpr size_t kPage = 4096;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}
std::string attr(const xft::Disk& d, const std::string& name) {
  return trimmed(xft::read_file(xft::attr_path(d, name)));
}
uint64_t queue_u64(const xft::Disk& d, const std::string& name) {
  return xft::read_u64("/sys/block/" + d.name + "/queue/" + name);
}
std::vector<uint64_t> numbers(const std::string& text) {
  std::vector<uint64_t> v;
  std::stringstream ss(text);
  for (uint64_t n; ss >> n;) v.push_back(n);
  return v;
}

// ioctl(2): 0, or -errno.
int call(int fd, unsigned long cmd, const void* arg) {
  errno = 0;
  return ioctl(fd, cmd, arg) == 0 ? 0 : -errno;
}
int call(int fd, unsigned long cmd, unsigned long arg) {
  errno = 0;
  return ioctl(fd, cmd, arg) == 0 ? 0 : -errno;
}
// "0", or the errno's name ("ENOTTY").
std::string rc_str(int rc) {
  if (rc == 0) return "0";
  const char* name = strerrorname_np(-rc);
  return name ? name : "errno " + std::to_string(-rc);
}

xferblk_info info_of(int fd) {
  xferblk_info info;
  memset(&info, 0, sizeof(info));
  if (int rc = call(fd, XFERBLK_IOC_INFO, &info))
    ksft_exit_fail_msg("XFERBLK_IOC_INFO: %s\n", strerror(-rc));
  return info;
}
xferblk_ioc_stats stats_of(int fd) {
  xferblk_ioc_stats st;
  memset(&st, 0, sizeof(st));
  if (int rc = call(fd, XFERBLK_IOC_STATS, &st))
    ksft_exit_fail_msg("XFERBLK_IOC_STATS: %s\n", strerror(-rc));
  return st;
}

// Everything a refused call must leave as it was.
struct State {
  xferblk_ioc_stats stats;
  std::string send_mode;
  std::string parents, children, dev_commands, hist;
  bool operator==(const State& o) const {
    return !memcmp(&stats, &o.stats, sizeof(stats)) && send_mode == o.send_mode &&
           parents == o.parents && children == o.children && dev_commands == o.dev_commands &&
           hist == o.hist;
  }
};
State state(const xft::Disk& d, int fd) {
  return {stats_of(fd),        attr(d, "send_mode"),    attr(d, "parents"),
          attr(d, "children"), attr(d, "dev_commands"), attr(d, "children_hist")};
}

// One O_DIRECT write of @bytes from a contiguous buffer at @off; what the
// driver must make of it.
xft::Expect write_split(const xft::Disk& d, int fd, size_t bytes, off_t off) {
  xft::Buffer buf(bytes, false);
  memset(buf.data(), 0x3c, bytes);
  xft::Expect e = xft::expect_split({{buf.data(), bytes}}, d.lim);
  if (pwrite(fd, buf.data(), bytes, off) != static_cast<ssize_t>(bytes))
    ksft_exit_fail_msg("write %s: %s\n", d.dev.c_str(), strerror(errno));
  return e;
}

// The INFO of disk @d against sysfs, the device's registers and the limits
// the runner gave it.
void check_info(const xft::Disk& d, const xferblk_info& info, Problems* p) {
  xft::Bar0 bar(d);
  const uint64_t lbs = queue_u64(d, "logical_block_size");
  p->eq("block_size", info.block_size, lbs);
  p->eq("block_size (device)", info.block_size, d.lim.block_size);
  p->eq("capacity", info.capacity, xft::read_u64("/sys/block/" + d.name + "/size") * 512 / lbs);
  p->eq("max_transfer", info.max_transfer, d.lim.max_xfer);
  p->eq("max_transfer / 1024", info.max_transfer / 1024, queue_u64(d, "max_hw_sectors_kb"));
  p->eq("max_segments", info.max_segments, queue_u64(d, "max_segments"));
  p->eq("max_segments (device)", info.max_segments, d.lim.max_segs);
  p->eq("max_segment_size", info.max_segment_size, queue_u64(d, "max_segment_size"));
  p->eq("seg_boundary", info.seg_boundary, d.lim.seg_boundary);
  p->eq("max_discard bytes", uint64_t{info.max_discard} * lbs,
        queue_u64(d, "discard_max_hw_bytes"));
  p->eq("max_write_zeroes bytes", uint64_t{info.max_write_zeroes} * lbs,
        queue_u64(d, "write_zeroes_max_bytes"));
  p->eq("features", info.features, bar.read32(XFERBLK_REG_FEATURES));
  p->eq("version", info.version, bar.read32(XFERBLK_REG_VERSION));
  p->eq("nr_queues", info.nr_queues, numbers(attr(d, "queue_commands")).size());
  p->eq("queue_depth", info.queue_depth,
        std::min<uint64_t>(xft::read_u64("/sys/module/xferblk/parameters/queue_depth"),
                           bar.read32(XFERBLK_REG_MAX_DEPTH)));
  p->eq("send_mode",
        info.send_mode == XFERBLK_SEND_SYNC    ? "sync"
        : info.send_mode == XFERBLK_SEND_ASYNC ? "async"
                                               : "?",
        attr(d, "send_mode"));
  p->eq("queue_mode",
        info.queue_mode == XFERBLK_QUEUE_MQ    ? "mq"
        : info.queue_mode == XFERBLK_QUEUE_BIO ? "bio"
                                               : "?",
        attr(d, "queue_mode"));
  for (unsigned i = 0; i < 4; i++)
    p->eq("reserved[" + std::to_string(i) + "]", info.reserved[i], 0u);
}

// The STATS snapshot against sysfs.
void check_stats(const xft::Disk& d, const xferblk_ioc_stats& st, Problems* p) {
  const std::pair<const char*, uint64_t> fields[] = {
      {"parents", st.parents},         {"children", st.children},
      {"errors", st.errors},           {"parent_errors", st.parent_errors},
      {"cancelled", st.cancelled},     {"rejected", st.rejected},
      {"bogus_completions", st.bogus}, {"unsendable", st.unsendable},
      {"timeouts", st.timeouts},       {"resets", st.resets}};
  for (const auto& [name, v] : fields) p->eq(name, v, xft::stat(d, name));
  std::vector<uint64_t> hist = numbers(attr(d, "children_hist"));
  p->want(hist == std::vector<uint64_t>(st.hist, st.hist + XFERBLK_HIST_BUCKETS),
          "hist differs from children_hist (" + attr(d, "children_hist") + ")");
  std::vector<uint64_t> queues = numbers(attr(d, "queue_commands"));
  p->eq("nr_queues", st.nr_queues, queues.size());
  if (st.nr_queues <= XFERBLK_INFO_MAX_QUEUES) {
    p->want(queues == std::vector<uint64_t>(st.queue_commands, st.queue_commands + st.nr_queues),
            "queue_commands differ from sysfs (" + attr(d, "queue_commands") + ")");
    for (unsigned i = st.nr_queues; i < XFERBLK_INFO_MAX_QUEUES; i++)
      p->eq("queue_commands[" + std::to_string(i) + "] (no such queue)", st.queue_commands[i], 0u);
  }
  p->eq("reserved", st.reserved, 0u);
}

// Memory the kernel cannot use: a page with no access, one it may only read,
// and a readable page followed by one with no access (for structures that
// straddle the two).
struct BadMemory {
  uint8_t* none;
  uint8_t* ro;
  uint8_t* edge;  // the end of the readable page; edge[0] has no access
  BadMemory() {
    auto* p = static_cast<uint8_t*>(
        mmap(nullptr, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
    // A read-only page full of "switch to sync" requests.
    for (size_t i = 0; i + sizeof(xferblk_ioc_send_mode) <= kPage; i += sizeof(uint32_t))
      *reinterpret_cast<uint32_t*>(p + kPage + i) = XFERBLK_SEND_SYNC;
    memset(p + 2 * kPage, 0, kPage);
    if (mprotect(p, kPage, PROT_NONE) || mprotect(p + kPage, kPage, PROT_READ) ||
        mprotect(p + 3 * kPage, kPage, PROT_NONE))
      ksft_exit_fail_msg("mprotect: %s\n", strerror(errno));
    none = p;
    ro = p + kPage;
    edge = p + 3 * kPage;
  }
};

// The send mode INFO does not report: what a wrongly accepted request asks.
uint32_t other_mode(int fd) {
  return info_of(fd).send_mode == XFERBLK_SEND_SYNC ? XFERBLK_SEND_ASYNC : XFERBLK_SEND_SYNC;
}

// In a child: drop CAP_SYS_ADMIN (effective, permitted, inheritable), stay
// uid 0, open the disk and try each ioctl. Returns the four results (0 or
// -errno) of INFO, STATS, RESET_STATS, SET_SEND_MODE, and whether the
// capability was gone; false if the child could not report.
bool without_cap_sys_admin(const xft::Disk& d, uint32_t mode, int rcs[4], bool* dropped) {
  int pfd[2];
  if (pipe(pfd)) ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) ksft_exit_fail_msg("fork: %s\n", strerror(errno));
  if (pid == 0) {
    close(pfd[0]);
    int out[5] = {-1, -1, -1, -1, 0};
    __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct caps[2] = {};
    const unsigned word = CAP_SYS_ADMIN / 32, bit = 1u << (CAP_SYS_ADMIN % 32);
    if (syscall(SYS_capget, &hdr, caps) == 0) {
      caps[word].effective &= ~bit;
      caps[word].permitted &= ~bit;
      caps[word].inheritable &= ~bit;
      if (syscall(SYS_capset, &hdr, caps) == 0) {
        __user_cap_data_struct now[2] = {};
        out[4] =
            syscall(SYS_capget, &hdr, now) == 0 && !(now[word].effective & bit) && getuid() == 0;
      }
    }
    int fd = open(d.dev.c_str(), O_RDWR);
    if (fd >= 0) {
      xferblk_info info;
      xferblk_ioc_stats st;
      xferblk_ioc_send_mode req = {mode, 0};
      out[0] = call(fd, XFERBLK_IOC_INFO, &info);
      out[1] = call(fd, XFERBLK_IOC_STATS, &st);
      out[2] = call(fd, XFERBLK_IOC_RESET_STATS, 0ul);
      out[3] = call(fd, XFERBLK_IOC_SET_SEND_MODE, &req);
      close(fd);
    }
    _exit(write(pfd[1], out, sizeof(out)) == sizeof(out) ? 0 : 1);
  }
  close(pfd[1]);
  int out[5];
  ssize_t n = read(pfd[0], out, sizeof(out));
  close(pfd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (n != sizeof(out) || !WIFEXITED(status) || WEXITSTATUS(status)) return false;
  memcpy(rcs, out, 4 * sizeof(int));
  *dropped = out[4];
  return true;
}

}  // namespace

int main() {
  auto disks = xft::disks();
  const xft::Disk& d0 = disks.at(0);
  const bool mq = attr(d0, "queue_mode") == "mq";
  constexpr unsigned long M = XFERBLK_IOC_MAGIC;
  struct Big {
    uint8_t b[sizeof(xferblk_ioc_stats) + 8];
  };
  struct Sixteen {
    uint8_t b[16];
  };

  // Malformed calls on disk 0: what, command, argument, the errno.
  struct Bad {
    std::string what;
    unsigned long cmd;
    const void* arg;
    int err;
  };
  BadMemory bad;
  static xferblk_info info_buf;
  static xferblk_ioc_stats stats_buf;
  static Big big_buf;
  static xferblk_ioc_send_mode req;  // filled per call: the other mode
  const std::vector<Bad> malformed = {
      // Numbers the driver does not have, on its magic.
      {"_IO(magic, 0x04)", _IO(M, 0x04), &req, ENOTTY},
      {"_IOR(magic, 0x05, u64)", _IOR(M, 0x05, uint64_t), &big_buf, ENOTTY},
      {"_IOW(magic, 0x7f, u32)", _IOW(M, 0x7f, uint32_t), &req, ENOTTY},
      {"_IOWR(magic, 0xff, struct xferblk_info)", _IOWR(M, 0xff, xferblk_info), &info_buf, ENOTTY},
      // Known numbers with another size or direction.
      {"INFO's number, size 4", _IOR(M, 0x00, uint32_t), &info_buf, ENOTTY},
      {"INFO's number, size + 8", _IOC(_IOC_READ, M, 0x00, sizeof(xferblk_info) + 8), &big_buf,
       ENOTTY},
      {"INFO's number, _IOW", _IOW(M, 0x00, xferblk_info), &info_buf, ENOTTY},
      {"STATS's number, INFO's size", _IOR(M, 0x01, xferblk_info), &stats_buf, ENOTTY},
      {"STATS's number, _IOWR", _IOWR(M, 0x01, xferblk_ioc_stats), &stats_buf, ENOTTY},
      {"RESET_STATS's number, _IOW u32", _IOW(M, 0x02, uint32_t), &req, ENOTTY},
      {"SET_SEND_MODE's number, _IOR", _IOR(M, 0x03, xferblk_ioc_send_mode), &req, ENOTTY},
      {"SET_SEND_MODE's number, size 4", _IOW(M, 0x03, uint32_t), &req, ENOTTY},
      {"SET_SEND_MODE's number, size 16", _IOW(M, 0x03, Sixteen), &big_buf, ENOTTY},
      // Pointers the kernel cannot use.
      {"INFO, NULL", XFERBLK_IOC_INFO, nullptr, EFAULT},
      {"INFO, no-access page", XFERBLK_IOC_INFO, bad.none, EFAULT},
      {"INFO, read-only page", XFERBLK_IOC_INFO, bad.ro, EFAULT},
      {"INFO, straddling a no-access page", XFERBLK_IOC_INFO, bad.edge - sizeof(info_buf) / 2,
       EFAULT},
      {"STATS, NULL", XFERBLK_IOC_STATS, nullptr, EFAULT},
      {"STATS, read-only page", XFERBLK_IOC_STATS, bad.ro, EFAULT},
      {"STATS, straddling a no-access page", XFERBLK_IOC_STATS, bad.edge - 64, EFAULT},
      {"SET_SEND_MODE, NULL", XFERBLK_IOC_SET_SEND_MODE, nullptr, EFAULT},
      {"SET_SEND_MODE, no-access page", XFERBLK_IOC_SET_SEND_MODE, bad.none, EFAULT},
      {"SET_SEND_MODE, straddling a no-access page", XFERBLK_IOC_SET_SEND_MODE, bad.edge - 4,
       EFAULT},
      {"SET_SEND_MODE, kernel address", XFERBLK_IOC_SET_SEND_MODE,
       reinterpret_cast<const void*>(0xffffffff81000000ul), EFAULT},
  };
  struct BadMode {
    std::string what;
    uint32_t mode;  // UINT32_MAX - 1: the other mode
    uint32_t flags;
  };
  constexpr uint32_t kOther = UINT32_MAX - 1;
  const std::vector<BadMode> bad_modes = {
      {"the other mode, flags 1", kOther, 1},
      {"the other mode, flags 0x80000000", kOther, 0x80000000u},
      {"mode 2", 2, 0},
      {"mode 0xffffffff", UINT32_MAX, 0},
      {"mode 2, flags 1", 2, 1},
  };

  ksft_print_header();
  ksft_set_plan(2 * disks.size() + 3 + malformed.size() + bad_modes.size() + 1 + 4);

  // --- INFO and STATS on every disk --------------------------------------------
  for (const xft::Disk& d : disks) {
    int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
    if (fd < 0) ksft_exit_fail_msg("open %s: %s\n", d.dev.c_str(), strerror(errno));
    Problems p;
    xferblk_info info;
    memset(&info, 0xa5, sizeof(info));  // reserved words must come back zero
    int rc = call(fd, XFERBLK_IOC_INFO, &info);
    p.eq("XFERBLK_IOC_INFO", rc_str(rc), "0");
    if (rc == 0) check_info(d, info, &p);
    ksft_test_result(p.ok(),
                     "%s [%s] INFO: %llu blocks of %u, %u bytes in %u x %u, boundary %#llx, "
                     "features %#x, %u queue(s) of %u%s\n",
                     d.name.c_str(), d.props.c_str(), (unsigned long long)info.capacity,
                     info.block_size, info.max_transfer, info.max_segments, info.max_segment_size,
                     (unsigned long long)info.seg_boundary, info.features, info.nr_queues,
                     info.queue_depth, p.str().c_str());

    // Three commands and a block: a split the model predicts exactly.
    Problems q;
    xferblk_ioc_stats before = stats_of(fd);
    xft::Expect e = write_split(d, fd, 3 * d.lim.max_xfer + d.lim.block_size, 0);
    xferblk_ioc_stats st;
    memset(&st, 0xa5, sizeof(st));
    rc = call(fd, XFERBLK_IOC_STATS, &st);
    q.eq("XFERBLK_IOC_STATS", rc_str(rc), "0");
    if (rc == 0) {
      check_stats(d, st, &q);
      q.eq("parents moved by", st.parents - before.parents, e.parents);
      q.eq("children moved by", st.children - before.children, e.children);
      uint64_t sent = 0;
      for (unsigned i = 0; i < st.nr_queues && i < XFERBLK_INFO_MAX_QUEUES; i++)
        sent += st.queue_commands[i] - before.queue_commands[i];
      q.eq("queue_commands moved by", sent, e.children);
      q.want(st.parents > 0, "parents is 0 after I/O");
    }
    ksft_test_result(q.ok(), "%s STATS after a write of %u children: the sysfs counters%s\n",
                     d.name.c_str(), e.children, q.str().c_str());
    close(fd);
  }

  int fd = open(d0.dev.c_str(), O_RDWR | O_DIRECT);
  if (fd < 0) ksft_exit_fail_msg("open %s: %s\n", d0.dev.c_str(), strerror(errno));
  const std::string mode0 = attr(d0, "send_mode");

  // --- RESET_STATS ---------------------------------------------------------------
  {
    Problems p;
    write_split(d0, fd, 1 << 20, 0);
    int rc = call(fd, XFERBLK_IOC_RESET_STATS, 0ul);
    p.eq("XFERBLK_IOC_RESET_STATS", rc_str(rc), "0");
    xferblk_ioc_stats st = stats_of(fd), zero;
    memset(&zero, 0, sizeof(zero));
    zero.nr_queues = st.nr_queues;
    p.want(!memcmp(&st, &zero, sizeof(st)), "STATS is not all zero");
    check_stats(d0, st, &p);
    p.eq("dev_commands", xft::stat(d0, "dev_commands"), 0u);
    p.eq("dev_bytes_written", xft::stat(d0, "dev_bytes_written"), 0u);
    ksft_test_result(p.ok(), "%s RESET_STATS after I/O: STATS and sysfs counters all zero%s\n",
                     d0.name.c_str(), p.str().c_str());
  }

  // --- SET_SEND_MODE ------------------------------------------------------------------
  for (uint32_t mode : {XFERBLK_SEND_SYNC, XFERBLK_SEND_ASYNC}) {
    const char* name = mode == XFERBLK_SEND_SYNC ? "sync" : "async";
    Problems p;
    xferblk_ioc_send_mode r = {mode, 0};
    int rc = call(fd, XFERBLK_IOC_SET_SEND_MODE, &r);
    if (mq) {
      // A blk-mq disk has nothing to pace.
      p.eq("XFERBLK_IOC_SET_SEND_MODE on a blk-mq disk", rc_str(rc), "EOPNOTSUPP");
      p.eq("send_mode", attr(d0, "send_mode"), mode0);
    } else {
      p.eq("XFERBLK_IOC_SET_SEND_MODE", rc_str(rc), "0");
      p.eq("sysfs send_mode", attr(d0, "send_mode"), name);
      p.eq("INFO send_mode", info_of(fd).send_mode, mode);
      if (mode == XFERBLK_SEND_SYNC) {
        // In effect: a parent of many children has one command in flight.
        call(fd, XFERBLK_IOC_RESET_STATS, 0ul);
        // One bio (at most 256 pages): another parent would be another
        // command in flight.
        xft::Expect e = write_split(d0, fd, std::min<size_t>(16 * d0.lim.max_xfer, 1 << 20), 0);
        p.eq("parents", e.parents, 1u);
        p.eq("dev_max_inflight in sync mode", xft::stat(d0, "dev_max_inflight"), 1u);
        p.want(e.children > 1, "the write was not split");
      }
    }
    ksft_test_result(p.ok(), "%s SET_SEND_MODE %s: xferblk/send_mode follows%s%s\n",
                     d0.name.c_str(), name,
                     mode == XFERBLK_SEND_SYNC ? ", one command in flight" : "", p.str().c_str());
  }
  if (!mq) {
    xferblk_ioc_send_mode r = {mode0 == "sync" ? XFERBLK_SEND_SYNC : XFERBLK_SEND_ASYNC, 0};
    call(fd, XFERBLK_IOC_SET_SEND_MODE, &r);
  }

  // --- malformed calls: refused, nothing changed ------------------------------------
  write_split(d0, fd, 1 << 20, 0);  // counters a wrong reset would zero
  for (const Bad& b : malformed) {
    req = {other_mode(fd), 0};
    State before = state(d0, fd);
    int rc = call(fd, b.cmd, b.arg);
    State after = state(d0, fd);
    Problems p;
    p.eq("result", rc_str(rc), std::string(strerrorname_np(b.err)));
    p.want(before == after, "the disk changed (send_mode " + before.send_mode + " -> " +
                                after.send_mode + ", parents " + before.parents + " -> " +
                                after.parents + ")");
    ksft_test_result(p.ok(), "%s %#lx %s: %s, nothing changed%s\n", d0.name.c_str(), b.cmd,
                     b.what.c_str(), rc_str(rc).c_str(), p.str().c_str());
  }
  for (const BadMode& b : bad_modes) {
    xferblk_ioc_send_mode r = {b.mode == kOther ? other_mode(fd) : b.mode, b.flags};
    State before = state(d0, fd);
    int rc = call(fd, XFERBLK_IOC_SET_SEND_MODE, &r);
    State after = state(d0, fd);
    Problems p;
    p.eq("result", rc_str(rc), mq ? "EOPNOTSUPP" : "EINVAL");
    p.want(before == after,
           "the disk changed (send_mode " + before.send_mode + " -> " + after.send_mode + ")");
    ksft_test_result(p.ok(), "%s SET_SEND_MODE %s: %s, send_mode kept%s\n", d0.name.c_str(),
                     b.what.c_str(), rc_str(rc).c_str(), p.str().c_str());
  }
  {
    State before = state(d0, fd);
    int rc = call(fd, XFERBLK_IOC_RESET_STATS, 1ul);
    State after = state(d0, fd);
    Problems p;
    p.eq("result", rc_str(rc), "EINVAL");
    p.want(before == after,
           "the counters changed (parents " + before.parents + " -> " + after.parents + ")");
    p.want(before.parents != "0", "parents was 0 before");
    ksft_test_result(p.ok(), "%s RESET_STATS with an argument (1): %s, counters kept%s\n",
                     d0.name.c_str(), rc_str(rc).c_str(), p.str().c_str());
  }

  // --- without CAP_SYS_ADMIN ---------------------------------------------------------
  {
    State before = state(d0, fd);
    int rcs[4] = {1, 1, 1, 1};
    bool dropped = false;
    bool reported = without_cap_sys_admin(d0, other_mode(fd), rcs, &dropped);
    State after = state(d0, fd);
    const char* names[] = {"INFO", "STATS", "RESET_STATS", "SET_SEND_MODE"};
    const char* want[] = {"0", "0", "EPERM", "EPERM"};
    for (int i = 0; i < 4; i++) {
      Problems p;
      p.want(reported, "the child did not report");
      p.want(dropped, "CAP_SYS_ADMIN was not dropped");
      p.eq("result", rc_str(rcs[i]), want[i]);
      if (i >= 2)
        p.want(before == after, "the disk changed (send_mode " + before.send_mode + " -> " +
                                    after.send_mode + ", parents " + before.parents + " -> " +
                                    after.parents + ")");
      ksft_test_result(p.ok(), "%s without CAP_SYS_ADMIN (uid 0): %s %s%s%s\n", d0.name.c_str(),
                       names[i], rc_str(rcs[i]).c_str(), i >= 2 ? ", nothing changed" : "",
                       p.str().c_str());
    }
  }

  close(fd);
  ksft_finished();
}
