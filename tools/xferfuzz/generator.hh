// SPDX-License-Identifier: GPL-2.0-only
//
// The generator of xferfuzz: from a seed, the operations of one QEMU's life
// (an "instance"): a start with a random device configuration, PCI setup,
// usually a driver-like bring-up, then a random mix of register accesses
// (weighted toward the real registers of uapi/xferblk_hw.h), submission
// entries and SG lists written into guest RAM, doorbells, queue and
// controller resets, fault injection, virtual clock steps, and now and then
// a system reset or a hot-unplug in the middle of I/O (which ends the
// instance).
//
// The generator never looks at what QEMU answers: the operations are a
// function of (seed, instance index, length) alone, so a run is
// reproduced by its seed whatever happened in it.

#ifndef XFERBLK_TOOLS_XFERFUZZ_GENERATOR_HH_
#define XFERBLK_TOOLS_XFERFUZZ_GENERATOR_HH_

#include <cstdint>
#include <vector>

#include "op.hh"

namespace xferfuzz {

// The operations of instance `index` of the run with `seed`: a start, then
// up to `length` operations in all (fewer when it ends with an unplug).
std::vector<Op> GenerateInstance(uint64_t seed, uint64_t index, size_t length);

// A random device configuration (the start op of an instance).
DeviceConfig RandomConfig(uint64_t seed);

}  // namespace xferfuzz

#endif  // XFERBLK_TOOLS_XFERFUZZ_GENERATOR_HH_
