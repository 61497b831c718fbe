// SPDX-License-Identifier: GPL-2.0-only
//
// The parsers of the memory measurement on text shaped like the kernel's
// (6.12) hist files and /proc/slabinfo.

#include "memory.hh"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace xferbench {
namespace {

const char* kHist = R"(# event histogram
#
# trigger info: hist:keys=common_stacktrace:vals=hitcount,bytes_alloc:sort=hitcount:size=8192 [active]
#

{ common_stacktrace:
         kmem_cache_alloc_noprof+0x1d3/0x2f0
         mempool_alloc_noprof+0x6b/0x170
         bio_alloc_bioset+0x8b/0x320
         bio_alloc_clone+0x21/0x70
         bio_split+0x6e/0x120
         xferblk_send_next+0x123/0x4a0 [xferblk]
         xferblk_submit_bio+0x1c4/0x2c0 [xferblk]
         __submit_bio+0x9d/0x1c0
         submit_bio_noacct_nocheck+0x2fa/0x3a0
} hitcount:        700  bytes_alloc:     179200
{ common_stacktrace:
         __kmalloc_cache_noprof+0x177/0x2e0
         xferblk_debug_thing+0x10/0x40 [xferblk]
         xferblk_submit_bio+0x1c4/0x2c0 [xferblk]
} hitcount:          3  bytes_alloc:        192
{ common_stacktrace:
         kmem_cache_alloc_noprof+0x1d3/0x2f0
         mempool_alloc_noprof+0x6b/0x170
         bio_alloc_bioset+0x8b/0x320
         bio_split+0x6e/0x120
         __bio_split_to_limits+0x9c/0x4a0
         blk_mq_submit_bio+0xb1/0x6a0
         __submit_bio+0x9d/0x1c0
} hitcount:        200  bytes_alloc:      51200
{ common_stacktrace:
         kmem_cache_alloc_noprof+0x1d3/0x2f0
         alloc_inode+0x1e/0xb0
         new_inode+0x13/0x60
} hitcount:          5  bytes_alloc:       3000

Totals:
    Hits: 908
    Entries: 4
    Dropped: 0
)";

TEST(Hist, ParsesStacksAndValues) {
  Hist h = ParseHist(kHist);
  ASSERT_EQ(h.entries.size(), 4u);
  EXPECT_EQ(h.hits, 908u);
  EXPECT_EQ(h.dropped, 0u);
  const HistEntry& e = h.entries[0];
  ASSERT_EQ(e.frames.size(), 9u);
  EXPECT_EQ(e.frames[0], "kmem_cache_alloc_noprof+0x1d3/0x2f0");
  EXPECT_EQ(e.frames[5], "xferblk_send_next+0x123/0x4a0 [xferblk]");
  EXPECT_EQ(e.Value("hitcount"), 700u);
  EXPECT_EQ(e.Value("bytes_alloc"), 179200u);
  EXPECT_EQ(e.Value("nothing"), 0u);
}

TEST(Hist, OldKeyNameAndDroppedEntries) {
  Hist h = ParseHist("{ stacktrace:\n  a+0x1/0x2\n} hitcount: 4\nTotals:\n Hits: 4\n Dropped: 9\n");
  ASSERT_EQ(h.entries.size(), 1u);
  EXPECT_EQ(h.entries[0].Value("hitcount"), 4u);
  EXPECT_EQ(h.dropped, 9u);
  EXPECT_TRUE(ParseHist("").entries.empty());
}

TEST(Hist, ClassifiesByFrames) {
  Hist h = ParseHist(kHist);
  EXPECT_EQ(Classify(h.entries[0].frames), Origin::kDriver);
  EXPECT_EQ(Classify(h.entries[1].frames), Origin::kDriver);
  EXPECT_EQ(Classify(h.entries[2].frames), Origin::kBlockLayer);
  EXPECT_EQ(Classify(h.entries[3].frames), Origin::kOther);
  EXPECT_EQ(Classify(h.entries[0].frames, "nvme"), Origin::kBlockLayer);
  EXPECT_TRUE(ThroughMempool(h.entries[0].frames));
  EXPECT_FALSE(ThroughMempool(h.entries[1].frames));
  EXPECT_EQ(FirstModuleFrame(h.entries[0].frames), "xferblk_send_next");
  EXPECT_EQ(FirstModuleFrame(h.entries[2].frames), "");
}

TEST(Hist, TalliesByOriginWithSitesOutsidePools) {
  auto t = TallyHist(ParseHist(kHist));
  const AllocTally& d = t[Origin::kDriver];
  EXPECT_EQ(d.events, 703u);
  EXPECT_EQ(d.via_mempool, 700u);
  EXPECT_EQ(d.bytes, 179392u);
  ASSERT_EQ(d.outside_pool.size(), 1u);
  EXPECT_EQ(d.outside_pool.at("xferblk_debug_thing"), 3u);
  const AllocTally& b = t[Origin::kBlockLayer];
  EXPECT_EQ(b.events, 200u);
  EXPECT_EQ(b.via_mempool, 200u);
  EXPECT_TRUE(b.outside_pool.empty());
  const AllocTally& o = t[Origin::kOther];
  EXPECT_EQ(o.outside_pool.at("alloc_inode"), 5u);
}

const char* kSlabIdle = R"(slabinfo - version: 2.1
# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>
bio-256              108    108    320   12    1 : tunables    0    0    0 : slabdata      9      9      0
bio-248               32     32    256   16    1 : tunables    0    0    0 : slabdata      2      2      0
biovec-max            64     64   4096    8    8 : tunables    0    0    0 : slabdata      8      8      0
kmalloc-96           900    924     96   42    1 : tunables    0    0    0 : slabdata     22     22      0
ext4_inode_cache      10     10   1200   13    4 : tunables    0    0    0 : slabdata      1      1      0
)";

TEST(Slab, ParsesSlabinfo) {
  auto s = ParseSlabinfo(kSlabIdle);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s.at("bio-256").active_objs, 108u);
  EXPECT_EQ(s.at("bio-256").objsize, 320u);
  EXPECT_EQ(s.at("bio-256").objperslab, 12u);
  EXPECT_EQ(s.at("biovec-max").ActiveBytes(), 64u * 4096);
}

TEST(Slab, MergedCachesAreFoundUnderTheirSlabinfoName) {
  auto s = ParseSlabinfo(kSlabIdle);
  auto a = ParseAliases(
      "kmalloc-96 /sys/kernel/slab/:0000096\n"
      "xferblk_parent /sys/kernel/slab/:0000096\n"
      "bio-256 /sys/kernel/slab/bio-256\n"
      "lonely /sys/kernel/slab/:0000777\n");
  EXPECT_EQ(SlabinfoName("xferblk_parent", s, a), "kmalloc-96");
  EXPECT_EQ(SlabinfoName("bio-256", s, a), "bio-256");
  EXPECT_EQ(SlabinfoName("lonely", s, a), "");
  EXPECT_EQ(SlabinfoName("unknown", s, a), "");
}

TEST(Slab, UseCountsTheDriverAndBioCachesOnce) {
  auto idle = ParseSlabinfo(kSlabIdle);
  auto busy1 = idle;
  busy1["bio-248"].active_objs = 160;
  busy1["kmalloc-96"].active_objs = 916;
  auto busy2 = idle;
  busy2["bio-248"].active_objs = 176;
  busy2["kmalloc-96"].active_objs = 920;
  auto busy3 = idle;
  busy3["bio-248"].active_objs = 144;
  busy3["kmalloc-96"].active_objs = 912;
  auto aliases = ParseAliases("xferblk_parent :0000096\nkmalloc-96 :0000096\n");
  auto use = SlabUse(idle, {busy1, busy2, busy3}, aliases, {"xferblk_parent", "bio-248"});
  // xferblk_parent (as kmalloc-96), bio-248, then bio-256 and biovec-max.
  ASSERT_EQ(use.size(), 4u);
  EXPECT_EQ(use[0].name, "kmalloc-96");
  EXPECT_EQ(use[0].alias, "xferblk_parent");
  EXPECT_TRUE(use[0].driver);
  EXPECT_TRUE(use[0].shared);
  EXPECT_DOUBLE_EQ(use[0].busy_objs, 916);
  EXPECT_DOUBLE_EQ(use[0].DeltaBytes(), 16.0 * 96);
  EXPECT_EQ(use[1].name, "bio-248");
  EXPECT_TRUE(use[1].driver);
  EXPECT_EQ(use[1].alias, "");
  EXPECT_FALSE(use[1].shared);
  EXPECT_DOUBLE_EQ(use[1].busy_objs, 160);
  EXPECT_DOUBLE_EQ(use[1].DeltaBytes(), 128.0 * 256);
  EXPECT_FALSE(use[2].driver);
  EXPECT_DOUBLE_EQ(use[2].DeltaBytes(), 0);
}

TEST(Memory, KeyValues) {
  auto kv = ParseKeyValues("# c\ndev = xferblk0\nparents=12\nbad line\n");
  EXPECT_EQ(kv.size(), 2u);
  EXPECT_EQ(kv.at("dev"), "xferblk0");
  EXPECT_EQ(kv.at("parents"), "12");
}

TEST(Memory, AnalyzesADirectory) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(::testing::TempDir()) / ("xferbench_mem_" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto write = [&](const char* name, const std::string& text) {
    std::ofstream(dir / name) << text;
  };
  write("info.txt", "dev=xferblk0\nirqs=24 25\n");
  write("interrupts-before.txt",
        "           CPU0       CPU1\n"
        " 24:        100          5  PCI-MSIX-0000:00:10.0   0-edge      xferblk0q0\n"
        " 25:          1        200  PCI-MSIX-0000:00:10.0   1-edge      xferblk0q1\n"
        " 26:          7          7  PCI-MSIX-0000:00:1b.0   0-edge      nvme0q0\n");
  write("interrupts-after.txt",
        "           CPU0       CPU1\n"
        " 24:        150          5  PCI-MSIX-0000:00:10.0   0-edge      xferblk0q0\n"
        " 25:          1        230  PCI-MSIX-0000:00:10.0   1-edge      xferblk0q1\n"
        " 26:        900          7  PCI-MSIX-0000:00:1b.0   0-edge      nvme0q0\n");
  write("fio.json",
        R"({"jobs":[{"jobname":"m","error":0,"read":{"bw_bytes":1,"iops":1,"total_ios":100}}]})");
  write("hist-kmem_cache_alloc.txt", kHist);
  write("slab-idle.txt", kSlabIdle);
  std::string busy = kSlabIdle;
  busy.replace(busy.find("bio-248               32"), 24, "bio-248              160");
  write("slab-busy-1.txt", busy);
  write("slab-aliases.txt", "");
  write("slab-driver.txt", "bio-248\n");
  MemoryRecord rec;
  rec.device = "xferblk";
  rec.iodepth = 16;
  rec.job = "1 MiB random read";
  MemoryResult m = AnalyzeMemory(rec, dir.string());
  fs::remove_all(dir);
  EXPECT_TRUE(m.errors.empty()) << m.errors.front();
  EXPECT_EQ(m.info.at("dev"), "xferblk0");
  EXPECT_EQ(m.ios, 100u);
  EXPECT_EQ(m.job, "1 MiB random read");
  EXPECT_TRUE(m.has_interrupts);
  EXPECT_EQ(m.interrupts, 80u);
  EXPECT_TRUE(m.traced);
  EXPECT_EQ(m.Events(Origin::kDriver), 703u);
  EXPECT_EQ(m.EventsOutsidePools(Origin::kDriver), 3u);
  EXPECT_EQ(m.BytesTraced(Origin::kDriver), 179392u);
  EXPECT_EQ(m.busy_snapshots, 1u);
  EXPECT_DOUBLE_EQ(m.SlabDeltaBytes(), 128.0 * 256);
  EXPECT_DOUBLE_EQ(m.SlabBytesPerInflight(), 128.0 * 256 / 16);
}

TEST(Memory, AMissingDirectoryIsAnErrorNotAThrow) {
  MemoryRecord rec;
  rec.device = "nvme";
  rec.module = "nvme";
  MemoryResult m = AnalyzeMemory(rec, "/nonexistent/xferbench");
  EXPECT_FALSE(m.has_interrupts);
  EXPECT_FALSE(m.errors.empty());
  EXPECT_FALSE(m.traced);
}

// One entry of a hist file: the stack, innermost first (a frame ending in
// "[module]" is the module's), then its values.
std::string Entry(const std::vector<std::string>& frames, const std::string& values) {
  std::string out = "{ common_stacktrace:\n";
  for (const auto& f : frames) {
    std::size_t module = f.find(" [");
    std::string fn = f.substr(0, module);
    out += "         " + fn + "+0x10/0x80" + (module == std::string::npos ? "" : f.substr(module));
    out += "\n";
  }
  return out + "} " + values + "\n";
}

// The direct I/O's own bio, allocated inline and again from io-wq, and a
// split child of it allocated by the driver from io-wq.
const std::vector<std::string> kDioBio = {"mempool_alloc_noprof", "bio_alloc_bioset",
                                          "blkdev_direct_IO"};
const std::string kIssueHist =
    Entry({kDioBio[0], kDioBio[1], kDioBio[2], "blkdev_read_iter", "io_read", "io_issue_sqe",
           "io_submit_sqes"},
          "hitcount: 100  bytes_alloc: 32000") +
    Entry({kDioBio[0], kDioBio[1], kDioBio[2], "blkdev_read_iter", "io_read", "io_issue_sqe",
           "io_wq_submit_work", "io_worker_handle_work"},
          "hitcount: 40  bytes_alloc: 12800") +
    Entry({kDioBio[0], kDioBio[1], "bio_split", "xferblk_cut_data [xferblk]",
           "xferblk_send [xferblk]", "__submit_bio", "submit_bio_noacct_nocheck", kDioBio[2],
           "io_wq_submit_work"},
          "hitcount: 320  bytes_alloc: 61440");

TEST(Issue, CountsTheDirectIoBioInlineAndFromIoWq) {
  IssuePaths p = CountIssuePaths(ParseHist(kIssueHist));
  // The split child below blkdev_direct_IO is not the direct I/O's bio.
  EXPECT_EQ(p.inline_allocs, 100u);
  EXPECT_EQ(p.iowq_allocs, 40u);
  EXPECT_DOUBLE_EQ(p.PuntRate(), 0.4);
  EXPECT_DOUBLE_EQ(IssuePaths{}.PuntRate(), -1);
}

TEST(Issue, TheDriverIsTheDevicesModule) {
  Hist h = ParseHist(kIssueHist);
  EXPECT_EQ(TallyHist(h, "xferblk")[Origin::kDriver].events, 320u);
  auto nvme = TallyHist(h, "nvme");
  EXPECT_EQ(nvme[Origin::kDriver].events, 0u);
  EXPECT_EQ(nvme[Origin::kBlockLayer].events, 320u);
  EXPECT_EQ(nvme[Origin::kOther].events, 140u);
}

TEST(Slab, AliasLineWithOnlyANameIsItsOwnTarget) {
  auto a = ParseAliases(":0000096 :0000096\nbio-256\nxferblk_parent :0000096\n");
  EXPECT_EQ(a.at("bio-256"), "bio-256");
  EXPECT_EQ(a.at("xferblk_parent"), ":0000096");
}

TEST(Slab, SharedCachesAreLeftOutOfTheSum) {
  MemoryResult m;
  m.iodepth = 4;
  SlabCacheUse own{"bio-144", "", true, false, 192, 21, 10, 42};
  SlabCacheUse merged{"trace_event_file", "xferblk_parent", true, true, 96, 42, 100, 300};
  SlabCacheUse idle{"bio-256", "", false, false, 320, 12, 7, 7};
  m.slab = {own, merged, idle};
  EXPECT_DOUBLE_EQ(m.SlabDeltaBytes(), 32.0 * 192);
  EXPECT_DOUBLE_EQ(m.SlabBytesPerInflight(), 8.0 * 192);
  // A slab per CPU of each counted cache that grew: bio-144 only.
  EXPECT_DOUBLE_EQ(m.SlabUncertaintyPerInflight(2), 2.0 * 21 * 192 / 4);
  EXPECT_DOUBLE_EQ(m.SlabUncertaintyPerInflight(0), 21.0 * 192 / 4);
}

TEST(Interrupts, SumsEveryCpuPerNumberedLine) {
  auto irq = ParseInterrupts(
      "           CPU0       CPU1\n"
      "  0:         44          0   IO-APIC   2-edge      timer\n"
      " 24:        100          5  PCI-MSIX-0000:00:10.0   0-edge      xferblk0q0\n"
      "NMI:          0          0   Non-maskable interrupts\n"
      "ERR:          0\n");
  EXPECT_EQ(irq.at("0"), 44u);
  EXPECT_EQ(irq.at("24"), 105u);
  EXPECT_EQ(irq.at("NMI"), 0u);
  EXPECT_EQ(irq.count("CPU0"), 0u);
}

TEST(Hist, SlabRefillPagesAreNotCountedTwice) {
  Hist h = ParseHist(
      Entry({"alloc_pages_mpol_noprof", "allocate_slab", "___slab_alloc", "kmem_cache_alloc_noprof",
             kDioBio[0], kDioBio[1], "xferblk_cut_data [xferblk]"},
            "hitcount: 9") +
      Entry({"alloc_pages_mpol_noprof", "xferblk_grab_page [xferblk]"}, "hitcount: 2"));
  auto t = TallyHist(h);
  EXPECT_EQ(t[Origin::kDriver].events, 2u);
  EXPECT_EQ(t[Origin::kDriver].outside_pool.at("xferblk_grab_page"), 2u);
}

}  // namespace
}  // namespace xferbench
