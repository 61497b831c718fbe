// SPDX-License-Identifier: GPL-2.0-only
//
// A stand-in for qemu-system-x86_64 -accel qtest, for testing xferfuzz
// itself (tests/fuzzer_test.cc): it answers every qtest command on its
// stdin/stdout (reads give 0) and every QMP command on its -qmp socket, and
// fails in the way $FAKE_QEMU_MODE says once it has seen a controller RESET
// (a writel or writeq to CTRL with bit 1 set) and, after it, a writel or
// writeq to FAULT_RELEASE:
//
//   ok      never fails (as does any mode not named here)
//   abort   prints an assertion failure and dies of SIGABRT
//   asan    prints an AddressSanitizer report and exits 1
//   ubsan   prints a UBSan "runtime error:" and goes on
//   hang    stops answering qtest (QMP still answers)
//   leak    when asked to quit, prints a LeakSanitizer report (in the device
//           model) and exits 23
//   exit    exits 0 on its own
//
// Like QEMU it quits with status 0 on SIGTERM, not when its qtest stream
// ends, and on device_del sends DEVICE_DELETED, on system_reset RESET. Of its
// arguments only -qmp unix:PATH[,OPTIONS] counts. A qtest command it cannot
// make sense of (a missing or malformed number) ends it with status 1.

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

// BAR0 where xferfuzz maps it, plus the register's offset.
constexpr uint64_t kCtrl = 0xE0000040;
constexpr uint64_t kFaultRelease = 0xE0000090;
constexpr uint64_t kCtrlReset = 1u << 1;

enum class Mode { kOk, kAbort, kAsan, kUbsan, kHang, kLeak, kExit };

// Set before the SIGTERM handler is installed, read by it.
Mode g_mode = Mode::kOk;
// Whether it has failed (a leak is then reported on SIGTERM).
std::atomic<bool> g_triggered = false;
static_assert(std::atomic<bool>::is_always_lock_free, "read in a signal handler");

Mode ParseMode(const char* name) {
  const std::string_view s = name ? name : "ok";
  if (s == "abort") return Mode::kAbort;
  if (s == "asan") return Mode::kAsan;
  if (s == "ubsan") return Mode::kUbsan;
  if (s == "hang") return Mode::kHang;
  if (s == "leak") return Mode::kLeak;
  if (s == "exit") return Mode::kExit;
  return Mode::kOk;
}

// Writes all of `s` to `fd`; false on an error (EPIPE: the reader is gone).
// Async-signal-safe.
bool WriteAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

[[noreturn]] void Die(const std::string& what) {
  WriteAll(STDERR_FILENO, "fake-qemu: " + what + "\n");
  _exit(1);
}

[[noreturn]] void Sleep() {
  for (;;) pause();
}

void OnTerm(int) {
  if (g_mode == Mode::kLeak && g_triggered) {
    WriteAll(STDERR_FILENO,
             "==42==ERROR: LeakSanitizer: detected memory leaks\n\n"
             "Direct leak of 64 byte(s) in 1 object(s) allocated from:\n"
             "    #0 0x7f0000001 in malloc (/usr/lib/libasan.so.8+0xd)\n"
             "    #1 0x55000002 in xferblk_fake_alloc ../hw/xferblk/fake.c:12\n");
    _exit(23);
  }
  WriteAll(STDERR_FILENO, "fake-qemu: terminating on signal 15\n");
  _exit(0);
}

// ---------------------------------------------------------------------------
// QMP: a thread accepting connections, a thread for each.

bool SendAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Answers one command line; false to drop the connection (after a line that
// is not a JSON object, or with the client gone).
bool QmpCommand(int fd, std::string_view line) {
  if (line.find_first_not_of(" \t\r\n\v\f") == std::string_view::npos) return true;
  const nlohmann::json cmd = nlohmann::json::parse(line, nullptr, false);
  if (cmd.is_discarded() || !cmd.is_object()) {
    WriteAll(STDERR_FILENO, "fake-qemu: QMP: not a JSON object: " + std::string(line) + "\n");
    return false;
  }
  if (!SendAll(fd, "{\"return\": {}}\r\n")) return false;
  const auto name = cmd.find("execute");
  if (name == cmd.end() || !name->is_string()) return true;
  if (*name == "device_del") {
    return SendAll(fd, "{\"event\": \"DEVICE_DELETED\", \"data\": {}}\r\n");
  }
  if (*name == "system_reset") {
    return SendAll(fd, "{\"event\": \"RESET\", \"data\": {}}\r\n");
  }
  return true;
}

void QmpServe(int fd) {
  std::string buf;
  bool ok = SendAll(fd, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n");
  while (ok) {
    char chunk[4096];
    ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // The last line, if the client ended without a newline.
      if (n == 0 && !buf.empty()) QmpCommand(fd, buf);
      break;
    }
    buf.append(chunk, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; ok && (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
      ok = QmpCommand(fd, std::string_view(buf).substr(start, nl - start));
    }
    buf.erase(0, start);
  }
  close(fd);
}

// Listens on `spec` ("unix:PATH[,OPTIONS]", the prefix not checked, as
// xferfuzz gives nothing else) at once; connections are served meanwhile.
void QmpListen(const std::string& spec) {
  const std::string rest = spec.substr(std::min<size_t>(5, spec.size()));
  const std::string path = rest.substr(0, rest.find(','));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) Die("-qmp " + spec + ": path too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (srv < 0 || bind(srv, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) < 0 ||
      listen(srv, 4) < 0) {
    const int err = errno;
    Die("-qmp " + path + ": " + std::strerror(err));
  }
  std::thread([srv] {
    for (;;) {
      const int conn = accept4(srv, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0 && errno == EINTR) continue;
      if (conn < 0) return;
      try {
        std::thread(QmpServe, conn).detach();
      } catch (const std::system_error&) {
        close(conn);
      }
    }
  }).detach();
}

// ---------------------------------------------------------------------------
// qtest

// An integer as Python's int(word, 0) reads it (a sign; 0x, 0o or 0b, or
// decimal without leading zeros; underscores between digits), of any size:
// kept modulo 2^64 in two's complement, which is enough to compare it with
// an address and test its low bits.
struct Int {
  uint64_t low = 0;
  bool negative = false;
  bool big = false;  // its magnitude is 2^64 or more

  bool Is(uint64_t v) const { return !negative && !big && low == v; }
};

Int ParseInt(std::string_view word) {
  auto bad = [word] {
    return std::invalid_argument("invalid literal for int() with base 0: '" + std::string(word) +
                                 "'");
  };
  Int r;
  std::string_view s = word;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    r.negative = s[0] == '-';
    s.remove_prefix(1);
  }
  unsigned base = 10;
  bool underscore_ok = false;  // one may follow a base prefix or a digit
  if (s.size() >= 2 && s[0] == '0') {
    const char p = static_cast<char>(s[1] | 0x20);
    base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 10;
    if (base != 10) {
      s.remove_prefix(2);
      underscore_ok = true;
    }
  }
  bool digits = false, nonzero = false;
  uint64_t mag = 0;
  for (const char c : s) {
    if (c == '_' && underscore_ok) {
      underscore_ok = false;
      continue;
    }
    const char l = static_cast<char>(c | 0x20);
    const unsigned d = c >= '0' && c <= '9'   ? static_cast<unsigned>(c - '0')
                       : l >= 'a' && l <= 'z' ? static_cast<unsigned>(l - 'a' + 10)
                                              : 36;
    if (d >= base) throw bad();
    // Decimal "0" may not be followed by other digits; "00" is fine.
    if (base == 10 && digits && !nonzero && d) throw bad();
    digits = true;
    nonzero = nonzero || d;
    underscore_ok = true;
    if (mag > (UINT64_MAX - d) / base) r.big = true;
    mag = mag * base + d;
  }
  if (!digits || (!s.empty() && s.back() == '_')) throw bad();
  r.low = r.negative ? -mag : mag;
  return r;
}

// The `i`th word of a command that needs it.
std::string_view Arg(const std::vector<std::string_view>& words, size_t i) {
  if (i >= words.size()) {
    throw std::invalid_argument("'" + std::string(words[0]) + "': argument " + std::to_string(i) +
                                " missing");
  }
  return words[i];
}

// Separators as Python's str.split() sees them (in ASCII).
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) i++;
    const size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) i++;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

void Fail() {
  g_triggered = true;
  switch (g_mode) {
    case Mode::kAbort:
      WriteAll(STDERR_FILENO,
               "fake-qemu: ../hw/xferblk/fake.c:7: fake_release: Assertion `!released' failed.\n");
      std::abort();
    case Mode::kAsan:
      WriteAll(STDERR_FILENO,
               "=================================================================\n"
               "==42==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020 at pc 0x55 "
               "bp 0x7f sp 0x7e\n"
               "READ of size 8 at 0x6020 thread T0\n"
               "    #0 0x55000001 in xferblk_fake_release ../hw/xferblk/fake.c:9\n");
      _exit(1);
    case Mode::kUbsan:
      WriteAll(STDERR_FILENO,
               "../hw/xferblk/fake.c:11:5: runtime error: shift exponent 64 is too large for "
               "64-bit type 'long unsigned int'\n");
      return;
    case Mode::kHang:
      Sleep();
    case Mode::kExit:
      _exit(0);
    case Mode::kOk:
    case Mode::kLeak:
      return;
  }
}

class Qtest {
 public:
  // Carries out one command line and answers it.
  void Line(std::string_view line);

 private:
  bool reset_seen_ = false;
};

void Qtest::Line(std::string_view line) {
  const std::vector<std::string_view> words = Words(line);
  if (words.empty()) return;
  const std::string_view cmd = words[0];
  if (cmd == "writel" || cmd == "writeq") {
    const Int addr = ParseInt(Arg(words, 1)), value = ParseInt(Arg(words, 2));
    if (addr.Is(kCtrl) && (value.low & kCtrlReset)) {
      reset_seen_ = true;
    } else if (addr.Is(kFaultRelease) && reset_seen_ && !g_triggered) {
      Fail();
    }
  }
  std::string answer;
  if ((cmd.starts_with("read") && cmd != "read") || cmd.starts_with("in")) {
    answer = "OK 0x0";
  } else if (cmd == "read") {
    const Int n = ParseInt(Arg(words, 2));
    answer = "OK 0x";
    if (!n.negative) {
      if (n.big || n.low > answer.max_size() / 4) throw std::length_error("read: too many bytes");
      answer.append(2 * n.low, '0');
    }
  } else if (cmd == "endianness") {
    answer = "OK little";
  } else if (cmd == "clock_step") {
    answer = "OK 1";
  } else {
    answer = "OK";
  }
  answer += '\n';
  if (!WriteAll(STDOUT_FILENO, answer)) {
    const int err = errno;
    Die(std::string("stdout: ") + std::strerror(err));
  }
}

}  // namespace

int main(int argc, char** argv) {
  g_mode = ParseMode(std::getenv("FAKE_QEMU_MODE"));
  struct sigaction sa {};
  sa.sa_handler = OnTerm;
  sigfillset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  // A write to a closed pipe or socket fails with EPIPE instead.
  signal(SIGPIPE, SIG_IGN);

  try {
    for (int i = 1; i < argc; i++) {
      if (std::string_view(argv[i]) == "-qmp") {
        if (i + 1 >= argc) Die("-qmp: argument missing");
        QmpListen(argv[i + 1]);
      }
    }

    // One command a line.
    Qtest qtest;
    std::string buf;
    for (;;) {
      char chunk[65536];
      ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        Die(std::string("stdin: ") + std::strerror(err));
      }
      if (n == 0) break;
      buf.append(chunk, static_cast<size_t>(n));
      size_t start = 0;
      for (size_t end; (end = buf.find('\n', start)) != std::string::npos; start = end + 1) {
        qtest.Line(std::string_view(buf).substr(start, end - start));
      }
      buf.erase(0, start);
    }
    qtest.Line(buf);
  } catch (const std::exception& e) {
    Die(e.what());
  }
  // Like QEMU, it does not quit when its qtest stream ends, only on SIGTERM.
  Sleep();
}
