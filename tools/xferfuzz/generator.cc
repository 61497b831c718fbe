// SPDX-License-Identifier: GPL-2.0-only

#include "generator.hh"

#include <algorithm>
#include <array>
#include <bit>
#include <initializer_list>
#include <random>
#include <string>
#include <utility>

#include "uapi/xferblk_hw.h"

namespace xferfuzz {

namespace {

// Guest RAM layout of the driver-like parts: queue q's SQ at kRingBase +
// kRingStride * q and its CQ kCqOffset above (rings of up to 1024 entries
// fit), SG lists in 1 KiB slots (64 entries) from kSglBase, data buffers in
// [kDataBase, kDataEnd).
constexpr uint64_t kRingBase = 0x100000;
constexpr uint64_t kRingStride = 0x20000;
constexpr uint64_t kCqOffset = 0x10000;
constexpr uint64_t kSglBase = 0x900000;
constexpr uint64_t kSglSlot = 0x400;
constexpr uint64_t kSglSlots = 4096;
constexpr uint64_t kDataBase = 0x1000000;
constexpr uint64_t kDataEnd = kRamSize;
constexpr uint32_t kMaxSgesWritten = kSglSlot / sizeof(xferblk_sge);

// Where an address can point that a driver would never use: the device's own
// BARs, other devices' MMIO (the local APIC's MSI window, the I/O APIC),
// ROM, holes, the end of RAM, the top of the address space.
constexpr uint64_t kOddPlaces[] = {
    kBar0,
    kBar0 + XFERBLK_REG_CTRL,
    kBar0 + XFERBLK_REG_FAULT_FAIL_NTH,
    kBar0 + XFERBLK_REG_COUNTERS,
    kBar0 + XFERBLK_REG_QUEUE_BASE,
    kBar0 + XFERBLK_REG_DOORBELL_BASE,
    kBar0 + XFERBLK_BAR0_SIZE - 64,
    kBar2,
    kBar2 + 0x800,
    0xFEE00000,
    0xFEC00000,
    0xA0000,
    0xC0000,
    0xF0000,
    0xFFFF0000,
    kRamSize - 64,
    kRamSize - 8,
    kRamSize,
    1ULL << 32,
    1ULL << 40,
    0x8000000000000000ULL,
    0xFFFFFFFFFFFFF000ULL,
    0xFFFFFFFFFFFFFFC0ULL,
    0xFFFFFFFFFFFFFFF0ULL,
};

uint64_t Mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ULL;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44dULL;
  x ^= x >> 33;
  return x;
}

#ifdef XFERBLK_REG_FAULT_CHAOS_PPM
constexpr uint64_t kFaultCases = 20;
#else
constexpr uint64_t kFaultCases = 17;
#endif

// Random numbers: std::mt19937_64, whose sequence the standard fixes, mapped
// onto ranges by a multiply-shift of our own (the standard distributions
// differ between libraries; replays must not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}

  uint64_t Next() { return gen_(); }
  // [0, n); 0 for n == 0.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // [lo, hi]
  uint64_t Between(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
  bool Chance(unsigned percent) { return Below(100) < percent; }
  template <typename T>
  T Pick(std::initializer_list<T> choices) {
    return *(choices.begin() + Below(choices.size()));
  }
  template <typename T, size_t N>
  T Pick(const T (&choices)[N]) {
    return choices[Below(N)];
  }

 private:
  std::mt19937_64 gen_;
};

// An index by weight: Weighted({3, 1}) is 0 three times in four.
size_t Weighted(Rng& r, std::initializer_list<unsigned> weights) {
  unsigned total = 0;
  for (unsigned w : weights) total += w;
  uint64_t x = r.Below(total);
  size_t i = 0;
  for (unsigned w : weights) {
    if (x < w) return i;
    x -= w;
    i++;
  }
  return 0;
}

std::string Prop(const std::string& key, uint64_t value) {
  return key + "=" + std::to_string(value);
}

// What the generator expects of one queue, by the device's rules: the
// registers change only while the queue is disabled, enabling checks them
// and restarts the rings at 0.
struct QueueShadow {
  uint64_t reg_sq = 0, reg_cq = 0;  // the registers, as last written
  uint32_t reg_depth = 0, reg_vector = 0;
  bool on = false;  // enabled, using the rings below
  uint64_t sq = 0;
  uint64_t cq = 0;
  uint32_t depth = 0;  // may be absurd while not on
  uint32_t tail = 0;   // the next SQ slot the generator fills
  uint64_t next_lba = 0;
  uint16_t next_tag = 0;
  std::vector<uint16_t> recent_tags;

  // A depth usable for ring arithmetic.
  uint32_t Slots() const { return depth >= 2 && depth <= 4096 ? depth : 16; }
};

class InstanceGen {
 public:
  InstanceGen(uint64_t seed, size_t length) : r_(seed), length_(length), limit_(length) {}

  std::vector<Op> Run();

 private:
  void Emit(Op op) { ops_.push_back(std::move(op)); }
  bool Full() const { return ops_.size() >= limit_; }
  void W(uint64_t off, unsigned size, uint64_t v) { Emit(WriteOp(Bar0(off), size, v)); }

  unsigned PickQueue() { return static_cast<unsigned>(r_.Below(g_.queues)); }
  uint64_t OddAddr(uint64_t align);
  static uint64_t RingAddr(unsigned q, bool cq);
  uint64_t SglAddr(unsigned q, uint32_t slot) const {
    return kSglBase + ((q * 1024ULL + slot) % kSglSlots) * kSglSlot;
  }
  uint64_t Lba(QueueShadow& s, uint64_t nblocks);
  uint16_t Tag(QueueShadow& s);
  uint64_t Interesting32();

  void BringUp();
  void SetupQueue(unsigned q, bool odd);
  void Enable(unsigned q);  // QCTRL.ENABLE written
  void Submit();
  void SubmitOn(unsigned q, unsigned n);
  Sqe ValidishSqe(unsigned q, uint32_t slot, std::vector<Op>& sges);
  Sqe WildSqe(unsigned q, uint32_t slot, std::vector<Op>& sges);
  uint16_t BuildSgl(uint64_t bytes, uint64_t sgl, std::vector<Op>& sges);
  void SqDoorbellOdd();
  void CqDoorbell();
  void QueueReg();
  void QueueToggle();
  void Ctrl();
  void Fault();
  void Step();
  void Wait();
  void ReadReg();
  void WildWrite();
  void Msix();
  void Garbage();
  void Cfg();
  void SystemReset();
  void DeviceOff();

  Rng r_;
  size_t length_;
  size_t limit_;  // Full() from here on: length_, less before an unplug
  Geometry g_;
  std::vector<Op> ops_;
  std::vector<QueueShadow> q_;
  bool dev_on_ = false;
  uint8_t burst_op_ = 0;
  bool stuck_ = false;  // FAULT_STUCK's RESET bit: CTRL cannot stop the device  // READ or WRITE:
                        // the opcode of every command of this doorbell
};

uint64_t InstanceGen::OddAddr(uint64_t align) {
  switch (Weighted(r_, {10, 3, 3, 2, 2})) {
    case 0:
      return r_.Pick(kOddPlaces);
    case 1: {  // another queue's ring, or this one's, shared
      const QueueShadow& s = q_[PickQueue()];
      return r_.Chance(50) ? s.sq : s.cq;
    }
    case 2: {  // unaligned, in RAM
      const uint64_t base = kRingBase + r_.Below(kRingStride * 4);
      return base - base % 64 + r_.Between(1, align > 1 ? align - 1 : 63);
    }
    case 3:
      return r_.Next() & ~(align - 1);
    default:
      return 0;
  }
}

uint64_t InstanceGen::RingAddr(unsigned q, bool cq) {
  return kRingBase + kRingStride * (q % 64) + (cq ? kCqOffset : 0);
}

uint64_t InstanceGen::Interesting32() {
  return r_.Pick<uint64_t>({0, 1, 2, 3, 4, 7, 8, 16, 255, 256, 4096, 65535, 65536, 0x7FFFFFFF,
                            0x80000000, 0xFFFFFFFE, 0xFFFFFFFF, r_.Next() & 0xFFFFFFFF,
                            r_.Below(64)});
}

uint64_t InstanceGen::Lba(QueueShadow& s, uint64_t nblocks) {
  const uint64_t cap = g_.capacity;
  uint64_t lba;
  switch (Weighted(r_, {45, 45, 10})) {
    case 0:  // after the last one: commands that merge
      lba = s.next_lba + nblocks <= cap ? s.next_lba : 0;
      break;
    case 1:
      lba = cap >= nblocks ? r_.Below(cap - nblocks + 1) : 0;
      break;
    default:
      lba = r_.Pick<uint64_t>({cap - nblocks + 1, cap, cap + 1, cap - 1, ~0ULL, ~0ULL - nblocks + 2,
                               1ULL << 40, 1ULL << 63});
      break;
  }
  s.next_lba = lba + nblocks;
  return lba;
}

uint16_t InstanceGen::Tag(QueueShadow& s) {
  uint16_t tag;
  switch (Weighted(r_, {70, 15, 10, 5})) {
    case 0:
      tag = s.next_tag;
      s.next_tag = static_cast<uint16_t>((s.next_tag + 1) % 64);
      break;
    case 1:
      tag = s.recent_tags.empty() ? 0 : r_.Pick<uint16_t>({s.recent_tags.back(), s.recent_tags[0]});
      break;
    case 2:
      tag = static_cast<uint16_t>(r_.Next());
      break;
    default:
      tag = r_.Pick<uint16_t>({0, 0xFFFF, 0x8000});
      break;
  }
  s.recent_tags.push_back(tag);
  if (s.recent_tags.size() > 16) s.recent_tags.erase(s.recent_tags.begin());
  return tag;
}

void InstanceGen::SetupQueue(unsigned q, bool odd) {
  QueueShadow& s = q_[q];
  uint32_t depth = r_.Pick<uint32_t>({2, 4, 8, 16, 16, 32, 64, 64, 256, 1024});
  if (depth > g_.max_depth && r_.Chance(80)) depth = g_.max_depth;
  if (odd && r_.Chance(30)) depth = static_cast<uint32_t>(Interesting32());
  uint64_t sq = RingAddr(q, false), cq = RingAddr(q, true);
  if (odd) {
    if (r_.Chance(50)) sq = OddAddr(64);
    if (r_.Chance(50)) cq = r_.Chance(30) ? sq + 16 * r_.Below(4) : OddAddr(16);
  }
  const uint32_t qreg = XFERBLK_REG_QUEUE(q);
  if (r_.Chance(90)) {
    W(qreg + XFERBLK_QREG_SQ_ADDR, 8, sq);
  } else {
    W(qreg + XFERBLK_QREG_SQ_ADDR, 4, sq & 0xFFFFFFFF);
    W(qreg + XFERBLK_QREG_SQ_ADDR + 4, 4, sq >> 32);
  }
  W(qreg + XFERBLK_QREG_CQ_ADDR, 8, cq);
  W(qreg + XFERBLK_QREG_DEPTH, 4, depth);
  uint32_t vector = odd && r_.Chance(20) ? static_cast<uint32_t>(Interesting32()) : q % g_.queues;
  W(qreg + XFERBLK_QREG_VECTOR, 4, vector);
  W(qreg + XFERBLK_QREG_CTRL, 4, XFERBLK_QCTRL_ENABLE);
  if (!s.on) {
    s.reg_sq = sq;
    s.reg_cq = cq;
    s.reg_depth = depth;
    s.reg_vector = vector;
  }
  Enable(q);
}

void InstanceGen::Enable(unsigned q) {
  QueueShadow& s = q_[q];
  if (s.on || !dev_on_) return;
  if (s.reg_depth < 2 || s.reg_depth > g_.max_depth || !std::has_single_bit(s.reg_depth) ||
      !s.reg_sq || s.reg_sq % 64 || !s.reg_cq || s.reg_cq % 16 || s.reg_vector >= g_.queues) {
    return;
  }
  s.on = true;
  s.sq = s.reg_sq;
  s.cq = s.reg_cq;
  s.depth = s.reg_depth;
  s.tail = 0;
}

void InstanceGen::BringUp() {
  W(XFERBLK_REG_CTRL, 4, XFERBLK_CTRL_ENABLE);
  dev_on_ = true;  // (also when it was on: a write of ENABLE alone stops nothing)
  unsigned n = r_.Chance(50) ? g_.queues : static_cast<unsigned>(r_.Between(1, g_.queues));
  if (n > 4 && r_.Chance(80)) n = static_cast<unsigned>(r_.Between(1, 4));
  for (unsigned q = 0; q < n && !Full(); q++) SetupQueue(q, r_.Chance(8));
}

// Splits `bytes` into SG entries at `sgl` (added to `sges`), each in guest
// RAM within its SEG_BOUNDARY window and at most MAX_SEG_SIZE long, but for a
// few that are wrong on purpose; returns how many.
uint16_t InstanceGen::BuildSgl(uint64_t bytes, uint64_t sgl, std::vector<Op>& sges) {
  const uint64_t window =
      g_.seg_boundary >= 0xFFFFFFFFULL ? (1ULL << 32) : g_.seg_boundary + 1;  // a power of two
  const uint64_t max_len = std::min<uint64_t>({g_.max_seg_size, window, 1ULL << 20});
  uint64_t k = (bytes + max_len - 1) / max_len;
  if (r_.Chance(40)) k += r_.Below(4);
  k = std::clamp<uint64_t>(k, 1, std::min<uint64_t>(kMaxSgesWritten, bytes));
  // Lengths in units of 512 bytes where possible, each at most max_len.
  const uint64_t unit = bytes % 512 == 0 && bytes / 512 >= k ? 512 : 1;
  const uint64_t units = bytes / unit, max_units = std::max<uint64_t>(max_len / unit, 1);
  // Each entry gets at least what the ones after it cannot hold; the last
  // one takes the rest, too long if k entries cannot hold it all
  // (SEG_TOO_LARGE).
  std::vector<uint64_t> lens(k, 1);
  uint64_t left = units - k;
  for (uint64_t i = 0; i < k && left; i++) {
    const uint64_t room = max_units - 1, after = (k - 1 - i) * room;
    uint64_t add = left;
    if (i + 1 < k) {
      const uint64_t need = left > after ? left - after : 0;
      const uint64_t most = std::min(room, left);
      add = need >= most ? need : r_.Between(need, most);
    }
    lens[i] += add;
    left -= add;
  }
  for (uint64_t i = 0; i < k; i++) {
    Sge e;
    e.len = static_cast<uint32_t>(lens[i] * unit);
    const uint64_t span = std::min<uint64_t>(std::bit_ceil(std::max<uint64_t>(e.len, 1)), window);
    const uint64_t slots = (kDataEnd - kDataBase) / span;
    e.addr = kDataBase + r_.Below(slots ? slots : 1) * span;
    if (r_.Chance(15) && span > e.len) e.addr += r_.Below(span - e.len + 1);  // still inside
    if (r_.Chance(4)) {
      e.addr = r_.Chance(70) ? r_.Pick(kOddPlaces) : kRamSize - e.len / 2;
    }
    if (r_.Chance(3)) {
      e.len = static_cast<uint32_t>(
          r_.Pick<uint64_t>({0, e.len + 1ULL, e.len - 1ULL, 0xFFFFFFFF, g_.max_seg_size + 1ULL}));
    }
    if (r_.Chance(1)) e.rsvd = static_cast<uint32_t>(r_.Next());
    Op op;
    op.kind = OpKind::kSge;
    op.addr = Mem(sgl + 16 * i);
    op.sge = e;
    sges.push_back(std::move(op));
  }
  return static_cast<uint16_t>(k);
}

Sqe InstanceGen::ValidishSqe(unsigned q, uint32_t slot, std::vector<Op>& sges) {
  QueueShadow& s = q_[q];
  Sqe e;
  static constexpr uint8_t kOps[] = {XFERBLK_OP_READ,    XFERBLK_OP_WRITE,        XFERBLK_OP_FLUSH,
                                     XFERBLK_OP_DISCARD, XFERBLK_OP_WRITE_ZEROES, XFERBLK_OP_ABORT};
  size_t which = Weighted(r_, {34, 34, 8, 6, 6, 9, 3});
  e.opcode = which < 6 ? kOps[which] : r_.Pick<uint8_t>({0, 7, 8, 0x81, 0xFF});
  if (burst_op_) e.opcode = burst_op_;
  e.tag = Tag(s);
  const uint64_t max_blocks = std::max<uint64_t>(g_.max_xfer / g_.block_size, 1);
  switch (e.opcode) {
    case XFERBLK_OP_READ:
    case XFERBLK_OP_WRITE: {
      uint64_t n;
      switch (Weighted(r_, {30, 20, 40, burst_op_ ? 0u : 10u})) {
        case 0:
          n = 1;
          break;
        case 1:
          n = max_blocks;
          break;
        case 2:
          n = r_.Between(1, std::min<uint64_t>(max_blocks, 64));
          break;
        default:
          n = max_blocks + r_.Between(1, 2);
          break;
      }
      e.nblocks = static_cast<uint32_t>(n);
      if (burst_op_) {
        e.lba = s.next_lba + n <= g_.capacity ? s.next_lba : 0;
        s.next_lba = e.lba + n;
      } else {
        e.lba = Lba(s, n);
      }
      if (e.opcode == XFERBLK_OP_WRITE && r_.Chance(burst_op_ ? 3 : 25)) {
        e.flags = XFERBLK_CMD_FUA;
      }
      e.sgl = SglAddr(q, slot);
      if (r_.Chance(4)) e.sgl = OddAddr(16);
      const uint64_t bytes = n * g_.block_size;
      uint16_t k = BuildSgl(bytes, e.sgl, sges);
      e.nsge =
          r_.Chance(94)
              ? k
              : r_.Pick<uint16_t>({0, static_cast<uint16_t>(k + 1), static_cast<uint16_t>(k - 1),
                                   static_cast<uint16_t>(g_.max_segs + 1), 0xFFFF});
      break;
    }
    case XFERBLK_OP_DISCARD:
    case XFERBLK_OP_WRITE_ZEROES: {
      const uint64_t limit = e.opcode == XFERBLK_OP_DISCARD ? g_.max_discard : g_.max_wzeroes;
      uint64_t n = r_.Chance(10) ? limit + 1 : r_.Between(1, std::clamp<uint64_t>(limit, 1, 256));
      e.nblocks = static_cast<uint32_t>(n);
      e.lba = Lba(s, n);
      if (e.opcode == XFERBLK_OP_WRITE_ZEROES && r_.Chance(40)) e.flags = XFERBLK_CMD_UNMAP;
      if (r_.Chance(3)) e.nsge = 1;
      break;
    }
    case XFERBLK_OP_FLUSH:
      if (r_.Chance(3)) e.nblocks = 1;
      break;
    case XFERBLK_OP_ABORT:
      e.lba = !s.recent_tags.empty() && r_.Chance(80)
                  ? s.recent_tags[r_.Below(s.recent_tags.size())]
                  : r_.Pick<uint64_t>({r_.Below(64), 65535, 65536, ~0ULL});
      break;
    default:  // an opcode nobody knows, with fields to match
      e.nblocks = static_cast<uint32_t>(r_.Below(16));
      e.nsge = static_cast<uint16_t>(r_.Below(4));
      e.sgl = SglAddr(q, slot);
      break;
  }
  if (r_.Chance(2)) e.flags |= static_cast<uint8_t>(r_.Next());
  if (r_.Chance(2)) {
    switch (r_.Below(3)) {
      case 0:
        e.rsvd0 = static_cast<uint16_t>(r_.Between(1, 0xFFFF));
        break;
      case 1:
        e.rsvd1 = static_cast<uint32_t>(r_.Between(1, 0xFFFFFFFF));
        break;
      default:
        e.rsvd2 = r_.Between(1, ~0ULL - 1);
        break;
    }
  }
  return e;
}

Sqe InstanceGen::WildSqe(unsigned q, uint32_t slot, std::vector<Op>& sges) {
  QueueShadow& s = q_[q];
  Sqe e;
  e.opcode = static_cast<uint8_t>(r_.Chance(70) ? r_.Between(1, 6) : r_.Below(256));
  e.flags = static_cast<uint8_t>(r_.Chance(70) ? 0 : r_.Below(256));
  e.tag = r_.Chance(50) ? Tag(s) : static_cast<uint16_t>(r_.Next());
  e.nsge = static_cast<uint16_t>(r_.Pick<uint64_t>(
      {0, 1, 2, g_.max_segs, g_.max_segs + 1ULL, 4096, 65535, r_.Below(65536), r_.Below(8)}));
  const uint64_t cap = g_.capacity;
  e.lba = r_.Pick<uint64_t>({0, cap - 1, cap, ~0ULL, r_.Below(cap + 1), r_.Next(), 1ULL << 55});
  const uint64_t max_blocks = std::max<uint64_t>(g_.max_xfer / g_.block_size, 1);
  e.nblocks = static_cast<uint32_t>(r_.Pick<uint64_t>(
      {0, 1, max_blocks, max_blocks + 1, 0xFFFFFFFF, 0x800000, 0x80000000, r_.Next(), 8}));
  e.sgl = r_.Chance(50) ? SglAddr(q, slot) : OddAddr(16);
  if (r_.Chance(10)) e.rsvd0 = static_cast<uint16_t>(r_.Next());
  if (r_.Chance(10)) e.rsvd1 = static_cast<uint32_t>(r_.Next());
  if (r_.Chance(10)) e.rsvd2 = r_.Next();
  if (r_.Chance(50)) {
    const uint64_t n = std::min<uint64_t>(e.nsge, 4);
    for (uint64_t i = 0; i < n; i++) {
      Op op;
      op.kind = OpKind::kSge;
      op.addr = Mem(e.sgl + 16 * i);
      op.sge.addr = r_.Chance(50) ? kDataBase + r_.Below(kDataEnd - kDataBase) : OddAddr(1);
      op.sge.len = static_cast<uint32_t>(
          r_.Pick<uint64_t>({1, 512, 4096, g_.max_seg_size, 0xFFFFFFFF, r_.Below(1 << 20), 0}));
      if (r_.Chance(5)) op.sge.rsvd = static_cast<uint32_t>(r_.Next());
      sges.push_back(std::move(op));
    }
  }
  return e;
}

void InstanceGen::SubmitOn(unsigned q, unsigned n) {
  if (Full()) return;
  QueueShadow& s = q_[q];
  const uint32_t slots = s.Slots();
  for (unsigned i = 0; i < n && !Full(); i++) {
    const uint32_t slot = s.tail % slots;
    std::vector<Op> sges;
    Op op;
    op.kind = OpKind::kSqe;
    op.addr = Mem(s.sq + 64ULL * slot);
    op.sqe = r_.Chance(85) ? ValidishSqe(q, slot, sges) : WildSqe(q, slot, sges);
    for (Op& sge : sges) Emit(std::move(sge));
    Emit(std::move(op));
    s.tail = (slot + 1) % slots;
  }
  burst_op_ = 0;
  if (r_.Chance(99)) {
    W(XFERBLK_REG_DOORBELL(q) + XFERBLK_DB_SQ_TAIL, 4, s.tail);
  } else {
    // The device fetches up to there, stale entries included; the next
    // submission follows on from where it stopped.
    s.tail = static_cast<uint32_t>(r_.Below(slots));
    W(XFERBLK_REG_DOORBELL(q) + XFERBLK_DB_SQ_TAIL, 4, s.tail);
  }
}

void InstanceGen::Submit() {
  const unsigned q = PickQueue();
  const uint32_t slots = q_[q].Slots();
  unsigned n = r_.Chance(85) ? static_cast<unsigned>(r_.Between(1, 4))
                             : static_cast<unsigned>(r_.Between(1, std::min<uint32_t>(slots, 48)));
  // A third of the time one kind of data command on consecutive blocks:
  // what the device merges.
  if (n > 1 && r_.Chance(35)) burst_op_ = r_.Chance(50) ? XFERBLK_OP_READ : XFERBLK_OP_WRITE;
  // As a driver reaps before it submits: what was submitted is consumed.
  if (q_[q].on && r_.Chance(50)) {
    W(XFERBLK_REG_DOORBELL(q) + XFERBLK_DB_CQ_HEAD, 4, q_[q].tail);
  }
  SubmitOn(q, n);
}

void InstanceGen::SqDoorbellOdd() {
  const unsigned q = r_.Chance(90) ? PickQueue() : static_cast<unsigned>(r_.Below(66));
  const uint32_t slots = q < g_.queues ? q_[q].Slots() : 16;
  // In range too, now and then: the device fetches stale entries up to
  // there (a few, or up to DEPTH - 1 of them).
  const uint32_t tail = q < g_.queues ? q_[q].tail : 0;
  uint64_t v;
  if (r_.Chance(80)) {
    v = r_.Pick<uint64_t>({slots, slots + 1ULL, 0xFFFFFFFF, 0x80000000, 65536, 1ULL << 16 | 1});
  } else if (r_.Chance(90)) {
    v = (tail + r_.Between(1, 16)) % slots;
  } else {
    v = r_.Below(slots);
  }
  W(XFERBLK_REG_DOORBELL(q) + XFERBLK_DB_SQ_TAIL, 4, v);
  if (q < g_.queues && v < slots) q_[q].tail = static_cast<uint32_t>(v);
}

void InstanceGen::CqDoorbell() {
  const unsigned q = r_.Chance(95) ? PickQueue() : static_cast<unsigned>(r_.Below(66));
  const uint32_t slots = q < g_.queues ? q_[q].Slots() : 16;
  const uint32_t tail = q < g_.queues ? q_[q].tail : 0;
  uint64_t head;
  switch (Weighted(r_, {70, 15, 10, 5})) {
    case 0:  // everything submitted is consumed
      head = tail;
      break;
    case 1:
      head = r_.Below(slots);
      break;
    case 2:
      head = r_.Pick<uint64_t>({slots, slots + 1ULL, 0xFFFFFFFF, 65536});
      break;
    default:
      head = (tail + slots - 1) % slots;
      break;
  }
  W(XFERBLK_REG_DOORBELL(q) + XFERBLK_DB_CQ_HEAD, 4, head);
}

void InstanceGen::QueueReg() {
  const bool ours = r_.Chance(90);
  const unsigned q = ours ? PickQueue() : static_cast<unsigned>(r_.Below(66));
  const uint32_t qreg = XFERBLK_REG_QUEUE(q);
  switch (Weighted(r_, {4, 4, 4, 3, 4, 1})) {
    case 0: {
      uint64_t a = r_.Chance(50) ? RingAddr(q, false) : OddAddr(64);
      if (r_.Chance(80)) {
        W(qreg + XFERBLK_QREG_SQ_ADDR, 8, a);
      } else {
        const uint64_t half = 4 * r_.Below(2);
        W(qreg + XFERBLK_QREG_SQ_ADDR + half, 4, Interesting32());
      }
      if (ours && !q_[q].on) q_[q].reg_sq = a;
      break;
    }
    case 1: {
      uint64_t a = r_.Chance(50) ? RingAddr(q, true) : OddAddr(16);
      if (r_.Chance(80)) {
        W(qreg + XFERBLK_QREG_CQ_ADDR, 8, a);
      } else {
        const uint64_t half = 4 * r_.Below(2);
        W(qreg + XFERBLK_QREG_CQ_ADDR + half, 4, Interesting32());
      }
      if (ours && !q_[q].on) q_[q].reg_cq = a;
      break;
    }
    case 2: {
      uint32_t depth = static_cast<uint32_t>(
          r_.Chance(60) ? r_.Pick<uint64_t>({0, 1, 2, 3, 4, 8, 16, 5, g_.max_depth,
                                             g_.max_depth * 2ULL, 4096, 8192})
                        : Interesting32());
      W(qreg + XFERBLK_QREG_DEPTH, 4, depth);
      if (ours && !q_[q].on) q_[q].reg_depth = depth;
      break;
    }
    case 3: {
      const uint64_t v = r_.Pick<uint64_t>({0, q, g_.queues - 1ULL, g_.queues, 64, 0xFFFFFFFF});
      W(qreg + XFERBLK_QREG_VECTOR, 4, v);
      if (ours && !q_[q].on) q_[q].reg_vector = static_cast<uint32_t>(v);
      break;
    }
    case 4: {
      uint64_t v = r_.Pick<uint64_t>({0, 1, 1, 0, 2, 3, 0xFFFFFFFF});
      W(qreg + XFERBLK_QREG_CTRL, 4, v);
      if (ours && (v & XFERBLK_QCTRL_ENABLE)) Enable(q);
      if (ours && !(v & XFERBLK_QCTRL_ENABLE)) q_[q].on = false;
      break;
    }
    default:
      W(qreg + 0x1c, 4, Interesting32());
      break;
  }
}

void InstanceGen::QueueToggle() {
  const unsigned q = PickQueue();
  const uint32_t qctrl = XFERBLK_REG_QUEUE(q) + XFERBLK_QREG_CTRL;
  if (r_.Chance(60)) SubmitOn(q, static_cast<unsigned>(r_.Between(1, 8)));  // I/O to cut short
  W(qctrl, 4, 0);
  q_[q].on = false;
  if (r_.Chance(50)) {
    SetupQueue(q, r_.Chance(15));  // new rings, enabled again
  } else if (r_.Chance(70)) {
    W(qctrl, 4, XFERBLK_QCTRL_ENABLE);
    Enable(q);
  }
}

void InstanceGen::DeviceOff() {
  dev_on_ = false;
  for (QueueShadow& s : q_) {
    s.on = false;
    s.reg_sq = s.reg_cq = 0;
    s.reg_depth = s.reg_vector = 0;
  }
}

void InstanceGen::Ctrl() {
  uint64_t v = r_.Pick<uint64_t>({1, 1, 1, 2, 2, 0, 3, Interesting32()});
  W(XFERBLK_REG_CTRL, 4, v);
  const bool stops = (v & XFERBLK_CTRL_RESET) || !(v & XFERBLK_CTRL_ENABLE);
  if (stops && stuck_) return;  // FAULT_STUCK: ignored
  if (v & XFERBLK_CTRL_RESET) {
    DeviceOff();
  } else if (v & XFERBLK_CTRL_ENABLE) {
    dev_on_ = true;
  } else if (dev_on_) {
    DeviceOff();
  }
}

void InstanceGen::Fault() {
  const uint64_t cap = g_.capacity;
  switch (r_.Below(kFaultCases)) {
    case 0:
      W(XFERBLK_REG_FAULT_FAIL_NTH, 4, r_.Between(1, 6));
      break;
    case 1:
      W(XFERBLK_REG_FAULT_STATUS, 4, r_.Chance(80) ? r_.Between(1, 10) : Interesting32());
      break;
    case 2:
      W(XFERBLK_REG_FAULT_HANG_NTH, 4, r_.Between(1, 6));
      break;
    case 3:
      W(XFERBLK_REG_FAULT_DELAY_US, 4,
        r_.Pick<uint64_t>({0, 0, 1, 10, 100, 1000, 100000, 0xFFFFFFFF}));
      break;
    case 4:
      W(XFERBLK_REG_FAULT_JITTER_US, 4, r_.Pick<uint64_t>({0, 0, 1, 50, 1000, 0xFFFFFFFF}));
      break;
    // The faults that stay armed are disarmed as often as armed, or most
    // commands would fail.
    case 5:
      W(XFERBLK_REG_FAULT_EVERY_N, 4, r_.Pick<uint64_t>({0, 0, 0, 0, 1, 2, 3, 7, 0xFFFFFFFF}));
      break;
    case 6:
      W(XFERBLK_REG_FAULT_PROB_PPM, 4,
        r_.Pick<uint64_t>({0, 0, 0, 0, 1000, 100000, 500000, 1000000, 0xFFFFFFFF}));
      break;
    case 7:
      W(XFERBLK_REG_FAULT_SEED, 4, r_.Next() & 0xFFFFFFFF);
      break;
    case 8: {
      uint64_t start = r_.Pick<uint64_t>({0, r_.Below(cap + 1), cap, ~0ULL});
      if (r_.Chance(70)) {
        W(XFERBLK_REG_FAULT_LBA_START, 8, start);
      } else {
        W(XFERBLK_REG_FAULT_LBA_START + 4 * r_.Below(2), 4, start & 0xFFFFFFFF);
      }
      break;
    }
    case 9:
      W(XFERBLK_REG_FAULT_LBA_COUNT, 8, r_.Pick<uint64_t>({0, 0, 0, 0, 1, 8, 64, cap, ~0ULL}));
      break;
    case 10:
      W(XFERBLK_REG_FAULT_DMA_NTH, 4, r_.Between(1, 6));
      break;
    case 11:
      W(XFERBLK_REG_FAULT_HOSTILE, 4, r_.Chance(90) ? r_.Between(1, 7) : Interesting32());
      break;
    case 12:
      W(XFERBLK_REG_FAULT_SHORT_NTH, 4, r_.Between(1, 6));
      break;
    case 13: {
      const uint64_t v = r_.Pick<uint64_t>({0, 0, 0, 1, 2, 3, 0xFFFFFFFF});
      W(XFERBLK_REG_FAULT_STUCK, 4, v);
      stuck_ = v & XFERBLK_STUCK_RESET;
      break;
    }
    case 14:
    case 15:
      W(XFERBLK_REG_FAULT_RELEASE, 4, r_.Next() & 0xFFFFFFFF);
      break;
    case 16:
      W(XFERBLK_REG_COUNTER_RESET, 4, r_.Next() & 0xFFFFFFFF);
      break;
#ifdef XFERBLK_REG_FAULT_CHAOS_PPM  // spec 1.3: a lying device
    case 17:
      W(XFERBLK_REG_FAULT_CHAOS_PPM, 4,
        r_.Pick<uint64_t>({0, 0, 1000, 100000, 500000, 1000000, 0xFFFFFFFF}));
      break;
    case 18:  // spec 1.4: interrupt coalescing, reserved bits included
      W(XFERBLK_REG_INTR_COALESCE, 4,
        r_.Pick<uint64_t>({0, 0x10008, 0xFFFF00FF, 0x1000002, Interesting32()}));
      break;
    default:
      W(XFERBLK_REG_FAULT_CHAOS_KINDS, 4,
        r_.Pick<uint64_t>(
            {0, 0xFF, 1ULL << r_.Below(XFERBLK_CHAOS_NR), r_.Below(256), 0xFFFFFFFF}));
      break;
#endif
  }
}

void InstanceGen::Wait() {
  Op op;
  op.kind = OpKind::kWait;
  op.value = r_.Pick<uint64_t>({1, 1, 1, 2, 5, 20});
  Emit(std::move(op));
}

void InstanceGen::Step() {
  Emit(StepOp(r_.Pick<uint64_t>(
      {1, 1000, 10000, 100000, 100000, 1000000, 1000000, 10000000, 100000000, 1000000000})));
}

void InstanceGen::ReadReg() {
  static constexpr uint32_t kRegs[] = {
      XFERBLK_REG_MAGIC,           XFERBLK_REG_VERSION,           XFERBLK_REG_CAPACITY,
      XFERBLK_REG_BLOCK_SIZE,      XFERBLK_REG_MAX_XFER,          XFERBLK_REG_MAX_SEGS,
      XFERBLK_REG_MAX_SEG_SIZE,    XFERBLK_REG_SEG_BOUNDARY,      XFERBLK_REG_NUM_QUEUES,
      XFERBLK_REG_MAX_DEPTH,       XFERBLK_REG_FEATURES,          XFERBLK_REG_MAX_DISCARD,
      XFERBLK_REG_DISCARD_GRAN,    XFERBLK_REG_MAX_WZEROES,       XFERBLK_REG_CTRL,
      XFERBLK_REG_STATUS,          XFERBLK_REG_COUNTER_RESET,     XFERBLK_REG_FAULT_FAIL_NTH,
      XFERBLK_REG_FAULT_STATUS,    XFERBLK_REG_FAULT_HANG_NTH,    XFERBLK_REG_FAULT_DELAY_US,
      XFERBLK_REG_FAULT_JITTER_US, XFERBLK_REG_FAULT_EVERY_N,     XFERBLK_REG_FAULT_PROB_PPM,
      XFERBLK_REG_FAULT_SEED,      XFERBLK_REG_FAULT_LBA_START,   XFERBLK_REG_FAULT_LBA_COUNT,
      XFERBLK_REG_FAULT_DMA_NTH,   XFERBLK_REG_FAULT_HOSTILE,     XFERBLK_REG_FAULT_SHORT_NTH,
      XFERBLK_REG_FAULT_STUCK,     XFERBLK_REG_FAULT_RELEASE,
#ifdef XFERBLK_REG_FAULT_CHAOS_PPM
      XFERBLK_REG_FAULT_CHAOS_PPM, XFERBLK_REG_FAULT_CHAOS_KINDS, XFERBLK_REG_INTR_COALESCE,
#endif
  };
  // (One draw per statement: the order of a call's arguments is unspecified.)
  Addr a;
  unsigned size = 4;
  switch (Weighted(r_, {40, 25, 20, 7, 4, 4})) {
    case 0:
      a = Bar0(r_.Pick(kRegs));
      size = r_.Chance(85) ? 4 : 8;
#ifdef XFERBLK_REG_FAULT_CHAOS_LIES
      if (r_.Chance(5)) a = Bar0(XFERBLK_REG_FAULT_CHAOS_LIES + 8 * r_.Below(XFERBLK_CHAOS_NR + 1));
#endif
      break;
    case 1:
      a = Bar0(XFERBLK_REG_COUNTERS + 8 * r_.Below(XFERBLK_CNT_NR));
      size = r_.Chance(70) ? 8 : 4;
      break;
    case 2: {
      const unsigned q = r_.Chance(90) ? PickQueue() : static_cast<unsigned>(r_.Below(66));
      a = Bar0(XFERBLK_REG_QUEUE(q) + 4 * r_.Below(8));
      size = r_.Chance(80) ? 4 : 8;
      break;
    }
    case 3:
      a = Bar0(4 * r_.Below(XFERBLK_BAR0_SIZE / 4 + 64));
      break;
    case 4:
      a = Bar0(r_.Below(XFERBLK_BAR0_SIZE + 16));
      size = r_.Pick<unsigned>({1, 2, 4, 8});
      break;
    default:
      a = Bar2(4 * r_.Below(0x1000 / 4));
      break;
  }
  Emit(ReadOp(a, size));
}

void InstanceGen::WildWrite() {
  const unsigned size = r_.Pick<unsigned>({4, 4, 4, 8, 1, 2});
  const uint64_t off =
      r_.Chance(60) ? 4 * r_.Below(XFERBLK_BAR0_SIZE / 4 + 64) : r_.Below(XFERBLK_BAR0_SIZE + 64);
  const uint64_t value = r_.Chance(70) ? Interesting32() : r_.Next();
  Emit(WriteOp(Bar0(off), size, value));
}

void InstanceGen::Msix() {
  const uint64_t v = r_.Below(g_.queues + 2ULL);
  const unsigned field = static_cast<unsigned>(r_.Below(4));
  uint64_t value;
  switch (field) {
    case 0:
      value = r_.Pick<uint64_t>({kRamMsi + 4 * v, kRamMsi + 4 * v, kBar0 + XFERBLK_REG_CTRL,
                                 kBar0 + XFERBLK_REG_DOORBELL_BASE, kBar2, 0xFEE00000, 0xFEC00000,
                                 Interesting32()});
      break;
    case 1:
      value = r_.Pick<uint64_t>({0, 0, 1, 0xFFFFFFFF});
      break;
    case 2:
      value = r_.Next() & 0xFFFFFFFF;
      break;
    default:
      value = r_.Pick<uint64_t>({0, 0, 1, 0xFFFFFFFF});
      break;
  }
  Emit(WriteOp(Bar2(16 * v + 4 * field), 4, value));
}

void InstanceGen::Garbage() {
  const QueueShadow& s = q_[PickQueue()];
  const uint32_t slots = s.Slots();
  uint64_t at;
  switch (Weighted(r_, {4, 2, 2, 1})) {
    case 0:
      at = s.sq + 64ULL * r_.Below(slots) + r_.Below(64);
      break;
    case 1:
      at = s.cq + 16ULL * r_.Below(slots);
      break;
    case 2:
      at = kSglBase + r_.Below(kSglSlots * kSglSlot);
      break;
    default:
      at = r_.Below(kRamSize);
      break;
  }
  Op op;
  if (r_.Chance(80)) {
    op.kind = OpKind::kBytes;
    op.addr = Mem(at);
    op.data.resize(r_.Between(1, 64));
    for (uint8_t& b : op.data) b = static_cast<uint8_t>(r_.Chance(30) ? 0 : r_.Next());
  } else {
    op.kind = OpKind::kFill;
    op.addr = Mem(s.sq);
    op.size = 64 * static_cast<unsigned>(r_.Between(1, slots));
    op.value = r_.Pick<uint64_t>({0, 0, 0xFF, r_.Below(256)});
  }
  Emit(std::move(op));
}

void InstanceGen::Cfg() {
  if (r_.Chance(75)) {
    Op op;
    op.kind = OpKind::kCfg;
    op.cfg_off = 0x04;  // PCI command: memory space, bus master, INTx off
    op.value = r_.Pick<uint64_t>({6, 6, 6, 2, 2, 4, 0, 0x406, 7});
    Emit(std::move(op));
  } else {
    Op op;
    op.kind = OpKind::kMsixCtl;
    op.value = r_.Pick<uint64_t>({0x8000, 0x8000, 0xC000, 0});
    Emit(std::move(op));
  }
}

void InstanceGen::SystemReset() {
  Emit(SimpleOp(OpKind::kSystemReset));
  DeviceOff();
  if (r_.Chance(90)) Emit(SimpleOp(OpKind::kPciSetup));
}

std::vector<Op> InstanceGen::Run() {
  DeviceConfig config = RandomConfig(r_.Next());
  g_ = GeometryOf(config);
  q_.assign(g_.queues, QueueShadow());
  Emit(StartOp(config));
  Emit(SimpleOp(OpKind::kPciSetup));
  if (r_.Chance(88)) BringUp();

  // A hot-unplug in one instance in six, a system reset in one in ten.
  constexpr size_t kUnplugTail = 6;  // a doorbell, the unplug, a step, 3 ops
  const size_t unplug_at = r_.Chance(17) && length_ >= 8 * kUnplugTail
                               ? r_.Between(length_ / 4, length_ - 2 * kUnplugTail)
                               : SIZE_MAX;
  size_t reset_at = r_.Chance(10) ? r_.Between(length_ / 8, length_) : SIZE_MAX;
  while (!Full()) {
    if (ops_.size() >= unplug_at) {
      // In the middle of I/O: commands in flight on every enabled queue.
      limit_ = length_ - kUnplugTail;
      for (unsigned q = 0; q < g_.queues && q < 8; q++) {
        if (q_[q].on) SubmitOn(q, static_cast<unsigned>(r_.Between(1, 6)));
      }
      if (ops_.size() > limit_) ops_.resize(limit_);  // an SG list may go past it
      Emit(SimpleOp(OpKind::kUnplug));
      Step();
      for (uint64_t n = r_.Below(4); n > 0; n--) r_.Chance(50) ? ReadReg() : WildWrite();
      return std::move(ops_);
    }
    if (ops_.size() >= reset_at) {
      SystemReset();
      reset_at = SIZE_MAX;
      continue;
    }
    switch (Weighted(r_, {28, 3, 8, 7, 4, 2, dev_on_ ? 1u : 8u, 7, 6, 10, 5, 2, 3, 2, 2})) {
      case 0:
        Submit();
        break;
      case 1:
        SqDoorbellOdd();
        break;
      case 2:
        CqDoorbell();
        break;
      case 3:
        QueueReg();
        break;
      case 4:
        QueueToggle();
        break;
      case 5:
        Ctrl();
        break;
      case 6:
        BringUp();
        break;
      case 7:
        Fault();
        break;
      case 8:
        Step();
        break;
      case 9:
        ReadReg();
        break;
      case 10:
        WildWrite();
        break;
      case 11:
        Msix();
        break;
      case 12:
        Garbage();
        break;
      case 13:
        Cfg();
        break;
      default:
        Wait();
        break;
    }
  }
  ops_.resize(length_);
  return std::move(ops_);
}

}  // namespace

DeviceConfig RandomConfig(uint64_t seed) {
  Rng r(Mix(seed ^ 0x5eed));
  DeviceConfig c;
  static constexpr Drive kDrives[] = {Drive::kRaw,      Drive::kNull,     Drive::kNullDrive,
                                      Drive::kSnapshot, Drive::kBlkdebug, Drive::kThrottle};
  c.drive = kDrives[Weighted(r, {50, 12, 6, 10, 14, 8})];
  std::vector<std::string> props;
  const uint32_t bs = r.Chance(80) ? 512 : 4096;
  if (bs != 512) props.push_back(Prop("logical_block_size", bs));
  c.image_size = r.Pick<uint64_t>(
      {16ULL * bs, 64 << 10, 1 << 20, 1 << 20, (1 << 20) + 1000, 4 << 20, 8 << 20});
  if (c.drive == Drive::kBlkdebug) {
    c.drive_arg = r.Below(c.image_size / 512);
    // Failing requests held back: retries and drains while they wait.
    if (r.Chance(25)) c.throttle = r.Pick<uint64_t>({8192, 65536, 1 << 20});
  }
  if (c.drive == Drive::kThrottle) c.drive_arg = r.Pick<uint64_t>({65536, 1 << 20, 16 << 20});
  if (c.drive == Drive::kNull && r.Chance(50)) {
    props.push_back(Prop("null-size", r.Pick<uint64_t>({bs, 64ULL * bs, 1 << 20, 1ULL << 40})));
  }
  props.push_back(Prop("queues", r.Pick<uint64_t>({1, 1, 2, 2, 3, 4, 8, 64})));
  if (r.Chance(60)) {
    props.push_back(Prop("queue-depth", r.Pick<uint64_t>({2, 4, 8, 16, 64, 256, 1024, 4096})));
  }
  if (r.Chance(50)) {
    props.push_back(Prop("max-transfer", bs * r.Pick<uint64_t>({1, 2, 8, 32, 256, 2048})));
  }
  if (r.Chance(40)) props.push_back(Prop("max-segments", r.Pick<uint64_t>({1, 2, 4, 128, 4096})));
  if (r.Chance(40)) {
    props.push_back(
        Prop("max-segment-size", r.Pick<uint64_t>({512, 4096, 8192, 1 << 20, 0xFFFFFFFF})));
  }
  if (r.Chance(35)) {
    props.push_back("seg-boundary=" +
                    Hex(r.Pick<uint64_t>({0x1ff, 0xfff, 0xffff, 0xffffffffffffffffULL})));
  }
  if (r.Chance(15)) props.push_back("write-cache=off");
  if (r.Chance(15)) props.push_back("discard=off");
  if (r.Chance(15)) props.push_back("abort=off");
  if (r.Chance(20)) props.push_back(Prop("max-discard-blocks", r.Pick<uint64_t>({1, 8, 100})));
  if (r.Chance(20)) props.push_back(Prop("max-write-zeroes-blocks", r.Pick<uint64_t>({1, 50})));
  if (r.Chance(15)) props.push_back(Prop("discard-granularity", r.Pick<uint64_t>({1, 64, 4096})));
  if (r.Chance(15)) {
    switch (r.Below(9)) {
      case 0:
        props.push_back(Prop("fault-delay-us", r.Pick<uint64_t>({1, 100, 10000})));
        break;
      case 1:
        props.push_back(Prop("fault-jitter-us", r.Pick<uint64_t>({1, 100, 10000})));
        break;
      case 2:
        props.push_back(Prop("fault-hang-nth", r.Between(1, 4)));
        break;
      case 3:
        props.push_back(Prop("fault-every-n", r.Between(1, 5)));
        break;
      case 4:
        props.push_back(Prop("fault-prob-ppm", r.Pick<uint64_t>({1000, 300000, 1000000})));
        props.push_back(Prop("fault-seed", r.Below(1 << 30)));
        break;
      case 5:
        props.push_back(Prop("fault-lba-start", r.Below(64)));
        props.push_back(Prop("fault-lba-count", r.Between(1, 64)));
        break;
      case 6:
        props.push_back(Prop("fault-dma-nth", r.Between(1, 4)));
        break;
      case 7:
        props.push_back(Prop("fault-fail-nth", r.Between(1, 4)));
        props.push_back(Prop("fault-status", r.Between(1, 10)));
        break;
      default:
#ifdef XFERBLK_REG_FAULT_CHAOS_PPM  // spec 1.3
        props.push_back(Prop("fault-chaos-ppm", r.Pick<uint64_t>({1000, 100000, 1000000})));
        props.push_back(Prop("fault-chaos-kinds", r.Between(1, (1 << XFERBLK_CHAOS_NR) - 1)));
#endif
        break;
    }
  }
  if (r.Chance(5)) {
    props.push_back("hostile-limits=" + std::string(r.Pick<const char*>(
                                            {"huge-capacity", "zero-queues", "many-queues",
                                             "bad-depth", "zero-segments", "bad-boundary"})));
  }
  for (const std::string& p : props) c.props += (c.props.empty() ? "" : ",") + p;
  return c;
}

std::vector<Op> GenerateInstance(uint64_t seed, uint64_t index, size_t length) {
  return InstanceGen(Mix(seed) ^ Mix(index + 0x9E3779B97F4A7C15ULL), std::max<size_t>(length, 2))
      .Run();
}

}  // namespace xferfuzz
