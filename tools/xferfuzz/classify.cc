// SPDX-License-Identifier: GPL-2.0-only

#include "classify.hh"

#include <sys/wait.h>

#include <cctype>
#include <cstring>
#include <vector>

#include "qtest_client.hh"

namespace xferfuzz {

namespace {

struct Marker {
  std::string_view text;
  bool leak;
};

// What starts a sanitizer report.
constexpr Marker kMarkers[] = {
    {"ERROR: AddressSanitizer", false},
    {"runtime error:", false},
    {"ERROR: UndefinedBehaviorSanitizer", false},
    {"WARNING: ThreadSanitizer", false},
    {"ERROR: MemorySanitizer", false},
    {"WARNING: MemorySanitizer", false},
    {"ERROR: LeakSanitizer", true},
};

// Whether a stack frame or report is in the device model.
bool InDevice(std::string_view text) {
  return text.find("xferblk_") != std::string_view::npos ||
         text.find("hw/xferblk/") != std::string_view::npos;
}

// The line of `text` around position `pos`.
std::string_view LineAt(std::string_view text, size_t pos) {
  size_t start = text.rfind('\n', pos);
  start = start == std::string_view::npos ? 0 : start + 1;
  size_t end = text.find('\n', pos);
  return text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return out;
}

// The function of a sanitizer stack frame "    #3 0x55d0 in xferblk_post
// ../hw/xferblk/queue.c:160", or empty.
std::string_view FrameFunction(std::string_view line) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string_view::npos || line[i] != '#') return {};
  size_t in = line.find(" in ", i);
  if (in == std::string_view::npos) return {};
  std::string_view rest = line.substr(in + 4);
  return rest.substr(0, rest.find(' '));
}

// The function a report is about: its first frame in the device model, else
// its first frame; empty if it has no stack.
std::string_view ReportFunction(std::string_view report) {
  std::string_view first;
  for (std::string_view line : Lines(report)) {
    std::string_view fn = FrameFunction(line);
    if (fn.empty()) continue;
    if (first.empty()) first = fn;
    if (InDevice(line)) return fn;
  }
  return first;
}

// The text of a report starting at `pos`, at most `max_lines` lines.
std::string_view ReportText(std::string_view err, size_t pos, size_t max_lines) {
  size_t start = err.rfind('\n', pos);
  start = start == std::string_view::npos ? 0 : start + 1;
  size_t end = start;
  for (size_t n = 0; n < max_lines && end != std::string_view::npos && end < err.size(); n++) {
    end = err.find('\n', end + 1);
  }
  return err.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

}  // namespace

std::string Normalize(std::string_view line) {
  std::string out;
  size_t i = 0;
  while (i < line.size()) {
    if (line.compare(i, 2, "0x") == 0 && i + 2 < line.size() &&
        std::isxdigit(static_cast<unsigned char>(line[i + 2]))) {
      out += "0x?";
      i += 2;
      while (i < line.size() && std::isxdigit(static_cast<unsigned char>(line[i]))) i++;
    } else if (line.compare(i, 2, "==") == 0 && i + 2 < line.size() &&
               std::isdigit(static_cast<unsigned char>(line[i + 2]))) {
      out += "==?";
      i += 2;
      while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) i++;
    } else if ((line[i] == 'T') && i + 1 < line.size() &&
               std::isdigit(static_cast<unsigned char>(line[i + 1])) &&
               (i == 0 || line[i - 1] == ' ' || line[i - 1] == '(')) {
      out += "T?";
      i++;
      while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) i++;
    } else {
      out += line[i++];
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string Tail(std::string_view err, size_t max_lines) {
  std::vector<std::string_view> lines = Lines(err);
  size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
  std::string out;
  for (size_t i = first; i < lines.size(); i++) {
    out += lines[i];
    out += '\n';
  }
  return out;
}

std::string FatalLine(std::string_view err) {
  static constexpr std::string_view kFatal[] = {
      "Assertion `", "assertion failed",     "code should not be reached",
      "ERROR:",      "qemu: hardware error", "qemu: fatal",
      "Bail out!",
  };
  size_t best = std::string_view::npos;
  for (std::string_view f : kFatal) {
    size_t at = err.find(f);
    // GLib's "ERROR:file:line:..." but not a sanitizer's "ERROR: ...".
    while (f == "ERROR:" && at != std::string_view::npos && at + f.size() < err.size() &&
           err[at + f.size()] == ' ') {
      at = err.find(f, at + 1);
    }
    if (at < best) best = at;
  }
  if (best == std::string_view::npos) return {};
  std::string_view line = LineAt(err, best);
  if (line.starts_with("Bail out! ")) line.remove_prefix(10);
  return Normalize(line);
}

std::optional<Failure> FindSanitizerReport(std::string_view err, bool all_leaks) {
  for (size_t from = 0;;) {
    size_t best = std::string_view::npos;
    const Marker* which = nullptr;
    for (const Marker& m : kMarkers) {
      size_t at = err.find(m.text, from);
      if (at < best) {
        best = at;
        which = &m;
      }
    }
    if (!which) return std::nullopt;
    std::string_view report = ReportText(err, best, which->leak ? 400 : 80);
    from = best + which->text.size();
    if (which->leak && !all_leaks && !InDevice(report)) continue;

    Failure f;
    f.kind = which->leak ? "leak" : "sanitizer";
    std::string headline = Normalize(LineAt(err, best));
    std::string_view fn = ReportFunction(report);
    f.signature = headline;
    if (which->leak) {
      f.signature = "LeakSanitizer: detected memory leaks";
    }
    if (!fn.empty()) f.signature += " [in " + std::string(fn) + "]";
    f.detail = std::string(report);
    return f;
  }
}

Failure HangFailure(const std::string& what, std::string_view err) {
  Failure f;
  f.kind = "hang";
  f.signature = "hang";
  f.detail = what + "\nQEMU's stderr ends:\n" + Tail(err, 20);
  return f;
}

std::optional<Failure> ClassifyEnd(std::optional<int> status, bool killed, bool expected,
                                   std::string_view err, bool all_leaks) {
  if (std::optional<Failure> report = FindSanitizerReport(err, all_leaks)) return report;
  if (killed) return HangFailure("QEMU did not exit within 10 s of SIGTERM", err);
  if (!status) return std::nullopt;
  const std::string fatal = FatalLine(err);
  Failure f;
  if (WIFSIGNALED(*status)) {
    f.kind = "crash";
    f.signature = "signal " + std::to_string(WTERMSIG(*status));
  } else if (WIFEXITED(*status)) {
    const int code = WEXITSTATUS(*status);
    if (code == 0 && expected) return std::nullopt;
    // A leak report the filter dropped sets the exit status of its own.
    if (code != 0 && expected && fatal.empty() &&
        err.find("ERROR: LeakSanitizer") != std::string_view::npos) {
      return std::nullopt;
    }
    f.kind = "exit";
    f.signature = "exit status " + std::to_string(code);
  } else {
    return std::nullopt;
  }
  if (!fatal.empty()) f.signature += ": " + fatal;
  f.detail = "QEMU ended with " + qtest::DescribeStatus(*status) +
             (expected ? " when asked to quit" : " on its own") + "; its stderr ends:\n" +
             Tail(err, 30);
  return f;
}

}  // namespace xferfuzz
