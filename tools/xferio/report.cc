// SPDX-License-Identifier: GPL-2.0-only

#include "report.hh"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "size.hh"

namespace xferio {

namespace {

// A small streaming JSON writer: objects and arrays nest, commas and
// indentation are its business.
class Json {
 public:
  std::string str() const { return out_.str() + "\n"; }

  Json& Open(char bracket) {
    Comma();
    out_ << bracket;
    first_.push_back(true);
    return *this;
  }
  Json& Close(char bracket) {
    bool empty = first_.back();
    first_.pop_back();
    if (!empty) Newline();
    out_ << bracket;
    return *this;
  }
  Json& Key(const std::string& key) {
    Comma();
    out_ << JsonQuote(key) << ": ";
    keyed_ = true;
    return *this;
  }
  Json& Str(const std::string& v) { return Raw(JsonQuote(v)); }
  Json& Uint(uint64_t v) { return Raw(std::to_string(v)); }
  Json& Bool(bool v) { return Raw(v ? "true" : "false"); }
  Json& Null() { return Raw("null"); }
  Json& Double(double v, int decimals) {
    if (!std::isfinite(v)) return Null();
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    return Raw(buf);
  }

 private:
  Json& Raw(const std::string& text) {
    Comma();
    out_ << text;
    return *this;
  }
  // Before a value or a key: a comma unless it is the first in its
  // container, and a new line. A value right after its key needs neither.
  void Comma() {
    if (keyed_) {
      keyed_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ << ',';
    first_.back() = false;
    Newline();
  }
  void Newline() { out_ << '\n' << std::string(2 * first_.size(), ' '); }

  std::ostringstream out_;
  std::vector<bool> first_;
  bool keyed_ = false;
};

double MBps(uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0;
}

std::string SizesText(const RunPlan& plan) {
  std::string text;
  for (const BsRange& r : plan.sizes) {
    if (!text.empty()) text += ",";
    text += r.lo == r.hi ? FormatSize(r.lo) : FormatSize(r.lo) + "-" + FormatSize(r.hi);
  }
  return text;
}

std::string LayoutsText(const RunPlan& plan) {
  std::string text;
  for (Layout l : plan.layouts) {
    if (!text.empty()) text += ",";
    text += LayoutName(l);
  }
  return text;
}

std::string ErrnoText(int err) {
  char buf[128];
  // The GNU strerror_r returns the text (maybe not in buf).
  return strerror_r(err, buf, sizeof(buf));
}

}  // namespace

ExitCode ExitCodeFor(const Summary& s) {
  if (s.failures.count() != 0) return kExitVerifyFailure;
  if (s.io_errors.count() != 0) return kExitIoError;
  return kExitOk;
}

const char* ResultName(ExitCode code) {
  switch (code) {
    case kExitOk:
      return "ok";
    case kExitVerifyFailure:
      return "verify_failure";
    case kExitIoError:
      return "io_error";
    case kExitUsage:
      return "usage_error";
  }
  return "?";
}

std::string Describe(const VerifyFailure& f) {
  std::string text = "offset " + std::to_string(f.offset) + ": " + FaultName(f.fault);
  switch (f.fault) {
    case Fault::kUnstamped:
      text += " (no xferio stamp), expected generation " + std::to_string(f.expected_gen);
      break;
    case Fault::kCorrupt:
      text += " (checksum mismatch), expected generation " + std::to_string(f.expected_gen) +
              ", header says offset " + std::to_string(f.found_offset) + " generation " +
              std::to_string(f.found_gen);
      break;
    case Fault::kMisplaced:
      text += ", holds the block written for offset " + std::to_string(f.found_offset) +
              ", expected generation " + std::to_string(f.expected_gen) + ", found " +
              std::to_string(f.found_gen);
      break;
    case Fault::kStale:
      text += ", expected generation " + std::to_string(f.expected_gen) + ", found " +
              std::to_string(f.found_gen);
      break;
    case Fault::kOverrun:
      text += " (a read wrote outside its buffer)";
      break;
    case Fault::kNone:
      break;
  }
  return text;
}

std::string Describe(const IoError& e) {
  std::string text = std::string(e.write ? "write" : "read") + " of " + std::to_string(e.len) +
                     " bytes at offset " + std::to_string(e.offset) + ": ";
  if (e.err != 0) return text + ErrnoText(e.err) + " (errno " + std::to_string(e.err) + ")";
  return text + "short, " + std::to_string(e.done) + " bytes moved";
}

std::string ToJson(const Summary& s) {
  const RunPlan& p = s.plan;
  const ExitCode code = ExitCodeFor(s);
  Json j;
  j.Open('{');
  j.Key("device").Str(s.device);
  j.Key("mode").Str(ModeName(p.mode));
  j.Key("pattern").Str(PatternName(p.pattern));
  j.Key("block_sizes").Open('[');
  for (const BsRange& r : p.sizes) {
    if (r.lo == r.hi) {
      j.Uint(r.lo);
    } else {
      j.Open('{').Key("min").Uint(r.lo).Key("max").Uint(r.hi).Close('}');
    }
  }
  j.Close(']');
  j.Key("layouts").Open('[');
  for (Layout l : p.layouts) j.Str(LayoutName(l));
  j.Close(']');
  j.Key("qd").Uint(p.qd);
  j.Key("seed").Uint(p.seed);
  j.Key("region").Open('{').Key("offset").Uint(p.region_offset).Key("size").Uint(p.region_size);
  j.Close('}');
  j.Key("limits").Open('{');
  j.Key("capacity").Uint(s.capacity);
  j.Key("logical_block_size").Uint(s.limits.logical_block_size);
  j.Key("max_hw_bytes").Uint(s.limits.max_hw_bytes);
  j.Key("max_segments").Uint(s.limits.max_segments);
  j.Key("max_segment_size").Uint(s.limits.max_segment_size);
  j.Close('}');
  j.Key("passes").Uint(s.passes);
  j.Key("generation").Open('{').Key("first").Uint(p.gen).Key("last").Uint(s.last_gen).Close('}');
  j.Key("ops").Open('{');
  j.Key("read").Uint(s.read_ops).Key("write").Uint(s.write_ops);
  j.Key("total").Uint(s.read_ops + s.write_ops);
  j.Close('}');
  j.Key("bytes").Open('{');
  j.Key("read").Uint(s.read_bytes).Key("written").Uint(s.write_bytes);
  j.Key("total").Uint(s.read_bytes + s.write_bytes);
  j.Close('}');
  j.Key("elapsed_s").Double(s.elapsed_s, 3);
  j.Key("mb_per_s").Double(MBps(s.read_bytes + s.write_bytes, s.elapsed_s), 2);
  j.Key("io_errors").Uint(s.io_errors.count());
  j.Key("first_io_errors").Open('[');
  for (const IoError& e : s.io_errors.Sorted()) {
    j.Open('{');
    j.Key("op").Str(e.write ? "write" : "read");
    j.Key("offset").Uint(e.offset).Key("len").Uint(e.len);
    if (e.err != 0) {
      j.Key("errno").Uint(static_cast<uint64_t>(e.err)).Key("error").Str(ErrnoText(e.err));
    } else {
      j.Key("short").Uint(e.done);
    }
    j.Close('}');
  }
  j.Close(']');
  j.Key("verify").Open('{');
  j.Key("enabled").Bool(p.mode != Mode::kWrite && p.verify);
  j.Key("blocks_checked").Uint(s.blocks_checked);
  j.Key("failures").Uint(s.failures.count());
  j.Key("first_failures").Open('[');
  for (const VerifyFailure& f : s.failures.Sorted()) {
    j.Open('{');
    j.Key("offset").Uint(f.offset);
    j.Key("kind").Str(FaultName(f.fault));
    j.Key("expected_gen").Uint(f.expected_gen);
    if (f.stamped) {
      j.Key("found_gen").Uint(f.found_gen);
      j.Key("found_offset").Uint(f.found_offset);
    } else {
      j.Key("found_gen").Null();
      j.Key("found_offset").Null();
    }
    j.Close('}');
  }
  j.Close(']');
  j.Close('}');
  if (!s.driver.empty()) {
    j.Key("driver").Open('{');
    for (const auto& [name, value] : s.driver) j.Key(name).Uint(value);
    j.Close('}');
  }
  j.Key("interrupted").Bool(s.interrupted);
  j.Key("result").Str(ResultName(code));
  j.Key("exit_code").Uint(static_cast<uint64_t>(code));
  j.Close('}');
  return j.str();
}

std::string ToText(const Summary& s) {
  const RunPlan& p = s.plan;
  const ExitCode code = ExitCodeFor(s);
  std::ostringstream o;
  o << "xferio " << ModeName(p.mode) << ", " << PatternName(p.pattern) << ", on " << s.device
    << ": region " << FormatSize(p.region_offset) << "+" << FormatSize(p.region_size) << " of "
    << HumanBytes(s.capacity) << "\n";
  o << "  device: block " << s.limits.logical_block_size << ", max transfer "
    << FormatSize(s.limits.max_hw_bytes) << ", " << s.limits.max_segments << " segments of "
    << FormatSize(s.limits.max_segment_size) << "\n";
  o << "  sizes " << SizesText(p) << "; layouts " << LayoutsText(p) << "; qd " << p.qd << "; seed "
    << p.seed << "\n";
  o << "  " << s.passes << (s.passes == 1 ? " pass" : " passes") << ", generation " << p.gen;
  if (s.last_gen != p.gen) o << " to " << s.last_gen;
  o << (s.interrupted ? " (interrupted)" : "") << "\n";
  o << "  write: " << s.write_ops << " ops, " << HumanBytes(s.write_bytes)
    << "; read: " << s.read_ops << " ops, " << HumanBytes(s.read_bytes) << "\n";
  char rate[96];
  std::snprintf(rate, sizeof(rate), "  %.2f s, %.2f MB/s\n", s.elapsed_s,
                MBps(s.read_bytes + s.write_bytes, s.elapsed_s));
  o << rate;
  if (!s.driver.empty()) {
    o << "  driver:";
    for (const auto& [name, value] : s.driver) o << " " << name << " " << value;
    o << "\n";
  }
  if (p.mode != Mode::kWrite && p.verify) {
    o << "  verify: " << s.blocks_checked << " blocks checked, " << s.failures.count()
      << " failed\n";
    for (const VerifyFailure& f : s.failures.Sorted()) o << "    " << Describe(f) << "\n";
    if (s.failures.count() > s.failures.Sorted().size()) {
      o << "    ... " << s.failures.count() - s.failures.Sorted().size() << " more\n";
    }
  }
  o << "  I/O errors: " << s.io_errors.count() << "\n";
  for (const IoError& e : s.io_errors.Sorted()) o << "    " << Describe(e) << "\n";
  if (s.io_errors.count() > s.io_errors.Sorted().size()) {
    o << "    ... " << s.io_errors.count() - s.io_errors.Sorted().size() << " more\n";
  }
  o << "  result: " << ResultName(code) << " (exit " << static_cast<int>(code) << ")\n";
  return o.str();
}

}  // namespace xferio
