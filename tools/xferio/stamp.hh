// SPDX-License-Identifier: GPL-2.0-only
//
// Block stamps. Every logical block xferio writes starts with a 32-byte
// header, little-endian:
//
//   0   magic       kStampMagic
//   8   offset      the block's byte offset on the disk
//   16  generation  which pass wrote it
//   24  checksum    Checksum() of the whole block except these 8 bytes
//
// and the rest of the block is data derived from (seed, offset, generation).
// Reading a block back, CheckBlock() tells which of these went wrong, in this
// order: no stamp at all, a checksum mismatch, the stamp of another offset,
// the stamp of another generation.
//
// The checksum runs h = Mix(h ^ word) over the block's 64-bit words, and
// Mix is a bijection, so any change confined to one word (one flipped byte,
// say) always changes it; wider damage escapes it with odds of 2^-64.

#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace xferio {

constexpr uint64_t kStampMagic = 0x31564f4952454658ULL;  // "XFERIOV1" in memory
constexpr size_t kStampBytes = 32;
constexpr size_t kMinBlock = 64;  // blocks must be a multiple of 8 and hold the stamp

enum class Fault {
  kNone,
  kUnstamped,  // no xferio stamp: never written, zeroed, or foreign data
  kCorrupt,    // stamped, but the checksum does not match the contents
  kMisplaced,  // a valid block, stamped for another offset
  kStale,      // a valid block for this offset, of another generation
  kOverrun,    // a read wrote into the buffer outside its iovecs
};

const char* FaultName(Fault fault);

// A 64-bit bijective mixer (an xor-shift-multiply finaliser).
uint64_t Mix(uint64_t x);

// The checksum of a block of `lbs` bytes, skipping the checksum field.
uint64_t Checksum(const std::byte* block, size_t lbs);

// Fills one block: header and data.
void StampBlock(std::byte* block, size_t lbs, uint64_t offset, uint64_t gen, uint64_t seed);

struct BlockCheck {
  Fault fault = Fault::kNone;
  bool stamped = false;  // the magic was there: found_* are what the header says
  uint64_t found_offset = 0;
  uint64_t found_gen = 0;
};

BlockCheck CheckBlock(const std::byte* block, size_t lbs, uint64_t offset, uint64_t gen);

// One bad block (or, for kOverrun, one read whose buffer was overrun; offset
// is then the I/O's offset).
struct VerifyFailure {
  uint64_t offset = 0;
  Fault fault = Fault::kNone;
  uint64_t expected_gen = 0;
  bool stamped = false;
  uint64_t found_offset = 0;
  uint64_t found_gen = 0;
};

// Receives each failure CheckIovecs() finds.
class FailureSink {
 public:
  virtual ~FailureSink() = default;
  virtual void Add(const VerifyFailure& failure) = 0;
};

// Stamps every block of an I/O at byte `disk_offset` laid out in `iovs` (each
// a multiple of lbs long).
void StampIovecs(std::span<const iovec> iovs, uint64_t disk_offset, size_t lbs, uint64_t gen,
                 uint64_t seed);

// Checks every block of an I/O read from `disk_offset` into `iovs`, expecting
// generation `gen`; reports each bad block to `sink`. Returns the number of
// blocks checked.
uint64_t CheckIovecs(std::span<const iovec> iovs, uint64_t disk_offset, size_t lbs, uint64_t gen,
                     FailureSink& sink);

}  // namespace xferio
