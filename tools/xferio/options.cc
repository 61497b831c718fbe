// SPDX-License-Identifier: GPL-2.0-only

#include "options.hh"

#include <algorithm>
#include <functional>
#include <map>

#include "size.hh"

namespace xferio {

namespace {

std::vector<std::string_view> SplitCommas(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) return parts;
    start = comma + 1;
  }
}

Result<uint64_t> ParsePositiveSize(std::string_view option, std::string_view text) {
  auto size = ParseSize(text);
  if (!size) return Error{std::string(option) + ": " + size.error()};
  if (*size == 0) return Error{std::string(option) + " must be more than 0"};
  return *size;
}

}  // namespace

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kRead:
      return "read";
    case Mode::kWrite:
      return "write";
    case Mode::kVerify:
      return "verify";
  }
  return "?";
}

const char* PatternName(Pattern pattern) {
  return pattern == Pattern::kRandom ? "random" : "sequential";
}

const char* LayoutName(Layout layout) {
  switch (layout) {
    case Layout::kContiguous:
      return "contiguous";
    case Layout::kFragmented:
      return "fragmented";
    case Layout::kMisaligned:
      return "misaligned";
  }
  return "?";
}

Result<std::vector<BsItem>> ParseBsList(std::string_view text) {
  std::vector<BsItem> items;
  for (std::string_view part : SplitCommas(text)) {
    if (part.empty()) {
      return Error{"--bs: empty entry in \"" + std::string(text) +
                   "\" (expected auto, sizes or ranges separated by commas)"};
    }
    if (part == "auto") {
      items.push_back(BsItem{.automatic = true});
      continue;
    }
    size_t dash = part.find('-');
    std::string_view lo_text = part.substr(0, dash);
    std::string_view hi_text = dash == std::string_view::npos ? part : part.substr(dash + 1);
    auto lo = ParsePositiveSize("--bs", lo_text);
    if (!lo) return Error{lo.error()};
    auto hi = ParsePositiveSize("--bs", hi_text);
    if (!hi) return Error{hi.error()};
    if (*lo > *hi) {
      return Error{"--bs: range \"" + std::string(part) + "\" runs backwards (" + FormatSize(*lo) +
                   " > " + FormatSize(*hi) + ")"};
    }
    items.push_back(BsItem{.automatic = false, .lo = *lo, .hi = *hi});
  }
  return items;
}

Result<std::vector<Layout>> ParseLayoutList(std::string_view text) {
  std::vector<Layout> layouts;
  auto add = [&](Layout l) {
    if (std::find(layouts.begin(), layouts.end(), l) == layouts.end()) layouts.push_back(l);
  };
  for (std::string_view part : SplitCommas(text)) {
    if (part == "contiguous") {
      add(Layout::kContiguous);
    } else if (part == "fragmented") {
      add(Layout::kFragmented);
    } else if (part == "misaligned") {
      add(Layout::kMisaligned);
    } else if (part == "all") {
      add(Layout::kContiguous);
      add(Layout::kFragmented);
      add(Layout::kMisaligned);
    } else {
      return Error{"--layout: unknown layout \"" + std::string(part) +
                   "\" (contiguous, fragmented, misaligned or all)"};
    }
  }
  return layouts;
}

Result<ParsedArgs> ParseArgs(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  Options& o = parsed.options;
  bool have_mode = false;
  std::vector<std::string> devices;

  using Handler = std::function<std::optional<std::string>(std::string_view)>;
  // Options that take a value; each handler returns an error or nothing.
  const std::map<std::string, Handler, std::less<>> valued = {
      {"--mode",
       [&](std::string_view v) -> std::optional<std::string> {
         if (v == "read") {
           o.mode = Mode::kRead;
         } else if (v == "write") {
           o.mode = Mode::kWrite;
         } else if (v == "verify") {
           o.mode = Mode::kVerify;
         } else {
           return "--mode: unknown mode \"" + std::string(v) + "\" (read, write or verify)";
         }
         have_mode = true;
         return std::nullopt;
       }},
      {"--pattern",
       [&](std::string_view v) -> std::optional<std::string> {
         if (v == "seq" || v == "sequential") {
           o.pattern = Pattern::kSequential;
         } else if (v == "random" || v == "rand") {
           o.pattern = Pattern::kRandom;
         } else {
           return "--pattern: unknown pattern \"" + std::string(v) + "\" (seq or random)";
         }
         return std::nullopt;
       }},
      {"--bs",
       [&](std::string_view v) -> std::optional<std::string> {
         auto bs = ParseBsList(v);
         if (!bs) return bs.error();
         o.bs = *bs;
         return std::nullopt;
       }},
      {"--layout",
       [&](std::string_view v) -> std::optional<std::string> {
         auto layouts = ParseLayoutList(v);
         if (!layouts) return layouts.error();
         o.layouts = *layouts;
         return std::nullopt;
       }},
      {"--qd",
       [&](std::string_view v) -> std::optional<std::string> {
         auto qd = ParseUint(v, "--qd", 1, kMaxQueueDepth);
         if (!qd) return qd.error();
         o.qd = static_cast<uint32_t>(*qd);
         return std::nullopt;
       }},
      {"--runtime",
       [&](std::string_view v) -> std::optional<std::string> {
         if (!v.empty() && v.back() == 's') v.remove_suffix(1);
         auto s = ParseUint(v, "--runtime (seconds)", 1, 1000000000);
         if (!s) return s.error();
         o.runtime_s = *s;
         return std::nullopt;
       }},
      {"--total",
       [&](std::string_view v) -> std::optional<std::string> {
         auto total = ParsePositiveSize("--total", v);
         if (!total) return total.error();
         o.total = *total;
         return std::nullopt;
       }},
      {"--offset",
       [&](std::string_view v) -> std::optional<std::string> {
         auto offset = ParseSize(v);
         if (!offset) return "--offset: " + offset.error();
         o.offset = *offset;
         return std::nullopt;
       }},
      {"--size",
       [&](std::string_view v) -> std::optional<std::string> {
         auto size = ParsePositiveSize("--size", v);
         if (!size) return size.error();
         o.size = *size;
         return std::nullopt;
       }},
      {"--seed",
       [&](std::string_view v) -> std::optional<std::string> {
         auto seed = ParseUint(v, "--seed", 0, UINT64_MAX);
         if (!seed) return seed.error();
         o.seed = *seed;
         return std::nullopt;
       }},
      {"--gen",
       [&](std::string_view v) -> std::optional<std::string> {
         auto gen = ParseUint(v, "--gen", 1, kMaxGeneration);
         if (!gen) return gen.error();
         o.gen = *gen;
         return std::nullopt;
       }},
      {"--max-report",
       [&](std::string_view v) -> std::optional<std::string> {
         auto n = ParseUint(v, "--max-report", 0, 100000);
         if (!n) return n.error();
         o.max_report = static_cast<uint32_t>(*n);
         return std::nullopt;
       }},
  };

  bool only_positional = false;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& arg = args[i];
    if (only_positional || arg.empty() || arg[0] != '-' || arg == "-") {
      devices.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> inline_value;
    if (size_t eq = name.find('='); eq != std::string_view::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "--help" || name == "-h" || name == "--json" || name == "--no-verify") {
      if (inline_value) return Error{std::string(name) + " takes no value"};
      if (name == "--json") {
        o.json = true;
      } else if (name == "--no-verify") {
        o.verify = false;
      } else {
        parsed.help = true;
      }
      continue;
    }
    auto it = valued.find(name);
    if (it == valued.end()) {
      return Error{"unknown option " + std::string(name) + " (see --help)"};
    }
    std::string_view value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Error{std::string(name) + " needs a value"};
    }
    if (auto err = it->second(value)) return Error{*err};
  }

  if (parsed.help) return parsed;
  if (devices.empty()) return Error{"no device given (xferio [options] /dev/DEVICE)"};
  if (devices.size() > 1) {
    return Error{"more than one device given: \"" + devices[0] + "\" and \"" + devices[1] + "\""};
  }
  o.device = devices[0];
  if (!have_mode) return Error{"--mode is required (read, write or verify)"};
  if (!o.verify && o.mode != Mode::kRead) return Error{"--no-verify only applies to --mode read"};
  return parsed;
}

std::string UsageText(std::string_view prog) {
  std::string p(prog);
  return "usage: " + p + " --mode MODE [options] /dev/DEVICE\n" +
         R"(
An io_uring workload and data verifier for block devices that split large
I/Os (made for xferblk). Always O_DIRECT. Every logical block written carries
a stamp: its byte offset on the disk, a generation number and a checksum of
the rest of the block, so a block read back from the wrong place, a stale one
(an older generation) or a corrupted one is reported with its offset.

  --mode MODE        read: read the region and check every block carries
                       generation --gen (as left by an earlier write run)
                     write: write the region with generation --gen
                     verify: write the region, then read it back and check it;
                       each further pass (see --runtime, --total) writes the
                       next generation
  --pattern P        seq (default) or random: the region is cut into I/Os of
                     the chosen sizes and they are issued in order (seq) or
                     shuffled (random); either way each pass covers every
                     block once
  --bs LIST          I/O sizes, comma-separated, each I/O picks one at random:
                       SIZE      a fixed size: 512, 4k, 128k, 1m
                       LO-HI     any multiple of the logical block size from LO
                                 to HI, e.g. 4k-1m
                       auto      (default) sizes around the device's limits:
                                 one block, below, at and one block over
                                 max_hw_sectors_kb, at and over max_segments
                                 pages, and 3 and 16 times max_hw_sectors_kb
                     Sizes must be multiples of the logical block size.
  --layout LIST      how each I/O's buffer is laid out in memory; with more
                     than one, each I/O picks one at random:
                       contiguous  (default) one page-aligned buffer
                       fragmented  one piece per page with a gap after each
                                   piece (readv/writev, IORING_OP_READV/WRITEV);
                                   pieces grow to several pages when an I/O
                                   would need more than 1024 of them
                       misaligned  one buffer starting one logical block
                                   (512 bytes on a 512-byte disk) into a page;
                                   needs a block size below the page size
                       all         all three
  --qd N             I/Os in flight, 1 to 1024 (default 16)
  --runtime SECONDS  stop issuing new writes (or reads, in read mode) after
                     this long; in verify mode what was written is still read
                     back and checked
  --total SIZE       stop after this many bytes written (write, verify) or
                     read (read); passes repeat over the region until then
                     Without --runtime and --total: one pass over the region.
  --offset SIZE      start of the region on the device (default 0)
  --size SIZE        length of the region (default: to the end of the device)
  --seed N           seed for sizes, order, layouts and data (default 1)
  --gen N            generation written (write), expected (read), or of the
                     first pass (verify); 1 to 2^62 (default 1)
  --no-verify        read mode only: read without checking stamps
  --max-report N     list at most N verify failures and N I/O errors, those
                     at the lowest offsets (default 10)
  --json             print a JSON summary on stdout instead of the text one
  -h, --help         this text

Sizes: a number with an optional k, m, g or t suffix (powers of 1024),
optionally followed by b or ib: 4096, 4k, 4KiB, 1m.

Exit status:
  0  every I/O completed and every block checked was correct
  1  verify failure: at least one block read back was unstamped, corrupt,
     misplaced (stamped for another offset) or stale (another generation);
     takes precedence over 2
  2  I/O error: a read or write failed or was short, or the run could not be
     set up (io_uring, memory, device limits unreadable)
  3  usage error: bad options, or a path that is missing, not a block device,
     or too small for the options given (region, sizes, layouts)

The device's limits are read from /sys/dev/block/MAJ:MIN/queue; on an xferblk
disk the driver's counters (parents, children, ...) before and after the run
are reported too.
)";
}

}  // namespace xferio
