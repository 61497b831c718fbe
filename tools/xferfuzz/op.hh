// SPDX-License-Identifier: GPL-2.0-only
//
// xferfuzz's operations: what one step of a fuzzing run does to QEMU, and
// their text form, one per line, which is also the replay file format.
//
//   start drive=raw size=1048576 props=queues=2,queue-depth=64
//   pci_setup
//   w4 bar0+0x40 0x1            # CTRL
//   w8 bar0+0x1000 0x100000     # Q0.SQ_ADDR
//   r8 bar0+0x100               # COUNTER[0]
//   sqe 0x100000 op=READ flags=0x0 tag=3 nsge=1 lba=0x10 nblocks=8 sgl=0x900000
//   sge 0x900000 addr=0x1000000 len=0x1000
//   bytes 0x110000 00ff12
//   fill 0x110000 0x400 0x0
//   cfg 0x4 0x6
//   msixctl 0x8000
//   step 1000000
//   wait 5
//   unplug
//   system_reset
//
// Addresses are guest-physical, or "bar0+OFF" / "bar2+OFF" for offsets into
// the device's BARs where pci_setup puts them. Numbers are decimal or 0x
// hex. "#" starts a comment; blank lines are ignored.

#ifndef XFERBLK_TOOLS_XFERFUZZ_OP_HH_
#define XFERBLK_TOOLS_XFERFUZZ_OP_HH_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.hh"

namespace xferfuzz {

// Where pci_setup puts the BARs, as tools/tests/device_test.cc does.
constexpr uint64_t kBar0 = 0xE0000000;
constexpr uint64_t kBar2 = 0xE0100000;
constexpr unsigned kSlot = 4;  // PCI slot of the device, bus 0
// Guest RAM (the -m of every QEMU), and where the MSI-X messages of
// pci_setup land in it (4 bytes per vector).
constexpr uint64_t kRamSize = 64 << 20;
constexpr uint64_t kRamMsi = 0x80000;

enum class Space : uint8_t { kMem, kBar0, kBar2 };

// A guest-physical address, or an offset into a BAR.
struct Addr {
  Space space = Space::kMem;
  uint64_t off = 0;

  uint64_t Absolute() const;
  bool operator==(const Addr&) const = default;
};

inline Addr Mem(uint64_t a) { return Addr{Space::kMem, a}; }
inline Addr Bar0(uint64_t off) { return Addr{Space::kBar0, off}; }
inline Addr Bar2(uint64_t off) { return Addr{Space::kBar2, off}; }

// A submission entry with every field settable (struct xferblk_sqe; of the
// 32 reserved bytes at the end only the first 8 are).
struct Sqe {
  uint8_t opcode = 0;
  uint8_t flags = 0;
  uint16_t tag = 0;
  uint16_t nsge = 0;
  uint16_t rsvd0 = 0;
  uint64_t lba = 0;
  uint32_t nblocks = 0;
  uint32_t rsvd1 = 0;
  uint64_t sgl = 0;
  uint64_t rsvd2 = 0;

  std::vector<uint8_t> Encode() const;  // 64 bytes, little-endian
  bool operator==(const Sqe&) const = default;
};

// A scatter-gather entry (struct xferblk_sge).
struct Sge {
  uint64_t addr = 0;
  uint32_t len = 0;
  uint32_t rsvd = 0;

  std::vector<uint8_t> Encode() const;  // 16 bytes, little-endian
  bool operator==(const Sge&) const = default;
};

enum class OpKind : uint8_t {
  kStart,        // (re)start QEMU with a fresh image: `start` fields
  kPciSetup,     // BARs, bus mastering, MSI-X to guest RAM
  kRead,         // r1/r2/r4/r8 ADDR
  kWrite,        // w1/w2/w4/w8 ADDR VALUE
  kBytes,        // bytes ADDR HEX: raw guest memory (or MMIO) write
  kFill,         // fill ADDR LEN BYTE
  kSqe,          // sqe ADDR fields...
  kSge,          // sge ADDR fields...
  kCfg,          // cfg OFF VALUE: 32-bit PCI config write
  kMsixCtl,      // msixctl VALUE: the MSI-X message control word
  kStep,         // step NS: advance the virtual clock
  kWait,         // wait MS: real time, for the backend's I/O to complete
  kUnplug,       // device_del over QMP and the guest's ACPI eject
  kSystemReset,  // system_reset over QMP
};

struct Op {
  OpKind kind = OpKind::kStep;
  Addr addr;                  // kRead, kWrite, kBytes, kFill, kSqe, kSge
  unsigned size = 0;          // kRead, kWrite: 1, 2, 4 or 8; kFill: length
  uint64_t value = 0;         // kWrite, kCfg, kMsixCtl; kStep: ns; kWait: ms; kFill: the byte
  uint32_t cfg_off = 0;       // kCfg
  std::vector<uint8_t> data;  // kBytes
  Sqe sqe;
  Sge sge;
  DeviceConfig start;  // kStart

  bool operator==(const Op&) const = default;

  // The ops that run alone, not in a qtest pipeline (QMP, or reads whose
  // answers they use).
  bool Synchronous() const {
    return kind == OpKind::kStart || kind == OpKind::kPciSetup || kind == OpKind::kUnplug ||
           kind == OpKind::kSystemReset || kind == OpKind::kWait;
  }
};

// Constructors of the common ops.
Op ReadOp(Addr a, unsigned size);
Op WriteOp(Addr a, unsigned size, uint64_t value);
Op StepOp(uint64_t ns);
Op SimpleOp(OpKind kind);  // kPciSetup, kUnplug, kSystemReset
Op StartOp(DeviceConfig config);

// One line of a replay file, without a newline; with a comment naming the
// register for accesses to known BAR0 registers.
std::string FormatOp(const Op& op);

// Parses one line; nullopt for a blank or comment-only line. Throws
// std::invalid_argument with a message on a malformed one.
std::optional<Op> ParseOp(std::string_view line);

// Parses a whole replay file's text; messages name the line. Throws
// std::invalid_argument.
std::vector<Op> ParseOps(std::string_view text);

// The name of the BAR0 register at `off`, e.g. "CTRL", "Q3.DEPTH",
// "DB1.CQ_HEAD", "COUNTER[4]", "FAULT_HANG_NTH"; empty if none.
std::string Bar0Name(uint64_t off);

// The name of opcode `op` ("READ") or its number.
std::string OpcodeName(uint8_t op);

// "0x1f".
std::string Hex(uint64_t v);

// A whole unsigned number, decimal or 0x hex; nothing else.
std::optional<uint64_t> ParseUnsigned(std::string_view s);

}  // namespace xferfuzz

#endif  // XFERBLK_TOOLS_XFERFUZZ_OP_HH_
