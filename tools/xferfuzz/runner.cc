// SPDX-License-Identifier: GPL-2.0-only

#include "runner.hh"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "qtest_client.hh"

namespace xferfuzz {

namespace {

using Millis = std::chrono::milliseconds;

constexpr uint8_t kCapMsix = 0x11;
constexpr uint32_t kPciEjectPort = 0xAE08;  // PIIX4 ACPI PCI hotplug: eject
// How much of QEMU's stderr is searched again after each pipeline, so that a
// sanitizer's marker split over two reads is still found.
constexpr size_t kStderrOverlap = 64;
constexpr size_t kMaxNotes = 20;

const char* kSuffix[9] = {"", "b", "w", "", "l", "", "", "", "q"};

uint32_t CfgAddr(uint32_t off) { return 0x80000000u | kSlot << 11 | (off & 0xFC); }

std::string HexData(const std::vector<uint8_t>& data) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  out.reserve(2 + 2 * data.size());
  for (uint8_t b : data) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::string WriteCmd(uint64_t addr, const std::vector<uint8_t>& data) {
  return "write " + Hex(addr) + " " + Hex(data.size()) + " " + HexData(data);
}

// A sparse image of `size` bytes, fresh for each QEMU.
void MakeImage(const std::filesystem::path& path, uint64_t size) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), path.string());
  int r = ftruncate(fd, static_cast<off_t>(size));
  int err = errno;
  close(fd);
  if (r < 0) throw std::system_error(err, std::generic_category(), "truncate " + path.string());
}

std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

// One QEMU, its state between ops.
class Instance {
 public:
  Instance(const RunnerOptions& o, InstanceResult& res) : o_(o), res_(res) {}

  void Start(const qtest::QemuOptions& qo) { qemu_ = std::make_unique<qtest::Qemu>(qo); }
  qtest::Qemu& qemu() { return *qemu_; }

  void RunSync(const Op& op);

  // Whether new stderr holds the start of a sanitizer report.
  bool SanitizerSeen() {
    std::string more = qemu_->Stderr(err_seen_);
    if (more.empty()) return false;
    err_seen_ += more.size();
    std::string window = err_tail_ + more;
    err_tail_ =
        window.size() > kStderrOverlap ? window.substr(window.size() - kStderrOverlap) : window;
    return FindSanitizerReport(window, true).has_value();
  }

  void Note(const std::string& what) {
    if (res_.notes.size() < kMaxNotes) res_.notes.push_back(what);
  }

  unsigned msix_cap() const { return msix_cap_; }

 private:
  void PciSetup();
  // After a QMP call failed: a note, then QEMU must still answer qtest (or
  // the Exited or Timeout error goes up).
  void QmpFailed(const std::string& what, const qtest::Error& e) {
    Note(what + ": " + FirstLine(e.what()));
    qemu_->Cmd("endianness");
  }

  const RunnerOptions& o_;
  InstanceResult& res_;
  std::unique_ptr<qtest::Qemu> qemu_;
  unsigned msix_cap_ = 0;
  size_t err_seen_ = 0;
  std::string err_tail_;
};

void Instance::PciSetup() {
  qtest::Qemu& q = *qemu_;
  auto cfg_write = [&](uint32_t off, uint32_t v) {
    q.Outl(0xCF8, CfgAddr(off));
    q.Outl(0xCFC, v);
  };
  auto cfg_read = [&](uint32_t off) {
    q.Outl(0xCF8, CfgAddr(off));
    return q.Inl(0xCFC);
  };
  if (cfg_read(0) == 0xFFFFFFFF) {
    Note("pci_setup: no device at slot " + std::to_string(kSlot));
    return;
  }
  cfg_write(0x10, static_cast<uint32_t>(kBar0));
  cfg_write(0x18, static_cast<uint32_t>(kBar2));
  cfg_write(0x04, 0x6);  // memory space, bus master
  uint32_t ptr = cfg_read(0x34) & 0xFC;
  for (int hops = 0; ptr && hops < 48; hops++) {
    uint32_t hdr = cfg_read(ptr);
    if ((hdr & 0xFF) == kCapMsix) {
      msix_cap_ = ptr;
      const uint32_t nvec = ((hdr >> 16) & 0x7FF) + 1;
      std::vector<uint8_t> table(16 * nvec);
      for (uint32_t v = 0; v < nvec; v++) {
        const uint32_t words[4] = {static_cast<uint32_t>(kRamMsi + 4 * v), 0, 0xA500 + v, 0};
        std::memcpy(&table[16 * v], words, sizeof(words));  // x86: little-endian
      }
      q.Cmd(WriteCmd(kBar2, table));
      cfg_write(ptr, hdr | 1u << 31);  // MSI-X enable
      return;
    }
    ptr = (hdr >> 8) & 0xFC;
  }
  Note("pci_setup: no MSI-X capability");
}

void Instance::RunSync(const Op& op) {
  qtest::Qemu& q = *qemu_;
  switch (op.kind) {
    case OpKind::kPciSetup:
      PciSetup();
      return;
    case OpKind::kWait:
      // The backend's I/O runs in real time (a thread pool); its
      // completions reach the device while QEMU's main loop waits for us.
      std::this_thread::sleep_for(Millis(op.value));
      return;
    case OpKind::kUnplug:
      try {
        q.QmpCmd("device_del", {{"id", "xb0"}});
      } catch (const qtest::Exited&) {
        throw;
      } catch (const qtest::Timeout&) {
        throw;
      } catch (const qtest::Error& e) {
        QmpFailed("unplug: device_del", e);
        return;
      }
      q.Outl(kPciEjectPort, 1u << kSlot);  // the guest's ACPI eject
      try {
        q.QmpEvent("DEVICE_DELETED", Millis(3000));
      } catch (const qtest::Exited&) {
        throw;
      } catch (const qtest::Timeout&) {
        throw;
      } catch (const qtest::Error& e) {
        QmpFailed("unplug", e);
      }
      return;
    case OpKind::kSystemReset:
      try {
        q.QmpCmd("system_reset");
        q.QmpEvent("RESET", Millis(5000));
      } catch (const qtest::Exited&) {
        throw;
      } catch (const qtest::Timeout&) {
        throw;
      } catch (const qtest::Error& e) {
        QmpFailed("system_reset", e);
      }
      return;
    default:
      throw std::logic_error("RunSync: not a synchronous op: " + FormatOp(op));
  }
}

}  // namespace

std::vector<std::string> QtestLines(const Op& op, unsigned msix_cap) {
  const uint64_t a = op.addr.Absolute();
  switch (op.kind) {
    case OpKind::kRead:
      return {std::string("read") + kSuffix[op.size] + " " + Hex(a)};
    case OpKind::kWrite:
      return {std::string("write") + kSuffix[op.size] + " " + Hex(a) + " " + Hex(op.value)};
    case OpKind::kBytes:
      return {WriteCmd(a, op.data)};
    case OpKind::kFill:
      return {"memset " + Hex(a) + " " + Hex(op.size) + " " + Hex(op.value)};
    case OpKind::kSqe:
      return {WriteCmd(a, op.sqe.Encode())};
    case OpKind::kSge:
      return {WriteCmd(a, op.sge.Encode())};
    case OpKind::kCfg:
      return {"outl 0xcf8 " + Hex(CfgAddr(op.cfg_off)), "outl 0xcfc " + Hex(op.value)};
    case OpKind::kMsixCtl:
      if (!msix_cap) return {};
      // The message control word is the upper half of the capability's
      // first dword.
      return {"outl 0xcf8 " + Hex(CfgAddr(msix_cap)), "outw 0xcfe " + Hex(op.value)};
    case OpKind::kStep:
      return {"clock_step " + std::to_string(op.value)};
    default:
      return {};
  }
}

InstanceResult Runner::Run(std::span<const Op> ops, const std::function<bool()>& stop) {
  if (ops.empty() || ops[0].kind != OpKind::kStart) {
    throw std::invalid_argument("an instance begins with a start op");
  }
  InstanceResult res;
  const std::filesystem::path image = o_.scratch / "disk.img";
  const std::filesystem::path qmp = o_.scratch / "qmp.sock";
  MakeImage(image, ops[0].start.image_size);
  std::error_code ec;
  std::filesystem::remove(qmp, ec);

  qtest::QemuOptions qo;
  qo.binary = o_.qemu;
  qo.args = QemuArgs(ops[0].start, image, kSlot);
  qo.args.insert(qo.args.end(), o_.qemu_args.begin(), o_.qemu_args.end());
  qo.memory = std::to_string(kRamSize >> 20) + "M";
  qo.qmp_socket = qmp;
  qo.timeout = o_.timeout;
  qo.own_process_group = true;

  if (o_.trace) std::cerr << "[0] " << FormatOp(ops[0]) << "\n";
  Instance inst(o_, res);
  starts_++;
  try {
    inst.Start(qo);
  } catch (const qtest::Error& e) {
    // The constructor has reaped QEMU; what it said is in the message.
    Failure f;
    if (std::optional<Failure> report = FindSanitizerReport(e.what(), o_.all_leaks)) {
      f = *report;
    } else {
      f.kind = "start";
      f.signature = "QEMU did not start";
      std::string fatal = FatalLine(e.what());
      if (!fatal.empty()) f.signature += ": " + fatal;
      f.detail = e.what();
    }
    f.op = 0;
    res.failure = f;
    res.executed = 1;
    return res;
  }
  qtest::Qemu& q = inst.qemu();

  res.executed = 1;
  std::optional<size_t> sanitizer_at;
  std::vector<std::string> lines, answers;
  std::vector<size_t> line_op;
  size_t i = 1;
  try {
    while (i < ops.size() && !sanitizer_at) {
      if (stop && stop()) break;
      if (ops[i].Synchronous()) {
        if (ops[i].kind == OpKind::kStart) {
          throw std::invalid_argument("a start op inside an instance");
        }
        if (o_.trace) std::cerr << "[" << i << "] " << FormatOp(ops[i]) << "\n";
        line_op.assign(1, i);
        answers.clear();
        lines.clear();
        inst.RunSync(ops[i]);
        i++;
      } else {
        lines.clear();
        line_op.clear();
        answers.clear();
        size_t j = i;
        for (; j < ops.size() && j - i < o_.batch && !ops[j].Synchronous(); j++) {
          if (o_.trace) std::cerr << "[" << j << "] " << FormatOp(ops[j]) << "\n";
          for (std::string& l : QtestLines(ops[j], inst.msix_cap())) {
            lines.push_back(std::move(l));
            line_op.push_back(j);
          }
        }
        if (!lines.empty()) q.Pipeline(lines, answers);
        for (size_t k = 0; k < answers.size(); k++) {
          if (!answers[k].starts_with("OK")) {
            inst.Note("op " + std::to_string(line_op[k]) + ": '" + lines[k] + "' -> '" +
                      answers[k] + "'");
          }
        }
        i = j;
      }
      res.executed = i;
      if (inst.SanitizerSeen()) sanitizer_at = i - 1;
    }
  } catch (const qtest::Timeout& e) {
    // The op QEMU did not answer.
    const size_t at = lines.empty() ? line_op.at(0) : line_op.at(answers.size());
    q.Kill();
    std::string err = q.Stderr();
    Failure f = FindSanitizerReport(err, o_.all_leaks)
                    .value_or(HangFailure("no answer to op " + std::to_string(at) + " (" +
                                              FormatOp(ops[at]) + ") within " +
                                              std::to_string(o_.timeout.count()) + " ms",
                                          err));
    f.op = at;
    res.failure = f;
    res.executed = at + 1;
    return res;
  } catch (const qtest::Exited& e) {
    const size_t at =
        lines.empty() ? line_op.at(0) : line_op.at(std::min(answers.size(), lines.size() - 1));
    std::optional<int> status = q.WaitExit(Millis(5000));
    if (!status) q.Kill();
    std::string err = q.Stderr();
    std::optional<Failure> f = ClassifyEnd(status, false, false, err, o_.all_leaks);
    if (!f) {
      f = Failure{"exit", "QEMU closed its qtest stream",
                  std::string(e.what()).substr(0, 2000) + "\n", 0};
    }
    f->op = at;
    res.failure = f;
    res.executed = at + 1;
    return res;
  }

  q.Stop();
  if (o_.trace) std::cerr << "QEMU's stderr:\n" << q.Stderr();
  if (std::optional<Failure> f =
          ClassifyEnd(q.exit_status(), q.killed(), true, q.Stderr(), o_.all_leaks)) {
    f->op = sanitizer_at.value_or(res.executed - 1);
    res.failure = f;
  }
  return res;
}

}  // namespace xferfuzz
