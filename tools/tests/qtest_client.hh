// SPDX-License-Identifier: GPL-2.0-only
//
// A small client for driving a QEMU child process from a host test: the
// qtest protocol on the child's stdin/stdout (port I/O, MMIO and guest RAM
// accesses, virtual clock steps) and, optionally, QMP on a unix socket.
//
// Every wait is bounded: a QEMU that hangs or dies makes the call throw
// qtest::Error (GoogleTest reports it as a failure of the running test)
// instead of blocking the test binary. The child is started with
// PR_SET_PDEATHSIG, so it cannot outlive a test binary that is killed.

#ifndef XFERBLK_TOOLS_TESTS_QTEST_CLIENT_HH_
#define XFERBLK_TOOLS_TESTS_QTEST_CLIENT_HH_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace qtest {

using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// A broken protocol exchange: no answer in time, QEMU gone, an error reply.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A parsed JSON value: QMP replies and events.
using Json = nlohmann::json;

// The base of an owner of something outside the program (a directory, a
// process): it is neither copied nor assigned.
class NoCopy {
 public:
  NoCopy(const NoCopy&) = delete;
  NoCopy& operator=(const NoCopy&) = delete;

 protected:
  NoCopy() = default;
  ~NoCopy() = default;
};

// A fresh directory under the system's temporary directory, removed with
// everything in it on destruction.
class ScratchDir : NoCopy {
 public:
  explicit ScratchDir(std::string_view prefix);
  ~ScratchDir();

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct QemuOptions {
  std::string binary;
  std::vector<std::string> args;  // after the qtest options
  std::string memory = "64M";
  std::filesystem::path qmp_socket;  // empty: no QMP
};

// One QEMU (-M pc -accel qtest) speaking qtest on its stdio. The constructor
// returns once QEMU answers; the destructor terminates and reaps it.
class Qemu : NoCopy {
 public:
  explicit Qemu(const QemuOptions& options);
  ~Qemu();

  // Terminates QEMU (SIGTERM, then SIGKILL) and reaps it; idempotent.
  void Stop();

  // One qtest command; returns the words after "OK".
  std::vector<std::string> Cmd(const std::string& line);

  void Outl(uint32_t port, uint32_t val);
  uint32_t Inl(uint32_t port);
  uint32_t Readl(uint64_t addr);
  uint64_t Readq(uint64_t addr);
  void Writel(uint64_t addr, uint32_t val);
  void Writeq(uint64_t addr, uint64_t val);
  void Write(uint64_t addr, const Bytes& data);
  Bytes Read(uint64_t addr, size_t n);

  // A QMP command with string arguments; returns its "return" value and
  // throws Error on an "error" reply. Events that arrive meanwhile are kept
  // for QmpEvent().
  Json QmpCmd(const std::string& name,
              const std::vector<std::pair<std::string, std::string>>& args = {});
  // Waits for the QMP event `name` (one received earlier counts).
  Json QmpEvent(const std::string& name, Millis timeout = Millis(10000));

  // What QEMU has written to stderr so far.
  std::string Stderr() const;

 private:
  void SendQtest(const std::string& data, Clock::time_point deadline);
  std::string ReadQtestLine(const std::string& cmd, Clock::time_point deadline);
  [[noreturn]] void ThrowExited(const std::string& what);
  void QmpConnect(const std::filesystem::path& path);
  void QmpSend(const std::string& text);
  std::optional<Json> QmpLine(Millis timeout);

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int in_fd_ = -1;   // QEMU's stdin
  int out_fd_ = -1;  // QEMU's stdout
  int err_fd_ = -1;  // memfd holding QEMU's stderr
  int qmp_fd_ = -1;
  std::string out_buf_;
  std::string qmp_buf_;
  std::vector<Json> events_;
};

struct RunResult {
  int status;       // exit code, or -signal if QEMU was killed by a signal
  std::string err;  // all of stderr
};

// Runs QEMU (-M pc -accel qtest -qmp stdio) with `args`, quitting it through
// QMP at once: exit status 0 iff it started. Throws Error after `timeout`.
RunResult RunQemu(const std::string& binary, const std::vector<std::string>& args,
                  Millis timeout = Millis(20000));

}  // namespace qtest

#endif  // XFERBLK_TOOLS_TESTS_QTEST_CLIENT_HH_
