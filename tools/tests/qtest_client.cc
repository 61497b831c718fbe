// SPDX-License-Identifier: GPL-2.0-only
//
// qtest/QMP client for host tests; see qtest_client.hh.

#include "qtest_client.hh"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <thread>

namespace qtest {
namespace {

// How long one qtest command may take to be answered, and QEMU to exit.
constexpr Millis kQtestTimeout(30000);
constexpr Millis kExitTimeout(10000);
constexpr Millis kQmpGreetingTimeout(10000);
constexpr Millis kQmpReplyTimeout(20000);

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& o) noexcept : fd_(o.Release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.Release();
    }
    return *this;
  }

  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

void Pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) throw Error(Errno("pipe2"));
  read_end = Fd(fds[0]);
  write_end = Fd(fds[1]);
}

void SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw Error(Errno("fcntl"));
}

// Milliseconds left until `deadline`, rounded up, for poll(); 0 once past.
int MsLeft(Clock::time_point deadline) {
  auto left = std::chrono::ceil<Millis>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<decltype(left)>(left, 0, 1 << 30));
}

// Waits for `events` on `fd` until `deadline`; false on timeout.
bool PollFd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, MsLeft(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) throw Error(Errno("poll"));
  }
}

std::string Shorten(const std::string& s, size_t max = 160) {
  return s.size() <= max ? s : s.substr(0, max) + "...";
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

uint64_t ParseHex(std::string_view word) {
  std::string_view digits = word;
  if (digits.starts_with("0x") || digits.starts_with("0X")) digits.remove_prefix(2);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, 16);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    throw Error("qtest: bad number '" + std::string(word) + "'");
  }
  return v;
}

std::vector<std::string> SplitWords(const std::string& line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) i++;
    size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) i++;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// A child process: the binary argv[0] with stdin, stdout and stderr on the
// given descriptors. Throws Error if it cannot be executed.
struct Child {
  pid_t pid = -1;
  int pidfd = -1;  // -1 if pidfd_open is not available
};

Child Spawn(const std::vector<std::string>& argv, int in_fd, int out_fd, int err_fd) {
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  // Closed on a successful exec; otherwise carries the child's errno.
  Fd status_read, status_write;
  Pipe(status_read, status_write);

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw Error(Errno("fork"));
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    signal(SIGPIPE, SIG_DFL);
    const int from[3] = {in_fd, out_fd, err_fd};
    for (int target = 0; target < 3; target++) {
      if (from[target] == target) {
        fcntl(target, F_SETFD, 0);
      } else if (dup2(from[target], target) < 0) {
        _exit(127);
      }
    }
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    execv(cargv[0], cargv.data());
    int err = errno;
    ssize_t ignored = write(status_write.get(), &err, sizeof(err));
    (void)ignored;
    _exit(127);
  }

  status_write.Reset();
  int err = 0;
  ssize_t n;
  do {
    n = read(status_read.get(), &err, sizeof(err));
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw Error("cannot execute " + argv[0] + ": " + std::strerror(err));
  }
  Child child;
  child.pid = pid;
  child.pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  return child;
}

// Reaps the child if it exits before `deadline`; returns its wait status.
std::optional<int> WaitChild(const Child& child, Clock::time_point deadline) {
  for (;;) {
    int status;
    pid_t r = waitpid(child.pid, &status, WNOHANG);
    if (r == child.pid) return status;
    if (r < 0 && errno != EINTR) throw Error(Errno("waitpid"));
    if (Clock::now() >= deadline) return std::nullopt;
    if (child.pidfd >= 0) {
      PollFd(child.pidfd, POLLIN, deadline);
    } else {
      std::this_thread::sleep_for(std::min<Clock::duration>(Millis(5), deadline - Clock::now()));
    }
  }
}

// SIGKILLs the child and reaps it; returns its wait status.
int KillChild(const Child& child) {
  kill(child.pid, SIGKILL);
  int status = 0;
  while (waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

std::string ToHex(const Bytes& data) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * data.size());
  for (uint8_t b : data) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

int HexNibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// ---------------------------------------------------------------------------
// JSON

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : s_(text) {}

  Json Document() {
    Json v = Value();
    SkipSpace();
    if (i_ != s_.size()) Fail("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) {
    throw Error("JSON: " + what + " at offset " + std::to_string(i_) + " of '" +
                Shorten(std::string(s_)) + "'");
  }

  void SkipSpace() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      i_++;
    }
  }

  bool Eat(char c) {
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == c) {
      i_++;
      return true;
    }
    return false;
  }

  void Expect(char c) {
    if (!Eat(c)) Fail(std::string("expected '") + c + "'");
  }

  Json Value() {
    SkipSpace();
    if (i_ >= s_.size()) Fail("unexpected end");
    Json v;
    char c = s_[i_];
    if (c == '{') {
      i_++;
      Json::Object obj;
      if (!Eat('}')) {
        do {
          SkipSpace();
          std::string key = StringLiteral();
          Expect(':');
          obj.push_back(Json::Member{std::move(key), Value()});
        } while (Eat(','));
        Expect('}');
      }
      v.v_ = std::move(obj);
    } else if (c == '[') {
      i_++;
      Json::Array arr;
      if (!Eat(']')) {
        do {
          arr.push_back(Value());
        } while (Eat(','));
        Expect(']');
      }
      v.v_ = std::move(arr);
    } else if (c == '"') {
      v.v_ = StringLiteral();
    } else if (Word("true")) {
      v.v_ = true;
    } else if (Word("false")) {
      v.v_ = false;
    } else if (Word("null")) {
      v.v_ = nullptr;
    } else {
      Number(v);
    }
    return v;
  }

  bool Word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }

  void Number(Json& v) {
    size_t start = i_;
    bool integral = true;
    if (i_ < s_.size() && s_[i_] == '-') i_++;
    auto digits = [&] {
      size_t d = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') i_++;
      if (i_ == d) Fail("bad number");
    };
    digits();
    if (i_ < s_.size() && s_[i_] == '.') {
      integral = false;
      i_++;
      digits();
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      integral = false;
      i_++;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) i_++;
      digits();
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + i_;
    if (integral) {
      int64_t n;
      if (std::from_chars(first, last, n).ec == std::errc()) {
        v.v_ = n;
        return;
      }
    }
    double d;
    if (std::from_chars(first, last, d).ec != std::errc()) Fail("bad number");
    v.v_ = d;
  }

  unsigned Hex4() {
    if (i_ + 4 > s_.size()) Fail("short \\u escape");
    unsigned u = 0;
    for (int k = 0; k < 4; k++) {
      int n = HexNibble(s_[i_++]);
      if (n < 0) Fail("bad \\u escape");
      u = u << 4 | static_cast<unsigned>(n);
    }
    return u;
  }

  static void AppendUtf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | cp >> 6));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | cp >> 12));
      out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | cp >> 18));
      out.push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::string StringLiteral() {
    if (i_ >= s_.size() || s_[i_] != '"') Fail("expected a string");
    i_++;
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) Fail("unterminated string");
      char c = s_[i_++];
      if (c == '"') return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (i_ >= s_.size()) Fail("unterminated escape");
      char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          unsigned cp = Hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(i_, 2) == "\\u") {
            i_ += 2;
            unsigned low = Hex4();
            if (low < 0xDC00 || low >= 0xE000) Fail("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          Fail("bad escape");
      }
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

Json Json::Parse(std::string_view text) { return JsonParser(text).Document(); }

const Json* Json::Find(std::string_view key) const {
  const Object* obj = std::get_if<Object>(&v_);
  if (!obj) return nullptr;
  for (const Member& m : *obj) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

const Json& Json::At(std::string_view key) const {
  const Json* v = Find(key);
  if (!v) throw Error("JSON: no member '" + std::string(key) + "' in " + Shorten(Dump()));
  return *v;
}

const std::string& Json::String() const {
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  throw Error("JSON: not a string: " + Shorten(Dump()));
}

int64_t Json::Int() const {
  if (const auto* n = std::get_if<int64_t>(&v_)) return *n;
  throw Error("JSON: not an integer: " + Shorten(Dump()));
}

const Json::Array& Json::Elements() const {
  if (const auto* a = std::get_if<Array>(&v_)) return *a;
  throw Error("JSON: not an array: " + Shorten(Dump()));
}

std::string Json::Dump() const {
  struct Visitor {
    std::string operator()(std::nullptr_t) const { return "null"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t n) const { return std::to_string(n); }
    std::string operator()(double d) const {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.17g", d);
      return buf;
    }
    std::string operator()(const std::string& s) const { return JsonQuote(s); }
    std::string operator()(const Array& a) const {
      std::string out = "[";
      for (size_t k = 0; k < a.size(); k++) out += (k ? ", " : "") + a[k].Dump();
      return out + "]";
    }
    std::string operator()(const Object& o) const {
      std::string out = "{";
      for (size_t k = 0; k < o.size(); k++) {
        out += (k ? ", " : "") + JsonQuote(o[k].key) + ": " + o[k].value.Dump();
      }
      return out + "}";
    }
  };
  return std::visit(Visitor{}, v_);
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

// ---------------------------------------------------------------------------
// ScratchDir

ScratchDir::ScratchDir(std::string_view prefix) {
  std::string templ = (std::filesystem::temp_directory_path() / prefix).string() + "XXXXXX";
  if (!mkdtemp(templ.data())) throw Error(Errno("mkdtemp " + templ));
  path_ = templ;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

// ---------------------------------------------------------------------------
// Qemu

Qemu::Qemu(const QemuOptions& options) {
  // A write to the stdin of a QEMU that died fails with EPIPE, not a signal.
  signal(SIGPIPE, SIG_IGN);

  std::vector<std::string> argv = {
      options.binary, "-M",   "pc",       "-accel", "qtest",       "-qtest", "stdio",
      "-qtest-log",   "none", "-display", "none",   "-nodefaults", "-m",     options.memory};
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  if (!options.qmp_socket.empty()) {
    argv.push_back("-qmp");
    argv.push_back("unix:" + options.qmp_socket.string() + ",server=on,wait=off");
  }

  Fd in_read, in_write, out_read, out_write;
  Pipe(in_read, in_write);
  Pipe(out_read, out_write);
  Fd err(memfd_create("qemu-stderr", MFD_CLOEXEC));
  if (err.get() < 0) throw Error(Errno("memfd_create"));
  Child child = Spawn(argv, in_read.get(), out_write.get(), err.get());
  // Only QEMU may hold these: its exit must end our reads with EOF.
  in_read.Reset();
  out_write.Reset();
  pid_ = child.pid;
  pidfd_ = child.pidfd;
  in_fd_ = in_write.Release();
  out_fd_ = out_read.Release();
  err_fd_ = err.Release();

  try {
    SetNonBlocking(in_fd_);
    SetNonBlocking(out_fd_);
    Cmd("endianness");  // QEMU is up once qtest answers
    if (!options.qmp_socket.empty()) {
      QmpConnect(options.qmp_socket);
      std::optional<Json> greeting = QmpLine(kQmpGreetingTimeout);
      if (!greeting || !greeting->Find("QMP")) throw Error("QMP: no greeting");
      QmpCmd("qmp_capabilities");
    }
  } catch (...) {
    Stop();
    throw;
  }
}

Qemu::~Qemu() { Stop(); }

void Qemu::Stop() {
  CloseFd(qmp_fd_);
  CloseFd(in_fd_);
  if (pid_ >= 0) {
    Child child{pid_, pidfd_};
    kill(pid_, SIGTERM);
    if (!WaitChild(child, Clock::now() + kExitTimeout)) KillChild(child);
    pid_ = -1;
  }
  CloseFd(pidfd_);
  CloseFd(out_fd_);
  CloseFd(err_fd_);
}

std::string Qemu::Stderr() const {
  std::string out;
  if (err_fd_ < 0) return out;
  char buf[65536];
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(err_fd_, buf, sizeof(buf), off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return out;
}

void Qemu::ThrowExited(const std::string& what) {
  std::string how = "still running";
  if (pid_ >= 0) {
    if (std::optional<int> status = WaitChild({pid_, pidfd_}, Clock::now() + Millis(5000))) {
      pid_ = -1;
      how = DescribeStatus(*status);
    }
  }
  throw Error(what + ": QEMU closed its qtest stream (" + how + "); stderr:\n" + Stderr());
}

void Qemu::SendQtest(const std::string& data, Clock::time_point deadline) {
  if (in_fd_ < 0) throw Error("qtest: QEMU is stopped");
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(in_fd_, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) ThrowExited("qtest '" + Shorten(data) + "'");
    if (n < 0 && errno != EAGAIN) throw Error(Errno("qtest write"));
    if (!PollFd(in_fd_, POLLOUT, deadline)) {
      throw Error("qtest '" + Shorten(data) + "': QEMU does not read its input; stderr:\n" +
                  Stderr());
    }
  }
}

std::string Qemu::ReadQtestLine(const std::string& cmd, Clock::time_point deadline) {
  size_t scanned = 0;
  for (;;) {
    size_t nl = out_buf_.find('\n', scanned);
    if (nl != std::string::npos) {
      std::string line = out_buf_.substr(0, nl);
      out_buf_.erase(0, nl + 1);
      return line;
    }
    scanned = out_buf_.size();
    if (!PollFd(out_fd_, POLLIN, deadline)) {
      throw Error("qtest '" + Shorten(cmd) + "': no answer within " +
                  std::to_string(kQtestTimeout.count()) + " ms; stderr:\n" + Stderr());
    }
    char buf[65536];
    ssize_t n = read(out_fd_, buf, sizeof(buf));
    if (n > 0) {
      out_buf_.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      ThrowExited("qtest '" + Shorten(cmd) + "'");
    } else if (errno != EINTR && errno != EAGAIN) {
      throw Error(Errno("qtest read"));
    }
  }
}

std::vector<std::string> Qemu::Cmd(const std::string& line) {
  Clock::time_point deadline = Clock::now() + kQtestTimeout;
  SendQtest(line + "\n", deadline);
  for (;;) {
    std::string resp = ReadQtestLine(line, deadline);
    if (resp.starts_with("IRQ")) continue;  // only with IRQ interception on
    std::vector<std::string> words = SplitWords(resp);
    if (words.empty() || words[0] != "OK") {
      throw Error("qtest '" + Shorten(line) + "' -> '" + Shorten(resp) + "'");
    }
    words.erase(words.begin());
    return words;
  }
}

namespace {

// The value word of a qtest answer "OK <value>".
const std::string& Answer(const std::vector<std::string>& words, const std::string& cmd) {
  if (words.empty()) throw Error("qtest '" + cmd + "': answer without a value");
  return words[0];
}

}  // namespace

void Qemu::Outl(uint32_t port, uint32_t val) { Cmd("outl " + Hex(port) + " " + Hex(val)); }

uint32_t Qemu::Inl(uint32_t port) {
  std::string cmd = "inl " + Hex(port);
  return static_cast<uint32_t>(ParseHex(Answer(Cmd(cmd), cmd)));
}

uint32_t Qemu::Readl(uint64_t addr) {
  std::string cmd = "readl " + Hex(addr);
  return static_cast<uint32_t>(ParseHex(Answer(Cmd(cmd), cmd)));
}

uint64_t Qemu::Readq(uint64_t addr) {
  std::string cmd = "readq " + Hex(addr);
  return ParseHex(Answer(Cmd(cmd), cmd));
}

void Qemu::Writel(uint64_t addr, uint32_t val) { Cmd("writel " + Hex(addr) + " " + Hex(val)); }

void Qemu::Writeq(uint64_t addr, uint64_t val) { Cmd("writeq " + Hex(addr) + " " + Hex(val)); }

void Qemu::Write(uint64_t addr, const Bytes& data) {
  if (data.empty()) return;
  Cmd("write " + Hex(addr) + " " + Hex(data.size()) + " 0x" + ToHex(data));
}

Bytes Qemu::Read(uint64_t addr, size_t n) {
  std::string cmd = "read " + Hex(addr) + " " + Hex(n);
  std::vector<std::string> words = Cmd(cmd);
  std::string_view hex = Answer(words, cmd);
  if (hex.starts_with("0x")) hex.remove_prefix(2);
  if (hex.size() != 2 * n)
    throw Error("qtest '" + cmd + "': " + std::to_string(hex.size()) + " hex digits for " +
                std::to_string(n) + " bytes");
  Bytes out(n);
  for (size_t k = 0; k < n; k++) {
    int hi = HexNibble(hex[2 * k]), lo = HexNibble(hex[2 * k + 1]);
    if (hi < 0 || lo < 0) throw Error("qtest '" + cmd + "': bad hex data");
    out[k] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

// ---------------------------------------------------------------------------
// QMP

void Qemu::QmpConnect(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.size() >= sizeof(addr.sun_path)) throw Error("QMP socket path too long: " + p);
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);

  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw Error(Errno("socket"));
  // Bounds connect() should QEMU's listen backlog be full.
  timeval tv{10, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int r;
  do {
    r = connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  } while (r < 0 && errno == EINTR);
  if (r < 0) throw Error(Errno("QMP connect " + p) + "; stderr:\n" + Stderr());
  SetNonBlocking(fd.get());
  qmp_fd_ = fd.Release();
}

void Qemu::QmpSend(const std::string& text) {
  Clock::time_point deadline = Clock::now() + kQmpReplyTimeout;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = send(qmp_fd_, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EAGAIN) {
      if (!PollFd(qmp_fd_, POLLOUT, deadline)) throw Error("QMP: QEMU does not read commands");
    } else if (n < 0 && errno != EINTR) {
      throw Error(Errno("QMP send") + "; stderr:\n" + Stderr());
    }
  }
}

std::optional<Json> Qemu::QmpLine(Millis timeout) {
  if (qmp_fd_ < 0) throw Error("QMP: not connected");
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    size_t nl;
    while ((nl = qmp_buf_.find('\n')) != std::string::npos) {
      std::string line = qmp_buf_.substr(0, nl);
      qmp_buf_.erase(0, nl + 1);
      if (line.find_first_not_of(" \t\r") != std::string::npos) return Json::Parse(line);
    }
    if (!PollFd(qmp_fd_, POLLIN, deadline)) return std::nullopt;
    char buf[65536];
    ssize_t n = recv(qmp_fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      qmp_buf_.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      throw Error("QMP closed; stderr:\n" + Stderr());
    } else if (errno != EINTR && errno != EAGAIN) {
      throw Error(Errno("QMP recv"));
    }
  }
}

Json Qemu::QmpCmd(const std::string& name,
                  const std::vector<std::pair<std::string, std::string>>& args) {
  std::string msg = "{\"execute\": " + JsonQuote(name);
  if (!args.empty()) {
    msg += ", \"arguments\": {";
    for (size_t k = 0; k < args.size(); k++) {
      msg += (k ? ", " : "") + JsonQuote(args[k].first) + ": " + JsonQuote(args[k].second);
    }
    msg += "}";
  }
  QmpSend(msg + "}\n");
  for (;;) {
    std::optional<Json> resp = QmpLine(kQmpReplyTimeout);
    if (!resp) throw Error("QMP " + name + ": no answer");
    if (resp->Find("event")) {
      events_.push_back(std::move(*resp));
      continue;
    }
    if (const Json* err = resp->Find("error")) throw Error("QMP " + name + ": " + err->Dump());
    return resp->At("return");
  }
}

Json Qemu::QmpEvent(const std::string& name, Millis timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    for (auto it = events_.begin(); it != events_.end(); ++it) {
      const Json* ev = it->Find("event");
      if (ev && ev->IsString() && ev->String() == name) {
        Json found = std::move(*it);
        events_.erase(it);
        return found;
      }
    }
    if (Clock::now() > deadline) throw Error("no QMP event " + name);
    Cmd("endianness");  // QEMU still alive and its main loop running
    if (std::optional<Json> msg = QmpLine(Millis(50))) events_.push_back(std::move(*msg));
  }
}

// ---------------------------------------------------------------------------
// RunQemu

RunResult RunQemu(const std::string& binary, const std::vector<std::string>& args, Millis timeout) {
  signal(SIGPIPE, SIG_IGN);
  Clock::time_point deadline = Clock::now() + timeout;
  std::vector<std::string> argv = {binary,     "-M",   "pc",          "-accel", "qtest",
                                   "-display", "none", "-nodefaults", "-qmp",   "stdio"};
  argv.insert(argv.end(), args.begin(), args.end());

  Fd in_read, in_write, err_read, err_write;
  Pipe(in_read, in_write);
  Pipe(err_read, err_write);
  Fd devnull(open("/dev/null", O_WRONLY | O_CLOEXEC));
  if (devnull.get() < 0) throw Error(Errno("/dev/null"));
  Child child = Spawn(argv, in_read.get(), devnull.get(), err_write.get());
  Fd pidfd(child.pidfd);
  in_read.Reset();
  err_write.Reset();
  devnull.Reset();

  // Small enough for the pipe buffer. QEMU may already have exited (a
  // refused property), making the write fail: that is fine.
  static const std::string kQmp =
      "{\"execute\": \"qmp_capabilities\"}\n"
      "{\"execute\": \"quit\"}\n";
  SetNonBlocking(in_write.get());
  ssize_t ignored = write(in_write.get(), kQmp.data(), kQmp.size());
  (void)ignored;
  in_write.Reset();

  RunResult result{0, ""};
  std::optional<int> status;
  try {
    // stderr ends when QEMU exits.
    bool eof = false;
    while (!eof && PollFd(err_read.get(), POLLIN, deadline)) {
      char buf[4096];
      ssize_t n = read(err_read.get(), buf, sizeof(buf));
      if (n > 0) {
        result.err.append(buf, static_cast<size_t>(n));
      } else if (n == 0) {
        eof = true;
      } else if (errno != EINTR) {
        throw Error(Errno("read stderr"));
      }
    }
    if (eof) status = WaitChild(child, deadline);
  } catch (...) {
    KillChild(child);
    throw;
  }
  if (!status) {
    KillChild(child);
    throw Error("QEMU did not quit within " + std::to_string(timeout.count()) + " ms; stderr:\n" +
                result.err);
  }
  result.status = WIFEXITED(*status) ? WEXITSTATUS(*status) : -WTERMSIG(*status);
  return result;
}

}  // namespace qtest
