// SPDX-License-Identifier: GPL-2.0-only

#include "cli.hh"

#include <getopt.h>

#include <cctype>
#include <filesystem>
#include <functional>
#include <string_view>

#include "chart.hh"
#include "files.hh"
#include "fio.hh"
#include "manifest.hh"
#include "memory.hh"
#include "report.hh"
#include "results.hh"

namespace xferbench {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: xferbench line FIO_JSON\n"
    "       xferbench report [--raw DIR] [--out DIR] [--quiet] [--gnuplot PROGRAM]\n"
    "       xferbench undecided [--raw DIR]\n"
    "       xferbench --help\n"
    "       xferbench --version\n"
    "\n"
    "  line    prints one line about a fio run (--output-format=json): bandwidth,\n"
    "          IOPS, mean and p99 latency; used for the progress lines of\n"
    "          `make bench`.\n"
    "  report  reads DIR/manifest.tsv (default DIR: build/bench/raw) and the fio\n"
    "          outputs and memory measurements it names, and writes to the --out\n"
    "          directory (default: the parent of DIR) table.txt (also printed\n"
    "          unless --quiet), results.json (raw results and summary), charts.gp\n"
    "          and, drawn from it by gnuplot (--gnuplot: a name on PATH or a\n"
    "          path; default gnuplot), chart.svg and chart.png (median and spread\n"
    "          per device per job) and latency.svg and latency.png (p50, p99,\n"
    "          p99.9). When the manifest has scaling curves (its sweep and\n"
    "          curve records), the table and results.json (\"curves\") also\n"
    "          give, per curve and device, the median IOPS and p99 latency at\n"
    "          each point, and curves.svg and curves.png draw IOPS against the\n"
    "          curve's option (iodepth, numjobs); without curves those two are\n"
    "          not written (and an earlier report's are removed). Without\n"
    "          gnuplot the charts are skipped with a message.\n"
    "          Each target's ratio has a 95% bootstrap confidence interval over\n"
    "          the repetitions that succeeded on both devices; its verdict is met\n"
    "          or missed only when the whole interval is on one side of the\n"
    "          target and at least 5 repetitions count, else undecided.\n"
    "  undecided  reads DIR/manifest.tsv as report does and prints the ids\n"
    "             of the jobs with an undecided target, one per line, in the\n"
    "             manifest's order (nothing when none is): the jobs `make\n"
    "             bench` runs again.\n"
    "\n"
    "Exit status: 0 done (whether targets were met or not, charts or not), 1\n"
    "unreadable input or output that could not be written, 2 bad usage.\n";

// The usage text states them.
static_assert(kConfidence == 0.95 && kMinPairs == 5, "update kUsage");

// Where `make bench` leaves the raw results, relative to the tree.
constexpr const char* kDefaultRaw = "build/bench/raw";

// Codes of the options that have no short form: none is a character.
enum LongOption { kRaw = 256, kOut, kQuiet, kGnuplot, kVersion };

// Takes one option and its argument ("" if it takes none).
using OptionHandler = std::function<void(int option, const std::string& arg)>;

// Parses argv (argv[0]: the program or the command) with getopt_long,
// calling handle for each option; what is not an option goes to operands.
// Returns what is wrong, or "".
std::string ParseOptions(const std::vector<std::string>& argv, const char* shortopts,
                         const option* longopts, const OptionHandler& handle,
                         std::vector<std::string>& operands) {
  std::vector<std::string> copy = argv;  // getopt_long reorders its argv
  std::vector<char*> ptrs;
  for (auto& a : copy) ptrs.push_back(a.data());
  ptrs.push_back(nullptr);
  int argc = static_cast<int>(copy.size());
  optind = 0;  // glibc: start over, whatever an earlier parse left
  opterr = 0;  // the messages are ours
  int c;
  int index = -1;
  while ((c = getopt_long(argc, ptrs.data(), shortopts, longopts, &index)) != -1) {
    const char* where = ptrs[optind - 1];
    bool is_long = std::string_view(where).starts_with("--");
    if (optarg && !*optarg && index >= 0)
      return Format("option '--%s' needs a non-empty argument", longopts[index].name);
    if (c == '?' && is_long)
      return Format(optopt ? "option '%s' takes no argument" : "unknown option '%s'", where);
    if (c == '?') return Format("unknown option '-%c'", std::isprint(optopt) ? optopt : '?');
    if (c == ':') return Format("option '%s' needs an argument", where);
    handle(c, optarg ? optarg : "");
    index = -1;
  }
  operands.assign(ptrs.begin() + optind, ptrs.end() - 1);
  return {};
}

int Usage(std::ostream& err, const std::string& problem) {
  err << "xferbench: " << problem << "\n" << kUsage;
  return kExitUsage;
}

// --help and --version work before a command and after it; --help wins.
constexpr option kHelpAndVersion[] = {
    {"help", no_argument, nullptr, 'h'}, {"version", no_argument, nullptr, kVersion}, {}};

// --help's text, --version's, or nothing.
const char* HelpOrVersion(bool help, bool version) {
  if (help) return kUsage;
  if (version) return "xferbench " XFERBLK_VERSION "\n";
  return nullptr;
}

int Line(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  bool help = false;
  bool version = false;
  std::vector<std::string> files;
  auto handle = [&](int option, const std::string&) {
    help |= option == 'h';
    version |= option == kVersion;
  };
  if (auto problem = ParseOptions(argv, ":h", kHelpAndVersion, handle, files); !problem.empty())
    return Usage(err, problem);
  if (const char* text = HelpOrVersion(help, version)) {
    out << text;
    return kExitOk;
  }
  if (files.size() != 1) return Usage(err, "line takes one fio output");
  try {
    out << RunLine(ReadFioJson(files[0])) << "\n";
  } catch (const std::exception& e) {
    err << "xferbench: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

// Reads a raw directory: its manifest and the fio outputs it names.
Results AnalyzeRaw(const fs::path& raw) {
  Manifest manifest = ReadManifest(raw / "manifest.tsv");
  return Analyze(manifest, [&](const std::string& file) { return ReadFioJson(raw / file); });
}

int Undecided(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  static constexpr option kOptions[] = {{"raw", required_argument, nullptr, kRaw},
                                        {"help", no_argument, nullptr, 'h'},
                                        {"version", no_argument, nullptr, kVersion},
                                        {}};
  fs::path raw = kDefaultRaw;
  bool help = false;
  bool version = false;
  auto handle = [&](int option, const std::string& arg) {
    if (option == kRaw) raw = arg;
    help |= option == 'h';
    version |= option == kVersion;
  };
  std::vector<std::string> rest;
  if (auto problem = ParseOptions(argv, ":h", kOptions, handle, rest); !problem.empty())
    return Usage(err, problem);
  if (const char* text = HelpOrVersion(help, version)) {
    out << text;
    return kExitOk;
  }
  if (!rest.empty()) return Usage(err, "unexpected argument '" + rest[0] + "'");
  try {
    for (const auto& job : UndecidedJobs(AnalyzeRaw(raw))) out << job << "\n";
  } catch (const std::exception& e) {
    err << "xferbench: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int Report(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  static constexpr option kOptions[] = {{"raw", required_argument, nullptr, kRaw},
                                        {"out", required_argument, nullptr, kOut},
                                        {"quiet", no_argument, nullptr, kQuiet},
                                        {"gnuplot", required_argument, nullptr, kGnuplot},
                                        {"help", no_argument, nullptr, 'h'},
                                        {"version", no_argument, nullptr, kVersion},
                                        {}};
  fs::path raw = kDefaultRaw;
  fs::path dest;
  std::string gnuplot = "gnuplot";
  bool quiet = false;
  bool help = false;
  bool version = false;
  auto handle = [&](int option, const std::string& arg) {
    if (option == kRaw) raw = arg;
    if (option == kOut) dest = arg;
    if (option == kGnuplot) gnuplot = arg;
    quiet |= option == kQuiet;
    help |= option == 'h';
    version |= option == kVersion;
  };
  std::vector<std::string> rest;
  if (auto problem = ParseOptions(argv, ":h", kOptions, handle, rest); !problem.empty())
    return Usage(err, problem);
  if (const char* text = HelpOrVersion(help, version)) {
    out << text;
    return kExitOk;
  }
  if (!rest.empty()) return Usage(err, "unexpected argument '" + rest[0] + "'");
  if (dest.empty()) dest = raw.parent_path().empty() ? fs::path(".") : raw.parent_path();

  Results results;
  try {
    results = AnalyzeRaw(raw);
    for (const auto& m : results.manifest.memory)
      results.memory.push_back(AnalyzeMemory(m, (raw / m.dir).string()));
  } catch (const std::exception& e) {
    err << "xferbench: " << e.what() << "\n";
    return kExitFailure;
  }

  std::string table = FormatTable(results);
  std::string charts;
  try {
    fs::create_directories(dest);
    WriteText(dest / "table.txt", table);
    WriteText(dest / "results.json", ToJson(results).dump(2) + "\n");
    charts = DrawCharts(results, dest.string(), gnuplot);
  } catch (const std::exception& e) {
    err << "xferbench: " << e.what() << "\n";
    return kExitFailure;
  }
  if (!quiet) out << table;
  if (!charts.empty()) err << "xferbench: " << charts << "\n";
  return kExitOk;
}

}  // namespace

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> argv = {"xferbench"};
  argv.insert(argv.end(), args.begin(), args.end());
  bool help = false;
  bool version = false;
  std::vector<std::string> command;
  auto handle = [&](int option, const std::string&) {
    help |= option == 'h';
    version |= option == kVersion;
  };
  // '+': the options after the command are the command's.
  if (auto problem = ParseOptions(argv, "+:h", kHelpAndVersion, handle, command); !problem.empty())
    return Usage(err, problem);
  if (!command.empty() && command[0] == "help") help = true;
  if (const char* text = HelpOrVersion(help, version)) {
    out << text;
    return kExitOk;
  }
  if (command.empty()) return Usage(err, "no command");
  if (command[0] == "line") return Line(command, out, err);
  if (command[0] == "report") return Report(command, out, err);
  if (command[0] == "undecided") return Undecided(command, out, err);
  return Usage(err, "unknown command '" + command[0] + "'");
}

}  // namespace xferbench
