// SPDX-License-Identifier: GPL-2.0-only

#include "classify.hh"

#include <gtest/gtest.h>
#include <signal.h>

namespace xferfuzz {
namespace {

int Exited(int code) { return code << 8; }
int Signaled(int sig) { return sig; }

const char kAsan[] =
    "qemu-system-x86_64: terminating on signal 15\n"
    "=================================================================\n"
    "==12345==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000001234 at pc "
    "0x55d0 bp 0x7ffd sp 0x7ffc\n"
    "READ of size 8 at 0x602000001234 thread T0\n"
    "    #0 0x55d0aa in qemu_sglist_destroy ../system/dma-helpers.c:70\n"
    "    #1 0x55d0bb in xferblk_release ../hw/xferblk/queue.c:75\n"
    "    #2 0x55d0cc in main ../system/main.c:47\n";

TEST(Classify, Asan) {
  std::optional<Failure> f = FindSanitizerReport(kAsan, false);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, "sanitizer");
  EXPECT_EQ(f->signature,
            "==?==ERROR: AddressSanitizer: heap-use-after-free on address 0x? at pc 0x? bp 0x? "
            "sp 0x? [in xferblk_release]");
  EXPECT_NE(f->detail.find("queue.c:75"), std::string::npos);
  // The same bug in another run: the same signature.
  std::string other = kAsan;
  other.replace(other.find("12345"), 5, "999");
  other.replace(other.find("602000001234"), 12, "61200000aaaa");
  EXPECT_EQ(FindSanitizerReport(other, false)->signature, f->signature);
  // An ASan QEMU exits 1 after the report: still the report.
  EXPECT_EQ(ClassifyEnd(Exited(1), false, false, kAsan, false)->kind, "sanitizer");
}

TEST(Classify, Ubsan) {
  const char err[] =
      "../hw/xferblk/cmd.c:190:23: runtime error: shift exponent 64 is too large for 64-bit type "
      "'long unsigned int'\n";
  std::optional<Failure> f = FindSanitizerReport(err, false);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->signature,
            "../hw/xferblk/cmd.c:190:23: runtime error: shift exponent 64 is too large for 64-bit "
            "type 'long unsigned int'");
  // It goes on running, and exits 0 when asked: still a failure.
  EXPECT_TRUE(ClassifyEnd(Exited(0), false, true, err, false).has_value());
}

TEST(Classify, Leaks) {
  const char ours[] =
      "==7==ERROR: LeakSanitizer: detected memory leaks\n\n"
      "Direct leak of 160 byte(s) in 1 object(s) allocated from:\n"
      "    #0 0x7f in malloc (/usr/lib/libasan.so.8+0xd)\n"
      "    #1 0x7f in g_malloc0 (/usr/lib/libglib-2.0.so.0+0x5)\n"
      "    #2 0x55 in xferblk_process_sqe ../hw/xferblk/cmd.c:600\n";
  const char theirs[] =
      "==7==ERROR: LeakSanitizer: detected memory leaks\n\n"
      "Direct leak of 16 byte(s) in 1 object(s) allocated from:\n"
      "    #0 0x7f in malloc (/usr/lib/libasan.so.8+0xd)\n"
      "    #1 0x55 in qemu_init (/root/.cache/xferblk/qemu/ab/qemu-system-x86_64+0x1)\n";
  std::optional<Failure> f = FindSanitizerReport(ours, false);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, "leak");
  EXPECT_EQ(f->signature, "LeakSanitizer: detected memory leaks [in xferblk_process_sqe]");
  EXPECT_FALSE(FindSanitizerReport(theirs, false).has_value());
  EXPECT_TRUE(FindSanitizerReport(theirs, true).has_value());
  // The leak's own exit status does not make it a failure either.
  EXPECT_FALSE(ClassifyEnd(Exited(23), false, true, theirs, false).has_value());
  EXPECT_TRUE(ClassifyEnd(Exited(23), false, true, theirs, true).has_value());
}

TEST(Classify, Crashes) {
  const char err[] =
      "qemu-system-x86_64: ../hw/xferblk/queue.c:443: xferblk_drain_disabled: Assertion "
      "`!xferblk_disabled_busy(s)' failed.\n";
  std::optional<Failure> f = ClassifyEnd(Signaled(SIGABRT), false, false, err, false);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, "crash");
  EXPECT_EQ(f->signature,
            "signal 6: qemu-system-x86_64: ../hw/xferblk/queue.c:443: xferblk_drain_disabled: "
            "Assertion `!xferblk_disabled_busy(s)' failed.");
  const char glib[] =
      "**\nERROR:../hw/xferblk/fault.c:58:xferblk_stray_tag: code should not be reached\n"
      "Bail out! ERROR:../hw/xferblk/fault.c:58:xferblk_stray_tag: code should not be reached\n";
  EXPECT_EQ(ClassifyEnd(Signaled(SIGABRT), false, false, glib, false)->signature,
            "signal 6: ERROR:../hw/xferblk/fault.c:58:xferblk_stray_tag: code should not be "
            "reached");
  EXPECT_EQ(ClassifyEnd(Signaled(SIGSEGV), false, false, "", false)->signature, "signal 11");
}

TEST(Classify, Exits) {
  const char term[] = "qemu-system-x86_64: terminating on signal 15 from pid 7 (xferfuzz)\n";
  EXPECT_FALSE(ClassifyEnd(Exited(0), false, true, term, false).has_value());
  EXPECT_EQ(ClassifyEnd(Exited(0), false, false, "", false)->kind, "exit");
  EXPECT_EQ(ClassifyEnd(Exited(1), false, true, "", false)->signature, "exit status 1");
  EXPECT_EQ(ClassifyEnd(std::nullopt, true, true, "", false)->kind, "hang");
  EXPECT_FALSE(ClassifyEnd(std::nullopt, false, true, "", false).has_value());
  // QEMU's warnings are no failure.
  EXPECT_FALSE(ClassifyEnd(Exited(0), false, true,
                           "qemu-system-x86_64: warning: Blocked re-entrant IO on MemoryRegion: "
                           "xferblk-mmio at addr: 0x40\n",
                           false)
                   .has_value());
}

TEST(Classify, Normalize) {
  EXPECT_EQ(Normalize("==123==ERROR at 0xdeadBEEF thread T12 (T3) 0x"),
            "==?==ERROR at 0x? thread T? (T?) 0x");
  EXPECT_EQ(Normalize("cmd.c:190:23 10.0.2  "), "cmd.c:190:23 10.0.2");
  EXPECT_EQ(Tail("a\nb\nc\n", 2), "b\nc\n");
}

}  // namespace
}  // namespace xferfuzz
