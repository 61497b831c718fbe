// SPDX-License-Identifier: GPL-2.0-only

#include "op.hh"

#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "qtest_client.hh"
#include "uapi/xferblk_hw.h"

namespace xferfuzz {

namespace {

[[noreturn]] void Bad(const std::string& what) { throw std::invalid_argument(what); }

void PutLe(std::vector<uint8_t>& out, size_t at, uint64_t v, unsigned bytes) {
  for (unsigned i = 0; i < bytes; i++) out[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t ParseNum(std::string_view s) {
  std::optional<uint64_t> v = ParseUnsigned(s);
  if (!v) Bad("not a number: '" + std::string(s) + "'");
  return *v;
}

template <typename T>
T ParseNumOf(std::string_view s, std::string_view what) {
  uint64_t v = ParseNum(s);
  if (v > static_cast<uint64_t>(static_cast<T>(~T{0}))) {
    Bad(std::string(what) + " " + std::string(s) + " does not fit in " +
        std::to_string(8 * sizeof(T)) + " bits");
  }
  return static_cast<T>(v);
}

std::string FormatAddr(const Addr& a) {
  switch (a.space) {
    case Space::kBar0:
      return "bar0+" + Hex(a.off);
    case Space::kBar2:
      return "bar2+" + Hex(a.off);
    case Space::kMem:
      break;
  }
  return Hex(a.off);
}

Addr ParseAddr(std::string_view s) {
  if (s.starts_with("bar0+")) return Bar0(ParseNum(s.substr(5)));
  if (s.starts_with("bar2+")) return Bar2(ParseNum(s.substr(5)));
  return Mem(ParseNum(s));
}

std::vector<uint8_t> FromHex(std::string_view s) {
  if (s.starts_with("0x")) s.remove_prefix(2);
  if (s.size() % 2) Bad("odd number of hex digits: '" + std::string(s) + "'");
  std::vector<uint8_t> out(s.size() / 2);
  for (size_t i = 0; i < out.size(); i++) {
    int hi = qtest::HexNibble(s[2 * i]), lo = qtest::HexNibble(s[2 * i + 1]);
    if (hi < 0 || lo < 0) Bad("not hex: '" + std::string(s) + "'");
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') i++;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

constexpr std::pair<uint32_t, std::string_view> kRegNames[] = {
    {XFERBLK_REG_MAGIC, "MAGIC"},
    {XFERBLK_REG_VERSION, "VERSION"},
    {XFERBLK_REG_CAPACITY, "CAPACITY"},
    {XFERBLK_REG_CAPACITY + 4, "CAPACITY+4"},
    {XFERBLK_REG_BLOCK_SIZE, "BLOCK_SIZE"},
    {XFERBLK_REG_MAX_XFER, "MAX_XFER"},
    {XFERBLK_REG_MAX_SEGS, "MAX_SEGS"},
    {XFERBLK_REG_MAX_SEG_SIZE, "MAX_SEG_SIZE"},
    {XFERBLK_REG_SEG_BOUNDARY, "SEG_BOUNDARY"},
    {XFERBLK_REG_SEG_BOUNDARY + 4, "SEG_BOUNDARY+4"},
    {XFERBLK_REG_NUM_QUEUES, "NUM_QUEUES"},
    {XFERBLK_REG_MAX_DEPTH, "MAX_DEPTH"},
    {XFERBLK_REG_FEATURES, "FEATURES"},
    {XFERBLK_REG_MAX_DISCARD, "MAX_DISCARD"},
    {XFERBLK_REG_DISCARD_GRAN, "DISCARD_GRAN"},
    {XFERBLK_REG_MAX_WZEROES, "MAX_WZEROES"},
    {XFERBLK_REG_CTRL, "CTRL"},
    {XFERBLK_REG_STATUS, "STATUS"},
    {XFERBLK_REG_COUNTER_RESET, "COUNTER_RESET"},
    {XFERBLK_REG_FAULT_FAIL_NTH, "FAULT_FAIL_NTH"},
    {XFERBLK_REG_FAULT_STATUS, "FAULT_STATUS"},
    {XFERBLK_REG_FAULT_HANG_NTH, "FAULT_HANG_NTH"},
    {XFERBLK_REG_FAULT_DELAY_US, "FAULT_DELAY_US"},
    {XFERBLK_REG_FAULT_JITTER_US, "FAULT_JITTER_US"},
    {XFERBLK_REG_FAULT_EVERY_N, "FAULT_EVERY_N"},
    {XFERBLK_REG_FAULT_PROB_PPM, "FAULT_PROB_PPM"},
    {XFERBLK_REG_FAULT_SEED, "FAULT_SEED"},
    {XFERBLK_REG_FAULT_LBA_START, "FAULT_LBA_START"},
    {XFERBLK_REG_FAULT_LBA_START + 4, "FAULT_LBA_START+4"},
    {XFERBLK_REG_FAULT_LBA_COUNT, "FAULT_LBA_COUNT"},
    {XFERBLK_REG_FAULT_LBA_COUNT + 4, "FAULT_LBA_COUNT+4"},
    {XFERBLK_REG_FAULT_DMA_NTH, "FAULT_DMA_NTH"},
    {XFERBLK_REG_FAULT_HOSTILE, "FAULT_HOSTILE"},
    {XFERBLK_REG_FAULT_SHORT_NTH, "FAULT_SHORT_NTH"},
    {XFERBLK_REG_FAULT_STUCK, "FAULT_STUCK"},
    {XFERBLK_REG_FAULT_RELEASE, "FAULT_RELEASE"},
#ifdef XFERBLK_REG_FAULT_CHAOS_PPM  // spec 1.3
    {XFERBLK_REG_FAULT_CHAOS_PPM, "FAULT_CHAOS_PPM"},
    {XFERBLK_REG_FAULT_CHAOS_KINDS, "FAULT_CHAOS_KINDS"},
#endif
};

constexpr std::string_view kQregNames[] = {"SQ_ADDR", "SQ_ADDR+4", "CQ_ADDR", "CQ_ADDR+4",
                                           "DEPTH",   "VECTOR",    "QCTRL",   "+0x1c"};
constexpr std::string_view kMsixNames[] = {"ADDR_LO", "ADDR_HI", "DATA", "CTRL"};

std::string Bar2Name(uint64_t off) {
  if (off % 4 || off >= 16 * XFERBLK_MAX_QUEUES) return {};
  return "MSIX[" + std::to_string(off / 16) + "]." + std::string(kMsixNames[off % 16 / 4]);
}

// The comment of an access to `a`: the register's name, if it has one.
std::string Comment(const Addr& a) {
  std::string name;
  if (a.space == Space::kBar0) name = Bar0Name(a.off);
  if (a.space == Space::kBar2) name = Bar2Name(a.off);
  return name;
}

std::string WithComment(std::string line, const std::string& comment) {
  if (comment.empty()) return line;
  if (line.size() < 32) line.resize(32, ' ');
  return line + "  # " + comment;
}

constexpr std::string_view kOpcodeNames[] = {"",        "READ",         "WRITE", "FLUSH",
                                             "DISCARD", "WRITE_ZEROES", "ABORT"};

uint8_t ParseOpcode(std::string_view s) {
  for (size_t i = 1; i < std::size(kOpcodeNames); i++) {
    if (s == kOpcodeNames[i]) return static_cast<uint8_t>(i);
  }
  return ParseNumOf<uint8_t>(s, "op");
}

}  // namespace

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string OpcodeName(uint8_t op) {
  if (op >= 1 && op < std::size(kOpcodeNames)) return std::string(kOpcodeNames[op]);
  return std::to_string(op);
}

std::string Bar0Name(uint64_t off) {
  for (const auto& [reg, name] : kRegNames) {
    if (reg == off) return std::string(name);
  }
  if (off % 4) return {};
#ifdef XFERBLK_REG_FAULT_CHAOS_LIES
  if (off >= XFERBLK_REG_FAULT_CHAOS_LIES &&
      off < XFERBLK_REG_FAULT_CHAOS_LIES + 8 * XFERBLK_CHAOS_NR) {
    uint64_t k = (off - XFERBLK_REG_FAULT_CHAOS_LIES) / 8;
    return "FAULT_CHAOS_LIES[" + std::to_string(k) + "]" + (off % 8 ? "+4" : "");
  }
#endif
  const uint64_t cnt_end = XFERBLK_REG_COUNTERS + 8 * XFERBLK_CNT_NR;
  if (off >= XFERBLK_REG_COUNTERS && off < cnt_end) {
    uint64_t i = (off - XFERBLK_REG_COUNTERS) / 8;
    return "COUNTER[" + std::to_string(i) + "]" + (off % 8 ? "+4" : "");
  }
  const uint64_t q_end = XFERBLK_REG_QUEUE(XFERBLK_MAX_QUEUES);
  if (off >= XFERBLK_REG_QUEUE_BASE && off < q_end) {
    uint64_t rel = off - XFERBLK_REG_QUEUE_BASE;
    return "Q" + std::to_string(rel / XFERBLK_REG_QUEUE_STRIDE) + "." +
           std::string(kQregNames[rel % XFERBLK_REG_QUEUE_STRIDE / 4]);
  }
  const uint64_t db_end = XFERBLK_REG_DOORBELL(XFERBLK_MAX_QUEUES);
  if (off >= XFERBLK_REG_DOORBELL_BASE && off < db_end) {
    uint64_t rel = off - XFERBLK_REG_DOORBELL_BASE;
    return "DB" + std::to_string(rel / 8) + (rel % 8 ? ".CQ_HEAD" : ".SQ_TAIL");
  }
  return {};
}

uint64_t Addr::Absolute() const {
  switch (space) {
    case Space::kBar0:
      return kBar0 + off;
    case Space::kBar2:
      return kBar2 + off;
    case Space::kMem:
      break;
  }
  return off;
}

std::vector<uint8_t> Sqe::Encode() const {
  std::vector<uint8_t> out(sizeof(xferblk_sqe), 0);
  PutLe(out, offsetof(xferblk_sqe, opcode), opcode, 1);
  PutLe(out, offsetof(xferblk_sqe, flags), flags, 1);
  PutLe(out, offsetof(xferblk_sqe, tag), tag, 2);
  PutLe(out, offsetof(xferblk_sqe, nsge), nsge, 2);
  PutLe(out, offsetof(xferblk_sqe, rsvd0), rsvd0, 2);
  PutLe(out, offsetof(xferblk_sqe, lba), lba, 8);
  PutLe(out, offsetof(xferblk_sqe, nblocks), nblocks, 4);
  PutLe(out, offsetof(xferblk_sqe, rsvd1), rsvd1, 4);
  PutLe(out, offsetof(xferblk_sqe, sgl), sgl, 8);
  PutLe(out, offsetof(xferblk_sqe, rsvd2), rsvd2, 8);
  return out;
}

std::vector<uint8_t> Sge::Encode() const {
  std::vector<uint8_t> out(sizeof(xferblk_sge), 0);
  PutLe(out, offsetof(xferblk_sge, addr), addr, 8);
  PutLe(out, offsetof(xferblk_sge, len), len, 4);
  PutLe(out, offsetof(xferblk_sge, rsvd), rsvd, 4);
  return out;
}

Op ReadOp(Addr a, unsigned size) {
  Op op;
  op.kind = OpKind::kRead;
  op.addr = a;
  op.size = size;
  return op;
}

Op WriteOp(Addr a, unsigned size, uint64_t value) {
  Op op;
  op.kind = OpKind::kWrite;
  op.addr = a;
  op.size = size;
  op.value = size == 8 ? value : value & ((1ULL << (8 * size)) - 1);
  return op;
}

Op StepOp(uint64_t ns) {
  Op op;
  op.kind = OpKind::kStep;
  op.value = ns;
  return op;
}

Op SimpleOp(OpKind kind) {
  Op op;
  op.kind = kind;
  return op;
}

Op StartOp(DeviceConfig config) {
  Op op;
  op.kind = OpKind::kStart;
  op.start = std::move(config);
  return op;
}

std::string FormatOp(const Op& op) {
  switch (op.kind) {
    case OpKind::kStart:
      return "start " + FormatConfig(op.start);
    case OpKind::kPciSetup:
      return "pci_setup";
    case OpKind::kRead:
      return WithComment("r" + std::to_string(op.size) + " " + FormatAddr(op.addr),
                         Comment(op.addr));
    case OpKind::kWrite:
      return WithComment(
          "w" + std::to_string(op.size) + " " + FormatAddr(op.addr) + " " + Hex(op.value),
          Comment(op.addr));
    case OpKind::kBytes:
      return "bytes " + FormatAddr(op.addr) + " " + qtest::ToHex(op.data);
    case OpKind::kFill:
      return "fill " + FormatAddr(op.addr) + " " + Hex(op.size) + " " + Hex(op.value);
    case OpKind::kSqe: {
      const Sqe& e = op.sqe;
      std::string s = "sqe " + FormatAddr(op.addr) + " op=" + OpcodeName(e.opcode) +
                      " flags=" + Hex(e.flags) + " tag=" + std::to_string(e.tag) +
                      " nsge=" + std::to_string(e.nsge) + " lba=" + Hex(e.lba) +
                      " nblocks=" + std::to_string(e.nblocks) + " sgl=" + Hex(e.sgl);
      if (e.rsvd0) s += " rsvd0=" + Hex(e.rsvd0);
      if (e.rsvd1) s += " rsvd1=" + Hex(e.rsvd1);
      if (e.rsvd2) s += " rsvd2=" + Hex(e.rsvd2);
      return s;
    }
    case OpKind::kSge: {
      std::string s =
          "sge " + FormatAddr(op.addr) + " addr=" + Hex(op.sge.addr) + " len=" + Hex(op.sge.len);
      if (op.sge.rsvd) s += " rsvd=" + Hex(op.sge.rsvd);
      return s;
    }
    case OpKind::kCfg:
      return "cfg " + Hex(op.cfg_off) + " " + Hex(op.value);
    case OpKind::kMsixCtl:
      return "msixctl " + Hex(op.value);
    case OpKind::kStep:
      return "step " + std::to_string(op.value);
    case OpKind::kWait:
      return "wait " + std::to_string(op.value);
    case OpKind::kUnplug:
      return "unplug";
    case OpKind::kSystemReset:
      return "system_reset";
  }
  return {};
}

std::optional<Op> ParseOp(std::string_view line) {
  line = line.substr(0, line.find('#'));
  std::vector<std::string_view> w = Words(line);
  if (w.empty()) return std::nullopt;
  const std::string_view cmd = w[0];
  auto want = [&](size_t n) {
    if (w.size() != n) {
      Bad(std::string(cmd) + ": " + std::to_string(n - 1) + " argument(s) expected, got " +
          std::to_string(w.size() - 1));
    }
  };
  Op op;
  if (cmd == "start") {
    std::string_view rest = line.substr(line.find("start") + 5);
    return StartOp(ParseConfig(rest));
  }
  if (cmd == "pci_setup" || cmd == "unplug" || cmd == "system_reset") {
    want(1);
    return SimpleOp(cmd == "pci_setup" ? OpKind::kPciSetup
                    : cmd == "unplug"  ? OpKind::kUnplug
                                       : OpKind::kSystemReset);
  }
  if (cmd.size() == 2 && (cmd[0] == 'r' || cmd[0] == 'w') &&
      (cmd[1] == '1' || cmd[1] == '2' || cmd[1] == '4' || cmd[1] == '8')) {
    const unsigned size = static_cast<unsigned>(cmd[1] - '0');
    if (cmd[0] == 'r') {
      want(2);
      return ReadOp(ParseAddr(w[1]), size);
    }
    want(3);
    uint64_t v = ParseNum(w[2]);
    if (size < 8 && v >> (8 * size))
      Bad(std::string(cmd) + ": value " + std::string(w[2]) + " too wide");
    return WriteOp(ParseAddr(w[1]), size, v);
  }
  if (cmd == "bytes") {
    want(3);
    op.kind = OpKind::kBytes;
    op.addr = ParseAddr(w[1]);
    op.data = FromHex(w[2]);
    if (op.data.empty()) Bad("bytes: no data");
    return op;
  }
  if (cmd == "fill") {
    want(4);
    op.kind = OpKind::kFill;
    op.addr = ParseAddr(w[1]);
    op.size = ParseNumOf<uint32_t>(w[2], "fill length");
    op.value = ParseNumOf<uint8_t>(w[3], "fill byte");
    if (op.size == 0) Bad("fill: length 0");
    return op;
  }
  if (cmd == "cfg") {
    want(3);
    op.kind = OpKind::kCfg;
    op.cfg_off = ParseNumOf<uint8_t>(w[1], "cfg offset");
    if (op.cfg_off % 4) Bad("cfg: offset not a multiple of 4");
    op.value = ParseNumOf<uint32_t>(w[2], "cfg value");
    return op;
  }
  if (cmd == "msixctl") {
    want(2);
    op.kind = OpKind::kMsixCtl;
    op.value = ParseNumOf<uint16_t>(w[1], "msixctl value");
    return op;
  }
  if (cmd == "step") {
    want(2);
    uint64_t ns = ParseNum(w[1]);
    if (ns == 0 || ns > (1ULL << 62)) Bad("step: 1 to 2^62 ns");
    return StepOp(ns);
  }
  if (cmd == "wait") {
    want(2);
    op.kind = OpKind::kWait;
    op.value = ParseNum(w[1]);
    if (op.value > 60000) Bad("wait: at most 60000 ms");
    return op;
  }
  if (cmd == "sqe" || cmd == "sge") {
    if (w.size() < 2) Bad(std::string(cmd) + ": no address");
    op.kind = cmd == "sqe" ? OpKind::kSqe : OpKind::kSge;
    op.addr = ParseAddr(w[1]);
    for (size_t i = 2; i < w.size(); i++) {
      size_t eq = w[i].find('=');
      if (eq == std::string_view::npos) Bad(std::string(cmd) + ": expected FIELD=VALUE");
      std::string_view k = w[i].substr(0, eq), v = w[i].substr(eq + 1);
      Sqe& e = op.sqe;
      if (op.kind == OpKind::kSqe) {
        if (k == "op") {
          e.opcode = ParseOpcode(v);
        } else if (k == "flags") {
          e.flags = ParseNumOf<uint8_t>(v, "flags");
        } else if (k == "tag") {
          e.tag = ParseNumOf<uint16_t>(v, "tag");
        } else if (k == "nsge") {
          e.nsge = ParseNumOf<uint16_t>(v, "nsge");
        } else if (k == "rsvd0") {
          e.rsvd0 = ParseNumOf<uint16_t>(v, "rsvd0");
        } else if (k == "lba") {
          e.lba = ParseNum(v);
        } else if (k == "nblocks") {
          e.nblocks = ParseNumOf<uint32_t>(v, "nblocks");
        } else if (k == "rsvd1") {
          e.rsvd1 = ParseNumOf<uint32_t>(v, "rsvd1");
        } else if (k == "sgl") {
          e.sgl = ParseNum(v);
        } else if (k == "rsvd2") {
          e.rsvd2 = ParseNum(v);
        } else {
          Bad("sqe: unknown field '" + std::string(k) + "'");
        }
      } else if (k == "addr") {
        op.sge.addr = ParseNum(v);
      } else if (k == "len") {
        op.sge.len = ParseNumOf<uint32_t>(v, "len");
      } else if (k == "rsvd") {
        op.sge.rsvd = ParseNumOf<uint32_t>(v, "rsvd");
      } else {
        Bad("sge: unknown field '" + std::string(k) + "'");
      }
    }
    return op;
  }
  Bad("unknown operation '" + std::string(cmd) + "'");
}

std::vector<Op> ParseOps(std::string_view text) {
  std::vector<Op> ops;
  size_t lineno = 0;
  while (!text.empty()) {
    lineno++;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    try {
      if (std::optional<Op> op = ParseOp(line)) ops.push_back(std::move(*op));
    } catch (const std::invalid_argument& e) {
      Bad("line " + std::to_string(lineno) + ": " + e.what());
    }
  }
  return ops;
}

std::optional<uint64_t> ParseUnsigned(std::string_view s) {
  int base = 10;
  if (s.starts_with("0x") || s.starts_with("0X")) {
    s.remove_prefix(2);
    base = 16;
  }
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace xferfuzz
