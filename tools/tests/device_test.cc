// SPDX-License-Identifier: GPL-2.0-only
//
// Functional tests of the xferblk QEMU model (qemu/hw/xferblk/), driven
// through qtest.
//
// Each case starts qemu-system-x86_64 -M pc -accel qtest with an xferblk
// device on a scratch image, plays the driver's part from the host (PCI
// config cycles on 0xcf8/0xcfc, BAR accesses, rings and buffers written into
// guest RAM with qtest's read/write commands) and checks registers, ring
// contents, counters, MSI-X messages and the image file against
// docs/device-spec.md. MSI-X vectors are pointed at guest RAM, so a message
// shows up as a 32-bit store there.
//
// The QEMU binary is $XFERBLK_QEMU (`make host-tests` sets it); without it
// every case is skipped.
//
// Waiting. Completions and counters are polled for, with a deadline. Under
// -accel qtest the virtual clock only moves on clock_step, so the device's
// FAULT_DELAY_US holds completions until the test steps it; the throttle
// group, though, runs on real time. Where a case needs to know that the block
// layer has finished a command whose completion the device holds back (a full
// CQ, an injected delay), it polls QMP's query-blockstats: the device's
// block-layer callback bumps those counters and queues the completion in the
// same call. The only sleeps are the windows in which a case watches for
// something that must NOT happen (a hung command completing, a full CQ being
// overwritten, a reset device writing to memory).

#include <endian.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "qtest_client.hh"
#include "uapi/xferblk_hw.h"

namespace {

using qtest::Bytes;
using qtest::Clock;
using qtest::Millis;

// The header against docs/device-spec.md: the cases use the header's names,
// these pin what the names stand for to the spec, so that the cases check the
// model against the spec and not just against a header the two share.
static_assert(XFERBLK_PCI_VENDOR_ID == 0x1234 && XFERBLK_PCI_DEVICE_ID == 0x58fb);
static_assert(XFERBLK_MAGIC == 0x4b4c4258 && XFERBLK_VERSION_MAJOR == 1);
static_assert(XFERBLK_REG_MAGIC == 0x000 && XFERBLK_REG_VERSION == 0x004 &&
              XFERBLK_REG_CAPACITY == 0x008 && XFERBLK_REG_BLOCK_SIZE == 0x010 &&
              XFERBLK_REG_MAX_XFER == 0x014 && XFERBLK_REG_MAX_SEGS == 0x018 &&
              XFERBLK_REG_MAX_SEG_SIZE == 0x01c && XFERBLK_REG_SEG_BOUNDARY == 0x020 &&
              XFERBLK_REG_NUM_QUEUES == 0x028 && XFERBLK_REG_MAX_DEPTH == 0x02c &&
              XFERBLK_REG_FEATURES == 0x030 && XFERBLK_REG_MAX_DISCARD == 0x034 &&
              XFERBLK_REG_DISCARD_GRAN == 0x038 && XFERBLK_REG_MAX_WZEROES == 0x03c &&
              XFERBLK_REG_CTRL == 0x040 && XFERBLK_REG_STATUS == 0x044 &&
              XFERBLK_REG_COUNTER_RESET == 0x048 && XFERBLK_REG_FAULT_FAIL_NTH == 0x050 &&
              XFERBLK_REG_FAULT_STATUS == 0x054 && XFERBLK_REG_FAULT_HANG_NTH == 0x058 &&
              XFERBLK_REG_FAULT_DELAY_US == 0x05c && XFERBLK_REG_COUNTERS == 0x100);
static_assert(XFERBLK_REG_QUEUE(3) == 0x1060 && XFERBLK_QREG_SQ_ADDR == 0x00 &&
              XFERBLK_QREG_CQ_ADDR == 0x08 && XFERBLK_QREG_DEPTH == 0x10 &&
              XFERBLK_QREG_VECTOR == 0x14 && XFERBLK_QREG_CTRL == 0x18);
static_assert(XFERBLK_REG_DOORBELL(3) == 0x2018 && XFERBLK_DB_SQ_TAIL == 0 &&
              XFERBLK_DB_CQ_HEAD == 4);
static_assert(XFERBLK_CTRL_ENABLE == 1 && XFERBLK_CTRL_RESET == 2 && XFERBLK_QCTRL_ENABLE == 1);
static_assert(XFERBLK_FEAT_WRITE_CACHE == 1 && XFERBLK_FEAT_FUA == 2 && XFERBLK_FEAT_DISCARD == 4 &&
              XFERBLK_FEAT_WRITE_ZEROES == 8 && XFERBLK_FEAT_ABORT == 16);
static_assert(XFERBLK_CMD_FUA == 1 && XFERBLK_CMD_UNMAP == 2);
static_assert(XFERBLK_OP_READ == 1 && XFERBLK_OP_WRITE == 2 && XFERBLK_OP_FLUSH == 3 &&
              XFERBLK_OP_DISCARD == 4 && XFERBLK_OP_WRITE_ZEROES == 5 && XFERBLK_OP_ABORT == 6);
static_assert(XFERBLK_STS_OK == 0 && XFERBLK_STS_INVALID_OPCODE == 1 &&
              XFERBLK_STS_INVALID_FIELD == 2 && XFERBLK_STS_LBA_RANGE == 3 &&
              XFERBLK_STS_XFER_TOO_LARGE == 4 && XFERBLK_STS_TOO_MANY_SEGS == 5 &&
              XFERBLK_STS_SEG_TOO_LARGE == 6 && XFERBLK_STS_SEG_BOUNDARY == 7 &&
              XFERBLK_STS_DMA_ERROR == 8 && XFERBLK_STS_MEDIA_ERROR == 9 &&
              XFERBLK_STS_ABORTED == 10);
static_assert(XFERBLK_CNT_COMMANDS == 0 && XFERBLK_CNT_COMPLETED == 1 && XFERBLK_CNT_READS == 2 &&
              XFERBLK_CNT_WRITES == 3 && XFERBLK_CNT_FLUSHES == 4 && XFERBLK_CNT_BYTES_READ == 5 &&
              XFERBLK_CNT_BYTES_WRITTEN == 6 && XFERBLK_CNT_SEGMENTS == 7);
static_assert(XFERBLK_CNT_MAX_INFLIGHT == 8 && XFERBLK_CNT_REJECTED == 9 &&
              XFERBLK_CNT_FUA_WRITES == 10 && XFERBLK_CNT_DISCARDS == 11 &&
              XFERBLK_CNT_WRITE_ZEROES == 12 && XFERBLK_CNT_ABORTS == 13 &&
              XFERBLK_CNT_FAULTS == 14 && XFERBLK_CNT_BACKEND_REQS == 15);
static_assert(XFERBLK_CNT_STATUS_BASE == 16 && XFERBLK_CNT_STATUS_NR == 16 &&
              XFERBLK_CNT_INTERRUPTS == 32 && XFERBLK_CNT_NR == 33);
static_assert(sizeof(xferblk_sqe) == 64 && offsetof(xferblk_sqe, flags) == 1 &&
              offsetof(xferblk_sqe, tag) == 2 && offsetof(xferblk_sqe, nsge) == 4 &&
              offsetof(xferblk_sqe, rsvd0) == 6 && offsetof(xferblk_sqe, lba) == 8 &&
              offsetof(xferblk_sqe, nblocks) == 16 && offsetof(xferblk_sqe, rsvd1) == 20 &&
              offsetof(xferblk_sqe, sgl) == 24 && offsetof(xferblk_sqe, rsvd2) == 32);
static_assert(sizeof(xferblk_sge) == 16 && offsetof(xferblk_sge, len) == 8 &&
              offsetof(xferblk_sge, rsvd) == 12);
static_assert(sizeof(xferblk_cqe) == 16 && offsetof(xferblk_cqe, status) == 2 &&
              offsetof(xferblk_cqe, flags) == 4 && offsetof(xferblk_cqe, result) == 8 &&
              offsetof(xferblk_cqe, sq_fetched) == 12);

// Where the test puts things: the BARs, and rings, MSI-X messages, SG lists
// and data buffers in the 64 MiB of guest RAM.
constexpr uint64_t kBar0 = 0xE0000000;
constexpr uint64_t kBar2 = 0xE0100000;
constexpr unsigned kSlot = 4;
constexpr uint64_t kRamSq = 0x100000;   // + 0x20000 * q
constexpr uint64_t kRamCq = 0x110000;   // + 0x20000 * q
constexpr uint64_t kRamMsi = 0x300000;  // + 4 * vector
constexpr uint64_t kRamSgl = 0x800000;
constexpr uint64_t kRamData = 0x1000000;
constexpr uint64_t kRamEnd = 0x4000000;
constexpr uint64_t kUnmapped = 1ULL << 40;
constexpr uint8_t kCapMsix = 0x11;
// The spec version the tree is at: what the model must report.
constexpr uint32_t kVersion = XFERBLK_VERSION_MAJOR << 16 | XFERBLK_VERSION_MINOR;

// How long a case waits for completions, and watches for what must not happen.
constexpr Millis kReapTimeout(15000);
constexpr Millis kQuiet(200);

uint32_t QReg(unsigned q, uint32_t off) { return XFERBLK_REG_QUEUE(q) + off; }

uint32_t Doorbell(unsigned q, bool cq = false) {
  return XFERBLK_REG_DOORBELL(q) + (cq ? XFERBLK_DB_CQ_HEAD : XFERBLK_DB_SQ_TAIL);
}

// A failed precondition inside a helper: ends the case like a fatal assertion.
class CheckFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void Check(bool cond, const std::string& what) {
  if (!cond) throw CheckFailed(what);
}

// Gives the device the chance to do what it must not; the only way to check
// that something does not happen.
void WatchQuietly(Millis how_long = kQuiet) { std::this_thread::sleep_for(how_long); }

// The pause between two polls of guest memory or a register: short at first,
// never above 2 ms.
class Backoff {
 public:
  void Wait() {
    std::this_thread::sleep_for(delay_);
    delay_ = std::min(delay_ * 2, std::chrono::microseconds(2000));
  }

 private:
  std::chrono::microseconds delay_{50};
};

// Polls `cond` until it holds or `timeout` passes; returns its last value.
template <typename Cond>
bool PollUntil(Cond cond, Millis timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  Backoff backoff;
  for (;;) {
    if (cond()) return true;
    if (Clock::now() > deadline) return false;
    backoff.Wait();
  }
}

// Deterministic buffer contents.
Bytes Pattern(unsigned seed, size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; i++) b[i] = static_cast<uint8_t>(seed * 131 + i * 7 + (i >> 9));
  return b;
}

Bytes Zeros(size_t n) { return Bytes(n, 0); }

// Byte ranges compared with a short message instead of a dump of both.
::testing::AssertionResult SameBytes(std::span<const uint8_t> got, std::span<const uint8_t> want) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "got " << got.size() << " bytes, want " << want.size();
  }
  auto [g, w] = std::mismatch(got.begin(), got.end(), want.begin());
  if (g == got.end()) return ::testing::AssertionSuccess();
  size_t first = static_cast<size_t>(g - got.begin());
  size_t differ = 0;
  for (size_t i = first; i < got.size(); i++) differ += got[i] != want[i];
  return ::testing::AssertionFailure()
         << differ << " of " << got.size() << " bytes differ, the first at offset " << first
         << ": got " << static_cast<int>(*g) << ", want " << static_cast<int>(*w);
}

// The body of a builder's setter: sets `field` to `v`, returns the builder.
template <typename Builder, typename Field, typename Value>
Builder& Set(Builder& self, Field& field, Value&& v) {
  field = std::forward<Value>(v);
  return self;
}

// One submission queue entry, built up like Cmd(op, tag).Lba(8).Blocks(16).
class Cmd {
 public:
  Cmd(unsigned opcode, unsigned tag) {
    e_.opcode = static_cast<uint8_t>(opcode);
    e_.tag = htole16(static_cast<uint16_t>(tag));
  }

  Cmd& Lba(uint64_t v) { return Set(*this, e_.lba, htole64(v)); }
  Cmd& Blocks(uint32_t v) { return Set(*this, e_.nblocks, htole32(v)); }
  Cmd& Sgl(uint64_t addr, uint16_t nsge) { return Set(*this, e_.sgl, htole64(addr)).Nsge(nsge); }
  Cmd& Nsge(uint16_t v) { return Set(*this, e_.nsge, htole16(v)); }
  Cmd& Flags(uint8_t v) { return Set(*this, e_.flags, v); }
  Cmd& Rsvd0(uint16_t v) { return Set(*this, e_.rsvd0, htole16(v)); }
  Cmd& Rsvd1(uint32_t v) { return Set(*this, e_.rsvd1, htole32(v)); }
  // the first 8 of the 32 reserved bytes
  Cmd& Rsvd2(uint64_t v) { return Set(*this, e_.rsvd2[0], htole64(v)); }

  uint64_t lba() const { return le64toh(e_.lba); }
  uint32_t nblocks() const { return le32toh(e_.nblocks); }

  Bytes Encode() const {
    const auto* p = reinterpret_cast<const uint8_t*>(&e_);
    return Bytes(p, p + sizeof(e_));
  }

 private:
  xferblk_sqe e_{};  // little-endian, as the device reads it
};

// A one-block READ far past any capacity, which the device rejects with
// LBA_RANGE.
Cmd PastEnd(unsigned tag, uint64_t sgl = kRamSgl) {
  return Cmd(XFERBLK_OP_READ, tag).Lba(kUnmapped).Blocks(1).Sgl(sgl, 1);
}

// One scatter-gather entry.
struct Seg {
  uint64_t addr;
  uint32_t len;
  uint32_t rsvd = 0;
};

Bytes SgList(const std::vector<Seg>& segs) {
  Bytes out;
  for (const Seg& s : segs) {
    xferblk_sge e{};
    e.addr = htole64(s.addr);
    e.len = htole32(s.len);
    e.rsvd = htole32(s.rsvd);
    const auto* p = reinterpret_cast<const uint8_t*>(&e);
    out.insert(out.end(), p, p + sizeof(e));
  }
  return out;
}

// One completion queue entry, as the test reads it.
struct Cqe {
  int tag;
  int status;
  int phase;
  int64_t result;
  int64_t fetched;  // spec 1.3: SQ entries fetched when it was written
};

using TagStatus = std::tuple<int, int>;
using TagStatusResult = std::tuple<int, int, int64_t>;
using TagStatusPhase = std::tuple<int, int, int>;

std::vector<TagStatus> AsTagStatus(const std::vector<Cqe>& cqes) {
  std::vector<TagStatus> out;
  for (const Cqe& c : cqes) out.emplace_back(c.tag, c.status);
  return out;
}

std::vector<TagStatusResult> AsTagStatusResult(const std::vector<Cqe>& cqes) {
  std::vector<TagStatusResult> out;
  for (const Cqe& c : cqes) out.emplace_back(c.tag, c.status, c.result);
  return out;
}

std::vector<TagStatusPhase> AsTagStatusPhase(const std::vector<Cqe>& cqes) {
  std::vector<TagStatusPhase> out;
  for (const Cqe& c : cqes) out.emplace_back(c.tag, c.status, c.phase);
  return out;
}

// The driver's ring state of one queue.
struct QueueState {
  uint64_t sq;
  uint64_t cq;
  uint32_t depth;
  uint32_t tail = 0;
  uint32_t head = 0;
  int phase = 1;
};

// The names of the counters and of the statuses, in order, as
// docs/device-spec.md has them.
constexpr std::string_view kCounterNames =
    "COMMANDS COMPLETED READS WRITES FLUSHES BYTES_READ BYTES_WRITTEN SEGMENTS MAX_INFLIGHT "
    "REJECTED FUA_WRITES DISCARDS WRITE_ZEROES ABORTS FAULTS BACKEND_REQS";
constexpr std::string_view kStatusNames =
    "OK INVALID_OPCODE INVALID_FIELD LBA_RANGE XFER_TOO_LARGE TOO_MANY_SEGS SEG_TOO_LARGE "
    "SEG_BOUNDARY DMA_ERROR MEDIA_ERROR ABORTED";

// Name i of a list of names separated by spaces; empty past its end.
constexpr std::string_view NameAt(std::string_view names, size_t i) {
  for (; i > 0; i--) {
    const size_t space = names.find(' ');
    if (space == std::string_view::npos) return {};
    names.remove_prefix(space + 1);
  }
  return names.substr(0, names.find(' '));
}

static_assert(NameAt(kCounterNames, XFERBLK_CNT_BACKEND_REQS) == "BACKEND_REQS" &&
              NameAt(kCounterNames, XFERBLK_CNT_STATUS_BASE).empty());
static_assert(NameAt(kStatusNames, XFERBLK_STS_ABORTED) == "ABORTED" &&
              NameAt(kStatusNames, XFERBLK_STS_NR).empty());

// The counter of completions with `status`.
constexpr unsigned StatusCounter(unsigned status) { return XFERBLK_CNT_STATUS_BASE + status; }

// "READS", "STATUS[OK]": counter `idx` as the spec names it.
std::string CounterName(unsigned idx) {
  if (idx < XFERBLK_CNT_STATUS_BASE) return std::string(NameAt(kCounterNames, idx));
  if (idx == XFERBLK_CNT_INTERRUPTS) return "INTERRUPTS";
  const unsigned status = idx - XFERBLK_CNT_STATUS_BASE;
  const std::string_view name = NameAt(kStatusNames, status);
  return "STATUS[" + (name.empty() ? std::to_string(status) : std::string(name)) + "]";
}

// What a counter must read: Cnt(XFERBLK_CNT_READS, 1).
struct CounterValue {
  unsigned idx;
  uint64_t value;
};

CounterValue Cnt(unsigned idx, uint64_t value) { return CounterValue{idx, value}; }

// The registers that describe the disk and its limits; CAPACITY and
// SEG_BOUNDARY are read with 8-byte accesses.
struct Geometry {
  uint64_t capacity;
  uint32_t block_size, max_xfer, max_segs, max_seg_size;
  uint64_t seg_boundary;
  uint32_t num_queues, max_depth;

  bool operator==(const Geometry&) const = default;
};

void PrintTo(const Geometry& g, std::ostream* os) {
  *os << "{CAPACITY " << g.capacity << ", BLOCK_SIZE " << g.block_size << ", MAX_XFER "
      << g.max_xfer << ", MAX_SEGS " << g.max_segs << ", MAX_SEG_SIZE " << g.max_seg_size
      << ", SEG_BOUNDARY 0x" << std::hex << g.seg_boundary << std::dec << ", NUM_QUEUES "
      << g.num_queues << ", MAX_DEPTH " << g.max_depth << "}";
}

// The driver's view of one xferblk function at bus 0, slot kSlot.
class Dev {
 public:
  explicit Dev(qtest::Qemu& qt) : qt_(qt) {
    CfgWrite(0x10, kBar0);
    CfgWrite(0x18, kBar2);
    CfgWrite(0x04, 0x6);  // memory space + bus master
  }

  qtest::Qemu& qt() { return qt_; }

  uint32_t CfgRead(uint32_t off) {
    qt_.Outl(0xCF8, CfgAddr(off));
    return qt_.Inl(0xCFC);
  }

  void CfgWrite(uint32_t off, uint32_t val) {
    qt_.Outl(0xCF8, CfgAddr(off));
    qt_.Outl(0xCFC, val);
  }

  std::optional<uint32_t> FindCap(uint8_t cap_id) {
    uint32_t ptr = CfgRead(0x34) & 0xFF;
    for (int hops = 0; ptr && hops < 64; hops++) {  // a bounded walk
      uint32_t hdr = CfgRead(ptr);
      if ((hdr & 0xFF) == cap_id) return ptr;
      ptr = (hdr >> 8) & 0xFF;
    }
    return std::nullopt;
  }

  uint32_t R32(uint32_t off) { return qt_.Readl(kBar0 + off); }
  uint64_t R64(uint32_t off) { return qt_.Readq(kBar0 + off); }
  void W32(uint32_t off, uint32_t val) { qt_.Writel(kBar0 + off, val); }
  void W64(uint32_t off, uint64_t val) { qt_.Writeq(kBar0 + off, val); }

  uint64_t Counter(unsigned idx) { return R64(XFERBLK_REG_COUNTERS + 8 * idx); }
  uint64_t StatusCount(unsigned status) { return Counter(StatusCounter(status)); }

  // Reads the counters of `want`; fails naming each one that differs.
  ::testing::AssertionResult CountersAre(std::initializer_list<CounterValue> want) {
    std::string differ;
    for (const CounterValue& w : want) {
      const uint64_t got = Counter(w.idx);
      if (got == w.value) continue;
      differ += " " + CounterName(w.idx) + " is " + std::to_string(got) + ", want " +
                std::to_string(w.value) + ";";
    }
    if (differ.empty()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "counters:" << differ;
  }

  Geometry ReadGeometry() {
    return Geometry{R64(XFERBLK_REG_CAPACITY),     R32(XFERBLK_REG_BLOCK_SIZE),
                    R32(XFERBLK_REG_MAX_XFER),     R32(XFERBLK_REG_MAX_SEGS),
                    R32(XFERBLK_REG_MAX_SEG_SIZE), R64(XFERBLK_REG_SEG_BOUNDARY),
                    R32(XFERBLK_REG_NUM_QUEUES),   R32(XFERBLK_REG_MAX_DEPTH)};
  }

  void MsixEnable(unsigned nvec) {
    std::optional<uint32_t> cap = FindCap(kCapMsix);
    Check(cap.has_value(), "MSI-X capability present");
    for (unsigned v = 0; v < nvec; v++) {
      uint64_t ent = kBar2 + 16 * v;
      qt_.Writel(ent, static_cast<uint32_t>(kRamMsi + 4 * v));
      qt_.Writel(ent + 4, 0);
      qt_.Writel(ent + 8, 0xA500 + v);
      qt_.Writel(ent + 12, 0);  // unmask
    }
    CfgWrite(*cap, CfgRead(*cap) | 1U << 31);
    MsiClear(nvec);
  }

  void MsiClear(unsigned nvec = 1) { qt_.Write(kRamMsi, Zeros(4 * nvec)); }

  bool MsiSeen(unsigned vector) { return qt_.Readl(kRamMsi + 4 * vector) == 0xA500 + vector; }

  void Enable() {
    W32(XFERBLK_REG_CTRL, XFERBLK_CTRL_ENABLE);
    uint32_t status = R32(XFERBLK_REG_STATUS);
    Check(status == 1, "STATUS.READY after enable: got " + std::to_string(status) + ", want 1");
  }

  QueueState& Queue(unsigned q, uint32_t depth, std::optional<uint32_t> vector = std::nullopt,
                    uint32_t qctrl = XFERBLK_QCTRL_ENABLE) {
    uint64_t sq = kRamSq + 0x20000 * q;
    uint64_t cq = kRamCq + 0x20000 * q;
    qt_.Write(sq, Zeros(64 * depth));
    qt_.Write(cq, Zeros(16 * depth));
    W64(QReg(q, XFERBLK_QREG_SQ_ADDR), sq);
    W64(QReg(q, XFERBLK_QREG_CQ_ADDR), cq);
    W32(QReg(q, XFERBLK_QREG_DEPTH), depth);
    W32(QReg(q, XFERBLK_QREG_VECTOR), vector.value_or(q));
    W32(QReg(q, XFERBLK_QREG_CTRL), qctrl);
    Check(R32(QReg(q, XFERBLK_QREG_CTRL)) == qctrl, "queue " + std::to_string(q) + " enabled");
    return queues_[q] = QueueState{sq, cq, depth};
  }

  QueueState& State(unsigned q) { return queues_.at(q); }

  // Brings the device up as a driver does: MSI-X with `msix` vectors (0: left
  // off), READY, then queue q with depths[q] entries and vector q.
  void Up(const std::vector<uint32_t>& depths, unsigned msix = 0) {
    if (msix) MsixEnable(msix);
    Enable();
    for (unsigned q = 0; q < depths.size(); q++) Queue(q, depths[q]);
  }

  void Submit(unsigned q, const std::vector<Cmd>& entries, bool ring = true) {
    QueueState& st = queues_.at(q);
    for (const Cmd& e : entries) {
      qt_.Write(st.sq + 64 * st.tail, e.Encode());
      st.tail = (st.tail + 1) % st.depth;
    }
    if (ring) W32(Doorbell(q), st.tail);
  }

  Cqe PeekCqe(unsigned q, uint32_t slot) { return PeekCqeAt(queues_.at(q).cq, slot); }

  Cqe PeekCqeAt(uint64_t cq, uint32_t slot) {
    Bytes raw = qt_.Read(cq + 16 * slot, 16);
    xferblk_cqe e;
    std::memcpy(&e, raw.data(), sizeof(e));
    return Cqe{le16toh(e.tag), le16toh(e.status),
               static_cast<int>(le16toh(e.flags) & XFERBLK_CQE_PHASE), le32toh(e.result),
               le32toh(e.sq_fetched)};
  }

  // Waits for n new completions on q; returns them in ring order.
  std::vector<Cqe> Reap(unsigned q, size_t n, Millis timeout = kReapTimeout, bool release = true) {
    QueueState& st = queues_.at(q);
    std::vector<Cqe> out;
    Clock::time_point deadline = Clock::now() + timeout;
    Backoff backoff;
    while (out.size() < n) {
      Cqe c = PeekCqe(q, st.head);
      if (c.phase != st.phase) {
        if (Clock::now() > deadline) {
          throw CheckFailed("queue " + std::to_string(q) + ": " + std::to_string(out.size()) +
                            " of " + std::to_string(n) + " completions");
        }
        backoff.Wait();
        continue;
      }
      out.push_back(c);
      st.head = (st.head + 1) % st.depth;
      if (st.head == 0) st.phase ^= 1;
    }
    if (release) W32(Doorbell(q, true), st.head);
    return out;
  }

  std::vector<Cqe> Reap(unsigned q, size_t n, bool release) {
    return Reap(q, n, kReapTimeout, release);
  }

  // Submits one command and returns its completion.
  Cqe Run(unsigned q, const Cmd& entry) {
    Submit(q, {entry});
    return Reap(q, 1)[0];
  }

 private:
  static uint32_t CfgAddr(uint32_t off) { return 0x80000000 | kSlot << 11 | (off & 0xFC); }

  qtest::Qemu& qt_;
  std::map<unsigned, QueueState> queues_;
};

// The backend stack behind a throttle group: reads wait in the throttle.
// With the default 4096 bytes/s the bucket, once filled by one 64 KiB read,
// holds every later request for ~16 s.
std::vector<std::string> ThrottleDrive(unsigned bps = 4096) {
  return {"-object",   "throttle-group,id=tg0,x-bps-total=" + std::to_string(bps),
          "-blockdev", "driver=file,node-name=f0,filename=@IMG@",
          "-blockdev", "driver=raw,node-name=r0,file=f0",
          "-blockdev", "driver=throttle,node-name=d0,throttle-group=tg0,file=r0"};
}

// The image behind blkdebug: reads that touch `sector` fail with EIO.
std::vector<std::string> BadSectorDrive(unsigned sector) {
  return {"-blockdev",
          "driver=file,node-name=f0,filename=@IMG@",
          "-blockdev",
          "driver=blkdebug,node-name=b0,image=f0,inject-error.0.event=read_aio,"
          "inject-error.0.errno=5,inject-error.0.sector=" +
              std::to_string(sector),
          "-blockdev",
          "driver=raw,node-name=d0,file=b0"};
}

// What a case starts, e.g. CaseOptions().Size(4 << 20).Props("queues=2").Qmp().
struct CaseOptions {
  CaseOptions& Size(uint64_t v) { return Set(*this, size, v); }
  CaseOptions& Props(std::string v) { return Set(*this, props, std::move(v)); }
  CaseOptions& Extra(std::vector<std::string> v) { return Set(*this, extra, std::move(v)); }
  CaseOptions& Drive(std::vector<std::string> v) { return Set(*this, drive, std::move(v)); }
  CaseOptions& Qmp() { return Set(*this, qmp, true); }
  // for null=on: the device has no drive property
  CaseOptions& NoDrive() { return Set(*this, no_drive, true); }
  // The device brought up before the case begins: Dev::Up(depths, msix).
  CaseOptions& Up(std::vector<uint32_t> depths, unsigned msix = 0) {
    up = true;
    queue_depths = std::move(depths);
    msix_vectors = msix;
    return *this;
  }

  uint64_t size = 1 << 20;         // of the image, filled with a pattern
  std::string props;               // appended to the -device option
  std::vector<std::string> extra;  // more QEMU arguments
  // The backend, with node or drive id d0; "@IMG@" stands for the image.
  // Empty: a raw -drive on the image.
  std::vector<std::string> drive;
  bool qmp = false;       // a QMP socket too
  bool no_drive = false;  // no backend, no drive property; the image is still made
  bool up = false;        // Dev::Up(queue_depths, msix_vectors) once started
  std::vector<uint32_t> queue_depths;
  unsigned msix_vectors = 0;
};

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

// A scratch image plus one QEMU with an xferblk on it, ready to be driven.
class Case {
 public:
  Case(const std::string& qemu, const CaseOptions& opt)
      : dir_("xferblk-test-"), img_(dir_.path() / "disk.img") {
    {
      Bytes data = Pattern(99, opt.size);
      std::ofstream f(img_, std::ios::binary);
      f.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
      Check(f.good(), "writing " + img_.string());
    }
    std::vector<std::string> args;
    if (opt.no_drive) {
      // nothing
    } else if (opt.drive.empty()) {
      args = {"-drive", "if=none,id=d0,format=raw,file=" + img_.string()};
    } else {
      for (const std::string& a : opt.drive) args.push_back(ReplaceAll(a, "@IMG@", img_.string()));
    }
    args.insert(args.end(), opt.extra.begin(), opt.extra.end());
    std::string dev = "xferblk," + std::string(opt.no_drive ? "" : "drive=d0,") + "addr=0" +
                      std::to_string(kSlot) + ".0";
    if (!opt.props.empty()) dev += "," + opt.props;
    dev += ",id=xb0";
    args.push_back("-device");
    args.push_back(dev);

    qtest::QemuOptions qo;
    qo.binary = qemu;
    qo.args = args;
    if (opt.qmp) qo.qmp_socket = dir_.path() / "qmp.sock";
    qt_ = std::make_unique<qtest::Qemu>(qo);
    dev_ = std::make_unique<Dev>(*qt_);
    if (opt.up) dev_->Up(opt.queue_depths, opt.msix_vectors);
  }

  qtest::Qemu& qt() { return *qt_; }
  Dev& dev() { return *dev_; }

  Bytes Image(uint64_t off, size_t n) const {
    std::ifstream f(img_, std::ios::binary);
    f.seekg(static_cast<std::streamoff>(off));
    Bytes out(n);
    f.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n));
    out.resize(static_cast<size_t>(std::max<std::streamsize>(f.gcount(), 0)));
    return out;
  }

  // A counter of the device's BlockBackend (QMP query-blockstats), e.g.
  // "flush_operations": moved by the block layer's completion callback in
  // the same call that queues the command's completion in the device.
  int64_t BlockStat(const std::string& name) {
    qtest::Json all = qt_->QmpCmd("query-blockstats");
    if (!all.is_array()) throw qtest::Error("query-blockstats: not an array: " + all.dump());
    for (const qtest::Json& blk : all) {
      auto qdev = blk.find("qdev");
      if (qdev != blk.end() && qdev->is_string() &&
          (qdev->get<std::string>() == "xb0" || qdev->get<std::string>().ends_with("/xb0"))) {
        return blk.at("stats").at(name).get<int64_t>();
      }
    }
    throw CheckFailed("query-blockstats: no entry for xb0 in " + all.dump());
  }

  // Waits until the backend has finished `count` commands of a kind in all.
  void WaitBlockStat(const std::string& name, int64_t count) {
    int64_t last = 0;
    bool done = PollUntil([&] { return (last = BlockStat(name)) >= count; }, Millis(10000));
    Check(done, "block layer " + name + ": " + std::to_string(last) + ", waiting for " +
                    std::to_string(count));
  }

 private:
  qtest::ScratchDir dir_;  // first in, last out: outlives QEMU
  std::filesystem::path img_;
  std::unique_ptr<qtest::Qemu> qt_;
  std::unique_ptr<Dev> dev_;
};

class DeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* qemu = std::getenv("XFERBLK_QEMU");
    if (!qemu || !*qemu) {
      GTEST_SKIP() << "XFERBLK_QEMU is not set: it names a qemu-system-x86_64 with the xferblk "
                      "device (make host-tests sets it)";
    }
    qemu_ = qemu;
  }

  // Kills and reaps every QEMU still running, removes the scratch dirs.
  void TearDown() override { CloseCases(); }

  Case& StartCase(const CaseOptions& opt = CaseOptions()) {
    cases_.push_back(std::make_unique<Case>(qemu_, opt));
    return *cases_.back();
  }

  void CloseCases() {
    while (!cases_.empty()) cases_.pop_back();
  }

  std::string qemu_;

 private:
  std::vector<std::unique_ptr<Case>> cases_;
};

// ---------------------------------------------------------------------------

TEST_F(DeviceTest, Identity) {
  // QEMU's block layer rounds an image's size up to 512 bytes
  Case& c = StartCase(CaseOptions().Size((1 << 20) + 1000).Props("queues=3"));
  Dev& d = c.dev();
  ASSERT_EQ(d.CfgRead(0x00), 0x58FB1234u) << "vendor:device";
  ASSERT_EQ(d.CfgRead(0x08) >> 8, 0x018000u) << "class code";
  // BAR0: 16 KiB, 32-bit memory
  d.CfgWrite(0x10, 0xFFFFFFFF);
  ASSERT_EQ(d.CfgRead(0x10), 0xFFFFC000u) << "BAR0 size mask";
  d.CfgWrite(0x10, kBar0);
  std::optional<uint32_t> cap = d.FindCap(kCapMsix);
  ASSERT_TRUE(cap.has_value()) << "MSI-X capability";
  uint32_t ctl = d.CfgRead(*cap) >> 16;
  ASSERT_EQ((ctl & 0x7FF) + 1, 3u) << "MSI-X table size";
  ASSERT_EQ(d.CfgRead(*cap + 4) & 7, 2u) << "MSI-X table BIR";
  ASSERT_EQ(d.R32(XFERBLK_REG_MAGIC), 0x4B4C4258u) << "MAGIC";
  ASSERT_EQ(d.R32(XFERBLK_REG_VERSION), kVersion) << "VERSION";
  ASSERT_EQ(d.ReadGeometry(), (Geometry{2050, 512, 131072, 32, 65536, 0xFFFFFFFF, 3, 256}));
  ASSERT_EQ(d.R32(XFERBLK_REG_CAPACITY) | uint64_t{d.R32(XFERBLK_REG_CAPACITY + 4)} << 32, 2050u)
      << "CAPACITY (two 4-byte reads)";
  ASSERT_EQ(d.R32(XFERBLK_REG_FEATURES), 0x1Fu | XFERBLK_FEAT_COALESCE | XFERBLK_FEAT_POLLED)
      << "FEATURES";
  ASSERT_EQ(d.R32(XFERBLK_REG_MAX_DISCARD), 65536u) << "MAX_DISCARD";
  ASSERT_EQ(d.R32(XFERBLK_REG_DISCARD_GRAN), 8u) << "DISCARD_GRAN";
  ASSERT_EQ(d.R32(XFERBLK_REG_MAX_WZEROES), 65536u) << "MAX_WZEROES";
  ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_STATUS), uint32_t{XFERBLK_STS_MEDIA_ERROR})
      << "FAULT_STATUS default";
  for (uint32_t off :
       {XFERBLK_REG_FAULT_FAIL_NTH, XFERBLK_REG_FAULT_HANG_NTH, XFERBLK_REG_FAULT_DELAY_US}) {
    ASSERT_EQ(d.R32(off), 0u) << "fault register 0x" << std::hex << off;
  }
  ASSERT_EQ(d.R64(XFERBLK_REG_MAGIC), uint64_t{kVersion} << 32 | 0x4B4C4258u)
      << "8-byte read of MAGIC";
  ASSERT_EQ(d.R32(XFERBLK_REG_CTRL), 0u) << "CTRL at reset";
  ASSERT_EQ(d.R32(XFERBLK_REG_STATUS), 0u) << "STATUS at reset";
  for (uint32_t off : {0x09C, 0x060, 0x0FC, 0x300, 0x1060, 0x1FFC, 0x2018, 0x3FFC}) {
    ASSERT_EQ(d.R32(off), 0u) << "undefined offset 0x" << std::hex << off;
  }
  d.W32(XFERBLK_REG_MAGIC, 0);
  d.W32(XFERBLK_REG_MAX_XFER, 512);
  d.W64(XFERBLK_REG_CAPACITY, 5);
  ASSERT_EQ(d.R32(XFERBLK_REG_MAGIC), 0x4B4C4258u) << "MAGIC after write";
  ASSERT_EQ(d.R32(XFERBLK_REG_MAX_XFER), 131072u) << "MAX_XFER after write";
  ASSERT_EQ(d.R64(XFERBLK_REG_CAPACITY), 2050u) << "CAPACITY after write";
  for (unsigned i = 0; i < XFERBLK_CNT_NR; i++) {
    ASSERT_EQ(d.Counter(i), 0u) << "counter " << i << " at start";
  }
}

TEST_F(DeviceTest, Properties4k) {
  Case& c = StartCase(CaseOptions()
                          .Size((1 << 20) + 3584)
                          .Props("logical_block_size=4096,max-transfer=65536,"
                                 "max-segments=7,max-segment-size=8192,"
                                 "seg-boundary=0x7fffffffffff,queues=64,queue-depth=4096"));
  Dev& d = c.dev();
  ASSERT_EQ(d.ReadGeometry(), (Geometry{256, 4096, 65536, 7, 8192, 0x7FFFFFFFFFFF, 64, 4096}))
      << "CAPACITY in 4K blocks";
  ASSERT_EQ(d.R32(XFERBLK_REG_SEG_BOUNDARY + 4), 0x7FFFu) << "SEG_BOUNDARY high half";
  d.MsixEnable(64);
  d.Enable();
  d.Queue(63, 8);
  Bytes data = Pattern(5, 8192);
  c.qt().Write(kRamData, data);
  c.qt().Write(kRamSgl, SgList({{kRamData, 5000}, {kRamData + 5000, 3192}}));
  Cqe r = d.Run(63, Cmd(XFERBLK_OP_WRITE, 3).Lba(255).Blocks(2).Sgl(kRamSgl, 2));
  ASSERT_EQ(r.status, XFERBLK_STS_LBA_RANGE) << "write past the last 4K block";
  r = d.Run(63, Cmd(XFERBLK_OP_WRITE, 3).Lba(254).Blocks(2).Sgl(kRamSgl, 2));
  ASSERT_EQ(std::tuple(r.status, r.tag, r.result), std::tuple(XFERBLK_STS_OK, 3, 8192))
      << "4K write completion";
  ASSERT_TRUE(SameBytes(c.Image(254 * 4096, 8192), data)) << "image after 4K write";
  ASSERT_TRUE(d.MsiSeen(63)) << "MSI-X vector 63 fired";
}

// Runs QEMU with `args`: it must start, or with a `refusal` refuse to,
// saying so on stderr.
::testing::AssertionResult StartsOrRefuses(const std::string& qemu,
                                           const std::vector<std::string>& args,
                                           const std::optional<std::string>& refusal) {
  const qtest::RunResult r = qtest::RunQemu(qemu, args);
  if (!refusal) {
    if (r.status == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "refused (" << r.status << "): " << r.err;
  }
  if (r.status == 0) return ::testing::AssertionFailure() << "accepted (" << r.err << ")";
  if (r.err.find(*refusal) == std::string::npos) {
    return ::testing::AssertionFailure() << "message '" << *refusal << "' not in '" << r.err << "'";
  }
  return ::testing::AssertionSuccess();
}

TEST_F(DeviceTest, BadProperties) {
  qtest::ScratchDir dir("xferblk-test-");
  const std::string img = (dir.path() / "disk.img").string();
  std::ofstream(img, std::ios::binary).close();
  std::filesystem::resize_file(img, 1 << 20);
  const std::string drive = "if=none,id=d0,format=raw,file=" + img;
  const std::string ro_drive = "if=none,id=d0,format=raw,readonly=on,file=" + img;
  struct Run {
    std::string what;
    std::vector<std::string> args;
    std::optional<std::string> refusal;  // none: accepted
  };
  std::vector<Run> runs = {
      {"missing drive", {"-device", "xferblk"}, "drive property not set"},
      {"read-only drive", {"-drive", ro_drive, "-device", "xferblk,drive=d0"}, "read-only"},
      // the null backend never writes: a read-only drive will do, and so will none
      {"read-only drive with null=on",
       {"-drive", ro_drive, "-device", "xferblk,drive=d0,null=on"},
       std::nullopt},
      {"null=on without a drive", {"-device", "xferblk,null=on"}, std::nullopt},
      {"null-size not a multiple of the block size",
       {"-device", "xferblk,null=on,null-size=1000"},
       "null-size must be a multiple"},
      {"null-size without null=on", {"-device", "xferblk,null-size=1M"}, "drive property not set"},
  };
  // Properties on a drive, by the message that refuses them (none: accepted).
  const std::vector<std::pair<std::optional<std::string>, std::vector<std::string>>> props = {
      {"max-transfer must be a nonzero multiple",
       {"max-transfer=1000", "max-transfer=0", "logical_block_size=4096,max-transfer=6144"}},
      {"logical_block_size must be 512 or 4096", {"logical_block_size=1024"}},
      {"max-segments must be between 1 and 4096", {"max-segments=0", "max-segments=4097"}},
      {"max-segment-size must be at least 512", {"max-segment-size=511"}},
      {"seg-boundary must be a power of two minus", {"seg-boundary=0x1000"}},
      {"queues must be between 1 and 64", {"queues=0", "queues=65"}},
      {"queue-depth must be a power of two between",
       {"queue-depth=1", "queue-depth=100", "queue-depth=8192"}},
      {"discard-granularity must be a power of two",
       {"discard-granularity=3", "discard-granularity=0"}},
      {"max-discard-blocks and max-write-zeroes", {"max-discard-blocks=0"}},
      {"max-discard-blocks and max-write-zero", {"max-write-zeroes-blocks=0"}},
      {"fault-status must be a status from 1 to 10", {"fault-status=0", "fault-status=11"}},
      {"fault-chaos-ppm must be at most 1000000", {"fault-chaos-ppm=1000001"}},
      {"fault-chaos-kinds must be a mask within 0xff", {"fault-chaos-kinds=256"}},
      {"null-size is for null=on without a drive", {"null-size=1M", "null=on,null-size=1M"}},
      {std::nullopt,
       {"seg-boundary=0", "null=on",
        "seg-boundary=0xffffffffffffffff,max-segments=4096,queue-depth=2",
        "fault-chaos-ppm=1000000,fault-chaos-kinds=255"}},
  };
  for (const auto& [refusal, list] : props) {
    for (const std::string& p : list) {
      runs.push_back({p, {"-drive", drive, "-device", "xferblk,drive=d0," + p}, refusal});
    }
  }
  for (const Run& run : runs) {
    ASSERT_TRUE(StartsOrRefuses(qemu_, run.args, run.refusal)) << run.what;
  }
}

TEST_F(DeviceTest, QueueConfig) {
  Case& c = StartCase(CaseOptions().Props("queues=2,queue-depth=64"));
  Dev& d = c.dev();
  const uint64_t sq = kRamSq, cq = kRamCq;

  auto try_queue = [&](uint64_t sqa, uint64_t cqa, uint32_t depth, uint32_t vec) {
    d.W64(QReg(0, XFERBLK_QREG_SQ_ADDR), sqa);
    d.W64(QReg(0, XFERBLK_QREG_CQ_ADDR), cqa);
    d.W32(QReg(0, XFERBLK_QREG_DEPTH), depth);
    d.W32(QReg(0, XFERBLK_QREG_VECTOR), vec);
    d.W32(QReg(0, XFERBLK_QREG_CTRL), 1);
    return d.R32(QReg(0, XFERBLK_QREG_CTRL));
  };

  ASSERT_EQ(try_queue(sq, cq, 16, 0), 0u) << "queue enable before READY";
  // registers read back while disabled, 64-bit ones in halves
  ASSERT_EQ(d.R64(QReg(0, XFERBLK_QREG_SQ_ADDR)), sq) << "SQ_ADDR readback";
  d.W32(QReg(0, XFERBLK_QREG_SQ_ADDR), 0x11223340);
  d.W32(QReg(0, XFERBLK_QREG_SQ_ADDR) + 4, 0x55667788);
  ASSERT_EQ(d.R64(QReg(0, XFERBLK_QREG_SQ_ADDR)), 0x5566778811223340u)
      << "SQ_ADDR written as two halves";
  d.Enable();
  struct Bad {
    uint64_t sqa, cqa;
    uint32_t depth, vec;
    const char* what;
  };
  for (const Bad& b : std::vector<Bad>{{sq, cq, 3, 0, "depth 3"},
                                       {sq, cq, 1, 0, "depth 1"},
                                       {sq, cq, 0, 0, "depth 0"},
                                       {sq, cq, 128, 0, "depth above MAX_DEPTH"},
                                       {sq + 32, cq, 16, 0, "SQ misaligned"},
                                       {sq, cq + 8, 16, 0, "CQ misaligned"},
                                       {0, cq, 16, 0, "SQ address 0"},
                                       {sq, 0, 16, 0, "CQ address 0"},
                                       {sq, cq, 16, 2, "vector out of range"}}) {
    ASSERT_EQ(try_queue(b.sqa, b.cqa, b.depth, b.vec), 0u) << "queue enabled with " << b.what;
  }
  ASSERT_EQ(try_queue(sq, cq, 64, 1), 1u) << "valid queue enabled";
  d.W32(QReg(0, XFERBLK_QREG_DEPTH), 8);
  d.W64(QReg(0, XFERBLK_QREG_SQ_ADDR), 0x5000);
  ASSERT_EQ(d.R32(QReg(0, XFERBLK_QREG_DEPTH)), 64u) << "DEPTH locked while enabled";
  ASSERT_EQ(d.R64(QReg(0, XFERBLK_QREG_SQ_ADDR)), sq) << "SQ_ADDR locked while enabled";
  ASSERT_EQ(d.R32(QReg(1, XFERBLK_QREG_CTRL)), 0u) << "other queue still disabled";
  d.W32(QReg(0, XFERBLK_QREG_CTRL), 0);
  ASSERT_EQ(d.R32(QReg(0, XFERBLK_QREG_CTRL)), 0u) << "queue disabled";
  ASSERT_EQ(d.R32(QReg(0, XFERBLK_QREG_DEPTH)), 64u) << "queue disable keeps registers";
  d.W32(XFERBLK_REG_CTRL, XFERBLK_CTRL_RESET);
  ASSERT_EQ(d.R32(XFERBLK_REG_STATUS), 0u) << "STATUS after RESET";
  ASSERT_EQ(d.R32(XFERBLK_REG_CTRL), 0u) << "CTRL after RESET";
  for (uint32_t off : {XFERBLK_QREG_SQ_ADDR, XFERBLK_QREG_SQ_ADDR + 4, XFERBLK_QREG_CQ_ADDR,
                       XFERBLK_QREG_DEPTH, XFERBLK_QREG_VECTOR, XFERBLK_QREG_CTRL}) {
    ASSERT_EQ(d.R32(QReg(0, off)), 0u) << "queue reg 0x" << std::hex << off << " after RESET";
  }
  // queue registers beyond NUM_QUEUES are not there
  d.W32(QReg(2, XFERBLK_QREG_DEPTH), 16);
  ASSERT_EQ(d.R32(QReg(2, XFERBLK_QREG_DEPTH)), 0u) << "queue 2 does not exist";
}

TEST_F(DeviceTest, ReadWriteFlush) {
  Case& c = StartCase(CaseOptions().Size(4 << 20).Up({16}, 1));
  Dev& d = c.dev();
  qtest::Qemu& qt = c.qt();
  // READ 8 blocks at LBA 3 into three odd-sized pieces
  const std::vector<Seg> bufs = {
      {kRamData + 0x10003, 1000}, {kRamData + 0x20000, 7}, {kRamData + 0x30001, 4096 - 1007}};
  qt.Write(kRamSgl, SgList(bufs));
  Cqe r = d.Run(0, Cmd(XFERBLK_OP_READ, 5).Lba(3).Blocks(8).Sgl(kRamSgl, 3));
  ASSERT_EQ(std::tuple(r.tag, r.status, r.result, r.phase), std::tuple(5, XFERBLK_STS_OK, 4096, 1))
      << "READ completion";
  Bytes got;
  for (const Seg& b : bufs) {
    Bytes piece = qt.Read(b.addr, b.len);
    got.insert(got.end(), piece.begin(), piece.end());
  }
  ASSERT_TRUE(SameBytes(got, c.Image(3 * 512, 4096))) << "READ data";
  ASSERT_TRUE(d.MsiSeen(0)) << "MSI-X message after READ";

  // WRITE 64 KiB at LBA 100 from 16 page-sized pieces, FUA
  Bytes data = Pattern(7, 65536);
  qt.Write(kRamData, data);
  std::vector<Seg> pages;
  for (uint64_t i = 0; i < 16; i++) pages.push_back({kRamData + 4096 * i, 4096});
  qt.Write(kRamSgl, SgList(pages));
  d.MsiClear();
  r = d.Run(0,
            Cmd(XFERBLK_OP_WRITE, 6).Lba(100).Blocks(128).Sgl(kRamSgl, 16).Flags(XFERBLK_CMD_FUA));
  ASSERT_EQ(std::tuple(r.tag, r.status, r.result), std::tuple(6, XFERBLK_STS_OK, 65536))
      << "WRITE completion";
  ASSERT_TRUE(SameBytes(c.Image(100 * 512, 65536), data)) << "image after WRITE";
  ASSERT_TRUE(d.MsiSeen(0)) << "MSI-X message after WRITE";

  // maximal transfer, last blocks of the disk
  data = Pattern(8, 131072);
  qt.Write(kRamData, data);
  qt.Write(kRamSgl, SgList({{kRamData, 65536}, {kRamData + 65536, 65536}}));
  const uint64_t last = (4 << 20) / 512 - 256;
  r = d.Run(0, Cmd(XFERBLK_OP_WRITE, 0).Lba(last).Blocks(256).Sgl(kRamSgl, 2));
  ASSERT_EQ(std::tuple(r.status, r.result), std::tuple(XFERBLK_STS_OK, 131072))
      << "max WRITE at the end";
  ASSERT_TRUE(SameBytes(c.Image(last * 512, 131072), data)) << "image after max WRITE";

  r = d.Run(0, Cmd(XFERBLK_OP_FLUSH, 9));
  ASSERT_EQ(std::tuple(r.tag, r.status, r.result), std::tuple(9, XFERBLK_STS_OK, 0)) << "FLUSH";

  ASSERT_TRUE(d.CountersAre(
      {Cnt(XFERBLK_CNT_COMMANDS, 4), Cnt(XFERBLK_CNT_COMPLETED, 4), Cnt(XFERBLK_CNT_READS, 1),
       Cnt(XFERBLK_CNT_WRITES, 2), Cnt(XFERBLK_CNT_FLUSHES, 1), Cnt(XFERBLK_CNT_BYTES_READ, 4096),
       Cnt(XFERBLK_CNT_BYTES_WRITTEN, 65536 + 131072), Cnt(XFERBLK_CNT_SEGMENTS, 3 + 16 + 2),
       Cnt(XFERBLK_CNT_MAX_INFLIGHT, 1), Cnt(XFERBLK_CNT_REJECTED, 0),
       Cnt(StatusCounter(XFERBLK_STS_OK), 4)}));
  d.W32(XFERBLK_REG_COUNTER_RESET, 1);
  for (unsigned i = 0; i < XFERBLK_CNT_NR; i++) {
    ASSERT_EQ(d.Counter(i), 0u) << "counter " << i << " after COUNTER_RESET";
  }
}

TEST_F(DeviceTest, ManyInFlight) {
  Case& c = StartCase(CaseOptions().Size(4 << 20).Props("queues=2,queue-depth=32").Up({32, 8}, 2));
  Dev& d = c.dev();
  qtest::Qemu& qt = c.qt();
  std::vector<Cmd> entries;
  for (unsigned t = 0; t < 31; t++) {
    uint64_t sgl = kRamSgl + 16 * t;
    qt.Write(sgl, SgList({{kRamData + 0x8000 * t, 0x8000}}));
    entries.push_back(Cmd(XFERBLK_OP_READ, t).Lba(64 * t).Blocks(64).Sgl(sgl, 1));
  }
  qt.Write(kRamSgl + 0x1000, SgList({{kRamData + 0x200000, 512}}));
  d.Submit(0, entries);  // one doorbell: 31 commands
  // all 31 are fetched and handed to the backend before the doorbell
  // write returns, so none can have completed yet
  ASSERT_EQ(d.Counter(XFERBLK_CNT_MAX_INFLIGHT), 31u) << "MAX_INFLIGHT after one doorbell";
  d.Submit(1, {Cmd(XFERBLK_OP_READ, 7).Lba(2000).Blocks(1).Sgl(kRamSgl + 0x1000, 1)});
  std::vector<Cqe> done = d.Reap(0, 31);
  std::vector<int> tags, all_tags;
  for (const Cqe& x : done) tags.push_back(x.tag);
  for (int t = 0; t < 31; t++) all_tags.push_back(t);
  std::sort(tags.begin(), tags.end());
  ASSERT_EQ(tags, all_tags) << "all tags back";
  ASSERT_TRUE(std::all_of(done.begin(), done.end(), [](const Cqe& x) {
    return x.status == XFERBLK_STS_OK && x.result == 0x8000;
  })) << "all 31 reads OK";
  for (unsigned t = 0; t < 31; t++) {
    ASSERT_TRUE(SameBytes(qt.Read(kRamData + 0x8000 * t, 0x8000), c.Image(64 * t * 512, 0x8000)))
        << "data of read " << t;
  }
  Cqe r = d.Reap(1, 1)[0];
  ASSERT_EQ(std::tuple(r.tag, r.status), std::tuple(7, XFERBLK_STS_OK)) << "queue 1 completion";
  ASSERT_TRUE(d.MsiSeen(0) && d.MsiSeen(1)) << "both vectors fired";
  // tags are free again: reuse all of them
  d.Submit(0, entries);
  done = d.Reap(0, 31);
  tags.clear();
  for (const Cqe& x : done) tags.push_back(x.tag);
  std::sort(tags.begin(), tags.end());
  ASSERT_EQ(tags, all_tags) << "tags reused";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_READS), 63u) << "READS";
}

// The same table with the null backend: it moves no data, but validates
// every command exactly like the real one.
TEST_F(DeviceTest, ValidationOrder) {
  for (const std::string backend : {"", "null=on,"}) {
    SCOPED_TRACE(backend.empty() ? "block backend" : "null backend");
    Case& c =
        StartCase(CaseOptions()
                      .Size(1 << 20)
                      .Props(backend + "max-transfer=8192,max-segments=4,max-segment-size=4096,"
                                       "seg-boundary=0xfff,queue-depth=16")
                      .Up({16}));
    Dev& d = c.dev();
    const uint64_t sgl = kRamSgl;
    const uint64_t buf = kRamData;
    const uint64_t cap = (1 << 20) / 512;

    auto go = [&](const Cmd& entry, const std::optional<Bytes>& sg) {
      if (sg) c.qt().Write(sgl, *sg);
      return d.Run(0, entry).status;
    };

    const Bytes ok_sg = SgList({{buf, 4096}, {buf + 4096, 4096}});
    auto read = [&](unsigned nblocks, uint16_t nsge) {
      return Cmd(XFERBLK_OP_READ, 1).Blocks(nblocks).Sgl(sgl, nsge);
    };
    struct Row {
      const char* what;
      Cmd entry;
      std::optional<Bytes> sg;
      int status;
    };
    const std::vector<Row> cases = {
        {"opcode 0", Cmd(0, 1), {}, XFERBLK_STS_INVALID_OPCODE},
        {"opcode 7 with bad tag too", Cmd(7, 99), {}, XFERBLK_STS_INVALID_OPCODE},
        {"opcode 255", Cmd(255, 1), {}, XFERBLK_STS_INVALID_OPCODE},
        {"tag >= depth",
         Cmd(XFERBLK_OP_READ, 16).Blocks(1).Sgl(sgl, 1),
         {},
         XFERBLK_STS_INVALID_FIELD},
        {"flags on READ", read(16, 2).Flags(XFERBLK_CMD_FUA), ok_sg, XFERBLK_STS_INVALID_FIELD},
        {"reserved flag bit on WRITE", Cmd(XFERBLK_OP_WRITE, 1).Blocks(16).Sgl(sgl, 2).Flags(2),
         ok_sg, XFERBLK_STS_INVALID_FIELD},
        {"rsvd0", read(16, 2).Rsvd0(1), ok_sg, XFERBLK_STS_INVALID_FIELD},
        {"rsvd1", read(16, 2).Rsvd1(1), ok_sg, XFERBLK_STS_INVALID_FIELD},
        {"rsvd2", read(16, 2).Rsvd2(1), ok_sg, XFERBLK_STS_INVALID_FIELD},
        {"nblocks 0", read(0, 2), ok_sg, XFERBLK_STS_INVALID_FIELD},
        {"nsge 0", read(16, 0), ok_sg, XFERBLK_STS_INVALID_FIELD},
        {"FLUSH with nblocks", Cmd(XFERBLK_OP_FLUSH, 1).Blocks(1), {}, XFERBLK_STS_INVALID_FIELD},
        {"FLUSH with nsge", Cmd(XFERBLK_OP_FLUSH, 1).Nsge(1), {}, XFERBLK_STS_INVALID_FIELD},
        {"field before range", read(16, 2).Lba(cap).Rsvd1(1), ok_sg, XFERBLK_STS_INVALID_FIELD},
        {"lba at capacity", read(1, 1).Lba(cap), ok_sg, XFERBLK_STS_LBA_RANGE},
        {"lba + nblocks past capacity", read(16, 2).Lba(cap - 15), ok_sg, XFERBLK_STS_LBA_RANGE},
        {"huge lba", read(16, 2).Lba(~0ULL), ok_sg, XFERBLK_STS_LBA_RANGE},
        {"range before size", read(17, 9).Lba(cap - 1), ok_sg, XFERBLK_STS_LBA_RANGE},
        {"too large", read(17, 2), ok_sg, XFERBLK_STS_XFER_TOO_LARGE},
        {"size before segments", read(17, 5), ok_sg, XFERBLK_STS_XFER_TOO_LARGE},
        {"too many segments", read(16, 5), ok_sg, XFERBLK_STS_TOO_MANY_SEGS},
        {"SGL unreadable", read(16, 2).Sgl(kUnmapped, 2), {}, XFERBLK_STS_DMA_ERROR},
        {"SGL wraps", read(16, 2).Sgl(~0ULL - 15, 2), {}, XFERBLK_STS_DMA_ERROR},
        {"zero-length entry", read(16, 3), SgList({{buf, 4096}, {buf + 4096, 4096}, {buf, 0}}),
         XFERBLK_STS_INVALID_FIELD},
        {"entry reserved", read(16, 2), SgList({{buf, 4096}, {buf + 4096, 4096, 1}}),
         XFERBLK_STS_INVALID_FIELD},
        {"lengths short", read(16, 2), SgList({{buf, 4096}, {buf + 4096, 4095}}),
         XFERBLK_STS_INVALID_FIELD},
        {"lengths long", read(15, 2), ok_sg, XFERBLK_STS_INVALID_FIELD},
        {"field before seg size", read(16, 2), SgList({{buf, 8192}, {buf, 1, 1}}),
         XFERBLK_STS_INVALID_FIELD},
        {"entry too large", read(16, 2), SgList({{buf, 4097}, {buf + 4097, 4095}}),
         XFERBLK_STS_SEG_TOO_LARGE},
        {"seg size before boundary", read(16, 2), SgList({{buf + 0x800, 3000}, {buf, 5192}}),
         XFERBLK_STS_SEG_TOO_LARGE},
        {"crosses boundary", read(16, 3),
         SgList({{buf, 4096}, {buf + 0x1800, 2048}, {buf + 0x2FFF, 2048}}),
         XFERBLK_STS_SEG_BOUNDARY},
        {"boundary before DMA check", read(16, 2),
         SgList({{kUnmapped, 4096}, {kUnmapped + 0x1800, 4096}}), XFERBLK_STS_SEG_BOUNDARY},
        {"data unmapped", read(16, 2), SgList({{buf, 4096}, {kUnmapped, 4096}}),
         XFERBLK_STS_DMA_ERROR},
        {"data past RAM end", Cmd(XFERBLK_OP_WRITE, 1).Blocks(16).Sgl(sgl, 3),
         SgList({{buf, 4096}, {kRamEnd - 2048, 2048}, {kRamEnd, 2048}}), XFERBLK_STS_DMA_ERROR},
    };
    std::map<int, uint64_t> want;
    for (const Row& row : cases) {
      ASSERT_EQ(go(row.entry, row.sg), row.status) << row.what;
      want[row.status]++;
    }
    // the same limits, met exactly, pass
    ASSERT_EQ(go(read(16, 4), SgList({{buf + 0x0C00, 1024},
                                      {buf + 0x2000, 4096},
                                      {buf + 0x4F00, 256},
                                      {buf + 0x7000, 2816}})),
              XFERBLK_STS_OK)
        << "read at every limit";
    want[XFERBLK_STS_OK] = 1;
    ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_COMMANDS, cases.size() + 1),
                               Cnt(XFERBLK_CNT_COMPLETED, cases.size() + 1)}));
    uint64_t rejected = 0;
    for (int s = 0; s < 16; s++) {
      ASSERT_EQ(d.StatusCount(s), want[s]) << "STATUS[" << s << "]";
      if (s >= XFERBLK_STS_FIRST_REJECT && s <= XFERBLK_STS_LAST_REJECT) rejected += want[s];
    }
    // SEGMENTS only of accepted commands
    ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_REJECTED, rejected), Cnt(XFERBLK_CNT_SEGMENTS, 4),
                               Cnt(XFERBLK_CNT_READS, 1), Cnt(XFERBLK_CNT_BYTES_READ, 8192)}));
    CloseCases();
  }
}

TEST_F(DeviceTest, RejectedWriteLeavesImage) {
  Case& c = StartCase(CaseOptions().Size(1 << 20).Props("max-segment-size=4096").Up({4}));
  Dev& d = c.dev();
  const Bytes before = c.Image(0, 1 << 20);
  c.qt().Write(kRamData, Pattern(1, 8192));
  c.qt().Write(kRamSgl, SgList({{kRamData, 8192}}));
  Cqe r = d.Run(0, Cmd(XFERBLK_OP_WRITE, 1).Lba(8).Blocks(16).Sgl(kRamSgl, 1));
  ASSERT_EQ(r.status, XFERBLK_STS_SEG_TOO_LARGE) << "oversized segment";
  c.qt().Write(kRamSgl, SgList({{kRamData, 4096}, {kUnmapped, 4096}}));
  r = d.Run(0, Cmd(XFERBLK_OP_WRITE, 2).Lba(8).Blocks(16).Sgl(kRamSgl, 2));
  ASSERT_EQ(r.status, XFERBLK_STS_DMA_ERROR) << "unmapped segment";
  ASSERT_TRUE(SameBytes(c.Image(0, 1 << 20), before)) << "image untouched";
  // DMA_ERROR is no rejection
  ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_REJECTED, 1), Cnt(XFERBLK_CNT_WRITES, 0)}));
}

TEST_F(DeviceTest, CqFullAndPhase) {
  Case& c = StartCase(CaseOptions().Qmp().Up({4}, 1));
  Dev& d = c.dev();
  QueueState& st = d.State(0);
  const Cmd bad = PastEnd(0);
  // three completions fill a depth-4 CQ (one slot stays free)
  d.Submit(0, {PastEnd(0), PastEnd(1), PastEnd(2)});
  std::vector<Cqe> got = d.Reap(0, 3, false);
  ASSERT_EQ(AsTagStatus(got), (std::vector<TagStatus>{{0, XFERBLK_STS_LBA_RANGE},
                                                      {1, XFERBLK_STS_LBA_RANGE},
                                                      {2, XFERBLK_STS_LBA_RANGE}}))
      << "first three";
  d.MsiClear();
  const int64_t flushes = c.BlockStat("flush_operations");
  d.Submit(0, {bad});                                // parks: CQ full
  d.Submit(0, {Cmd(XFERBLK_OP_FLUSH, 0)});           // tag 0 still busy
  d.Submit(0, {Cmd(XFERBLK_OP_FLUSH, 3)});           // valid, parks
  c.WaitBlockStat("flush_operations", flushes + 1);  // the FLUSH is back from the block layer
  WatchQuietly();
  ASSERT_EQ(d.PeekCqe(0, 3).phase, 0) << "slot 3 untouched while CQ full";
  ASSERT_FALSE(d.MsiSeen(0)) << "no MSI-X while nothing was written";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_COMPLETED), 3u) << "COMPLETED while parked";
  // release the three: the parked ones land in order, wrapping phase
  d.W32(Doorbell(0, true), st.head);
  got = d.Reap(0, 3);
  ASSERT_EQ(AsTagStatusPhase(got), (std::vector<TagStatusPhase>{{0, XFERBLK_STS_LBA_RANGE, 1},
                                                                {0, XFERBLK_STS_INVALID_FIELD, 0},
                                                                {3, XFERBLK_STS_OK, 0}}))
      << "parked completions after head doorbell";
  ASSERT_TRUE(d.MsiSeen(0)) << "MSI-X after head doorbell";
  // keep cycling to check the phase over several laps
  for (int i = 0; i < 10; i++) {
    Cqe r = d.Run(0, Cmd(XFERBLK_OP_FLUSH, i % 4));
    ASSERT_EQ(std::tuple(r.tag, r.status), std::tuple(i % 4, XFERBLK_STS_OK)) << "flush " << i;
  }
  ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_COMPLETED, 16), Cnt(XFERBLK_CNT_FLUSHES, 11)}));
}

// Interrupt coalescing (1.4): an interrupt waits for THRESHOLD entries or
// TIME us after the first of them, never while nothing else is in flight.
// Rejected commands complete inside the doorbell write, and the virtual
// clock moves only on clock_step, so each step is exact.
TEST_F(DeviceTest, InterruptCoalescing) {
  Case& c = StartCase(CaseOptions().Up({32}, 1));
  Dev& d = c.dev();
  ASSERT_TRUE(d.R32(XFERBLK_REG_FEATURES) & XFERBLK_FEAT_COALESCE) << "FEATURES.COALESCE";
  ASSERT_EQ(d.R32(XFERBLK_REG_INTR_COALESCE), 0u) << "off at start";
  d.W32(XFERBLK_REG_INTR_COALESCE, 0xffffffffu);
  ASSERT_EQ(d.R32(XFERBLK_REG_INTR_COALESCE), 0xffff00ffu) << "bits 8-15 read 0";
  d.W32(XFERBLK_REG_INTR_COALESCE, 4 | 1000u << XFERBLK_COALESCE_TIME_SHIFT);

  d.MsiClear();
  ASSERT_EQ(d.Run(0, PastEnd(0)).status, XFERBLK_STS_LBA_RANGE);
  ASSERT_TRUE(d.MsiSeen(0)) << "nothing else in flight: at once";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_INTERRUPTS), 1u) << "INTERRUPTS";

  // A hung command stays in flight: three entries wait for the fourth or
  // for TIME.
  d.W32(XFERBLK_REG_FAULT_HANG_NTH, 1);
  d.Submit(0, {Cmd(XFERBLK_OP_FLUSH, 9)});
  d.MsiClear();
  d.Submit(0, {PastEnd(1), PastEnd(2), PastEnd(3)});
  d.Reap(0, 3);
  WatchQuietly();
  ASSERT_FALSE(d.MsiSeen(0)) << "three entries, no time passed";
  c.qt().Cmd("clock_step 999000");
  ASSERT_FALSE(d.MsiSeen(0)) << "999 us after the first";
  c.qt().Cmd("clock_step 1000");
  ASSERT_TRUE(d.MsiSeen(0)) << "TIME after the first";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_INTERRUPTS), 2u) << "INTERRUPTS";

  d.MsiClear();
  d.Submit(0, {PastEnd(4), PastEnd(5), PastEnd(6)});
  d.Reap(0, 3);
  ASSERT_FALSE(d.MsiSeen(0)) << "three entries";
  d.Submit(0, {PastEnd(7)});
  d.Reap(0, 1);
  ASSERT_TRUE(d.MsiSeen(0)) << "the fourth entry interrupts at once";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_INTERRUPTS), 3u) << "INTERRUPTS";

  d.W32(XFERBLK_REG_INTR_COALESCE, 4);
  d.MsiClear();
  ASSERT_EQ(d.Run(0, PastEnd(8)).status, XFERBLK_STS_LBA_RANGE);
  ASSERT_TRUE(d.MsiSeen(0)) << "TIME 0: every batch at once";

  d.W32(XFERBLK_REG_INTR_COALESCE, 4 | 1000u << XFERBLK_COALESCE_TIME_SHIFT);
  d.W32(XFERBLK_REG_CTRL, XFERBLK_CTRL_RESET);
  ASSERT_EQ(d.R32(XFERBLK_REG_STATUS), 0u) << "reset with a hung command";
  ASSERT_EQ(d.R32(XFERBLK_REG_INTR_COALESCE), 0u) << "zero after reset";
}

TEST_F(DeviceTest, PolledQueue) {
  Case& c = StartCase(CaseOptions().Props("queues=2").Up({32}, 2));
  Dev& d = c.dev();
  ASSERT_TRUE(d.R32(XFERBLK_REG_FEATURES) & XFERBLK_FEAT_POLLED) << "FEATURES.POLLED";
  // A vector beyond the queues is refused unless the queue is polled.
  d.W32(QReg(1, XFERBLK_QREG_VECTOR), 99);
  d.W32(QReg(1, XFERBLK_QREG_CTRL), XFERBLK_QCTRL_ENABLE);
  ASSERT_EQ(d.R32(QReg(1, XFERBLK_QREG_CTRL)), 0u) << "vector 99, not polled";
  d.Queue(1, 8, 99, XFERBLK_QCTRL_ENABLE | XFERBLK_QCTRL_POLLED);
  d.W32(XFERBLK_REG_INTR_COALESCE, 4 | 1000u << XFERBLK_COALESCE_TIME_SHIFT);

  d.MsiClear(2);
  for (uint64_t i = 0; i < 20; i++)  // wraps the 8-entry rings: the phase flips
    ASSERT_EQ(d.Run(1, PastEnd(i)).status, XFERBLK_STS_LBA_RANGE) << "command " << i;
  ASSERT_FALSE(d.MsiSeen(0) || d.MsiSeen(1)) << "a polled queue never interrupts";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_INTERRUPTS), 0u) << "INTERRUPTS";
  ASSERT_EQ(d.Run(0, PastEnd(0)).status, XFERBLK_STS_LBA_RANGE);
  ASSERT_TRUE(d.MsiSeen(0)) << "the other queue still does";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_INTERRUPTS), 1u) << "INTERRUPTS";

  // The flag goes with the queue: enabled again without it, it interrupts.
  d.W32(QReg(1, XFERBLK_QREG_CTRL), 0);
  ASSERT_EQ(d.R32(QReg(1, XFERBLK_QREG_CTRL)), 0u) << "disabled";
  d.Queue(1, 8, 1);
  d.MsiClear(2);
  ASSERT_EQ(d.Run(1, PastEnd(0)).status, XFERBLK_STS_LBA_RANGE);
  ASSERT_TRUE(d.MsiSeen(1)) << "no longer polled";
}

TEST_F(DeviceTest, DoorbellRanges) {
  Case& c = StartCase();
  Dev& d = c.dev();
  d.Enable();
  d.W32(Doorbell(0), 1);  // queue disabled
  ASSERT_EQ(d.Counter(XFERBLK_CNT_COMMANDS), 0u) << "doorbell of disabled queue ignored";
  QueueState& st = d.Queue(0, 8);
  c.qt().Write(st.sq, Cmd(XFERBLK_OP_FLUSH, 1).Encode());
  d.W32(Doorbell(0), 8);  // tail >= depth
  ASSERT_EQ(d.Counter(XFERBLK_CNT_COMMANDS), 0u) << "out-of-range tail ignored";
  // one 8-byte write rings SQ tail and CQ head together
  d.Submit(0, {Cmd(XFERBLK_OP_FLUSH, 1)}, false);
  d.W64(Doorbell(0), 1);
  ASSERT_EQ(d.Reap(0, 1)[0].status, XFERBLK_STS_OK) << "FLUSH via 8-byte doorbell";
  // SQ ring not readable: nothing fetched, head stays
  d.W32(QReg(0, XFERBLK_QREG_CTRL), 0);
  d.W64(QReg(0, XFERBLK_QREG_SQ_ADDR), kUnmapped);
  d.W32(QReg(0, XFERBLK_QREG_CTRL), 1);
  ASSERT_EQ(d.R32(QReg(0, XFERBLK_QREG_CTRL)), 1u) << "queue re-enabled";
  d.W32(Doorbell(0), 2);
  ASSERT_EQ(d.Counter(XFERBLK_CNT_COMMANDS), 1u) << "unreadable SQ entry not fetched";
}

TEST_F(DeviceTest, ResetDiscards) {
  Case& c = StartCase(
      CaseOptions().Size(4 << 20).Props("queues=2").Drive(ThrottleDrive()).Up({16, 16}, 2));
  Dev& d = c.dev();
  c.qt().Write(kRamSgl, SgList({{kRamData, 65536}}));
  c.qt().Write(kRamData, Zeros(65536));
  auto read = [](unsigned tag, uint64_t lba) {
    return Cmd(XFERBLK_OP_READ, tag).Lba(lba).Blocks(128).Sgl(kRamSgl, 1);
  };
  // The first read passes the throttle at once and fills its bucket
  // for ~16 s: every read after it waits there.
  Cqe r = d.Run(0, read(15, 0));
  ASSERT_EQ(r.status, XFERBLK_STS_OK) << "priming read";
  d.MsiClear(2);
  const uint32_t base = d.State(0).head;
  std::vector<Cmd> six;
  for (unsigned t = 0; t < 6; t++) six.push_back(read(t, 128 * t));
  d.Submit(0, six);
  d.Submit(1, {read(3, 0)});
  ASSERT_EQ(d.Counter(XFERBLK_CNT_MAX_INFLIGHT), 7u) << "seven in flight";
  Clock::time_point t0 = Clock::now();
  d.W32(XFERBLK_REG_CTRL, XFERBLK_CTRL_RESET);
  ASSERT_EQ(d.R32(XFERBLK_REG_STATUS), 0u) << "not READY after RESET";
  ASSERT_LT(Clock::now() - t0, std::chrono::seconds(5)) << "reset did not wait for the throttle";
  WatchQuietly(Millis(300));
  for (unsigned q : {0u, 1u}) {
    for (uint32_t slot = 0; slot < 16; slot++) {
      if (q == 0 && slot < base) continue;
      ASSERT_EQ(d.PeekCqe(q, slot).phase, 0) << "queue " << q << " slot " << slot << " untouched";
    }
  }
  ASSERT_TRUE(!d.MsiSeen(0) && !d.MsiSeen(1)) << "no MSI-X after RESET";
  // counters survive RESET; discarded completions are not counted
  ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_COMMANDS, 8), Cnt(XFERBLK_CNT_COMPLETED, 1),
                             Cnt(XFERBLK_CNT_MAX_INFLIGHT, 7)}));
  ASSERT_EQ(d.R32(QReg(0, XFERBLK_QREG_CTRL)), 0u) << "queue 0 disabled";
  ASSERT_EQ(d.R64(QReg(1, XFERBLK_QREG_SQ_ADDR)), 0u) << "queue 1 registers cleared";
  // start over: same tags usable, ring restarts at slot 0, phase 1
  d.Up({16});
  r = d.Run(0, Cmd(XFERBLK_OP_FLUSH, 0));
  ASSERT_EQ(std::tuple(r.tag, r.status, r.phase), std::tuple(0, XFERBLK_STS_OK, 1))
      << "first command after RESET";

  // clearing ENABLE stops the device the same way
  d.Submit(0, {read(0, 0), read(1, 128), read(2, 256)});
  d.W32(XFERBLK_REG_CTRL, 0);
  ASSERT_EQ(d.R32(XFERBLK_REG_STATUS), 0u) << "not READY after clearing ENABLE";
  ASSERT_EQ(d.R32(QReg(0, XFERBLK_QREG_DEPTH)), 0u) << "queue registers cleared";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_COMPLETED), 2u) << "discarded again";

  // disabling one queue discards only its completions
  d.Up({16, 16});
  d.Submit(0, {read(0, 0)});
  d.Submit(1, {read(1, 0)});
  d.W32(QReg(0, XFERBLK_QREG_CTRL), 0);
  ASSERT_EQ(d.R32(QReg(0, XFERBLK_QREG_CTRL)), 0u) << "queue 0 disabled";
  ASSERT_EQ(d.R32(XFERBLK_REG_STATUS), 1u) << "device still READY";
  ASSERT_EQ(d.PeekCqe(0, 0).phase, 0) << "queue 0 completion discarded";
  r = d.Reap(1, 1)[0];
  ASSERT_EQ(std::tuple(r.tag, r.status), std::tuple(1, XFERBLK_STS_OK))
      << "queue 1 completion posted";
}

TEST_F(DeviceTest, MediaError) {
  Case& c = StartCase(CaseOptions().Drive(BadSectorDrive(64)).Up({8}));
  Dev& d = c.dev();
  c.qt().Write(kRamSgl, SgList({{kRamData, 4096}}));
  Cqe r = d.Run(0, Cmd(XFERBLK_OP_READ, 1).Lba(0).Blocks(8).Sgl(kRamSgl, 1));
  ASSERT_EQ(r.status, XFERBLK_STS_OK) << "read away from the bad sector";
  r = d.Run(0, Cmd(XFERBLK_OP_READ, 2).Lba(60).Blocks(8).Sgl(kRamSgl, 1));
  ASSERT_EQ(std::tuple(r.tag, r.status, r.result), std::tuple(2, XFERBLK_STS_MEDIA_ERROR, 0))
      << "read over the bad sector";
  // MEDIA_ERROR is no rejection, READS counts successes only, SEGMENTS those
  // of accepted commands
  ASSERT_TRUE(d.CountersAre({Cnt(StatusCounter(XFERBLK_STS_MEDIA_ERROR), 1),
                             Cnt(XFERBLK_CNT_REJECTED, 0), Cnt(XFERBLK_CNT_READS, 1),
                             Cnt(XFERBLK_CNT_BYTES_READ, 4096), Cnt(XFERBLK_CNT_SEGMENTS, 2)}));
}

// Another block driver stack: snapshot=on puts a temporary qcow2 overlay over
// the raw image, so writes must not reach the file.
TEST_F(DeviceTest, SnapshotOverlay) {
  Case& c = StartCase(
      CaseOptions().Drive({"-drive", "if=none,id=d0,format=raw,snapshot=on,file=@IMG@"}).Up({4}));
  Dev& d = c.dev();
  const Bytes before = c.Image(0, 1 << 20);
  const Bytes data = Pattern(4, 4096);
  c.qt().Write(kRamData, data);
  c.qt().Write(kRamSgl, SgList({{kRamData, 4096}}));
  Cqe r = d.Run(0, Cmd(XFERBLK_OP_WRITE, 1).Lba(16).Blocks(8).Sgl(kRamSgl, 1));
  ASSERT_EQ(r.status, XFERBLK_STS_OK) << "write to the overlay";
  c.qt().Write(kRamData, Zeros(4096));
  r = d.Run(0, Cmd(XFERBLK_OP_READ, 2).Lba(16).Blocks(8).Sgl(kRamSgl, 1));
  ASSERT_EQ(r.status, XFERBLK_STS_OK) << "read back";
  ASSERT_TRUE(SameBytes(c.qt().Read(kRamData, 4096), data)) << "overlay data";
  ASSERT_TRUE(SameBytes(c.Image(0, 1 << 20), before)) << "raw file untouched";
}

TEST_F(DeviceTest, SystemReset) {
  Case& c = StartCase(CaseOptions().Size(4 << 20).Drive(ThrottleDrive()).Qmp().Up({16}, 1));
  Dev& d = c.dev();
  c.qt().Write(kRamSgl, SgList({{kRamData, 65536}}));
  Cqe r = d.Run(0, Cmd(XFERBLK_OP_READ, 15).Lba(0).Blocks(128).Sgl(kRamSgl, 1));
  ASSERT_EQ(r.status, XFERBLK_STS_OK) << "priming read";
  std::vector<Cmd> four;
  for (unsigned t = 0; t < 4; t++) {
    four.push_back(Cmd(XFERBLK_OP_READ, t).Lba(128 * t).Blocks(128).Sgl(kRamSgl, 1));
  }
  d.Submit(0, four);
  c.qt().QmpCmd("system_reset");
  c.qt().QmpEvent("RESET");
  Dev d2(c.qt());  // BARs are gone with the reset
  ASSERT_EQ(d2.R32(XFERBLK_REG_STATUS), 0u) << "not READY after system reset";
  ASSERT_EQ(d2.R32(XFERBLK_REG_CTRL), 0u) << "CTRL after system reset";
  ASSERT_EQ(d2.R64(QReg(0, XFERBLK_QREG_SQ_ADDR)), 0u) << "queue registers cleared";
  ASSERT_EQ(d2.Counter(XFERBLK_CNT_COMMANDS), 5u) << "counters survive system reset";
  ASSERT_EQ(d2.Counter(XFERBLK_CNT_COMPLETED), 1u) << "in-flight completions discarded";
  for (uint32_t slot = 1; slot < 16; slot++) {
    ASSERT_EQ(d2.PeekCqeAt(kRamCq, slot).phase, 0) << "CQ slot " << slot << " untouched";
  }
  d2.Up({16});
  ASSERT_EQ(d2.Run(0, Cmd(XFERBLK_OP_FLUSH, 0)).status, XFERBLK_STS_OK) << "works after reset";
}

TEST_F(DeviceTest, UnplugInFlight) {
  Case& c = StartCase(CaseOptions()
                          .Size(4 << 20)
                          .Props("queues=4")
                          .Drive(ThrottleDrive())
                          .Qmp()
                          .Up({64, 64, 64, 64}, 4));
  Dev& d = c.dev();
  c.qt().Write(kRamSgl, SgList({{kRamData, 65536}}));
  Cqe r = d.Run(0, Cmd(XFERBLK_OP_READ, 63).Lba(0).Blocks(128).Sgl(kRamSgl, 1));
  ASSERT_EQ(r.status, XFERBLK_STS_OK) << "priming read";
  for (unsigned q = 0; q < 4; q++) {
    std::vector<Cmd> forty;
    for (unsigned t = 0; t < 40; t++) {
      forty.push_back(Cmd(XFERBLK_OP_READ, t).Lba(128 * (t % 32)).Blocks(128).Sgl(kRamSgl, 1));
    }
    d.Submit(q, forty);
  }
  ASSERT_EQ(d.Counter(XFERBLK_CNT_MAX_INFLIGHT), 160u) << "160 reads in flight";
  c.qt().QmpCmd("device_del", {{"id", "xb0"}});
  c.qt().Outl(0xAE08, 1 << kSlot);  // the guest's ACPI eject
  c.qt().QmpEvent("DEVICE_DELETED");
  ASSERT_EQ(d.CfgRead(0), 0xFFFFFFFFu) << "function gone from config space";
  // the backend is still usable by a new device
  c.qt().QmpCmd("device_add", {{"driver", "xferblk"},
                               {"drive", "d0"},
                               {"id", "xb1"},
                               {"addr", "0" + std::to_string(kSlot) + ".0"}});
  Dev d2(c.qt());
  ASSERT_EQ(d2.R32(XFERBLK_REG_MAGIC), 0x4B4C4258u) << "MAGIC of the re-added device";
  d2.Up({8});
  ASSERT_EQ(d2.Run(0, Cmd(XFERBLK_OP_FLUSH, 0)).status, XFERBLK_STS_OK) << "FLUSH on new device";
}

// Buffers, rings and MSI-X messages aimed at the device's own BAR.
TEST_F(DeviceTest, SelfDma) {
  Case& c = StartCase(CaseOptions().Qmp().Up({8}));
  Dev& d = c.dev();
  c.qt().Write(kRamSgl, SgList({{kBar0, 4096}}));
  Cqe r = d.Run(0, Cmd(XFERBLK_OP_READ, 1).Lba(0).Blocks(8).Sgl(kRamSgl, 1));
  ASSERT_EQ(r.status, XFERBLK_STS_DMA_ERROR) << "READ into BAR0";
  r = d.Run(0, Cmd(XFERBLK_OP_WRITE, 1).Lba(0).Blocks(8).Sgl(kRamSgl, 1));
  ASSERT_EQ(r.status, XFERBLK_STS_DMA_ERROR) << "WRITE from BAR0";
  r = d.Run(0, Cmd(XFERBLK_OP_READ, 1).Lba(0).Blocks(8).Sgl(kBar0, 1));
  ASSERT_EQ(r.status, XFERBLK_STS_DMA_ERROR) << "SGL in BAR0";
  // A CQ over CTRL: tag 2 would read as CTRL.RESET if it landed.
  d.W32(QReg(0, XFERBLK_QREG_CTRL), 0);
  d.W64(QReg(0, XFERBLK_QREG_CQ_ADDR), kBar0 + XFERBLK_REG_CTRL);
  d.W32(QReg(0, XFERBLK_QREG_CTRL), 1);
  ASSERT_EQ(d.R32(QReg(0, XFERBLK_QREG_CTRL)), 1u) << "queue on its own BAR enabled";
  d.State(0).tail = 0;
  c.qt().Write(kRamSgl, SgList({{kRamData, 4096}}));
  d.Submit(0, {Cmd(XFERBLK_OP_READ, 2).Lba(0).Blocks(8).Sgl(kRamSgl, 1),
               Cmd(XFERBLK_OP_READ, 2).Lba(kUnmapped).Blocks(8).Sgl(kRamSgl, 1)});
  PollUntil([&] { return d.Counter(XFERBLK_CNT_COMPLETED) >= 5; }, Millis(10000));
  ASSERT_EQ(d.Counter(XFERBLK_CNT_COMPLETED), 5u) << "both completions went somewhere";
  ASSERT_EQ(d.R32(XFERBLK_REG_STATUS), 1u) << "device still READY";
  ASSERT_EQ(d.R32(QReg(0, XFERBLK_QREG_CTRL)), 1u) << "queue still enabled";
  c.qt().QmpCmd("query-status");  // QEMU still answers
}

TEST_F(DeviceTest, QueuesDefault) {
  const std::vector<std::pair<std::string, uint32_t>> smps = {{"3", 3}, {"80,maxcpus=80", 64}};
  for (const auto& [smp, want] : smps) {
    SCOPED_TRACE("-smp " + smp);
    Case& c = StartCase(CaseOptions().Extra({"-smp", smp}));
    ASSERT_EQ(c.dev().R32(XFERBLK_REG_NUM_QUEUES), want) << "NUM_QUEUES with -smp " << smp;
    std::optional<uint32_t> cap = c.dev().FindCap(kCapMsix);
    ASSERT_TRUE(cap.has_value()) << "MSI-X capability";
    ASSERT_EQ((c.dev().CfgRead(*cap) >> 16 & 0x7FF) + 1, want) << "MSI-X vectors with -smp " << smp;
    CloseCases();
  }
}

TEST_F(DeviceTest, Commands11Validation) {
  {
    Case& c =
        StartCase(CaseOptions().Props("max-discard-blocks=100,max-write-zeroes-blocks=50").Up({8}));
    Dev& d = c.dev();
    const uint64_t cap = (1 << 20) / 512;
    struct Row {
      const char* what;
      Cmd entry;
      int status;
    };
    const std::vector<Row> rows = {
        {"FLUSH lba past capacity", Cmd(XFERBLK_OP_FLUSH, 1).Lba(cap + 1), XFERBLK_STS_LBA_RANGE},
        {"FLUSH lba at capacity", Cmd(XFERBLK_OP_FLUSH, 1).Lba(cap), XFERBLK_STS_OK},
        {"FUA on FLUSH", Cmd(XFERBLK_OP_FLUSH, 1).Flags(XFERBLK_CMD_FUA),
         XFERBLK_STS_INVALID_FIELD},
        {"DISCARD nblocks 0", Cmd(XFERBLK_OP_DISCARD, 1), XFERBLK_STS_INVALID_FIELD},
        {"DISCARD with nsge", Cmd(XFERBLK_OP_DISCARD, 1).Blocks(8).Nsge(1),
         XFERBLK_STS_INVALID_FIELD},
        {"UNMAP on DISCARD", Cmd(XFERBLK_OP_DISCARD, 1).Blocks(8).Flags(XFERBLK_CMD_UNMAP),
         XFERBLK_STS_INVALID_FIELD},
        {"DISCARD past capacity", Cmd(XFERBLK_OP_DISCARD, 1).Lba(cap - 7).Blocks(8),
         XFERBLK_STS_LBA_RANGE},
        {"DISCARD too large", Cmd(XFERBLK_OP_DISCARD, 1).Blocks(101), XFERBLK_STS_XFER_TOO_LARGE},
        {"DISCARD at limit", Cmd(XFERBLK_OP_DISCARD, 1).Blocks(100), XFERBLK_STS_OK},
        {"FUA on WRITE_ZEROES", Cmd(XFERBLK_OP_WRITE_ZEROES, 1).Blocks(8).Flags(XFERBLK_CMD_FUA),
         XFERBLK_STS_INVALID_FIELD},
        {"WRITE_ZEROES too large", Cmd(XFERBLK_OP_WRITE_ZEROES, 1).Blocks(51),
         XFERBLK_STS_XFER_TOO_LARGE},
        {"WRITE_ZEROES at limit",
         Cmd(XFERBLK_OP_WRITE_ZEROES, 1).Blocks(50).Flags(XFERBLK_CMD_UNMAP), XFERBLK_STS_OK},
        {"ABORT with nblocks", Cmd(XFERBLK_OP_ABORT, 1).Lba(2).Blocks(1),
         XFERBLK_STS_INVALID_FIELD},
        {"ABORT with flags", Cmd(XFERBLK_OP_ABORT, 1).Lba(2).Flags(XFERBLK_CMD_FUA),
         XFERBLK_STS_INVALID_FIELD},
        {"ABORT of nothing", Cmd(XFERBLK_OP_ABORT, 1).Lba(5), XFERBLK_STS_OK},
        {"ABORT of a huge tag", Cmd(XFERBLK_OP_ABORT, 1).Lba(1ULL << 40), XFERBLK_STS_OK},
    };
    for (const Row& row : rows) {
      Cqe r = d.Run(0, row.entry);
      ASSERT_EQ(r.status, row.status) << row.what;
      ASSERT_EQ(r.result, 0) << row.what << ": result";
    }
    ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_DISCARDS, 1), Cnt(XFERBLK_CNT_WRITE_ZEROES, 1),
                               Cnt(XFERBLK_CNT_FLUSHES, 1), Cnt(XFERBLK_CNT_ABORTS, 0)}));
    CloseCases();
  }

  Case& c = StartCase(CaseOptions().Props("discard=off,write-cache=off"));
  Dev& d = c.dev();
  ASSERT_EQ(d.R32(XFERBLK_REG_FEATURES),
            uint32_t{XFERBLK_FEAT_ABORT | XFERBLK_FEAT_COALESCE | XFERBLK_FEAT_POLLED})
      << "FEATURES without cache, discard";
  ASSERT_EQ(d.R32(XFERBLK_REG_MAX_DISCARD), 0u) << "MAX_DISCARD without discard";
  ASSERT_EQ(d.R32(XFERBLK_REG_MAX_WZEROES), 0u) << "MAX_WZEROES without discard";
  d.Up({8});
  ASSERT_EQ(d.Run(0, Cmd(XFERBLK_OP_DISCARD, 1).Blocks(8)).status, XFERBLK_STS_INVALID_OPCODE)
      << "DISCARD not offered";
  ASSERT_EQ(d.Run(0, Cmd(XFERBLK_OP_WRITE_ZEROES, 1).Blocks(8)).status, XFERBLK_STS_INVALID_OPCODE)
      << "WRITE_ZEROES not offered";
  ASSERT_EQ(d.Run(0, Cmd(XFERBLK_OP_FLUSH, 1)).status, XFERBLK_STS_OK) << "FLUSH without cache";
  const Bytes data = Pattern(11, 4096);
  c.qt().Write(kRamData, data);
  c.qt().Write(kRamSgl, SgList({{kRamData, 4096}}));
  Cqe r =
      d.Run(0, Cmd(XFERBLK_OP_WRITE, 2).Lba(8).Blocks(8).Sgl(kRamSgl, 1).Flags(XFERBLK_CMD_FUA));
  ASSERT_EQ(r.status, XFERBLK_STS_OK) << "FUA WRITE without cache";
  ASSERT_TRUE(SameBytes(c.Image(8 * 512, 4096), data)) << "image after WRITE";
  ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_FUA_WRITES, 1), Cnt(XFERBLK_CNT_FLUSHES, 1)}));
}

TEST_F(DeviceTest, DiscardWriteZeroes) {
  for (uint32_t bs : {512u, 4096u}) {
    SCOPED_TRACE(std::to_string(bs) + "-byte blocks");
    Case& c = StartCase(
        CaseOptions().Size(4 << 20).Props("logical_block_size=" + std::to_string(bs)).Up({8}));
    Dev& d = c.dev();
    const uint64_t blocks = (1 << 20) / bs;  // 1 MiB worth
    struct Op {
      Cmd entry;
      const char* what;
    };
    const std::vector<Op> ops = {
        {Cmd(XFERBLK_OP_DISCARD, 1).Lba(blocks).Blocks(blocks), "DISCARD"},
        {Cmd(XFERBLK_OP_WRITE_ZEROES, 2).Lba(2 * blocks).Blocks(7), "WRITE_ZEROES"},
        {Cmd(XFERBLK_OP_WRITE_ZEROES, 3).Lba(3 * blocks + 1).Blocks(9).Flags(XFERBLK_CMD_UNMAP),
         "WRITE_ZEROES with UNMAP"},
    };
    for (const Op& op : ops) {
      const Bytes before = c.Image(0, 4 << 20);
      Cqe r = d.Run(0, op.entry);
      ASSERT_EQ(std::tuple(r.status, r.result), std::tuple(XFERBLK_STS_OK, 0)) << op.what;
      const size_t lo = op.entry.lba() * bs;
      const size_t hi = (op.entry.lba() + op.entry.nblocks()) * bs;
      const Bytes after = c.Image(0, 4 << 20);
      ASSERT_EQ(after.size(), before.size()) << op.what << ": image size";
      std::span<const uint8_t> a(after), b(before);
      ASSERT_TRUE(SameBytes(a.subspan(lo, hi - lo), Zeros(hi - lo)))
          << op.what << " reads back zeros (" << bs << "-byte blocks)";
      ASSERT_TRUE(SameBytes(a.first(lo), b.first(lo))) << op.what << ": before";
      ASSERT_TRUE(SameBytes(a.subspan(hi), b.subspan(hi))) << op.what << ": after";
    }
    // and through the device
    c.qt().Write(kRamData, Pattern(1, 8192));
    c.qt().Write(kRamSgl, SgList({{kRamData, 8192}}));
    Cqe r = d.Run(0, Cmd(XFERBLK_OP_READ, 4).Lba(blocks).Blocks(8192 / bs).Sgl(kRamSgl, 1));
    ASSERT_EQ(r.status, XFERBLK_STS_OK) << "read of the discarded range";
    ASSERT_TRUE(SameBytes(c.qt().Read(kRamData, 8192), Zeros(8192))) << "zeros read";
    // SEGMENTS: none for zeroing
    ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_DISCARDS, 1), Cnt(XFERBLK_CNT_WRITE_ZEROES, 2),
                               Cnt(XFERBLK_CNT_SEGMENTS, 1)}));
    CloseCases();
  }
}

TEST_F(DeviceTest, Abort) {
  Case& c = StartCase(CaseOptions().Qmp().Up({4}, 1));
  Dev& d = c.dev();
  QueueState& st = d.State(0);
  c.qt().Write(kRamSgl, SgList({{kRamData, 4096}}));
  const Cmd rd = Cmd(XFERBLK_OP_READ, 2).Lba(0).Blocks(8).Sgl(kRamSgl, 1);

  // a hung command: only ABORT ends it
  d.W32(XFERBLK_REG_FAULT_HANG_NTH, 1);
  d.Submit(0, {rd});
  ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_HANG_NTH), 0u) << "hang disarmed";
  WatchQuietly();
  ASSERT_EQ(d.PeekCqe(0, 0).phase, 0) << "hung command not completed";
  // the hung command is in flight
  ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_FAULTS, 1), Cnt(XFERBLK_CNT_MAX_INFLIGHT, 1)}));
  Cqe r = d.Run(0, rd);
  ASSERT_EQ(std::tuple(r.tag, r.status), std::tuple(2, XFERBLK_STS_INVALID_FIELD))
      << "its tag stays busy";
  d.Submit(0, {Cmd(XFERBLK_OP_ABORT, 1).Lba(2)});
  std::vector<Cqe> got = d.Reap(0, 2);
  ASSERT_EQ(AsTagStatusResult(got),
            (std::vector<TagStatusResult>{{2, XFERBLK_STS_ABORTED, 0}, {1, XFERBLK_STS_OK, 1}}))
      << "hung command aborted";
  ASSERT_EQ(d.Run(0, rd).status, XFERBLK_STS_OK) << "tag free again";

  // a completion parked behind a full CQ is still in the device
  d.Submit(0, {PastEnd(0, 0), PastEnd(1, 0), PastEnd(3, 0)});
  d.Reap(0, 3, false);
  const int64_t reads = c.BlockStat("rd_operations");
  d.Submit(0, {rd});                            // completes, parks
  c.WaitBlockStat("rd_operations", reads + 1);  // back from the block layer
  d.Submit(0, {Cmd(XFERBLK_OP_ABORT, 0).Lba(2)});
  d.W32(Doorbell(0, true), st.head);
  got = d.Reap(0, 2);
  ASSERT_EQ(AsTagStatusResult(got),
            (std::vector<TagStatusResult>{{2, XFERBLK_STS_ABORTED, 0}, {0, XFERBLK_STS_OK, 1}}))
      << "parked completion aborted";
  // aborted reads are no READS
  ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_ABORTS, 2), Cnt(StatusCounter(XFERBLK_STS_ABORTED), 2),
                             Cnt(XFERBLK_CNT_READS, 1)}));
}

TEST_F(DeviceTest, AbortInBackend) {
  Case& c = StartCase(CaseOptions().Size(4 << 20).Drive(ThrottleDrive(262144)).Up({8}));
  Dev& d = c.dev();
  c.qt().Write(kRamSgl, SgList({{kRamData, 65536}, {kRamData + 65536, 65536}}));
  auto big = [](unsigned t) {
    return Cmd(XFERBLK_OP_READ, t).Lba(256 * t).Blocks(256).Sgl(kRamSgl, 2);
  };
  ASSERT_EQ(d.Run(0, big(0)).status, XFERBLK_STS_OK) << "priming read";
  d.Submit(0, {big(1)});  // waits ~0.4 s in the throttle
  d.Submit(0, {Cmd(XFERBLK_OP_ABORT, 5).Lba(1)});
  ASSERT_EQ(d.PeekCqe(0, 1).phase, 0) << "ABORT waits for its target";
  std::vector<Cqe> got = d.Reap(0, 2);
  ASSERT_EQ(AsTagStatusResult(got),
            (std::vector<TagStatusResult>{{1, XFERBLK_STS_ABORTED, 0}, {5, XFERBLK_STS_OK, 1}}))
      << "target first, then the ABORT";
  Cqe r = d.Run(0, Cmd(XFERBLK_OP_ABORT, 5).Lba(1));
  ASSERT_EQ(std::tuple(r.status, r.result), std::tuple(XFERBLK_STS_OK, 0))
      << "ABORT after the fact";
}

TEST_F(DeviceTest, FaultInjection) {
  Case& c = StartCase(CaseOptions().Qmp().Up({8}));
  Dev& d = c.dev();
  const Bytes before = c.Image(0, 1 << 20);
  c.qt().Write(kRamData, Pattern(2, 4096));
  c.qt().Write(kRamSgl, SgList({{kRamData, 4096}}));
  const Cmd wr = Cmd(XFERBLK_OP_WRITE, 1).Lba(0).Blocks(8).Sgl(kRamSgl, 1);
  d.W32(XFERBLK_REG_FAULT_FAIL_NTH, 3);
  d.W32(XFERBLK_REG_FAULT_STATUS, XFERBLK_STS_DMA_ERROR);
  ASSERT_EQ(d.Run(0, Cmd(XFERBLK_OP_FLUSH, 1)).status, XFERBLK_STS_OK) << "first command";
  ASSERT_EQ(d.Run(0, Cmd(XFERBLK_OP_ABORT, 1).Lba(3)).status, XFERBLK_STS_OK) << "ABORT";
  ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_FAIL_NTH), 2u) << "countdown skips ABORTs";
  ASSERT_EQ(d.Run(0, Cmd(9, 1)).status, XFERBLK_STS_INVALID_OPCODE) << "second command";
  Cqe r = d.Run(0, wr);
  ASSERT_EQ(std::tuple(r.status, r.result), std::tuple(XFERBLK_STS_DMA_ERROR, 0)) << "third fails";
  ASSERT_TRUE(SameBytes(c.Image(0, 1 << 20), before)) << "failed write left the image";
  ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_FAIL_NTH), 0u) << "disarmed";
  ASSERT_EQ(d.Run(0, wr).status, XFERBLK_STS_OK) << "fourth";
  ASSERT_TRUE(
      d.CountersAre({Cnt(XFERBLK_CNT_FAULTS, 1), Cnt(StatusCounter(XFERBLK_STS_DMA_ERROR), 1)}));

  // completions held FAULT_DELAY_US of guest time
  d.W32(XFERBLK_REG_FAULT_DELAY_US, 5000);
  const int64_t flushes = c.BlockStat("flush_operations");
  d.Submit(0, {Cmd(XFERBLK_OP_FLUSH, 2), Cmd(7, 3)});
  // The FLUSH's delay starts when the block layer hands it back: before
  // stepping the clock, that must have happened.
  c.WaitBlockStat("flush_operations", flushes + 1);
  QueueState& st = d.State(0);
  WatchQuietly();
  ASSERT_NE(d.PeekCqe(0, st.head).phase, st.phase) << "nothing before the delay";
  c.qt().Cmd("clock_step 4000000");
  WatchQuietly(Millis(100));
  ASSERT_NE(d.PeekCqe(0, st.head).phase, st.phase) << "nothing after 4 ms";
  c.qt().Cmd("clock_step 2000000");
  std::vector<TagStatus> got = AsTagStatus(d.Reap(0, 2));
  std::sort(got.begin(), got.end());
  ASSERT_EQ(got, (std::vector<TagStatus>{{2, XFERBLK_STS_OK}, {3, XFERBLK_STS_INVALID_OPCODE}}))
      << "delayed completions";
  d.W32(XFERBLK_REG_FAULT_DELAY_US, 0);

  // a hung command ends with a reset
  d.W32(XFERBLK_REG_FAULT_HANG_NTH, 1);
  d.Submit(0, {wr});
  d.W32(XFERBLK_REG_CTRL, XFERBLK_CTRL_RESET);
  ASSERT_EQ(d.R32(XFERBLK_REG_STATUS), 0u) << "reset with a hung command";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_FAULTS), 2u) << "FAULTS";
  ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_STATUS), uint32_t{XFERBLK_STS_DMA_ERROR})
      << "fault settings survive reset";
}

// FAULT_SHORT_NTH: the Nth READ or WRITE completes OK with one block less
// in its result; the data moves in full. Other commands do not count.
TEST_F(DeviceTest, FaultShort) {
  Case& c = StartCase(CaseOptions().Up({8}));
  Dev& d = c.dev();
  c.qt().Write(kRamData, Pattern(4, 4096));
  c.qt().Write(kRamSgl, SgList({{kRamData, 4096}}));
  const Cmd wr = Cmd(XFERBLK_OP_WRITE, 1).Lba(16).Blocks(8).Sgl(kRamSgl, 1);
  d.W32(XFERBLK_REG_FAULT_SHORT_NTH, 2);
  ASSERT_EQ(d.Run(0, Cmd(XFERBLK_OP_FLUSH, 2)).status, XFERBLK_STS_OK) << "FLUSH";
  ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_SHORT_NTH), 2u) << "FLUSH does not count";
  Cqe r = d.Run(0, wr);
  ASSERT_EQ(std::tuple(r.status, r.result), std::tuple(XFERBLK_STS_OK, 4096)) << "first WRITE";
  r = d.Run(0, wr);
  ASSERT_EQ(std::tuple(r.status, r.result), std::tuple(XFERBLK_STS_OK, 4096 - 512))
      << "second WRITE: a block short";
  ASSERT_TRUE(SameBytes(c.Image(16 * 512, 4096), Pattern(4, 4096))) << "data moved in full";
  ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_SHORT_NTH), 0u) << "disarmed";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_FAULTS), 1u) << "FAULTS";
  r = d.Run(0, wr);
  ASSERT_EQ(r.result, 4096u) << "then whole again";
}

// FAULT_STUCK makes the device ignore RESET, a cleared ENABLE and ABORT;
// FAULT_RELEASE sends hung commands on, and their DMA obeys the bus master
// enable bit: with it off, nothing reaches guest memory.
TEST_F(DeviceTest, FaultStuckRelease) {
  Case& c = StartCase(CaseOptions().Up({8}));
  Dev& d = c.dev();
  const Bytes image = c.Image(0, 4096);
  const Bytes poison(4096, 0x55);
  c.qt().Write(kRamData, poison);
  c.qt().Write(kRamSgl, SgList({{kRamData, 4096}}));
  const Cmd rd = Cmd(XFERBLK_OP_READ, 3).Lba(0).Blocks(8).Sgl(kRamSgl, 1);

  d.W32(XFERBLK_REG_FAULT_STUCK, XFERBLK_STUCK_RESET | XFERBLK_STUCK_ABORT | 0x100);
  ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_STUCK), uint32_t{XFERBLK_STUCK_RESET | XFERBLK_STUCK_ABORT})
      << "unknown bits dropped";
  d.W32(XFERBLK_REG_FAULT_HANG_NTH, 1);
  d.Submit(0, {rd});
  Cqe r = d.Run(0, Cmd(XFERBLK_OP_ABORT, 1).Lba(3));
  ASSERT_EQ(std::tuple(r.tag, r.status, r.result), std::tuple(1, XFERBLK_STS_OK, 0))
      << "ABORT ends nothing";
  d.W32(XFERBLK_REG_CTRL, XFERBLK_CTRL_RESET);
  ASSERT_EQ(d.R32(XFERBLK_REG_STATUS), 1u) << "RESET ignored";
  d.W32(XFERBLK_REG_CTRL, 0);
  ASSERT_EQ(d.R32(XFERBLK_REG_STATUS), 1u) << "cleared ENABLE ignored";

  // Bus mastering off: the released READ cannot even read its SG list.
  d.CfgWrite(0x04, 0x2);
  d.W32(XFERBLK_REG_FAULT_RELEASE, 1);
  ASSERT_EQ(d.StatusCount(XFERBLK_STS_DMA_ERROR), 1u) << "released READ fails its DMA";
  ASSERT_TRUE(SameBytes(c.qt().Read(kRamData, 4096), poison)) << "no late DMA";
  d.CfgWrite(0x04, 0x6);
  ASSERT_NE(d.PeekCqe(0, 1).phase, 1) << "its completion could not be written either";

  // Bus mastering on: a released READ moves its data.
  d.W32(XFERBLK_REG_FAULT_HANG_NTH, 1);
  d.Submit(0, {Cmd(XFERBLK_OP_READ, 4).Lba(0).Blocks(8).Sgl(kRamSgl, 1)});
  d.W32(XFERBLK_REG_FAULT_RELEASE, 1);
  ASSERT_TRUE(PollUntil([&] { return d.StatusCount(XFERBLK_STS_OK) >= 2; }, kReapTimeout))
      << "released READ completes";
  ASSERT_TRUE(SameBytes(c.qt().Read(kRamData, 4096), image)) << "released READ data";

  d.W32(XFERBLK_REG_FAULT_STUCK, 0);
  d.W32(XFERBLK_REG_CTRL, XFERBLK_CTRL_RESET);
  ASSERT_EQ(d.R32(XFERBLK_REG_STATUS), 0u) << "RESET works again";
}

// FAULT_STATUS holds a failure status: 0 (OK) or a value that is no status
// is ignored and the register keeps what it had.
TEST_F(DeviceTest, FaultStatusRegister) {
  Case& c = StartCase();
  Dev& d = c.dev();
  ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_STATUS), uint32_t{XFERBLK_STS_MEDIA_ERROR}) << "default";
  for (uint32_t bad : {uint32_t{XFERBLK_STS_OK}, uint32_t{XFERBLK_STS_NR}, 15u, 16u, 0xFFFFu,
                       0x10000u | XFERBLK_STS_LBA_RANGE, 0xFFFFFFFFu}) {
    d.W32(XFERBLK_REG_FAULT_STATUS, bad);
    ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_STATUS), uint32_t{XFERBLK_STS_MEDIA_ERROR})
        << "write of 0x" << std::hex << bad << " ignored";
  }
  for (uint32_t good = XFERBLK_STS_INVALID_OPCODE; good < XFERBLK_STS_NR; good++) {
    d.W32(XFERBLK_REG_FAULT_STATUS, good);
    ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_STATUS), good) << "write of " << good;
  }
  d.W32(XFERBLK_REG_FAULT_STATUS, XFERBLK_STS_LBA_RANGE);
  d.W32(XFERBLK_REG_FAULT_STATUS, XFERBLK_STS_OK);
  // an 8-byte write of FAULT_FAIL_NTH and FAULT_STATUS: the count is taken, the status not
  d.W64(XFERBLK_REG_FAULT_FAIL_NTH, uint64_t{XFERBLK_STS_OK} << 32 | 1);
  ASSERT_EQ(d.R64(XFERBLK_REG_FAULT_FAIL_NTH), uint64_t{XFERBLK_STS_LBA_RANGE} << 32 | 1)
      << "FAULT_FAIL_NTH armed, FAULT_STATUS kept";
  d.Up({4});
  Cqe r = d.Run(0, Cmd(XFERBLK_OP_FLUSH, 1));
  ASSERT_EQ(std::tuple(r.tag, r.status), std::tuple(1, XFERBLK_STS_LBA_RANGE))
      << "the failure uses the last valid status";
  // no injected failure completes with OK
  ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_FAULTS, 1), Cnt(StatusCounter(XFERBLK_STS_OK), 0)}));
}
// Spec 1.3: every completion carries the number of SQ entries fetched since
// the queue was enabled, at the time it was written.
TEST_F(DeviceTest, FetchCount) {
  Case& c = StartCase(CaseOptions().Up({8}));
  Dev& d = c.dev();
  ASSERT_EQ(d.Run(0, Cmd(XFERBLK_OP_FLUSH, 1)).fetched, 1) << "one entry fetched";
  d.Submit(0, {Cmd(XFERBLK_OP_FLUSH, 2), Cmd(9, 3), Cmd(XFERBLK_OP_FLUSH, 4)});
  for (const Cqe& e : d.Reap(0, 3)) ASSERT_EQ(e.fetched, 4) << "tag " << e.tag;
  d.W32(QReg(0, XFERBLK_QREG_CTRL), 0);
  d.Queue(0, 8);
  ASSERT_EQ(d.Run(0, Cmd(XFERBLK_OP_FLUSH, 5)).fetched, 1) << "counted again from enable";
}

// Spec 1.3, "A lying device": each kind alone at 100%, what it makes the
// device write, and that the command itself still runs as it should.
TEST_F(DeviceTest, ChaosLies) {
  Case& c = StartCase(CaseOptions().Up({8}, 1));
  Dev& d = c.dev();
  auto lies = [&](unsigned kind) { return d.R64(XFERBLK_REG_FAULT_CHAOS_LIES + 8 * kind); };
  auto arm = [&](unsigned kind) {
    d.W32(XFERBLK_REG_FAULT_CHAOS_KINDS, 1u << kind);
    d.W32(XFERBLK_REG_FAULT_CHAOS_PPM, 1000000);
  };
  d.W32(XFERBLK_REG_FAULT_CHAOS_PPM, 2000000);
  ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_CHAOS_PPM), 1000000u) << "PPM capped";
  d.W32(XFERBLK_REG_FAULT_CHAOS_KINDS, 0xffffffff);
  ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_CHAOS_KINDS), 0xffu) << "KINDS masked";
  d.W32(XFERBLK_REG_FAULT_CHAOS_PPM, 0);

  c.qt().Write(kRamData, Pattern(6, 4096));
  c.qt().Write(kRamSgl, SgList({{kRamData, 4096}}));
  const Cmd wr = Cmd(XFERBLK_OP_WRITE, 1).Lba(40).Blocks(8).Sgl(kRamSgl, 1);
  const Cmd rd = Cmd(XFERBLK_OP_READ, 2).Lba(40).Blocks(8).Sgl(kRamSgl, 1);

  arm(XFERBLK_CHAOS_EARLY);
  d.Submit(0, {wr});
  std::vector<Cqe> got = d.Reap(0, 2);
  ASSERT_EQ(std::tuple(got[0].tag, got[0].status, got[0].result, got[0].fetched),
            std::tuple(1, XFERBLK_STS_OK, 4096, 0))
      << "EARLY: a perfect completion but for the fetch count";
  ASSERT_EQ(std::tuple(got[1].tag, got[1].status, got[1].fetched), std::tuple(1, 0, 1))
      << "then the real one";
  ASSERT_EQ(lies(XFERBLK_CHAOS_EARLY), 1u);

  arm(XFERBLK_CHAOS_STATUS);
  Cqe r = d.Run(0, Cmd(XFERBLK_OP_FLUSH, 3));
  ASSERT_TRUE(r.status != XFERBLK_STS_OK && r.result == 0) << "STATUS: " << r.status;
  ASSERT_EQ(lies(XFERBLK_CHAOS_STATUS), 1u);

  arm(XFERBLK_CHAOS_RESULT);
  c.qt().Write(kRamData, Zeros(4096));
  r = d.Run(0, rd);
  ASSERT_TRUE(r.status == XFERBLK_STS_OK && r.result != 4096) << "RESULT: " << r.result;
  ASSERT_TRUE(SameBytes(c.qt().Read(kRamData, 4096), Pattern(6, 4096))) << "the data moved";

  arm(XFERBLK_CHAOS_DUPLICATE);
  d.Submit(0, {Cmd(XFERBLK_OP_FLUSH, 4)});
  got = d.Reap(0, 2);
  ASSERT_EQ(got[0].tag, 4) << "the real completion";
  ASSERT_EQ(lies(XFERBLK_CHAOS_DUPLICATE), 1u);

  arm(XFERBLK_CHAOS_STRAY);
  d.Submit(0, {Cmd(XFERBLK_OP_FLUSH, 5)});
  got = d.Reap(0, 2);
  ASSERT_EQ(got[0].tag, 5) << "the real completion first";
  ASSERT_EQ(lies(XFERBLK_CHAOS_STRAY), 1u);

  arm(XFERBLK_CHAOS_NO_IRQ);
  c.qt().Writel(kRamMsi, 0);
  ASSERT_EQ(d.Run(0, Cmd(XFERBLK_OP_FLUSH, 6)).status, XFERBLK_STS_OK) << "posted";
  WatchQuietly();
  ASSERT_FALSE(d.MsiSeen(0)) << "NO_IRQ: no MSI-X message";
  ASSERT_GE(lies(XFERBLK_CHAOS_NO_IRQ), 1u);

  arm(XFERBLK_CHAOS_REGISTER);
  std::set<uint32_t> seen;
  for (int i = 0; i < 16; i++) seen.insert(d.R32(XFERBLK_REG_STATUS));
  ASSERT_GT(seen.size(), 1u) << "REGISTER: STATUS reads random";
  ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_CHAOS_PPM), 1000000u) << "fault registers tell the truth";
  ASSERT_EQ(d.R32(XFERBLK_REG_MAGIC), 0x4B4C4258u) << "identity registers too";
  d.W32(XFERBLK_REG_FAULT_CHAOS_PPM, 0);
  ASSERT_EQ(lies(XFERBLK_CHAOS_REGISTER), 16u);

  // the same seed, the same lies
  arm(XFERBLK_CHAOS_STATUS);
  d.W32(XFERBLK_REG_FAULT_SEED, 77);
  int first = d.Run(0, Cmd(XFERBLK_OP_FLUSH, 7)).status;
  d.W32(XFERBLK_REG_FAULT_SEED, 77);
  ASSERT_EQ(d.Run(0, Cmd(XFERBLK_OP_FLUSH, 8)).status, first) << "reproducible";
}

// A hang or failure that falls on a command whose tag is in flight is not
// injected: such a command is rejected as usual, so a hung command always
// owns its tag and an ABORT of that tag ends it.
TEST_F(DeviceTest, FaultOnBusyTag) {
  Case& c = StartCase(CaseOptions().Up({8}));
  Dev& d = c.dev();
  c.qt().Write(kRamSgl, SgList({{kRamData, 4096}}));
  const Cmd rd = Cmd(XFERBLK_OP_READ, 2).Lba(0).Blocks(8).Sgl(kRamSgl, 1);
  d.W32(XFERBLK_REG_FAULT_HANG_NTH, 1);
  d.Submit(0, {rd});
  ASSERT_EQ(d.Counter(XFERBLK_CNT_FAULTS), 1u) << "tag 2 hangs";
  // armed while tag 2 is in flight, each meets a command reusing tag 2
  d.W32(XFERBLK_REG_FAULT_HANG_NTH, 1);
  Cqe r = d.Run(0, rd);
  ASSERT_EQ(std::tuple(r.tag, r.status), std::tuple(2, XFERBLK_STS_INVALID_FIELD))
      << "a hang on a busy tag: the command is rejected";
  ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_HANG_NTH), 0u) << "the hang countdown ran out";
  d.W32(XFERBLK_REG_FAULT_FAIL_NTH, 1);
  r = d.Run(0, Cmd(XFERBLK_OP_FLUSH, 2));
  ASSERT_EQ(std::tuple(r.tag, r.status), std::tuple(2, XFERBLK_STS_INVALID_FIELD))
      << "a failure on a busy tag: the command is rejected";
  ASSERT_EQ(d.R32(XFERBLK_REG_FAULT_FAIL_NTH), 0u) << "the failure countdown ran out";
  // neither was injected; one command in flight
  ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_FAULTS, 1), Cnt(XFERBLK_CNT_MAX_INFLIGHT, 1)}));
  // one ABORT ends the hung command, and no other is left hanging on tag 2
  d.Submit(0, {Cmd(XFERBLK_OP_ABORT, 5).Lba(2)});
  std::vector<Cqe> got = d.Reap(0, 2);
  ASSERT_EQ(AsTagStatusResult(got),
            (std::vector<TagStatusResult>{{2, XFERBLK_STS_ABORTED, 0}, {5, XFERBLK_STS_OK, 1}}))
      << "hung command aborted";
  r = d.Run(0, Cmd(XFERBLK_OP_ABORT, 5).Lba(2));
  ASSERT_EQ(std::tuple(r.status, r.result), std::tuple(XFERBLK_STS_OK, 0))
      << "nothing left on tag 2";
  ASSERT_EQ(d.Run(0, rd).status, XFERBLK_STS_OK) << "tag 2 free";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_COMPLETED), d.Counter(XFERBLK_CNT_COMMANDS))
      << "every command completed";
}

// However the hang was armed and whatever the command, an ABORT ends it with
// ABORTED.
TEST_F(DeviceTest, AbortEndsEveryHang) {
  struct Way {
    const char* what;
    std::string props;
    bool by_register;  // else by the fault-hang-nth property
    Cmd cmd;           // tag 5
    bool delayed = false;
  };
  const Cmd rd = Cmd(XFERBLK_OP_READ, 5).Lba(0).Blocks(8).Sgl(kRamSgl, 1);
  const std::vector<Way> ways = {
      {"armed by the register", "", true, rd},
      {"armed by the property", "fault-hang-nth=2", false, rd},
      {"a WRITE", "", true, Cmd(XFERBLK_OP_WRITE, 5).Lba(0).Blocks(8).Sgl(kRamSgl, 1)},
      {"a FLUSH", "", true, Cmd(XFERBLK_OP_FLUSH, 5)},
      {"a DISCARD", "", true, Cmd(XFERBLK_OP_DISCARD, 5).Blocks(8)},
      {"an unknown opcode", "", true, Cmd(0, 5)},
      {"a command past the capacity", "", true, PastEnd(5)},
      {"every other fault armed",
       "fault-fail-nth=2,fault-every-n=2,fault-dma-nth=2,fault-lba-count=100", true, rd},
      {"the null backend", "null=on", true, rd},
      {"the null backend, by the property", "null=on,fault-hang-nth=2", false, rd},
      {"the null backend with a delay", "null=on,fault-delay-us=100", true, rd, true},
  };
  for (const Way& way : ways) {
    SCOPED_TRACE(way.what);
    Case& c = StartCase(CaseOptions().Props(way.props).Up({8}));
    Dev& d = c.dev();
    QueueState& st = d.State(0);
    c.qt().Write(kRamSgl, SgList({{kRamData, 4096}}));
    auto step = [&] {
      if (way.delayed) c.qt().Cmd("clock_step 1000000");
    };
    if (way.by_register) d.W32(XFERBLK_REG_FAULT_HANG_NTH, 2);
    d.Submit(0, {Cmd(XFERBLK_OP_FLUSH, 1)});
    step();
    ASSERT_EQ(d.Reap(0, 1)[0].status, XFERBLK_STS_OK) << "the first command";
    d.Submit(0, {way.cmd});
    step();
    WatchQuietly(Millis(100));
    ASSERT_NE(d.PeekCqe(0, st.head).phase, st.phase) << "the second hangs";
    ASSERT_EQ(d.Counter(XFERBLK_CNT_FAULTS), 1u) << "FAULTS";
    d.Submit(0, {Cmd(XFERBLK_OP_ABORT, 6).Lba(5), Cmd(XFERBLK_OP_ABORT, 7).Lba(5)});
    step();
    std::vector<Cqe> got = d.Reap(0, 3);
    ASSERT_EQ(AsTagStatusResult(got),
              (std::vector<TagStatusResult>{
                  {5, XFERBLK_STS_ABORTED, 0}, {6, XFERBLK_STS_OK, 1}, {7, XFERBLK_STS_OK, 0}}))
        << "aborted by the first ABORT";
    ASSERT_EQ(d.Counter(XFERBLK_CNT_ABORTS), 1u) << "ABORTS";
    d.Submit(0, {Cmd(XFERBLK_OP_ABORT, 6).Lba(5)});
    step();
    Cqe r = d.Reap(0, 1)[0];
    ASSERT_EQ(std::tuple(r.status, r.result), std::tuple(XFERBLK_STS_OK, 0)) << "nothing left";
    CloseCases();
  }
}

// Disabling a queue waits for its commands in the block layer by draining the
// whole backend, and only if it has some: an idle queue goes at once, and the
// other queues' commands go on.
TEST_F(DeviceTest, QueueDisableDrains) {
  Case& c = StartCase(
      CaseOptions().Size(4 << 20).Props("queues=2").Drive(ThrottleDrive()).Qmp().Up({8, 8}));
  Dev& d = c.dev();
  c.qt().Write(kRamSgl, SgList({{kRamData, 65536}}));
  auto read = [](unsigned tag, uint64_t lba) {
    return Cmd(XFERBLK_OP_READ, tag).Lba(lba).Blocks(128).Sgl(kRamSgl, 1);
  };
  ASSERT_EQ(d.Run(1, read(7, 0)).status, XFERBLK_STS_OK) << "priming read";
  const int64_t reads = c.BlockStat("rd_operations");
  d.Submit(1, {read(1, 128)});  // held by the throttle for ~16 s
  ASSERT_EQ(d.Run(0, Cmd(XFERBLK_OP_FLUSH, 0)).status, XFERBLK_STS_OK) << "queue 0 works";

  d.W32(QReg(0, XFERBLK_QREG_CTRL), 0);
  ASSERT_EQ(d.R32(QReg(0, XFERBLK_QREG_CTRL)), 0u) << "idle queue 0 disabled";
  WatchQuietly();
  ASSERT_EQ(c.BlockStat("rd_operations"), reads) << "queue 1's read still in the throttle";
  ASSERT_NE(d.PeekCqe(1, d.State(1).head).phase, d.State(1).phase)
      << "queue 1's read not completed";

  d.Queue(0, 8);
  d.Submit(0, {read(2, 256)});
  Clock::time_point t0 = Clock::now();
  d.W32(QReg(0, XFERBLK_QREG_CTRL), 0);
  ASSERT_LT(Clock::now() - t0, std::chrono::seconds(5)) << "disable did not wait for the throttle";
  ASSERT_EQ(c.BlockStat("rd_operations"), reads + 2) << "the drain finished both reads";
  ASSERT_EQ(d.PeekCqe(0, 0).phase, 0) << "queue 0's completion discarded";
  Cqe r = d.Reap(1, 1)[0];
  ASSERT_EQ(std::tuple(r.tag, r.status), std::tuple(1, XFERBLK_STS_OK))
      << "queue 1's completion posted as usual";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_COMPLETED), 3u) << "COMPLETED";
}

// null=on: commands are validated and completed, no data moves, the drive is
// not used.
TEST_F(DeviceTest, NullBackendMovesNoData) {
  Case& c = StartCase(CaseOptions()
                          .Props("null=on,max-transfer=8192,max-segments=4,"
                                 "max-segment-size=4096,seg-boundary=0xfff,max-discard-blocks=64")
                          .Qmp());
  Dev& d = c.dev();
  qtest::Qemu& qt = c.qt();
  ASSERT_EQ(d.R32(XFERBLK_REG_FEATURES),
            0x1Fu | XFERBLK_FEAT_NULL | XFERBLK_FEAT_COALESCE | XFERBLK_FEAT_POLLED)
      << "FEATURES";
  ASSERT_EQ(d.R64(XFERBLK_REG_CAPACITY), 2048u) << "CAPACITY: the drive's";
  d.Up({16}, 1);
  const Bytes image = c.Image(0, 1 << 20);
  const Bytes buffer = Pattern(3, 8192);
  qt.Write(kRamData, buffer);
  qt.Write(kRamSgl, SgList({{kRamData, 4096}, {kRamData + 4096, 4096}}));

  Cqe r = d.Run(0, Cmd(XFERBLK_OP_READ, 1).Lba(8).Blocks(16).Sgl(kRamSgl, 2));
  ASSERT_EQ(std::tuple(r.tag, r.status, r.result), std::tuple(1, XFERBLK_STS_OK, 8192)) << "READ";
  ASSERT_TRUE(SameBytes(qt.Read(kRamData, 8192), buffer)) << "READ left the buffer alone";
  ASSERT_TRUE(d.MsiSeen(0)) << "MSI-X after READ";
  r = d.Run(0, Cmd(XFERBLK_OP_WRITE, 2).Lba(8).Blocks(16).Sgl(kRamSgl, 2).Flags(XFERBLK_CMD_FUA));
  ASSERT_EQ(std::tuple(r.tag, r.status, r.result), std::tuple(2, XFERBLK_STS_OK, 8192)) << "WRITE";
  for (const Cmd& cmd :
       {Cmd(XFERBLK_OP_FLUSH, 3), Cmd(XFERBLK_OP_DISCARD, 4).Lba(64).Blocks(64),
        Cmd(XFERBLK_OP_WRITE_ZEROES, 5).Lba(128).Blocks(64).Flags(XFERBLK_CMD_UNMAP),
        Cmd(XFERBLK_OP_WRITE_ZEROES, 6).Lba(200).Blocks(8)}) {
    r = d.Run(0, cmd);
    ASSERT_EQ(std::tuple(r.status, r.result), std::tuple(XFERBLK_STS_OK, 0))
        << "command with tag " << r.tag;
  }
  ASSERT_TRUE(SameBytes(c.Image(0, 1 << 20), image)) << "image untouched";

  struct Row {
    const char* what;
    Cmd entry;
    std::vector<Seg> sg;
    int status;
  };
  const uint64_t buf = kRamData;
  auto rd = [](unsigned nblocks, uint16_t nsge) {
    return Cmd(XFERBLK_OP_WRITE, 9).Blocks(nblocks).Sgl(kRamSgl, nsge);
  };
  const std::vector<Row> rows = {
      {"too large", rd(17, 2), {}, XFERBLK_STS_XFER_TOO_LARGE},
      {"too many segments", rd(16, 5), {}, XFERBLK_STS_TOO_MANY_SEGS},
      {"segment too large", rd(16, 1), {{buf, 8192}}, XFERBLK_STS_SEG_TOO_LARGE},
      {"crosses the boundary",
       rd(16, 2),
       {{buf + 2048, 4096}, {buf + 8192, 4096}},
       XFERBLK_STS_SEG_BOUNDARY},
      {"past the capacity", rd(16, 2).Lba(2040), {}, XFERBLK_STS_LBA_RANGE},
      {"DISCARD too large", Cmd(XFERBLK_OP_DISCARD, 9).Blocks(65), {}, XFERBLK_STS_XFER_TOO_LARGE},
      {"data unmapped", rd(16, 2), {{buf, 4096}, {kUnmapped, 4096}}, XFERBLK_STS_DMA_ERROR},
  };
  for (const Row& row : rows) {
    if (!row.sg.empty()) qt.Write(kRamSgl, SgList(row.sg));
    r = d.Run(0, row.entry);
    ASSERT_EQ(std::tuple(r.tag, r.status, r.result), std::tuple(9, row.status, 0)) << row.what;
  }
  ASSERT_TRUE(SameBytes(c.Image(0, 1 << 20), image)) << "image untouched";
  ASSERT_TRUE(SameBytes(qt.Read(kRamData, 8192), buffer)) << "buffer untouched";

  ASSERT_TRUE(d.CountersAre(
      {Cnt(XFERBLK_CNT_COMMANDS, 13), Cnt(XFERBLK_CNT_COMPLETED, 13), Cnt(XFERBLK_CNT_READS, 1),
       Cnt(XFERBLK_CNT_WRITES, 1), Cnt(XFERBLK_CNT_FUA_WRITES, 1), Cnt(XFERBLK_CNT_FLUSHES, 1),
       Cnt(XFERBLK_CNT_DISCARDS, 1), Cnt(XFERBLK_CNT_WRITE_ZEROES, 2),
       Cnt(XFERBLK_CNT_BYTES_READ, 8192), Cnt(XFERBLK_CNT_BYTES_WRITTEN, 8192),
       Cnt(XFERBLK_CNT_SEGMENTS, 4), Cnt(XFERBLK_CNT_REJECTED, 6), Cnt(XFERBLK_CNT_MAX_INFLIGHT, 1),
       Cnt(XFERBLK_CNT_FAULTS, 0), Cnt(StatusCounter(XFERBLK_STS_OK), 6),
       Cnt(StatusCounter(XFERBLK_STS_DMA_ERROR), 1)}));
  for (const char* stat :
       {"rd_operations", "wr_operations", "flush_operations", "unmap_operations",
        "invalid_rd_operations", "invalid_wr_operations", "invalid_unmap_operations"}) {
    ASSERT_EQ(c.BlockStat(stat), 0) << "block layer " << stat;
  }
}

// null=on without a drive: every command a doorbell fetches is completed
// before the doorbell write returns, unless a delay is injected; faults
// apply as usual.
TEST_F(DeviceTest, NullBackendInline) {
  Case& c = StartCase(CaseOptions().NoDrive().Props("null=on,null-size=64M,queue-depth=32"));
  Dev& d = c.dev();
  qtest::Qemu& qt = c.qt();
  ASSERT_EQ(d.R64(XFERBLK_REG_CAPACITY), uint64_t{64 << 20} / 512) << "CAPACITY: null-size";
  ASSERT_EQ(d.R32(XFERBLK_REG_FEATURES) & XFERBLK_FEAT_NULL, uint32_t{XFERBLK_FEAT_NULL})
      << "FEATURES.NULL";
  d.Up({32}, 1);
  std::vector<Cmd> entries;
  for (unsigned t = 0; t < 31; t++) {
    uint64_t sgl = kRamSgl + 16 * t;
    qt.Write(sgl, SgList({{kRamData + 0x8000 * t, 0x8000}}));
    entries.push_back(Cmd(t % 2 ? XFERBLK_OP_WRITE : XFERBLK_OP_READ, t)
                          .Lba(uint64_t{4096} * t)
                          .Blocks(64)
                          .Sgl(sgl, 1));
  }
  for (int round = 0; round < 3; round++) {  // the CQ wraps: both phases
    d.MsiClear();
    d.Submit(0, entries);
    std::vector<Cqe> done = d.Reap(0, 31, Millis(0));  // no waiting
    for (unsigned t = 0; t < 31; t++) {
      ASSERT_EQ(std::tuple(done[t].tag, done[t].status, done[t].result),
                std::tuple(int(t), XFERBLK_STS_OK, 0x8000))
          << "round " << round << ", completion " << t;
    }
    ASSERT_TRUE(d.MsiSeen(0)) << "MSI-X in round " << round;
  }
  ASSERT_TRUE(
      d.CountersAre({Cnt(XFERBLK_CNT_MAX_INFLIGHT, 31), Cnt(XFERBLK_CNT_COMPLETED, 93),
                     Cnt(XFERBLK_CNT_READS, 48), Cnt(XFERBLK_CNT_WRITES, 45),
                     Cnt(XFERBLK_CNT_BYTES_READ, 48 * 0x8000), Cnt(XFERBLK_CNT_SEGMENTS, 93)}));
  QueueState& st = d.State(0);

  // FAULT_DELAY_US holds completions as usual
  d.W32(XFERBLK_REG_FAULT_DELAY_US, 200);
  d.Submit(0, {Cmd(XFERBLK_OP_FLUSH, 1), entries[0]});
  WatchQuietly(Millis(100));
  ASSERT_NE(d.PeekCqe(0, st.head).phase, st.phase) << "nothing before the delay";
  qt.Cmd("clock_step 150000");
  WatchQuietly(Millis(100));
  ASSERT_NE(d.PeekCqe(0, st.head).phase, st.phase) << "nothing after 150 us";
  qt.Cmd("clock_step 60000");
  ASSERT_EQ(AsTagStatus(d.Reap(0, 2)),
            (std::vector<TagStatus>{{1, XFERBLK_STS_OK}, {0, XFERBLK_STS_OK}}))
      << "delayed completions";
  d.W32(XFERBLK_REG_FAULT_DELAY_US, 0);

  // injected faults
  d.W32(XFERBLK_REG_FAULT_DMA_NTH, 1);
  Cqe r = d.Run(0, entries[0]);
  ASSERT_EQ(std::tuple(r.status, r.result), std::tuple(XFERBLK_STS_DMA_ERROR, 0)) << "DMA fault";
  d.W32(XFERBLK_REG_FAULT_FAIL_NTH, 1);
  r = d.Run(0, entries[1]);
  ASSERT_EQ(r.status, XFERBLK_STS_MEDIA_ERROR) << "failure";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_FAULTS), 2u) << "FAULTS";

  d.W32(XFERBLK_REG_CTRL, XFERBLK_CTRL_RESET);
  ASSERT_EQ(d.R32(XFERBLK_REG_STATUS), 0u) << "reset";
}

// Merging. Commands of 128 KiB (256 blocks) through two 64 KiB SG entries:
// command t reads or writes buffer t, its SG list at kRamSgl + 0x100 * t.
constexpr uint32_t kMergeBlocks = 256;
constexpr uint32_t kMergeBytes = kMergeBlocks * 512;

uint64_t MergeBuf(unsigned t) { return kRamData + uint64_t{kMergeBytes} * t; }

Cmd MergeCmd(qtest::Qemu& qt, unsigned opcode, unsigned t, uint64_t lba) {
  uint64_t sgl = kRamSgl + 0x100 * t;
  qt.Write(sgl, SgList({{MergeBuf(t), kMergeBytes / 2},
                        {MergeBuf(t) + kMergeBytes / 2, kMergeBytes / 2}}));
  return Cmd(opcode, t).Lba(lba).Blocks(kMergeBlocks).Sgl(sgl, 2);
}

// Completions sorted by tag.
std::vector<TagStatusResult> ByTag(const std::vector<Cqe>& cqes) {
  std::vector<TagStatusResult> out = AsTagStatusResult(cqes);
  std::sort(out.begin(), out.end());
  return out;
}

// Commands 0-7 of one opcode, LBA-contiguous from `lba`.
std::vector<Cmd> MergeGroup(qtest::Qemu& qt, unsigned opcode, uint64_t lba) {
  std::vector<Cmd> cmds;
  for (unsigned t = 0; t < 8; t++) cmds.push_back(MergeCmd(qt, opcode, t, lba + kMergeBlocks * t));
  return cmds;
}

// The completions of commands 0-7, by tag: each moved its 128 KiB, but for
// those `failed` (tag, status), which moved nothing.
std::vector<TagStatusResult> MergeWant(const std::map<int, int>& failed = {}) {
  std::vector<TagStatusResult> want;
  for (int t = 0; t < 8; t++) {
    auto f = failed.find(t);
    if (f == failed.end()) {
      want.emplace_back(t, XFERBLK_STS_OK, kMergeBytes);
    } else {
      want.emplace_back(t, f->second, 0);
    }
  }
  return want;
}

// Whether buffer t holds the image's data at command t's LBA, for every
// command t of `cmds` but those in `skip`.
::testing::AssertionResult BuffersHoldImage(Case& c, const std::vector<Cmd>& cmds,
                                            std::initializer_list<unsigned> skip = {}) {
  for (unsigned t = 0; t < cmds.size(); t++) {
    if (std::find(skip.begin(), skip.end(), t) != skip.end()) continue;
    ::testing::AssertionResult same =
        SameBytes(c.qt().Read(MergeBuf(t), kMergeBytes), c.Image(cmds[t].lba() * 512, kMergeBytes));
    if (!same)
      return ::testing::AssertionFailure() << "data of read " << t << ": " << same.message();
  }
  return ::testing::AssertionSuccess();
}

// Contiguous READs of one doorbell: one backend request, each command its
// own completion and data; a command that does not follow on splits them.
TEST_F(DeviceTest, MergeReads) {
  Case& c = StartCase(CaseOptions().Size(4 << 20).Props("queue-depth=16").Qmp().Up({16}, 1));
  Dev& d = c.dev();
  qtest::Qemu& qt = c.qt();

  // 8 x 128 KiB, LBA-contiguous: 1 MiB in one request
  std::vector<Cmd> cmds = MergeGroup(qt, XFERBLK_OP_READ, 256);
  qt.Write(kRamData, Zeros(8 * kMergeBytes));
  d.Submit(0, cmds);
  ASSERT_EQ(ByTag(d.Reap(0, 8)), MergeWant()) << "8 completions of their own";
  ASSERT_TRUE(BuffersHoldImage(c, cmds));
  ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_BACKEND_REQS, 1), Cnt(XFERBLK_CNT_COMMANDS, 8),
                             Cnt(XFERBLK_CNT_COMPLETED, 8), Cnt(XFERBLK_CNT_READS, 8),
                             Cnt(XFERBLK_CNT_BYTES_READ, 8 * kMergeBytes),
                             Cnt(XFERBLK_CNT_SEGMENTS, 16), Cnt(XFERBLK_CNT_MAX_INFLIGHT, 8)}));
  ASSERT_EQ(c.BlockStat("rd_operations"), 8) << "block layer: one read per command";
  ASSERT_EQ(c.BlockStat("rd_merged"), 7) << "block layer: 7 merged";

  // command 3 elsewhere: 0-2, 3, 4-7
  d.W32(XFERBLK_REG_COUNTER_RESET, 1);
  cmds[3] = MergeCmd(qt, XFERBLK_OP_READ, 3, 6000);
  qt.Write(kRamData, Zeros(8 * kMergeBytes));
  d.Submit(0, cmds);
  ASSERT_EQ(ByTag(d.Reap(0, 8)), MergeWant()) << "split group";
  ASSERT_TRUE(BuffersHoldImage(c, cmds)) << "split";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_BACKEND_REQS), 3u) << "BACKEND_REQS: split in three";

  // rejects stay rejects and end no group: a duplicate tag (0) and a
  // reserved field, both fetched amid the group, which goes on past them
  d.W32(XFERBLK_REG_COUNTER_RESET, 1);
  cmds[3] = MergeCmd(qt, XFERBLK_OP_READ, 3, 256 + kMergeBlocks * 3);
  std::vector<Cmd> with_rejects = cmds;
  with_rejects.insert(with_rejects.begin() + 2, Cmd(XFERBLK_OP_READ, 0)
                                                    .Lba(256 + 2 * kMergeBlocks)
                                                    .Blocks(kMergeBlocks)
                                                    .Sgl(kRamSgl + 0x200, 2));
  with_rejects.insert(with_rejects.begin() + 6, Cmd(XFERBLK_OP_READ, 9)
                                                    .Lba(256 + 5 * kMergeBlocks)
                                                    .Blocks(kMergeBlocks)
                                                    .Sgl(kRamSgl + 0x500, 2)
                                                    .Rsvd1(1));
  qt.Write(kRamData, Zeros(8 * kMergeBytes));
  d.Submit(0, with_rejects);
  std::vector<Cqe> got = d.Reap(0, 10);
  std::vector<TagStatusResult> want_rej = MergeWant();
  want_rej.emplace_back(0, XFERBLK_STS_INVALID_FIELD, 0);
  want_rej.emplace_back(9, XFERBLK_STS_INVALID_FIELD, 0);
  std::sort(want_rej.begin(), want_rej.end());
  ASSERT_EQ(ByTag(got), want_rej) << "two rejects amid the group";
  ASSERT_TRUE(BuffersHoldImage(c, cmds)) << "rejects";
  // BACKEND_REQS: one group still
  ASSERT_TRUE(d.CountersAre(
      {Cnt(XFERBLK_CNT_REJECTED, 2), Cnt(XFERBLK_CNT_READS, 8), Cnt(XFERBLK_CNT_BACKEND_REQS, 1)}));
}

// Contiguous WRITEs merge while their FUA flag is the same; the data lands.
TEST_F(DeviceTest, MergeWrites) {
  Case& c = StartCase(CaseOptions().Size(4 << 20).Props("queue-depth=16").Up({16}));
  Dev& d = c.dev();
  qtest::Qemu& qt = c.qt();
  std::vector<Cmd> cmds = MergeGroup(qt, XFERBLK_OP_WRITE, 512);
  for (unsigned t = 0; t < 8; t++) {
    qt.Write(MergeBuf(t), Pattern(t + 1, kMergeBytes));
    if (t >= 4) cmds[t].Flags(XFERBLK_CMD_FUA);
  }
  d.Submit(0, cmds);
  ASSERT_EQ(ByTag(d.Reap(0, 8)), MergeWant()) << "8 completions";
  for (unsigned t = 0; t < 8; t++) {
    ASSERT_TRUE(SameBytes(c.Image((512 + kMergeBlocks * t) * 512, kMergeBytes),
                          Pattern(t + 1, kMergeBytes)))
        << "image after write " << t;
  }
  const Bytes orig = Pattern(99, 4 << 20);
  ASSERT_TRUE(SameBytes(c.Image(0, 512 * 512), std::span<const uint8_t>(orig).first(512 * 512)))
      << "image before the writes";
  ASSERT_TRUE(SameBytes(c.Image(2560 * 512, 4096),
                        std::span<const uint8_t>(orig).subspan(2560 * 512, 4096)))
      << "image after the writes";
  // BACKEND_REQS: plain, then FUA
  ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_BACKEND_REQS, 2), Cnt(XFERBLK_CNT_WRITES, 8),
                             Cnt(XFERBLK_CNT_FUA_WRITES, 4),
                             Cnt(XFERBLK_CNT_BYTES_WRITTEN, 8 * kMergeBytes)}));
}

// A command with a fault injected is never merged: it fails alone, the
// others go on; with completions held back (FAULT_DELAY_US) nothing merges.
TEST_F(DeviceTest, MergeFaults) {
  Case& c = StartCase(CaseOptions().Size(4 << 20).Props("queue-depth=16").Up({16}));
  Dev& d = c.dev();
  qtest::Qemu& qt = c.qt();
  std::vector<Cmd> cmds = MergeGroup(qt, XFERBLK_OP_READ, 0);
  qt.Write(kRamData, Zeros(8 * kMergeBytes));
  d.W32(XFERBLK_REG_FAULT_FAIL_NTH, 4);  // command 3
  d.W32(XFERBLK_REG_FAULT_DMA_NTH, 6);   // command 5
  d.Submit(0, cmds);
  ASSERT_EQ(ByTag(d.Reap(0, 8)),
            MergeWant({{3, XFERBLK_STS_MEDIA_ERROR}, {5, XFERBLK_STS_DMA_ERROR}}))
      << "the faults hit their commands only";
  ASSERT_TRUE(BuffersHoldImage(c, cmds, {3, 5}));
  for (unsigned t : {3u, 5u}) {
    ASSERT_TRUE(SameBytes(qt.Read(MergeBuf(t), kMergeBytes), Zeros(kMergeBytes)))
        << "data of read " << t;
  }
  // 0-2 merged, 3 never reaches the backend, 4 alone, 5 alone, 6-7 merged
  ASSERT_TRUE(d.CountersAre(
      {Cnt(XFERBLK_CNT_BACKEND_REQS, 4), Cnt(XFERBLK_CNT_FAULTS, 2), Cnt(XFERBLK_CNT_READS, 6)}));

  // an LBA range fault over command 2
  d.W32(XFERBLK_REG_COUNTER_RESET, 1);
  d.W64(XFERBLK_REG_FAULT_LBA_START, 2 * kMergeBlocks + 10);
  d.W64(XFERBLK_REG_FAULT_LBA_COUNT, 1);
  d.Submit(0, cmds);
  ASSERT_EQ(ByTag(d.Reap(0, 8)), MergeWant({{2, XFERBLK_STS_MEDIA_ERROR}})) << "LBA range fault";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_BACKEND_REQS), 2u) << "BACKEND_REQS: 0-1, 3-7";
  d.W64(XFERBLK_REG_FAULT_LBA_COUNT, 0);

  // FAULT_DELAY_US: every command alone
  d.W32(XFERBLK_REG_COUNTER_RESET, 1);
  d.W32(XFERBLK_REG_FAULT_DELAY_US, 100);
  d.Submit(0, cmds);
  QueueState& st = d.State(0);
  const uint32_t last = (st.head + 7) % st.depth;
  const int last_phase = last < st.head ? st.phase ^ 1 : st.phase;
  ASSERT_TRUE(PollUntil(
      [&] {
        qt.Cmd("clock_step 1000000");
        return d.PeekCqe(0, last).phase == last_phase;
      },
      kReapTimeout))
      << "8 delayed completions";
  std::vector<Cqe> got = d.Reap(0, 8);
  ASSERT_EQ(ByTag(got), MergeWant()) << "delayed completions";
  ASSERT_EQ(d.Counter(XFERBLK_CNT_BACKEND_REQS), 8u) << "BACKEND_REQS: no merging under a delay";
}

// A merged request that fails is retried command by command: only the
// command over the bad sector fails.
TEST_F(DeviceTest, MergeRetry) {
  Case& c = StartCase(
      CaseOptions().Size(4 << 20).Props("queue-depth=16").Drive(BadSectorDrive(1300)).Up({16}));
  Dev& d = c.dev();
  qtest::Qemu& qt = c.qt();
  std::vector<Cmd> cmds = MergeGroup(qt, XFERBLK_OP_READ, 0);
  qt.Write(kRamData, Zeros(8 * kMergeBytes));
  d.Submit(0, cmds);
  ASSERT_EQ(ByTag(d.Reap(0, 8)), MergeWant({{5, XFERBLK_STS_MEDIA_ERROR}}))
      << "sector 1300 is command 5's";
  ASSERT_TRUE(BuffersHoldImage(c, cmds, {5}));
  // BACKEND_REQS: merged, then 8 alone
  ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_BACKEND_REQS, 9), Cnt(XFERBLK_CNT_READS, 7),
                             Cnt(StatusCounter(XFERBLK_STS_MEDIA_ERROR), 1)}));
}

// An ABORT of a merged command waits for the merged request; the target
// ends with ABORTED, the rest of its group as usual.
TEST_F(DeviceTest, MergeAbort) {
  Case& c = StartCase(CaseOptions().Size(4 << 20).Drive(ThrottleDrive(262144)).Up({8}));
  Dev& d = c.dev();
  qtest::Qemu& qt = c.qt();
  ASSERT_EQ(d.Run(0, MergeCmd(qt, XFERBLK_OP_READ, 0, 0)).status, XFERBLK_STS_OK) << "priming read";
  d.Submit(0, {MergeCmd(qt, XFERBLK_OP_READ, 1, 1024),
               MergeCmd(qt, XFERBLK_OP_READ, 2, 1024 + kMergeBlocks)});
  d.Submit(0, {Cmd(XFERBLK_OP_ABORT, 5).Lba(2)});
  ASSERT_EQ(d.PeekCqe(0, 1).phase, 0) << "ABORT waits for the merged request";
  std::vector<Cqe> got = d.Reap(0, 3);
  ASSERT_EQ(ByTag(got), (std::vector<TagStatusResult>{{1, XFERBLK_STS_OK, kMergeBytes},
                                                      {2, XFERBLK_STS_ABORTED, 0},
                                                      {5, XFERBLK_STS_OK, 1}}))
      << "completions";
  auto pos = [&](int tag) {
    return std::find_if(got.begin(), got.end(), [&](const Cqe& x) { return x.tag == tag; });
  };
  ASSERT_LT(pos(2), pos(5)) << "target before the ABORT";
  // BACKEND_REQS: priming, merged
  ASSERT_TRUE(d.CountersAre({Cnt(XFERBLK_CNT_BACKEND_REQS, 2), Cnt(XFERBLK_CNT_ABORTS, 1)}));
}

}  // namespace
