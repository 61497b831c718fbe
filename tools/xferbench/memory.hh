// SPDX-License-Identifier: GPL-2.0-only
//
// The memory part of the benchmark: where the I/O path allocates, from
// ftrace histograms of the kmem tracepoints keyed by kernel stack, and how
// much slab the block path holds per in-flight I/O, from /proc/slabinfo
// snapshots taken while a job of known iodepth runs.
//
// The guest leaves one directory per measured device with
//   info.txt               key=value lines (dev, module, parents, children, irqs:
//                          the device's MSI-X interrupt numbers)
//   interrupts-{before,after}.txt   /proc/interrupts around the job
//   fio.json               the job's fio output (its I/O count)
//   hist-<event>.txt       the event's `hist` file (kmem_cache_alloc, kmalloc,
//                          mm_page_alloc), keys=common_stacktrace
//   slab-idle.txt          /proc/slabinfo before the job
//   slab-busy-<n>.txt      /proc/slabinfo while it runs
//   slab-aliases.txt       "name target" for /sys/kernel/slab/*: merged caches
//                          share a target; a name alone is its own target
//   slab-driver.txt        caches that appeared when the driver was loaded

#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "manifest.hh"

namespace xferbench {

// One entry of an ftrace hist file: the key's stack (innermost first) and
// the values (hitcount, and any sums such as bytes_alloc).
struct HistEntry {
  std::vector<std::string> frames;
  std::map<std::string, uint64_t> values;
  uint64_t Value(const std::string& key) const;
};

struct Hist {
  std::vector<HistEntry> entries;
  uint64_t hits = 0;     // from the Totals block, 0 if absent
  uint64_t dropped = 0;  // entries the kernel could not store
};

// Parses a hist file whose key is common_stacktrace (or stacktrace).
// Entries with other keys are skipped.
Hist ParseHist(std::string_view text);

// Where a stack comes from, judged by its frames.
enum class Origin {
  kDriver,      // a frame of the driver's module ("[xferblk]")
  kBlockLayer,  // submit_bio, blk-mq or bio splitting, without the driver
  kOther,
};

Origin Classify(const std::vector<std::string>& frames, std::string_view module = "xferblk");

// True if the allocation went through a mempool (a bioset is one): the
// stack has mempool_alloc between the allocator and its caller.
bool ThroughMempool(const std::vector<std::string>& frames);

// The first frame of the stack in the module, without offsets
// ("xferblk_send_next"), or "" if none.
std::string FirstModuleFrame(const std::vector<std::string>& frames,
                             std::string_view module = "xferblk");

// Allocation events of one origin.
struct AllocTally {
  uint64_t events = 0;
  uint64_t via_mempool = 0;
  uint64_t bytes = 0;  // bytes_alloc, where the event has it
  // Events that did not go through a mempool, by the first frame of the
  // module (or the caller of the allocator for other origins).
  std::map<std::string, uint64_t> outside_pool;
};

// Tallies the entries of one hist file by origin. Page allocations that back a
// growing slab (allocate_slab) are left out: their object allocation is
// counted by the slab event.
std::map<Origin, AllocTally> TallyHist(const Hist& hist, std::string_view module = "xferblk");

// How io_uring issued the direct I/Os: the allocations of the direct I/O's
// own bio (bio_alloc_bioset called by blkdev_direct_IO) made inline, in the
// submitting task, and made again from an io-wq worker after an inline
// attempt ended with EAGAIN (a REQ_NOWAIT bio that would have to be split
// ends that way) or when the file cannot be issued without blocking.
struct IssuePaths {
  uint64_t inline_allocs = 0;
  uint64_t iowq_allocs = 0;
  // io-wq issues per inline attempt (1: every I/O was retried); -1 if
  // nothing was issued inline.
  double PuntRate() const;
};

IssuePaths CountIssuePaths(const Hist& hist);

struct SlabLine {
  std::string name;
  uint64_t active_objs = 0;
  uint64_t num_objs = 0;
  uint64_t objsize = 0;
  uint64_t objperslab = 0;  // 0 if the line had no such column
  uint64_t ActiveBytes() const { return active_objs * objsize; }
};

// Parses /proc/slabinfo (version 2.1); header lines are skipped.
std::map<std::string, SlabLine> ParseSlabinfo(std::string_view text);

// Parses "name target" lines (merged caches share a target); a line with
// only a name maps it to itself.
std::map<std::string, std::string> ParseAliases(std::string_view text);

// The name under which /proc/slabinfo shows the cache `name`: itself if
// present, else the name of a cache merged with it that is, else "".
std::string SlabinfoName(const std::string& name, const std::map<std::string, SlabLine>& slabinfo,
                         const std::map<std::string, std::string>& aliases);

// Slab held by the block path: the driver's caches (`driver`) and every
// bio-* and biovec-* cache, each counted once.
struct SlabCacheUse {
  std::string name;     // as in /proc/slabinfo
  std::string alias;    // the driver's name for it when it differs, else ""
  bool driver = false;  // one of the driver's caches
  // Merged with other caches (several names in /sys/kernel/slab share it):
  // its growth is not only the block path's, so it is left out of the sum.
  bool shared = false;
  uint64_t objsize = 0;
  uint64_t objperslab = 0;
  double idle_objs = 0;
  double busy_objs = 0;  // median over the busy snapshots
  double DeltaBytes() const { return (busy_objs - idle_objs) * static_cast<double>(objsize); }
};

std::vector<SlabCacheUse> SlabUse(const std::map<std::string, SlabLine>& idle,
                                  const std::vector<std::map<std::string, SlabLine>>& busy,
                                  const std::map<std::string, std::string>& aliases,
                                  const std::vector<std::string>& driver);

// Parses /proc/interrupts: per numbered interrupt, the sum over CPUs.
std::map<std::string, uint64_t> ParseInterrupts(std::string_view text);

// Everything measured on one device.
struct MemoryResult {
  std::string device;
  std::string dir;
  int iodepth = 0;
  std::string module;
  std::string job;
  std::map<std::string, std::string> info;
  uint64_t ios = 0;  // fio's I/O count for the job
  bool traced = false;
  std::map<std::string, std::map<Origin, AllocTally>> allocs;  // by event
  std::map<std::string, uint64_t> dropped;                     // by event
  IssuePaths issue;                                            // from kmem_cache_alloc
  std::vector<SlabCacheUse> slab;
  std::size_t busy_snapshots = 0;
  bool has_interrupts = false;  // the device's vectors were counted
  uint64_t interrupts = 0;      // on them during the job
  std::vector<std::string> errors;

  double SlabDeltaBytes() const;
  double SlabBytesPerInflight() const;  // delta / iodepth
  // How far off SlabBytesPerInflight may be: /proc/slabinfo counts every
  // object of a slab a CPU is allocating from as in use, so each cache that
  // grew may be off by a slab per CPU.
  double SlabUncertaintyPerInflight(int cpus) const;
  // Events of an origin over every traced event, and those outside pools.
  uint64_t Events(Origin o) const;
  uint64_t EventsOutsidePools(Origin o) const;
  uint64_t BytesTraced(Origin o) const;
};

// Reads one device's directory; what is missing or unreadable is noted in
// errors, not thrown.
MemoryResult AnalyzeMemory(const MemoryRecord& rec, const std::string& dir);

// Parses key=value lines.
std::map<std::string, std::string> ParseKeyValues(std::string_view text);

const char* OriginName(Origin o);

}  // namespace xferbench
