// SPDX-License-Identifier: GPL-2.0-only

#include "stamp.hh"

#include <cstring>

#include "enum_names.hh"

namespace xferio {

namespace {

constexpr size_t kChecksumAt = 24;

uint64_t Load(const std::byte* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

void Store(std::byte* p, uint64_t v) { std::memcpy(p, &v, sizeof(v)); }

constexpr EnumNames<Fault, 6> kFaultNames = {
    {"ok", "unstamped", "corrupt", "misplaced", "stale", "overrun"}};
static_assert(kFaultNames.names.size() == static_cast<size_t>(Fault::kOverrun) + 1);

}  // namespace

const char* FaultName(Fault fault) { return kFaultNames.Name(fault); }

uint64_t Mix(uint64_t x) {
  // Each step is invertible: xor with a right shift of itself, and
  // multiplication by an odd constant modulo 2^64.
  x ^= x >> 31;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 29;
  x *= 0xa0761d6478bd642fULL;
  x ^= x >> 32;
  return x;
}

uint64_t Checksum(const std::byte* block, size_t lbs) {
  uint64_t h = Mix(lbs);
  for (size_t at = 0; at < lbs; at += 8) {
    if (at == kChecksumAt) continue;
    h = Mix(h ^ Load(block + at));
  }
  return h;
}

void StampBlock(std::byte* block, size_t lbs, uint64_t offset, uint64_t gen, uint64_t seed) {
  Store(block, kStampMagic);
  Store(block + 8, offset);
  Store(block + 16, gen);
  // The data: a counter-mode stream keyed by (seed, offset, generation).
  const uint64_t key = Mix(Mix(seed ^ 0x5eedULL) ^ offset) ^ Mix(gen);
  for (size_t at = kStampBytes; at < lbs; at += 8) Store(block + at, Mix(key + at));
  Store(block + kChecksumAt, Checksum(block, lbs));
}

BlockCheck CheckBlock(const std::byte* block, size_t lbs, uint64_t offset, uint64_t gen) {
  BlockCheck c;
  if (Load(block) != kStampMagic) {
    c.fault = Fault::kUnstamped;
    return c;
  }
  c.stamped = true;
  c.found_offset = Load(block + 8);
  c.found_gen = Load(block + 16);
  if (Load(block + kChecksumAt) != Checksum(block, lbs)) {
    c.fault = Fault::kCorrupt;
  } else if (c.found_offset != offset) {
    c.fault = Fault::kMisplaced;
  } else if (c.found_gen != gen) {
    c.fault = Fault::kStale;
  }
  return c;
}

void StampIovecs(std::span<const iovec> iovs, uint64_t disk_offset, size_t lbs, uint64_t gen,
                 uint64_t seed) {
  for (const iovec& v : iovs) {
    auto* base = static_cast<std::byte*>(v.iov_base);
    for (size_t at = 0; at + lbs <= v.iov_len; at += lbs) {
      StampBlock(base + at, lbs, disk_offset, gen, seed);
      disk_offset += lbs;
    }
  }
}

uint64_t CheckIovecs(std::span<const iovec> iovs, uint64_t disk_offset, size_t lbs, uint64_t gen,
                     FailureSink& sink) {
  uint64_t checked = 0;
  for (const iovec& v : iovs) {
    const auto* base = static_cast<const std::byte*>(v.iov_base);
    for (size_t at = 0; at + lbs <= v.iov_len; at += lbs) {
      BlockCheck c = CheckBlock(base + at, lbs, disk_offset, gen);
      if (c.fault != Fault::kNone) {
        sink.Add(VerifyFailure{.offset = disk_offset,
                               .fault = c.fault,
                               .expected_gen = gen,
                               .stamped = c.stamped,
                               .found_offset = c.found_offset,
                               .found_gen = c.found_gen});
      }
      disk_offset += lbs;
      checked++;
    }
  }
  return checked;
}

}  // namespace xferio
