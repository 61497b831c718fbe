// SPDX-License-Identifier: GPL-2.0-only
//
// qtest/QMP client for host programs; see qtest_client.hh.

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

// How long QEMU may take to answer its first qtest command, and to exit.
constexpr Millis kStartTimeout(30000);
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

Child Spawn(const std::vector<std::string>& argv, int in_fd, int out_fd, int err_fd,
            bool own_group = false) {
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
    if (own_group) setpgid(0, 0);
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

}  // namespace

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = strsignal(WTERMSIG(status));
    return "signal " + std::to_string(WTERMSIG(status)) +
           (name ? " (" + std::string(name) + ")" : "");
  }
  return "wait status " + std::to_string(status);
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

Qemu::Qemu(const QemuOptions& options) : timeout_(options.timeout) {
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
  Child child = Spawn(argv, in_read.get(), out_write.get(), err.get(), options.own_process_group);
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
    // QEMU is up once qtest answers
    CmdUntil("endianness", Clock::now() + std::max(timeout_, kStartTimeout));
    if (!options.qmp_socket.empty()) {
      QmpConnect(options.qmp_socket);
      std::optional<Json> greeting = QmpLine(kQmpGreetingTimeout);
      if (!greeting || !greeting->contains("QMP")) throw Error("QMP: no greeting");
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
    exit_status_ = WaitChild(child, Clock::now() + kExitTimeout);
    if (!exit_status_) {
      exit_status_ = KillChild(child);
      killed_ = true;
    }
    pid_ = -1;
  }
  CloseFd(pidfd_);
  CloseFd(out_fd_);
  if (err_fd_ >= 0) {
    stderr_final_ = Stderr();
    CloseFd(err_fd_);
  }
}

void Qemu::Kill() {
  if (pid_ >= 0) {
    exit_status_ = KillChild({pid_, pidfd_});
    killed_ = true;
    pid_ = -1;
  }
  Stop();
}

std::optional<int> Qemu::WaitExit(Millis timeout) {
  if (pid_ >= 0) {
    if (std::optional<int> status = WaitChild({pid_, pidfd_}, Clock::now() + timeout)) {
      pid_ = -1;
      exit_status_ = status;
    }
  }
  return exit_status_;
}

std::string Qemu::Stderr(size_t from) const {
  if (err_fd_ < 0) return from < stderr_final_.size() ? stderr_final_.substr(from) : std::string();
  std::string out;
  char buf[65536];
  off_t off = static_cast<off_t>(from);
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
  std::optional<int> status = WaitExit(Millis(5000));
  std::string how = status ? DescribeStatus(*status) : "still running";
  throw Exited(what + ": QEMU closed its qtest stream (" + how + "); stderr:\n" + Stderr());
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
      throw Timeout("qtest '" + Shorten(data) + "': QEMU does not read its input; stderr:\n" +
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
      throw Timeout("qtest '" + Shorten(cmd) + "': no answer within " +
                    std::to_string(timeout_.count()) + " ms; stderr:\n" + Stderr());
    }
    if (!FillOutBuf()) ThrowExited("qtest '" + Shorten(cmd) + "'");
  }
}

// Reads what QEMU has written to its stdout into out_buf_; false at EOF.
bool Qemu::FillOutBuf() {
  char buf[65536];
  ssize_t n = read(out_fd_, buf, sizeof(buf));
  if (n > 0) {
    out_buf_.append(buf, static_cast<size_t>(n));
  } else if (n == 0) {
    return false;
  } else if (errno != EINTR && errno != EAGAIN) {
    throw Error(Errno("qtest read"));
  }
  return true;
}

void Qemu::Pipeline(const std::vector<std::string>& lines, std::vector<std::string>& answers) {
  if (in_fd_ < 0) throw Error("qtest: QEMU is stopped");
  std::string data;
  for (const std::string& line : lines) {
    data += line;
    data += '\n';
  }
  const size_t want = answers.size() + lines.size();
  size_t sent = 0;
  Clock::time_point deadline = Clock::now() + timeout_;
  // What the command waiting for its answer was, for the messages.
  auto waiting = [&] {
    size_t i = lines.size() - (want - answers.size());
    return "qtest '" + Shorten(lines[i]) + "'";
  };
  for (;;) {
    size_t nl;
    while (answers.size() < want && (nl = out_buf_.find('\n')) != std::string::npos) {
      std::string line = out_buf_.substr(0, nl);
      out_buf_.erase(0, nl + 1);
      if (line.starts_with("IRQ")) continue;  // only with IRQ interception on
      answers.push_back(std::move(line));
      deadline = Clock::now() + timeout_;
    }
    if (answers.size() == want) return;

    pollfd p[2] = {{out_fd_, POLLIN, 0}, {sent < data.size() ? in_fd_ : -1, POLLOUT, 0}};
    int n = poll(p, 2, MsLeft(deadline));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(Errno("poll"));
    }
    if (n == 0) {
      throw Timeout(waiting() + ": no answer within " + std::to_string(timeout_.count()) +
                    " ms; stderr:\n" + Stderr());
    }
    if (p[1].revents) {
      ssize_t w = write(in_fd_, data.data() + sent, data.size() - sent);
      if (w > 0) {
        sent += static_cast<size_t>(w);
      } else if (w < 0 && errno == EPIPE) {
        ThrowExited(waiting());
      } else if (w < 0 && errno != EINTR && errno != EAGAIN) {
        throw Error(Errno("qtest write"));
      }
    }
    if (p[0].revents && !FillOutBuf()) ThrowExited(waiting());
  }
}

std::vector<std::string> Qemu::Cmd(const std::string& line) {
  return CmdUntil(line, Clock::now() + timeout_);
}

std::vector<std::string> Qemu::CmdUntil(const std::string& line, Clock::time_point deadline) {
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
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      try {
        return Json::parse(line);
      } catch (const Json::parse_error& e) {
        throw Error("QMP: bad JSON '" + Shorten(line) + "': " + e.what());
      }
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
  Json msg = Json::object({{"execute", name}});
  if (!args.empty()) {
    Json arguments = Json::object();
    for (const auto& [key, value] : args) arguments[key] = value;
    msg["arguments"] = std::move(arguments);
  }
  QmpSend(msg.dump() + "\n");
  for (;;) {
    std::optional<Json> resp = QmpLine(kQmpReplyTimeout);
    if (!resp) throw Error("QMP " + name + ": no answer");
    if (resp->contains("event")) {
      events_.push_back(std::move(*resp));
      continue;
    }
    if (auto err = resp->find("error"); err != resp->end()) {
      throw Error("QMP " + name + ": " + err->dump());
    }
    auto ret = resp->find("return");
    if (ret == resp->end()) throw Error("QMP " + name + ": no return in " + Shorten(resp->dump()));
    return *ret;
  }
}

Json Qemu::QmpEvent(const std::string& name, Millis timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    for (auto it = events_.begin(); it != events_.end(); ++it) {
      auto ev = it->find("event");
      if (ev != it->end() && ev->is_string() && ev->get<std::string>() == name) {
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

}  // namespace qtest
