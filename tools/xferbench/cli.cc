// SPDX-License-Identifier: GPL-2.0-only

#include "cli.hh"

#include <filesystem>
#include <fstream>

#include "chart.hh"
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
    "       xferbench report [--raw DIR] [--out DIR] [--quiet]\n"
    "       xferbench --help\n"
    "\n"
    "line    prints one line about a fio run (--output-format=json): bandwidth,\n"
    "        IOPS, mean latency; used for the progress lines of `make bench`.\n"
    "report  reads DIR/manifest.tsv (default DIR: build/bench/raw) and the fio\n"
    "        outputs and memory measurements it names, and writes to the --out\n"
    "        directory (default: the parent of DIR) table.txt (also printed\n"
    "        unless --quiet), results.json (raw results and summary) and\n"
    "        chart.png (median and spread per device per job).\n"
    "\n"
    "Exit status: 0 done (whether targets were met or not), 1 unreadable input\n"
    "or output that could not be written, 2 bad usage.\n";

int Line(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.size() != 2) {
    err << kUsage;
    return kExitUsage;
  }
  try {
    out << RunLine(ReadFioJson(args[1])) << "\n";
  } catch (const std::exception& e) {
    err << "xferbench: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int Report(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  fs::path raw = "build/bench/raw";
  fs::path dest;
  bool quiet = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--raw" || a == "--out") && i + 1 < args.size()) {
      (a == "--raw" ? raw : dest) = args[++i];
    } else if (a == "--quiet") {
      quiet = true;
    } else {
      err << "xferbench: unknown argument '" << a << "'\n" << kUsage;
      return kExitUsage;
    }
  }
  if (dest.empty()) dest = raw.parent_path().empty() ? fs::path(".") : raw.parent_path();

  Results results;
  try {
    Manifest manifest = ReadManifest((raw / "manifest.tsv").string());
    results = Analyze(manifest,
                      [&](const std::string& file) { return ReadFioJson((raw / file).string()); });
    for (const auto& m : manifest.memory)
      results.memory.push_back(AnalyzeMemory(m, (raw / m.dir).string()));
  } catch (const std::exception& e) {
    err << "xferbench: " << e.what() << "\n";
    return kExitFailure;
  }

  std::string table = FormatTable(results);
  try {
    fs::create_directories(dest);
    std::ofstream t(dest / "table.txt", std::ios::trunc);
    t << table;
    std::ofstream j(dest / "results.json", std::ios::trunc);
    j << ToJson(results).dump(2) << "\n";
    t.close();
    j.close();
    if (!t || !j) throw std::runtime_error("cannot write to " + dest.string());
    DrawChart(results).WritePng((dest / "chart.png").string());
  } catch (const std::exception& e) {
    err << "xferbench: " << e.what() << "\n";
    return kExitFailure;
  }
  if (!quiet) out << table;
  return kExitOk;
}

}  // namespace

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kUsage;
    return kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    out << kUsage;
    return kExitOk;
  }
  if (args[0] == "line") return Line(args, out, err);
  if (args[0] == "report") return Report(args, out, err);
  err << "xferbench: unknown command '" << args[0] << "'\n" << kUsage;
  return kExitUsage;
}

}  // namespace xferbench
