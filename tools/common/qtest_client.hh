// SPDX-License-Identifier: GPL-2.0-only
//
// A small client for driving a QEMU child process from a host program (the
// device tests, the fuzzer): the qtest protocol on the child's stdin/stdout
// (port I/O, MMIO and guest RAM accesses, virtual clock steps), one command
// at a time or many in a pipeline, and, optionally, QMP on a unix socket.
//
// Every wait is bounded: a QEMU that hangs or dies makes the call throw
// qtest::Error (GoogleTest reports it as a failure of the running test)
// instead of blocking the program; the subclasses Exited and Timeout tell
// the two apart. The child is started with PR_SET_PDEATHSIG, so it cannot
// outlive a program that is killed. Its stderr is kept (in a memfd) and can
// be read at any time, also once it has been stopped, with how it ended.

#ifndef XFERBLK_TOOLS_COMMON_QTEST_CLIENT_HH_
#define XFERBLK_TOOLS_COMMON_QTEST_CLIENT_HH_

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

// QEMU exited (or closed its qtest stream) while a command waited.
class Exited : public Error {
 public:
  using Error::Error;
};

// QEMU did not answer, or did not read its input, in time.
class Timeout : public Error {
 public:
  using Error::Error;
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
  // How long QEMU has to answer one qtest command (to start: at least 30 s).
  Millis timeout = Millis(30000);
  // QEMU in a process group of its own: a Ctrl-C at the terminal then
  // reaches only this program, which stops QEMU itself.
  bool own_process_group = false;
};

// One QEMU (-M pc -accel qtest) speaking qtest on its stdio. The constructor
// returns once QEMU answers; the destructor terminates and reaps it.
class Qemu : NoCopy {
 public:
  explicit Qemu(const QemuOptions& options);
  ~Qemu();

  // Terminates QEMU (SIGTERM, then SIGKILL after 10 s) and reaps it;
  // idempotent. Its stderr stays readable.
  void Stop();
  // SIGKILLs QEMU and reaps it (a hung one would not heed SIGTERM).
  void Kill();

  // One qtest command; returns the words after "OK".
  std::vector<std::string> Cmd(const std::string& line);

  // Many qtest commands (one per line, without the newline) sent at once,
  // QEMU's answers read while they are being sent. Each answer line
  // ("OK ...", "FAIL ...", "ERR ...") is appended to `answers` as it arrives,
  // so that after an exception the caller knows how many commands were
  // answered. Throws Exited, or Timeout when no answer comes for the
  // timeout.
  void Pipeline(const std::vector<std::string>& lines, std::vector<std::string>& answers);

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

  // What QEMU has written to stderr so far, from byte `from` on; after
  // Stop(), all it wrote.
  std::string Stderr(size_t from = 0) const;

  // Waits up to `timeout` for QEMU to exit on its own and reaps it; its wait
  // status if it did (at once if it was reaped before).
  std::optional<int> WaitExit(Millis timeout);

  // The wait status of a QEMU that has been reaped (by Stop(), WaitExit() or
  // an Exited error), and whether Stop() had to SIGKILL it.
  std::optional<int> exit_status() const { return exit_status_; }
  bool killed() const { return killed_; }

 private:
  std::vector<std::string> CmdUntil(const std::string& line, Clock::time_point deadline);
  void SendQtest(const std::string& data, Clock::time_point deadline);
  std::string ReadQtestLine(const std::string& cmd, Clock::time_point deadline);
  bool FillOutBuf();
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
  Millis timeout_;
  std::optional<int> exit_status_;
  bool killed_ = false;
  std::string stderr_final_;  // once err_fd_ is closed
  std::string out_buf_;
  std::string qmp_buf_;
  std::vector<Json> events_;
};

// "exit status 1", "signal 11 (Segmentation fault)": a wait status in words.
std::string DescribeStatus(int status);

struct RunResult {
  int status;       // exit code, or -signal if QEMU was killed by a signal
  std::string err;  // all of stderr
};

// Runs QEMU (-M pc -accel qtest -qmp stdio) with `args`, quitting it through
// QMP at once: exit status 0 iff it started. Throws Error after `timeout`.
RunResult RunQemu(const std::string& binary, const std::vector<std::string>& args,
                  Millis timeout = Millis(20000));

// Bytes as lowercase hex digits, as qtest's write and read speak them, and
// the value of one hex digit (-1 if it is none).
std::string ToHex(const Bytes& data);
int HexNibble(char c);

}  // namespace qtest

#endif  // XFERBLK_TOOLS_COMMON_QTEST_CLIENT_HH_
