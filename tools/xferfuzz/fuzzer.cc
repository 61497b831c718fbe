// SPDX-License-Identifier: GPL-2.0-only

#include "fuzzer.hh"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <system_error>
#include <variant>

#include <nlohmann/json.hpp>

#include "generator.hh"
#include "minimize.hh"
#include "runner.hh"

namespace xferfuzz {

namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_interrupted = 0;

void OnSignal(int) { g_interrupted = 1; }

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

uint64_t RandomU64() {
  std::random_device rd;
  return static_cast<uint64_t>(rd()) << 32 | rd();
}

// Where the images go: $TMPDIR if set, else /dev/shm (the images take many
// small writes and flushes), else the system's temporary directory.
std::filesystem::path ScratchBase() {
  if (const char* t = std::getenv("TMPDIR"); t && *t) return t;
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec) && access("/dev/shm", W_OK) == 0) {
    return "/dev/shm";
  }
  return std::filesystem::temp_directory_path();
}

// A scratch directory for the run, removed at the end.
class Scratch {
 public:
  explicit Scratch(uint64_t nonce) {
    std::string templ =
        (ScratchBase() / ("xferfuzz-" + Hex(nonce).substr(2) + "-")).string() + "XXXXXX";
    if (!mkdtemp(templ.data())) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + templ);
    }
    path_ = templ;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct Summary {
  std::string mode;
  uint64_t ops = 0;
  double seconds = 0;
  uint64_t qemu_starts = 0;
  unsigned failures = 0;
  std::optional<uint64_t> seed;
  uint64_t nonce = 0;
  uint64_t instances = 0;
  uint64_t notes = 0;
  uint64_t minimize_replays = 0;
};

void PrintSummary(const Summary& s) {
  nlohmann::json j;
  j["mode"] = s.mode;
  j["ops"] = s.ops;
  j["seconds"] = std::round(s.seconds * 1000) / 1000;
  j["ops_per_second"] = s.seconds > 0 ? std::round(s.ops / s.seconds * 10) / 10 : 0.0;
  j["qemu_starts"] = s.qemu_starts;
  j["failures"] = s.failures;
  j["seed"] = s.seed ? nlohmann::json(*s.seed) : nlohmann::json(nullptr);
  j["nonce"] = Hex(s.nonce);
  j["instances"] = s.instances;
  j["notes"] = s.notes;
  j["minimize_replays"] = s.minimize_replays;
  std::cout << j.dump() << std::endl;
}

RunnerOptions MakeRunnerOptions(const Options& o, const std::filesystem::path& scratch) {
  RunnerOptions r;
  r.qemu = o.qemu;
  r.timeout = std::chrono::milliseconds(o.timeout_ms);
  r.batch = o.batch;
  r.all_leaks = o.all_leaks;
  r.scratch = scratch;
  r.trace = o.trace;
  r.qemu_args = o.qemu_args;
  return r;
}

std::string Indent(const std::string& text, const std::string& prefix, size_t max_lines) {
  std::string out;
  std::istringstream in(text);
  std::string line;
  for (size_t n = 0; std::getline(in, line); n++) {
    if (n == max_lines) {
      out += prefix + "...\n";
      break;
    }
    out += prefix + line + "\n";
  }
  return out;
}

class Fuzzer {
 public:
  Fuzzer(const Options& o, uint64_t seed, uint64_t nonce, const std::filesystem::path& scratch)
      : o_(o), seed_(seed), nonce_(nonce), runner_(MakeRunnerOptions(o, scratch)) {}

  int Run();

 private:
  bool OutOfBudget() const {
    return g_interrupted || (o_.ops && s_.ops >= *o_.ops) ||
           (o_.seconds && FuzzSeconds() >= *o_.seconds);
  }
  double FuzzSeconds() const { return Since(start_) - excluded_; }
  void Progress(bool force);
  void HandleFailure(const std::vector<Op>& ops, const Failure& f, uint64_t instance);
  std::optional<Failure> ReplayOnce(std::span<const Op> ops) {
    s_.minimize_replays++;
    return runner_.Run(ops).failure;
  }

  const Options& o_;
  uint64_t seed_, nonce_;
  Runner runner_;
  Summary s_;
  Clock::time_point start_;
  double excluded_ = 0;  // seconds spent minimizing
  Clock::time_point last_progress_;
};

void Fuzzer::Progress(bool force) {
  if (o_.quiet || (!force && Since(last_progress_) < 10)) return;
  last_progress_ = Clock::now();
  const double t = FuzzSeconds();
  std::fprintf(stderr, "xferfuzz: %.0f s: %llu ops (%.0f/s), %llu QEMUs, %u failure(s)\n", t,
               static_cast<unsigned long long>(s_.ops), t > 0 ? s_.ops / t : 0.0,
               static_cast<unsigned long long>(runner_.qemu_starts() - s_.minimize_replays),
               s_.failures);
}

void Fuzzer::HandleFailure(const std::vector<Op>& ops, const Failure& f, uint64_t instance) {
  const Clock::time_point t0 = Clock::now();
  std::cout << "xferfuzz: FAILURE with --seed " << seed_ << " (nonce " << Hex(nonce_) << "), QEMU "
            << instance << ", operation " << f.op << ": " << f.kind << ": " << f.signature << "\n"
            << Indent(f.detail, "  ", 60) << std::flush;

  const std::vector<Op> segment(ops.begin(), ops.begin() + static_cast<ptrdiff_t>(f.op + 1));
  std::vector<Op> result = segment;
  std::string how = "not minimized (--minimize-seconds 0)";
  if (o_.minimize_seconds > 0) {
    const Clock::time_point deadline = t0 + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(o_.minimize_seconds));
    // How reliably does it fail alone? A failure that depends on timing
    // (the backend's I/O runs in real time) gets several replays per
    // candidate.
    auto fails_once = [&](std::span<const Op> ops) {
      std::optional<Failure> r = ReplayOnce(ops);
      return r && SameFailure(*r, f);
    };
    int runs = 0, hits = 0;
    for (; runs < 3; runs++) hits += fails_once(segment);
    for (; runs < 6 && !hits; runs++) hits += fails_once(segment);
    const int tries = hits == runs ? 1 : std::min(2 * runs / std::max(hits, 1), 6);
    if (!hits) {
      how = "did not fail in " + std::to_string(runs) +
            " replays of its QEMU's operations alone (timing?): written as they were";
    } else {
      if (!o_.quiet) {
        std::cerr << "xferfuzz: minimizing " << segment.size() << " operations (at most "
                  << o_.minimize_seconds << " s; it failed in " << hits << " of " << runs
                  << " replays)\n";
      }
      uint64_t tests = 0;
      Clock::time_point last = Clock::now();
      auto build = [&](const std::vector<size_t>& idx) {
        std::vector<Op> cand{segment[0]};
        for (size_t i : idx) cand.push_back(segment[i + 1]);
        return cand;
      };
      auto fails = [&](const std::vector<size_t>& idx) {
        tests++;
        if (!o_.quiet && Since(last) >= 10) {
          last = Clock::now();
          std::cerr << "xferfuzz: minimizing: " << tests << " candidates, trying " << idx.size() + 1
                    << " operations\n";
        }
        const std::vector<Op> cand = build(idx);
        for (int attempt = 0; attempt < tries; attempt++) {
          if (fails_once(cand)) return true;
        }
        return false;
      };
      std::vector<size_t> idx = Minimize(segment.size() - 1, fails,
                                         [&] { return g_interrupted || Clock::now() >= deadline; });
      std::vector<Op> cand = build(idx);
      const int cand_runs = std::max(3, tries);
      int cand_hits = 0;
      for (int attempt = 0; attempt < cand_runs; attempt++) cand_hits += fails_once(cand);
      std::ostringstream msg;
      if (cand_hits) {
        result = cand;
        msg << "minimized from " << segment.size() << " to " << cand.size() << " operations in "
            << static_cast<int>(Since(t0)) << " s (" << tests << " candidates"
            << (tries > 1 ? ", up to " + std::to_string(tries) + " replays each" : "")
            << (Clock::now() >= deadline ? ", stopped by --minimize-seconds" : "")
            << "); it failed in " << cand_hits << " of " << cand_runs << " replays";
      } else {
        msg << "the minimized operations did not fail again: written unminimized";
      }
      if (hits < runs) {
        msg << "; unminimized, it failed in " << hits << " of " << runs << " replays (timing)";
      }
      how = msg.str();
    }
  }

  std::error_code ec;
  std::filesystem::create_directories(o_.out_dir, ec);
  const std::filesystem::path file =
      o_.out_dir / ("xferfuzz-" + std::to_string(seed_) + "-" + Hex(nonce_).substr(2) + "-" +
                    std::to_string(s_.failures) + ".txt");
  std::vector<std::string> header = {
      "xferfuzz replay (xferblk " XFERBLK_VERSION ")",
      "found by: xferfuzz --seed " + std::to_string(seed_) + " --restart-every " +
          std::to_string(o_.restart_every) + " --batch " + std::to_string(o_.batch) + " (nonce " +
          Hex(nonce_) + "), QEMU " + std::to_string(instance) + ", operation " +
          std::to_string(f.op),
      "failure: " + f.kind + ": " + f.signature,
      how,
      "replay: xferfuzz --replay " + file.filename().string(),
  };
  std::ofstream out(file);
  out << ReplayText(header, result);
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
  std::cout << "xferfuzz: " << how << "\n"
            << "xferfuzz: wrote " << file.string() << "; replay it with:\n"
            << "  xferfuzz --qemu " << o_.qemu << " --replay " << file.string() << "\n"
            << std::flush;
  excluded_ += Since(t0);
}

int Fuzzer::Run() {
  s_.mode = "fuzz";
  s_.seed = seed_;
  s_.nonce = nonce_;
  std::cout << "xferfuzz: seed " << seed_ << " nonce " << Hex(nonce_) << " qemu " << o_.qemu
            << std::endl;
  start_ = last_progress_ = Clock::now();
  const auto stop = [this] {
    return g_interrupted || (o_.seconds && FuzzSeconds() >= *o_.seconds);
  };
  for (uint64_t instance = 0; !OutOfBudget(); instance++) {
    size_t length = o_.restart_every;
    if (o_.ops) length = static_cast<size_t>(std::min<uint64_t>(length, *o_.ops - s_.ops));
    const std::vector<Op> ops = GenerateInstance(seed_, instance, std::max<size_t>(length, 2));
    InstanceResult r = runner_.Run(ops, stop);
    s_.ops += r.executed;
    s_.instances++;
    s_.notes += r.notes.size();
    if (o_.trace) {
      for (const std::string& n : r.notes) std::cerr << "xferfuzz: note: " << n << "\n";
    }
    if (r.failure) {
      s_.failures++;
      HandleFailure(ops, *r.failure, instance);
      if (o_.max_failures && s_.failures >= o_.max_failures) break;
    }
    Progress(false);
  }
  s_.seconds = FuzzSeconds();
  s_.qemu_starts = runner_.qemu_starts() - s_.minimize_replays;
  if (g_interrupted) std::cerr << "xferfuzz: interrupted\n";
  Progress(true);
  PrintSummary(s_);
  return s_.failures ? kExitFailure : kExitOk;
}

std::vector<std::filesystem::path> ReplayFiles(const std::vector<std::string>& paths) {
  std::vector<std::filesystem::path> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::filesystem::path> found;
      for (const auto& e : std::filesystem::directory_iterator(p)) {
        if (e.path().extension() == ".txt") found.push_back(e.path());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) throw std::runtime_error(p + ": no *.txt replay files");
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(p);
    }
  }
  return out;
}

int RunReplays(const Options& o, uint64_t nonce, const std::filesystem::path& scratch) {
  Summary s;
  s.mode = "replay";
  s.nonce = nonce;
  std::cout << "xferfuzz: replay nonce " << Hex(nonce) << " qemu " << o.qemu << std::endl;
  // Every file is read first: a malformed one is a usage error before any run.
  std::vector<std::pair<std::filesystem::path, std::vector<std::vector<Op>>>> files;
  for (const std::filesystem::path& f : ReplayFiles(o.replay)) {
    std::ifstream in(f);
    if (!in) throw std::runtime_error("cannot read " + f.string());
    std::stringstream text;
    text << in.rdbuf();
    try {
      files.emplace_back(f, SplitInstances(ParseOps(text.str())));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(f.string() + ": " + e.what());
    }
  }
  Runner runner(MakeRunnerOptions(o, scratch));
  const Clock::time_point start = Clock::now();
  for (const auto& [file, instances] : files) {
    if (g_interrupted) break;
    uint64_t ops = 0;
    std::optional<Failure> failure;
    size_t failed_instance = 0;
    for (size_t k = 0; k < instances.size() && !failure && !g_interrupted; k++) {
      InstanceResult r = runner.Run(instances[k]);
      ops += r.executed;
      s.instances++;
      s.notes += r.notes.size();
      if (o.trace) {
        for (const std::string& n : r.notes) std::cerr << "xferfuzz: note: " << n << "\n";
      }
      failure = r.failure;
      failed_instance = k;
    }
    s.ops += ops;
    if (failure) {
      s.failures++;
      std::cout << file.string() << ": FAILED (QEMU " << failed_instance << ", operation "
                << failure->op << "): " << failure->kind << ": " << failure->signature << "\n"
                << Indent(failure->detail, "  ", 60);
    } else {
      std::cout << file.string() << ": ok (" << ops << " operations)\n";
    }
  }
  s.seconds = Since(start);
  s.qemu_starts = runner.qemu_starts();
  if (g_interrupted) std::cerr << "xferfuzz: interrupted\n";
  PrintSummary(s);
  return s.failures || g_interrupted ? kExitFailure : kExitOk;
}

}  // namespace

std::vector<std::vector<Op>> SplitInstances(std::vector<Op> ops) {
  std::vector<std::vector<Op>> out;
  for (Op& op : ops) {
    if (op.kind == OpKind::kStart || out.empty()) {
      out.emplace_back();
      if (op.kind != OpKind::kStart) out.back().push_back(StartOp(DeviceConfig{}));
    }
    out.back().push_back(std::move(op));
  }
  return out;
}

std::string ReplayText(const std::vector<std::string>& header, std::span<const Op> ops) {
  std::string out;
  for (const std::string& h : header) {
    std::istringstream in(h);
    std::string line;
    while (std::getline(in, line)) out += line.empty() ? "#\n" : "# " + line + "\n";
  }
  for (const Op& op : ops) out += FormatOp(op) + "\n";
  return out;
}

int Main(int argc, char** argv) {
  std::variant<Options, OptionsError> parsed =
      ParseOptions(argc, argv, std::getenv("XFERBLK_QEMU"));
  if (const OptionsError* e = std::get_if<OptionsError>(&parsed)) {
    std::cerr << "xferfuzz: " << e->message << "\n";
    return kExitUsage;
  }
  Options o = std::get<Options>(parsed);
  if (o.replay.empty() && !o.ops && !o.seconds) o.seconds = kDefaultSeconds;
  if (o.help) {
    std::cout << UsageText("xferfuzz");
    return kExitOk;
  }
  if (o.version) {
    std::cout << VersionText();
    return kExitOk;
  }
  if (o.qemu.empty()) {
    std::cerr << "xferfuzz: no QEMU: give --qemu PATH or set XFERBLK_QEMU (qemu/build-qemu.sh "
                 "prints the path); nothing run\n";
    return kExitNoQemu;
  }
  if (access(o.qemu.c_str(), X_OK) != 0) {
    std::cerr << "xferfuzz: " << o.qemu << ": not an executable file\n";
    return kExitUsage;
  }

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    const uint64_t nonce = RandomU64();
    Scratch scratch(nonce);
    if (!o.replay.empty()) return RunReplays(o, nonce, scratch.path());
    const uint64_t seed = o.seed.value_or(RandomU64() >> 1);
    Fuzzer fuzzer(o, seed, nonce, scratch.path());
    return fuzzer.Run();
  } catch (const std::exception& e) {
    std::cerr << "xferfuzz: " << e.what() << "\n";
    return kExitUsage;
  }
}

}  // namespace xferfuzz
