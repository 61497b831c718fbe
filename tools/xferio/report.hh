// SPDX-License-Identifier: GPL-2.0-only
//
// What a run did and found, and how it is told: a JSON document (--json) or
// a few lines of text, and the exit status.

#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "stamp.hh"
#include "workload.hh"

namespace xferio {

// Counts everything added and keeps the `keep` entries with the lowest
// offsets, so what is listed does not depend on completion order.
template <typename T>
class LowestOffsets {
 public:
  explicit LowestOffsets(size_t keep = 10) : keep_(keep) {}

  void set_keep(size_t keep) { keep_ = keep; }

  void Add(const T& item) {
    count_++;
    if (keep_ == 0) return;
    auto by_offset = [](const T& a, const T& b) { return a.offset < b.offset; };
    if (heap_.size() < keep_) {
      heap_.push_back(item);
      std::push_heap(heap_.begin(), heap_.end(), by_offset);
    } else if (item.offset < heap_.front().offset) {
      std::pop_heap(heap_.begin(), heap_.end(), by_offset);
      heap_.back() = item;
      std::push_heap(heap_.begin(), heap_.end(), by_offset);
    }
  }

  uint64_t count() const { return count_; }

  // The kept entries, by offset.
  std::vector<T> Sorted() const {
    std::vector<T> v = heap_;
    std::stable_sort(v.begin(), v.end(),
                     [](const T& a, const T& b) { return a.offset < b.offset; });
    return v;
  }

 private:
  size_t keep_;
  uint64_t count_ = 0;
  std::vector<T> heap_;  // a max-heap by offset
};

class FailureLog : public FailureSink, public LowestOffsets<VerifyFailure> {
 public:
  using LowestOffsets::LowestOffsets;
  void Add(const VerifyFailure& failure) override { LowestOffsets::Add(failure); }
};

struct IoError {
  uint64_t offset = 0;
  uint64_t len = 0;
  bool write = false;
  int err = 0;        // errno, or 0 for a short transfer
  uint64_t done = 0;  // bytes moved by a short transfer
};

struct Summary {
  std::string device;
  RunPlan plan;
  DeviceLimits limits;
  uint64_t capacity = 0;

  uint64_t passes = 0;
  uint64_t last_gen = 0;  // the generation the region was last written with (or checked for)
  uint64_t read_ops = 0;
  uint64_t write_ops = 0;
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  uint64_t blocks_checked = 0;
  FailureLog failures;
  LowestOffsets<IoError> io_errors;
  double elapsed_s = 0;
  bool interrupted = false;  // SIGINT or SIGTERM

  // The driver's counters (/sys/block/X/xferblk), after minus before; empty
  // when the device has none.
  std::vector<std::pair<std::string, uint64_t>> driver;
};

ExitCode ExitCodeFor(const Summary& s);
const char* ResultName(ExitCode code);

std::string ToJson(const Summary& s);
std::string ToText(const Summary& s);

// One line about one failure: "offset 1536: stale, expected generation 2, found 1".
std::string Describe(const VerifyFailure& f);
std::string Describe(const IoError& e);

}  // namespace xferio
