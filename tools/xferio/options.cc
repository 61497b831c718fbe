// SPDX-License-Identifier: GPL-2.0-only

#include "options.hh"

#include <getopt.h>

#include <algorithm>

#include "enum_names.hh"
#include "size.hh"

namespace xferio {

namespace {

constexpr EnumNames<Mode, 3> kModeNames = {{"read", "write", "verify"}};
constexpr EnumNames<Pattern, 2> kPatternNames = {{"sequential", "random"}};
constexpr EnumNames<Layout, 3> kLayoutNames = {{"contiguous", "fragmented", "misaligned"}};
static_assert(kModeNames.names.size() == static_cast<size_t>(Mode::kVerify) + 1);
static_assert(kPatternNames.names.size() == static_cast<size_t>(Pattern::kRandom) + 1);
static_assert(kLayoutNames.names.size() == static_cast<size_t>(Layout::kMisaligned) + 1);

// What getopt_long returns for each long option (-h is 'h').
enum OptionCode : int {
  kOptMode = 256,
  kOptPattern,
  kOptBs,
  kOptLayout,
  kOptQd,
  kOptRuntime,
  kOptTotal,
  kOptOffset,
  kOptSize,
  kOptSeed,
  kOptGen,
  kOptMaxReport,
  kOptNoVerify,
  kOptIopoll,
  kOptJson,
  kOptHelp,
  kOptVersion,
};

constexpr option kLongOptions[] = {
    {"mode", required_argument, nullptr, kOptMode},
    {"pattern", required_argument, nullptr, kOptPattern},
    {"bs", required_argument, nullptr, kOptBs},
    {"layout", required_argument, nullptr, kOptLayout},
    {"qd", required_argument, nullptr, kOptQd},
    {"runtime", required_argument, nullptr, kOptRuntime},
    {"total", required_argument, nullptr, kOptTotal},
    {"offset", required_argument, nullptr, kOptOffset},
    {"size", required_argument, nullptr, kOptSize},
    {"seed", required_argument, nullptr, kOptSeed},
    {"gen", required_argument, nullptr, kOptGen},
    {"max-report", required_argument, nullptr, kOptMaxReport},
    {"no-verify", no_argument, nullptr, kOptNoVerify},
    {"iopoll", no_argument, nullptr, kOptIopoll},
    {"json", no_argument, nullptr, kOptJson},
    {"help", no_argument, nullptr, kOptHelp},
    {"version", no_argument, nullptr, kOptVersion},
    {nullptr, 0, nullptr, 0},
};

// "--qd" for kOptQd, "-h" for 'h'.
std::string OptionName(int code) {
  for (const option& o : kLongOptions) {
    if (o.name != nullptr && o.val == code) return "--" + std::string(o.name);
  }
  return {'-', static_cast<char>(code)};
}

// Why getopt_long refused an option (it returned '?'); `element` is the
// argument it just passed, which is the option when the option is long.
std::string Refusal(std::string_view element) {
  if (optopt == 0) {
    // An unknown (or ambiguous) long option; without any "=value".
    return "unknown option " + std::string(element.substr(0, element.find('='))) + " (see --help)";
  }
  if (optopt >= kOptMode) return OptionName(optopt) + " takes no value";
  return "unknown option " + OptionName(optopt) + " (see --help)";
}

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

// The size given to `option`; 0 only where `zero_ok`.
Result<uint64_t> ParseSizeOption(std::string_view option, std::string_view text,
                                 bool zero_ok = false) {
  auto size = ParseSize(text);
  if (!size) return Error{std::string(option) + ": " + size.error()};
  if (*size == 0 && !zero_ok) return Error{std::string(option) + " must be more than 0"};
  return *size;
}

Result<Mode> ParseMode(std::string_view text) {
  if (auto mode = kModeNames.Value(text)) return *mode;
  return Error{"--mode: unknown mode \"" + std::string(text) + "\" (read, write or verify)"};
}

Result<Pattern> ParsePattern(std::string_view text) {
  if (text == "seq") return Pattern::kSequential;  // the short forms
  if (text == "rand") return Pattern::kRandom;
  if (auto pattern = kPatternNames.Value(text)) return *pattern;
  return Error{"--pattern: unknown pattern \"" + std::string(text) + "\" (seq or random)"};
}

// "30" or "30s".
Result<uint64_t> ParseSeconds(std::string_view text) {
  if (text.ends_with('s')) text.remove_suffix(1);
  return ParseUint(text, "--runtime (seconds)", 1, 1000000000);
}

// Stores a parsed value in *out, or returns why there is none.
template <typename T, typename U>
std::optional<std::string> Store(const Result<T>& parsed, U* out) {
  if (!parsed) return parsed.error();
  *out = static_cast<U>(*parsed);
  return std::nullopt;
}

// Applies the option getopt_long returned as `code`, with its value;
// returns why the value is refused, or nothing.
std::optional<std::string> ApplyOption(int code, std::string_view value, Options& o) {
  switch (code) {
    case kOptMode:
      return Store(ParseMode(value), &o.mode);
    case kOptPattern:
      return Store(ParsePattern(value), &o.pattern);
    case kOptBs:
      return Store(ParseBsList(value), &o.bs);
    case kOptLayout:
      return Store(ParseLayoutList(value), &o.layouts);
    case kOptQd:
      return Store(ParseUint(value, "--qd", 1, kMaxQueueDepth), &o.qd);
    case kOptRuntime:
      return Store(ParseSeconds(value), &o.runtime_s);
    case kOptTotal:
      return Store(ParseSizeOption("--total", value), &o.total);
    case kOptOffset:
      return Store(ParseSizeOption("--offset", value, /*zero_ok=*/true), &o.offset);
    case kOptSize:
      return Store(ParseSizeOption("--size", value), &o.size);
    case kOptSeed:
      return Store(ParseUint(value, "--seed", 0, UINT64_MAX), &o.seed);
    case kOptGen:
      return Store(ParseUint(value, "--gen", 1, kMaxGeneration), &o.gen);
    case kOptMaxReport:
      return Store(ParseUint(value, "--max-report", 0, 100000), &o.max_report);
    case kOptNoVerify:
      o.verify = false;
      return std::nullopt;
    case kOptIopoll:
      o.iopoll = true;
      return std::nullopt;
    case kOptJson:
      o.json = true;
      return std::nullopt;
  }
  return "unhandled option " + OptionName(code);
}

}  // namespace

const char* ModeName(Mode mode) { return kModeNames.Name(mode); }

const char* PatternName(Pattern pattern) { return kPatternNames.Name(pattern); }

const char* LayoutName(Layout layout) { return kLayoutNames.Name(layout); }

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
    auto lo = ParseSizeOption("--bs", lo_text);
    if (!lo) return Error{lo.error()};
    auto hi = ParseSizeOption("--bs", hi_text);
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
    if (part == "all") {
      for (size_t i = 0; i < kLayoutNames.names.size(); i++) add(static_cast<Layout>(i));
    } else if (auto layout = kLayoutNames.Value(part)) {
      add(*layout);
    } else {
      return Error{"--layout: unknown layout \"" + std::string(part) +
                   "\" (contiguous, fragmented, misaligned or all)"};
    }
  }
  return layouts;
}

Result<ParsedArgs> ParseArgs(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  bool have_mode = false;
  std::vector<std::string> devices;

  // getopt_long's argv: a program name, then the arguments as mutable strings.
  std::vector<std::string> strings = {"xferio"};
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  // optind 0: a scan from scratch, as ParseArgs may run more than once.
  // opterr 0: errors are returned here, not printed by getopt_long.
  optind = 0;
  opterr = 0;
  // "-": each operand comes back in its place as 1, whatever POSIXLY_CORRECT
  // says; ":": a missing value is ':', not '?'.
  int c;
  while ((c = getopt_long(static_cast<int>(strings.size()), argv.data(), "-:h", kLongOptions,
                          nullptr)) != -1) {
    if (c == 1) {
      devices.emplace_back(optarg);
    } else if (c == 'h' || c == kOptHelp) {
      parsed.help = true;
    } else if (c == kOptVersion) {
      parsed.version = true;
    } else if (c == ':') {
      return Error{OptionName(optopt) + " needs a value"};
    } else if (c == '?') {
      return Error{Refusal(argv[optind - 1])};
    } else if (auto error = ApplyOption(c, optarg != nullptr ? optarg : "", parsed.options)) {
      return Error{*error};
    }
    have_mode = have_mode || c == kOptMode;
  }
  // The operands after "--", if any.
  devices.insert(devices.end(), strings.begin() + optind, strings.end());

  Options& o = parsed.options;
  if (parsed.help || parsed.version) return parsed;
  if (devices.empty()) return Error{"no device given (xferio [options] /dev/DEVICE)"};
  if (devices.size() > 1) {
    return Error{"more than one device given: \"" + devices[0] + "\" and \"" + devices[1] + "\""};
  }
  o.device = devices[0];
  if (!have_mode) return Error{"--mode is required (read, write or verify)"};
  if (!o.verify && o.mode != Mode::kRead) return Error{"--no-verify only applies to --mode read"};
  return parsed;
}

std::string VersionText() { return "xferio " XFERBLK_VERSION "\n"; }

std::string UsageText(std::string_view prog) {
  std::string p(prog);
  return "usage: " + p + " --mode MODE [options] /dev/DEVICE\n" +
         R"(
An io_uring workload and data verifier for block devices that split large
I/Os (made for xferblk). Always O_DIRECT. Every logical block written carries
a stamp: its byte offset on the disk, a generation number and a checksum of
the rest of the block, so a block read back from the wrong place, a stale one
(an older generation) or a corrupted one is reported with its offset.

  --mode MODE        read, write or verify (see Modes below)
  --pattern P        seq (default) or random: the region is cut into I/Os of
                     the chosen sizes and they are issued in order (seq) or
                     shuffled (random); either way each pass covers every
                     block once
  --bs LIST          I/O sizes, comma-separated, each I/O picks one at random
                     (see I/O sizes below). Sizes must be multiples of the
                     logical block size.
  --layout LIST      how each I/O's buffer is laid out in memory (see Layouts
                     below); with more than one, each I/O picks one at random
  --qd N             I/Os in flight, 1 to 1024 (default 16)
  --runtime SECONDS  stop issuing new writes (or reads, in read mode) after
                     this long; in verify mode what was written is still read
                     back and checked
  --total SIZE       stop after this many bytes written (write, verify) or
                     read (read); passes repeat over the region until then.
                     Without --runtime and --total: one pass over the region.
  --offset SIZE      start of the region on the device (default 0)
  --size SIZE        length of the region (default: to the end of the device)
  --seed N           seed for sizes, order, layouts and data (default 1)
  --gen N            generation written (write), expected (read), or of the
                     first pass (verify); 1 to 2^62 (default 1)
  --no-verify        read mode only: read without checking stamps
  --iopoll           polled I/O: an io_uring set up with IORING_SETUP_IOPOLL
                     reaps completions by polling the device (on a disk
                     without poll queues they still come by interrupt)
  --max-report N     list at most N verify failures and N I/O errors, those
                     at the lowest offsets (default 10)
  --json             print a JSON summary on stdout instead of the text one
  -h, --help         this text
  --version          print xferio's version and exit

Sizes: a number with an optional k, m, g or t suffix (powers of 1024),
optionally followed by b or ib: 4096, 4k, 4KiB, 1m.

Modes:
  read        read the region and check every block carries generation --gen
              (as left by an earlier write run)
  write       write the region with generation --gen
  verify      write the region, then read it back and check it; each further
              pass (see --runtime, --total) writes the next generation

I/O sizes (--bs):
  SIZE        a fixed size: 512, 4k, 128k, 1m
  LO-HI       any multiple of the logical block size from LO to HI, e.g. 4k-1m
  auto        (default) sizes around the device's limits: one block, below, at
              and one block over max_hw_sectors_kb, at and over max_segments
              pages, and 3 and 16 times max_hw_sectors_kb

Layouts (--layout):
  contiguous  (default) one page-aligned buffer
  fragmented  one piece per page with a gap after each piece (readv/writev,
              IORING_OP_READV/WRITEV); pieces grow to several pages when an
              I/O would need more than 1024 of them
  misaligned  one buffer starting one logical block (512 bytes on a 512-byte
              disk) into a page; needs a block size below the page size
  all         all three

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
