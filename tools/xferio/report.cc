// SPDX-License-Identifier: GPL-2.0-only

#include "report.hh"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "size.hh"

namespace xferio {

namespace {

using Json = nlohmann::ordered_json;

// @v as printed with @decimals decimals ("%.3f"), read back: the number the
// JSON holds is the one the fixed notation showed. Not finite: null.
Json Rounded(double v, int decimals) {
  if (!std::isfinite(v)) return nullptr;
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return std::strtod(buf, nullptr);
}

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
  Json j = Json::object();
  j["device"] = s.device;
  j["mode"] = ModeName(p.mode);
  j["pattern"] = PatternName(p.pattern);
  Json sizes = Json::array();
  for (const BsRange& r : p.sizes) {
    if (r.lo == r.hi)
      sizes.push_back(r.lo);
    else
      sizes.push_back(Json{{"min", r.lo}, {"max", r.hi}});
  }
  j["block_sizes"] = std::move(sizes);
  Json layouts = Json::array();
  for (Layout l : p.layouts) layouts.push_back(LayoutName(l));
  j["layouts"] = std::move(layouts);
  j["qd"] = p.qd;
  j["iopoll"] = p.iopoll;
  j["seed"] = p.seed;
  j["region"] = {{"offset", p.region_offset}, {"size", p.region_size}};
  j["limits"] = {{"capacity", s.capacity},
                 {"logical_block_size", s.limits.logical_block_size},
                 {"max_hw_bytes", s.limits.max_hw_bytes},
                 {"max_segments", s.limits.max_segments},
                 {"max_segment_size", s.limits.max_segment_size}};
  j["passes"] = s.passes;
  j["generation"] = {{"first", p.gen}, {"last", s.last_gen}};
  j["ops"] = {{"read", s.read_ops}, {"write", s.write_ops}, {"total", s.read_ops + s.write_ops}};
  j["bytes"] = {
      {"read", s.read_bytes}, {"written", s.write_bytes}, {"total", s.read_bytes + s.write_bytes}};
  j["elapsed_s"] = Rounded(s.elapsed_s, 3);
  j["mb_per_s"] = Rounded(MBps(s.read_bytes + s.write_bytes, s.elapsed_s), 2);
  j["io_errors"] = s.io_errors.count();
  Json io_errors = Json::array();
  for (const IoError& e : s.io_errors.Sorted()) {
    Json o = {{"op", e.write ? "write" : "read"}, {"offset", e.offset}, {"len", e.len}};
    if (e.err != 0) {
      o["errno"] = static_cast<uint64_t>(e.err);
      o["error"] = ErrnoText(e.err);
    } else {
      o["short"] = e.done;
    }
    io_errors.push_back(std::move(o));
  }
  j["first_io_errors"] = std::move(io_errors);
  Json failures = Json::array();
  for (const VerifyFailure& f : s.failures.Sorted()) {
    Json o = {{"offset", f.offset}, {"kind", FaultName(f.fault)}, {"expected_gen", f.expected_gen}};
    o["found_gen"] = f.stamped ? Json(f.found_gen) : Json(nullptr);
    o["found_offset"] = f.stamped ? Json(f.found_offset) : Json(nullptr);
    failures.push_back(std::move(o));
  }
  j["verify"] = {{"enabled", p.mode != Mode::kWrite && p.verify},
                 {"blocks_checked", s.blocks_checked},
                 {"failures", s.failures.count()},
                 {"first_failures", std::move(failures)}};
  if (!s.driver.empty()) {
    Json driver = Json::object();
    for (const auto& [name, value] : s.driver) driver[name] = value;
    j["driver"] = std::move(driver);
  }
  j["interrupted"] = s.interrupted;
  j["result"] = ResultName(code);
  j["exit_code"] = static_cast<uint64_t>(code);
  // Bytes that are not UTF-8 (a device path can hold any) become U+FFFD
  // rather than an exception.
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
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
  o << "  sizes " << SizesText(p) << "; layouts " << LayoutsText(p) << "; qd " << p.qd
    << (p.iopoll ? " (polled)" : "") << "; seed " << p.seed << "\n";
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
