// SPDX-License-Identifier: GPL-2.0-only
//
// The engine end to end on a scratch file instead of a device: a verify run
// comes out clean, and a region tampered with between a write run and a read
// run is reported block by block at the right offsets. Skipped where
// io_uring cannot be set up.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <liburing.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine.hh"
#include "report.hh"
#include "stamp.hh"
#include "workload.hh"

namespace xferio {
namespace {

constexpr uint64_t kLbs = 512;
constexpr uint64_t kFileSize = 8 << 20;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    io_uring ring;
    int ret = io_uring_queue_init(4, &ring, 0);
    if (ret < 0) GTEST_SKIP() << "io_uring unavailable: " << std::strerror(-ret);
    io_uring_queue_exit(&ring);
    path_ = ::testing::TempDir() + "xferio_engine_XXXXXX";
    int fd = mkstemp(path_.data());
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_EQ(ftruncate(fd, kFileSize), 0);
    close(fd);
  }
  void TearDown() override {
    if (!path_.empty()) unlink(path_.c_str());
  }

  // O_DIRECT where the file system has it, buffered I/O otherwise: the
  // engine does not care.
  int Open(int flags) {
    int fd = open(path_.c_str(), flags | O_DIRECT);
    if (fd < 0 && errno == EINVAL) fd = open(path_.c_str(), flags);
    return fd;
  }

  Summary Run(const Options& o, int flags = O_RDWR) {
    DeviceLimits limits;
    limits.logical_block_size = kLbs;
    limits.max_hw_bytes = 64 << 10;
    limits.max_segments = 8;
    limits.max_segment_size = 64 << 10;
    auto plan = ResolvePlan(o, limits, kFileSize, 4096);
    EXPECT_TRUE(plan.ok()) << plan.error();
    Summary s;
    s.device = path_;
    s.plan = *plan;
    s.limits = limits;
    s.capacity = kFileSize;
    s.failures.set_keep(plan->max_report);
    s.io_errors.set_keep(plan->max_report);
    int fd = Open(flags);
    EXPECT_GE(fd, 0) << std::strerror(errno);
    auto err = RunWorkload(*plan, fd, &s, stop_);
    EXPECT_FALSE(err) << *err;
    close(fd);
    return s;
  }

  static Options Opts(Mode mode, Pattern pattern = Pattern::kRandom) {
    Options o;
    o.device = "scratch";
    o.mode = mode;
    o.pattern = pattern;
    o.qd = 8;
    o.bs = {BsItem{.automatic = true}, BsItem{false, 4096, 256 << 10}};
    o.layouts = {Layout::kContiguous, Layout::kFragmented, Layout::kMisaligned};
    return o;
  }

  void Patch(uint64_t offset, const void* data, size_t len) {
    int fd = open(path_.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(pwrite(fd, data, len, static_cast<off_t>(offset)), static_cast<ssize_t>(len));
    close(fd);
  }
  std::vector<std::byte> Peek(uint64_t offset, size_t len) {
    std::vector<std::byte> buf(len);
    int fd = open(path_.c_str(), O_RDONLY);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(pread(fd, buf.data(), len, static_cast<off_t>(offset)), static_cast<ssize_t>(len));
    close(fd);
    return buf;
  }

  std::string path_;
  const volatile std::sig_atomic_t* stop_ = nullptr;
};

TEST_F(EngineTest, VerifyRunIsClean) {
  for (Pattern pattern : {Pattern::kSequential, Pattern::kRandom}) {
    Summary s = Run(Opts(Mode::kVerify, pattern));
    SCOPED_TRACE(PatternName(pattern));
    EXPECT_EQ(ExitCodeFor(s), kExitOk) << ToText(s);
    EXPECT_EQ(s.passes, 1u);
    EXPECT_EQ(s.write_bytes, kFileSize);
    EXPECT_EQ(s.read_bytes, kFileSize);
    EXPECT_EQ(s.blocks_checked, kFileSize / kLbs);
    EXPECT_GT(s.write_ops, 0u);
    EXPECT_GT(s.read_ops, 0u);
  }
}

TEST_F(EngineTest, PassesRepeatWithNewGenerationsUntilTheTotal) {
  Options o = Opts(Mode::kVerify);
  o.size = 1 << 20;
  o.total = 3 << 20;
  o.gen = 10;
  Summary s = Run(o);
  EXPECT_EQ(ExitCodeFor(s), kExitOk) << ToText(s);
  EXPECT_EQ(s.passes, 3u);
  EXPECT_EQ(s.last_gen, 12u);
  EXPECT_EQ(s.write_bytes, 3u << 20);
  EXPECT_EQ(s.read_bytes, 3u << 20);
  // The region now holds generation 12 and a read run agrees.
  Options r = Opts(Mode::kRead);
  r.size = 1 << 20;
  r.gen = 12;
  EXPECT_EQ(ExitCodeFor(Run(r)), kExitOk);
}

TEST_F(EngineTest, ReadingForAnotherGenerationFindsEveryBlockStale) {
  Options w = Opts(Mode::kWrite);
  w.size = 1 << 20;
  w.gen = 5;
  ASSERT_EQ(ExitCodeFor(Run(w)), kExitOk);
  Options r = Opts(Mode::kRead);
  r.size = 1 << 20;
  r.gen = 6;
  r.max_report = 3;
  Summary s = Run(r);
  EXPECT_EQ(ExitCodeFor(s), kExitVerifyFailure);
  EXPECT_EQ(s.failures.count(), (1u << 20) / kLbs);
  auto first = s.failures.Sorted();
  ASSERT_EQ(first.size(), 3u);
  for (size_t i = 0; i < 3; i++) {
    EXPECT_EQ(first[i].offset, i * kLbs);
    EXPECT_EQ(first[i].fault, Fault::kStale);
    EXPECT_EQ(first[i].expected_gen, 6u);
    EXPECT_EQ(first[i].found_gen, 5u);
  }
}

TEST_F(EngineTest, TamperedBlocksAreFoundAtTheirOffsets) {
  Options w = Opts(Mode::kWrite, Pattern::kSequential);
  w.gen = 3;
  ASSERT_EQ(ExitCodeFor(Run(w)), kExitOk);

  const uint64_t moved = 300 * kLbs, zeroed = 5000 * kLbs, flipped = 7001 * kLbs,
                 stale = 12345 * kLbs;
  std::vector<std::byte> block = Peek(100 * kLbs, kLbs);
  Patch(moved, block.data(), kLbs);  // block 100 copied over block 300
  std::vector<std::byte> zeros(kLbs);
  Patch(zeroed, zeros.data(), kLbs);
  std::vector<std::byte> one = Peek(flipped + 200, 1);
  one[0] ^= std::byte{0x04};
  Patch(flipped + 200, one.data(), 1);
  std::vector<std::byte> old(kLbs);
  StampBlock(old.data(), kLbs, stale, 2, 1);
  Patch(stale, old.data(), kLbs);

  Options r = Opts(Mode::kRead);
  r.gen = 3;
  Summary s = Run(r);
  EXPECT_EQ(ExitCodeFor(s), kExitVerifyFailure);
  EXPECT_EQ(s.blocks_checked, kFileSize / kLbs);
  ASSERT_EQ(s.failures.count(), 4u) << ToText(s);
  auto f = s.failures.Sorted();
  EXPECT_EQ(f[0].offset, moved);
  EXPECT_EQ(f[0].fault, Fault::kMisplaced);
  EXPECT_EQ(f[0].found_offset, 100 * kLbs);
  EXPECT_EQ(f[0].found_gen, 3u);
  EXPECT_EQ(f[1].offset, zeroed);
  EXPECT_EQ(f[1].fault, Fault::kUnstamped);
  EXPECT_EQ(f[2].offset, flipped);
  EXPECT_EQ(f[2].fault, Fault::kCorrupt);
  EXPECT_EQ(f[3].offset, stale);
  EXPECT_EQ(f[3].fault, Fault::kStale);
  EXPECT_EQ(f[3].expected_gen, 3u);
  EXPECT_EQ(f[3].found_gen, 2u);
}

TEST_F(EngineTest, FailedWritesAreIoErrorsAndNotReadBack) {
  Options o = Opts(Mode::kVerify);
  o.size = 1 << 20;
  Summary s = Run(o, O_RDONLY);  // every write fails with EBADF
  EXPECT_EQ(ExitCodeFor(s), kExitIoError) << ToText(s);
  EXPECT_GT(s.io_errors.count(), 0u);
  EXPECT_EQ(s.io_errors.Sorted().front().err, EBADF);
  EXPECT_EQ(s.write_ops, 0u);
  EXPECT_EQ(s.read_ops, 0u) << "nothing was written, so nothing is read back";
}

TEST_F(EngineTest, NoReadVerificationWhenAskedNot) {
  Options r = Opts(Mode::kRead);
  r.verify = false;
  r.size = 1 << 20;
  Summary s = Run(r);  // the file is all zeros
  EXPECT_EQ(ExitCodeFor(s), kExitOk);
  EXPECT_EQ(s.read_bytes, 1u << 20);
  EXPECT_EQ(s.blocks_checked, 0u);
}

TEST_F(EngineTest, AStopRequestIssuesNothingMore) {
  static volatile std::sig_atomic_t stop = 1;
  stop_ = &stop;
  Summary s = Run(Opts(Mode::kVerify));
  EXPECT_EQ(s.write_ops + s.read_ops, 0u);
  EXPECT_TRUE(s.interrupted);
}

}  // namespace
}  // namespace xferio
