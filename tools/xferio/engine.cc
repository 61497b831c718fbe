// SPDX-License-Identifier: GPL-2.0-only

#include "engine.hh"

#include <liburing.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "size.hh"

namespace xferio {

namespace {

using Clock = std::chrono::steady_clock;

class Engine {
 public:
  Engine(const RunPlan& plan, int fd, Summary* s, const volatile std::sig_atomic_t* stop)
      : plan_(plan), fd_(fd), s_(s), stop_(stop), rng_(plan.seed) {}

  ~Engine() {
    if (ring_ready_) io_uring_queue_exit(&ring_);
    if (arenas_ != nullptr) munmap(arenas_, arenas_len_);
  }

  std::optional<std::string> Setup() {
    unsigned entries = 1;
    while (entries < plan_.qd) entries *= 2;
    int ret = io_uring_queue_init(entries, &ring_, plan_.iopoll ? IORING_SETUP_IOPOLL : 0);
    if (ret < 0) return std::string("cannot set up io_uring: ") + std::strerror(-ret);
    ring_ready_ = true;
    arenas_len_ = plan_.arena_bytes * plan_.qd;
    void* p =
        mmap(nullptr, arenas_len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      arenas_ = nullptr;
      return "cannot allocate " + HumanBytes(arenas_len_) + " of I/O buffers (" +
             std::to_string(plan_.qd) + " x " + HumanBytes(plan_.arena_bytes) +
             "): " + std::strerror(errno) + "; try a smaller --qd or --bs";
    }
    arenas_ = static_cast<std::byte*>(p);
    slots_.resize(plan_.qd);
    for (size_t i = 0; i < slots_.size(); i++) slots_[i].arena = arenas_ + i * plan_.arena_bytes;
    return std::nullopt;
  }

  std::optional<std::string> Run() {
    const auto start = Clock::now();
    if (plan_.runtime_s) deadline_ = start + std::chrono::seconds(*plan_.runtime_s);
    uint64_t left = plan_.total.value_or(UINT64_MAX);
    for (uint64_t pass = 0;; pass++) {
      if (pass > 0 && !plan_.total && !plan_.runtime_s) break;
      if (left == 0 || Stopping(true) || fatal_) break;
      const uint64_t gen = plan_.mode == Mode::kVerify ? plan_.gen + pass : plan_.gen;
      std::vector<Chunk> chunks = MakePass(plan_, left, rng_);
      s_->passes++;
      s_->last_gen = gen;
      std::vector<bool> ok;
      const bool write = plan_.mode != Mode::kRead;
      size_t issued = RunPhase(write, chunks, gen, true, &ok);
      std::vector<Chunk> written;
      for (size_t i = 0; i < issued; i++) {
        left -= std::min(left, chunks[i].len);
        if (ok[i]) written.push_back(chunks[i]);
      }
      if (plan_.mode == Mode::kVerify && !fatal_) {
        std::vector<Chunk> reads = ReadBack(plan_, std::move(written), rng_);
        RunPhase(false, reads, gen, false, &ok);
      }
    }
    s_->elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
    s_->interrupted = stop_ != nullptr && *stop_ != 0;
    return fatal_;
  }

 private:
  struct Slot {
    std::byte* arena = nullptr;
    std::vector<iovec> iovs;
    uint64_t used = 0;  // arena bytes this I/O spans, gaps included
    size_t index = 0;   // into the phase's chunks
  };

  bool Stopping(bool obey_deadline) const {
    if (stop_ != nullptr && *stop_ != 0) return true;
    return obey_deadline && deadline_ && Clock::now() >= *deadline_;
  }

  // Issues chunks in order, at most qd at a time, until all are done or it
  // is time to stop; waits for everything issued. Returns how many were
  // issued; (*ok)[i] says whether chunk i completed in full.
  size_t RunPhase(bool write, const std::vector<Chunk>& chunks, uint64_t gen, bool obey_deadline,
                  std::vector<bool>* ok) {
    ok->assign(chunks.size(), false);
    std::vector<size_t> free_slots(slots_.size());
    for (size_t i = 0; i < free_slots.size(); i++) free_slots[i] = free_slots.size() - 1 - i;
    size_t next = 0;
    size_t inflight = 0;
    while (true) {
      unsigned queued = 0;
      while (!fatal_ && next < chunks.size() && !free_slots.empty() && !Stopping(obey_deadline)) {
        size_t slot = free_slots.back();
        if (!Prepare(slot, chunks, next, write, gen)) break;
        free_slots.pop_back();
        next++;
        inflight++;
        queued++;
      }
      if (queued != 0) Submit();
      // After a fatal error the ring is abandoned; tearing it down cancels
      // whatever it still holds.
      if (inflight == 0 || fatal_) break;
      io_uring_cqe* cqe = nullptr;
      int ret = io_uring_wait_cqe(&ring_, &cqe);
      if (ret == -EINTR || ret == -EAGAIN) continue;
      if (ret < 0) {
        // Nothing more can be learnt from this ring.
        fatal_ = std::string("waiting for completions: ") + std::strerror(-ret);
        break;
      }
      unsigned head;
      unsigned seen = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        size_t slot = static_cast<size_t>(io_uring_cqe_get_data64(cqe));
        Complete(slots_[slot], chunks, write, gen, cqe->res, ok);
        free_slots.push_back(slot);
        inflight--;
        seen++;
      }
      io_uring_cq_advance(&ring_, seen);
    }
    return next;
  }

  bool Prepare(size_t slot_index, const std::vector<Chunk>& chunks, size_t index, bool write,
               uint64_t gen) {
    Slot& slot = slots_[slot_index];
    const Chunk& c = chunks[index];
    auto iovs = BuildIovecs(c.layout, slot.arena, plan_.arena_bytes, c.len, plan_.geometry);
    if (!iovs) {
      fatal_ = "internal error: " + iovs.error();
      return false;
    }
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      // Never more than qd in flight, and the ring has at least qd entries.
      fatal_ = "internal error: io_uring submission queue full";
      return false;
    }
    slot.iovs = std::move(*iovs);
    slot.used = ArenaBytes(c.layout, c.len, plan_.geometry);
    slot.index = index;
    const iovec& first = slot.iovs.front();
    if (write) {
      StampIovecs(slot.iovs, c.offset, plan_.geometry.lbs, gen, plan_.seed);
    } else {
      std::memset(slot.arena, kPoison, slot.used);
    }
    if (c.layout == Layout::kFragmented) {
      auto n = static_cast<unsigned>(slot.iovs.size());
      if (write) {
        io_uring_prep_writev(sqe, fd_, slot.iovs.data(), n, c.offset);
      } else {
        io_uring_prep_readv(sqe, fd_, slot.iovs.data(), n, c.offset);
      }
    } else {
      auto n = static_cast<unsigned>(first.iov_len);
      if (write) {
        io_uring_prep_write(sqe, fd_, first.iov_base, n, c.offset);
      } else {
        io_uring_prep_read(sqe, fd_, first.iov_base, n, c.offset);
      }
    }
    io_uring_sqe_set_data64(sqe, slot_index);
    return true;
  }

  void Submit() {
    while (io_uring_sq_ready(&ring_) != 0) {
      int ret = io_uring_submit(&ring_);
      if (ret >= 0 || ret == -EINTR) continue;
      if (ret == -EAGAIN || ret == -EBUSY) {
        // The kernel is short of something; a completion will free it.
        io_uring_cqe* cqe;
        io_uring_wait_cqe(&ring_, &cqe);
        continue;
      }
      fatal_ = std::string("io_uring_submit: ") + std::strerror(-ret);
      return;
    }
  }

  void Complete(Slot& slot, const std::vector<Chunk>& chunks, bool write, uint64_t gen, int res,
                std::vector<bool>* ok) {
    const Chunk& c = chunks[slot.index];
    if (res < 0 || static_cast<uint64_t>(res) != c.len) {
      s_->io_errors.Add(IoError{.offset = c.offset,
                                .len = c.len,
                                .write = write,
                                .err = res < 0 ? -res : 0,
                                .done = res < 0 ? 0 : static_cast<uint64_t>(res)});
      return;
    }
    (*ok)[slot.index] = true;
    if (write) {
      s_->write_ops++;
      s_->write_bytes += c.len;
      return;
    }
    s_->read_ops++;
    s_->read_bytes += c.len;
    if (!plan_.verify) return;
    s_->blocks_checked += CheckIovecs(slot.iovs, c.offset, plan_.geometry.lbs, gen, s_->failures);
    for (const iovec& gap : GapsBetween(slot.iovs, slot.arena, slot.used)) {
      const auto* p = static_cast<const unsigned char*>(gap.iov_base);
      if (std::any_of(p, p + gap.iov_len, [](unsigned char b) { return b != kPoison; })) {
        s_->failures.Add(
            VerifyFailure{.offset = c.offset, .fault = Fault::kOverrun, .expected_gen = gen});
        break;
      }
    }
  }

  const RunPlan& plan_;
  const int fd_;
  Summary* const s_;
  const volatile std::sig_atomic_t* const stop_;
  Rng rng_;
  io_uring ring_{};
  bool ring_ready_ = false;
  std::byte* arenas_ = nullptr;
  size_t arenas_len_ = 0;
  std::vector<Slot> slots_;
  std::optional<Clock::time_point> deadline_;
  std::optional<std::string> fatal_;
};

}  // namespace

std::optional<std::string> RunWorkload(const RunPlan& plan, int fd, Summary* summary,
                                       const volatile std::sig_atomic_t* stop) {
  Engine engine(plan, fd, summary, stop);
  if (auto err = engine.Setup()) return err;
  return engine.Run();
}

}  // namespace xferio
