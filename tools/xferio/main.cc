// SPDX-License-Identifier: GPL-2.0-only
//
// xferio: an io_uring workload and data verifier for block devices that
// split large I/Os. See UsageText() in options.cc, or run with --help.

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "engine.hh"
#include "options.hh"
#include "report.hh"
#include "sysfs.hh"
#include "workload.hh"

namespace {

volatile std::sig_atomic_t g_stop = 0;

void OnSignal(int) { g_stop = 1; }

int Fail(xferio::ExitCode code, const std::string& message) {
  std::fprintf(stderr, "xferio: %s\n", message.c_str());
  if (code == xferio::kExitUsage) std::fprintf(stderr, "Try 'xferio --help'.\n");
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace xferio;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = ParseArgs(args);
  if (!parsed) return Fail(kExitUsage, parsed.error());
  if (parsed->help) {
    std::fputs(UsageText("xferio").c_str(), stdout);
    return kExitOk;
  }
  if (parsed->version) {
    std::fputs(VersionText().c_str(), stdout);
    return kExitOk;
  }
  const Options& opts = parsed->options;

  struct stat st;
  if (stat(opts.device.c_str(), &st) != 0) {
    return Fail(kExitUsage, opts.device + ": " + std::strerror(errno));
  }
  if (!S_ISBLK(st.st_mode)) {
    return Fail(kExitUsage,
                opts.device + " is not a block device (xferio drives block devices only)");
  }
  int flags = O_DIRECT | O_CLOEXEC | (opts.mode == Mode::kRead ? O_RDONLY : O_RDWR);
  int fd = open(opts.device.c_str(), flags);
  if (fd < 0) return Fail(kExitIoError, "cannot open " + opts.device + ": " + std::strerror(errno));
  // The same file as the one checked above?
  if (fstat(fd, &st) != 0 || !S_ISBLK(st.st_mode)) {
    close(fd);
    return Fail(kExitUsage, opts.device + " is not a block device");
  }
  uint64_t capacity = 0;
  if (ioctl(fd, BLKGETSIZE64, &capacity) != 0) {
    int err = errno;
    close(fd);
    return Fail(kExitIoError, "BLKGETSIZE64 on " + opts.device + ": " + std::strerror(err));
  }

  const std::string sysfs = SysfsDirFor(st.st_rdev);
  auto limits = ReadDeviceLimits(sysfs);
  if (!limits) {
    close(fd);
    return Fail(kExitIoError, "device limits of " + opts.device + ": " + limits.error());
  }
  const long page = sysconf(_SC_PAGESIZE);
  auto plan = ResolvePlan(opts, *limits, capacity, static_cast<uint64_t>(page));
  if (!plan) {
    close(fd);
    return Fail(kExitUsage, opts.device + ": " + plan.error());
  }

  Summary summary;
  summary.device = opts.device;
  summary.plan = *plan;
  summary.limits = *limits;
  summary.capacity = capacity;
  summary.failures.set_keep(plan->max_report);
  summary.io_errors.set_keep(plan->max_report);

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  const auto before = ReadDriverCounters(sysfs);
  auto err = RunWorkload(*plan, fd, &summary, &g_stop);
  summary.driver = CounterDelta(before, ReadDriverCounters(sysfs));
  close(fd);

  const std::string report = opts.json ? ToJson(summary) : ToText(summary);
  std::fputs(report.c_str(), stdout);
  std::fflush(stdout);
  if (err) return Fail(kExitIoError, *err);
  return ExitCodeFor(summary);
}
