// xferio (tools/xferio) on every xferblk disk, for what fio cannot express:
// buffers laid out to hit the SG limits (fragmented: one piece per page,
// with a gap after each, so no two pieces can share an SG entry) and
// misaligned ones, every block stamped and verified, and the driver's and the
// device's counters checked against the split the layout must produce.
//
// Where the split does not depend on where xferio's pages sit in physical
// memory, the test predicts it exactly: it lays out each I/O as xferio does
// (tools/xferio/layout.hh), feeds the pages to the same bio model and split
// planner xferblk_io uses, once with no two pages physically adjacent and
// once with every page right after the previous one (at every offset within
// the segment boundary window), and if all placements agree, parents,
// children, SG entries (dev_segments) and the children_hist buckets must
// equal that. Otherwise (contiguous buffers on a disk whose segment size or
// boundary binds) only what holds for any placement is checked. A random run
// over sizes around the limits and every layout checks the same invariants,
// and a read for the wrong generation must be caught.
//
// The tools: `make selftests` installs xferio and xferctl (built by `make
// tools`) into build/selftests, next to the tests, so that directory is all
// the guest needs; a test runs a private copy in /tmp (xft::tool(): exec'ing
// them from the project tree's 9p mount is slow under TCG).
#include <sys/uio.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "kselftest.h"
#include "xferblk_test.hh"

namespace {

using Json = nlohmann::json;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kMaxIovecs = 1024;  // xferio's kMaxIovecs (IOV_MAX)

// xferio's layouts: the iovecs of one I/O of @len bytes in an arena that
// starts at the page-aligned address @arena (tools/xferio/layout.cc).
std::vector<iovec> xferio_iovecs(const std::string& layout, uint64_t arena, uint64_t len,
                                 uint64_t lbs) {
  auto at = [](uint64_t a) { return reinterpret_cast<void*>(a); };
  if (layout == "contiguous") return {{at(arena), len}};
  if (layout == "misaligned") return {{at(arena + lbs), len}};
  // fragmented: a piece every stride (a page, or two blocks when a block is
  // a page or more), each followed by a gap of one block; pieces of several
  // strides when one per stride would take more than kMaxIovecs.
  const uint64_t base = lbs < kPage ? kPage : 2 * lbs;
  uint64_t strides = 1;
  while ((len + strides * base - lbs - 1) / (strides * base - lbs) > kMaxIovecs) strides++;
  const uint64_t stride = strides * base, piece = stride - lbs;
  std::vector<iovec> iov;
  for (uint64_t off = 0, i = 0; off < len; off += piece, i++)
    iov.push_back({at(arena + i * stride), std::min(piece, len - off)});
  return iov;
}

// The pieces of @iov cut at page boundaries, with physical addresses: the
// k-th page used lies at base + 2k pages (@packed false: no two pages
// adjacent) or at base + (@shift + k) pages (@packed true: each page right
// after the previous one, so pieces that meet at a page end merge).
// With @folio (packed only) every page is in one large folio with the one
// before it, as a 7.x kernel may allocate anonymous memory.
std::vector<xft::Range> place(const std::vector<iovec>& iov, bool packed, uint64_t shift,
                              bool folio = false) {
  const uint64_t base = 1ULL << 32;
  std::vector<xft::Range> out;
  uint64_t last_vpage = UINT64_MAX, k = 0;
  unsigned seg = 0;
  for (const iovec& v : iov) {
    auto a = reinterpret_cast<uint64_t>(v.iov_base);
    for (uint64_t left = v.iov_len; left;) {
      uint64_t vpage = a / kPage;
      if (last_vpage != UINT64_MAX && vpage != last_vpage) k++;
      last_vpage = vpage;
      uint64_t page = packed ? base + (shift + k) * kPage : base + 2 * k * kPage;
      uint32_t len = std::min(left, kPage - a % kPage);
      xft::Range r{page + a % kPage, len, seg};
      r.folio_tail = folio && !out.empty() && out.back().seg == seg &&
                     out.back().phys + out.back().len == r.phys;
      out.push_back(r);
      a += len;
      left -= len;
    }
    seg++;
  }
  return out;
}

// What the driver does with one I/O of xferio's, under every placement
// tried.
struct Model {
  std::vector<xft::Expect> placements;
  bool no_boundary = false;

  template <typename F>
  bool all_agree(F f) const {
    return std::all_of(placements.begin(), placements.end(),
                       [&](const xft::Expect& e) { return f(e) == f(placements[0]); });
  }
  // Parents, children and the histogram do not depend on the placement.
  bool split_exact() const {
    return all_agree([](const xft::Expect& e) { return e.parents; }) &&
           all_agree([](const xft::Expect& e) { return e.children; }) &&
           all_agree([](const xft::Expect& e) { return e.hist; });
  }
  bool segments_exact() const {
    return all_agree([](const xft::Expect& e) { return e.segments; });
  }
  // Without a boundary mask, a real placement merges a subset of the pieces
  // the packed one merges, and merging never costs an SG entry, so its
  // children lie between the packed and the spread placement's (when the
  // bios are the same).
  bool bounded() const {
    return no_boundary && all_agree([](const xft::Expect& e) { return e.parents; });
  }
  unsigned min_children() const {
    unsigned m = UINT32_MAX;
    for (const auto& e : placements) m = std::min(m, e.children);
    return m;
  }
  unsigned max_children() const {
    unsigned m = 0;
    for (const auto& e : placements) m = std::max(m, e.children);
    return m;
  }
};

Model model(const xft::Disk& d, const std::string& layout, uint64_t len) {
  auto iov = xferio_iovecs(layout, 0x7f0000000000ULL, len, d.lim.block_size);
  Model m;
  m.no_boundary = d.lim.seg_boundary >= 0xffffffff;
  m.placements.push_back(xft::expect_split(iov, place(iov, false, 0), d.lim));
  // Packed, at every page offset within a segment boundary window, if the
  // disk has one (where the packed pages start matters only for it).
  uint64_t window = d.lim.seg_boundary < 512 * kPage ? (d.lim.seg_boundary + 1) / kPage : 1;
  for (uint64_t s = 0; s < window; s++) {
    m.placements.push_back(xft::expect_split(iov, place(iov, true, s), d.lim));
    if (xft::bios_from_folios())
      m.placements.push_back(xft::expect_split(iov, place(iov, true, s, true), d.lim));
  }
  return m;
}

const char* const kCounters[] = {"parents",       "children",       "errors",
                                 "rejected",      "unsendable",     "cancelled",
                                 "parent_errors", "dev_commands",   "dev_rejected",
                                 "dev_segments",  "dev_bytes_read", "dev_bytes_written"};

struct Snap {
  std::map<std::string, uint64_t> c;
  xft::Hist hist{};
};

Snap snap(const xft::Disk& d) {
  Snap s;
  for (const char* name : kCounters) s.c[name] = xft::stat(d, name);
  std::vector<uint64_t> h;
  std::stringstream ss(xft::read_file(xft::attr_path(d, "children_hist")));
  for (uint64_t v; ss >> v;) h.push_back(v);
  if (h.size() != xft::kHistBuckets) ksft_exit_fail_msg("children_hist: %zu buckets\n", h.size());
  std::copy(h.begin(), h.end(), s.hist.begin());
  return s;
}

Snap delta(const Snap& a, const Snap& b) {
  Snap d;
  for (const auto& [k, v] : b.c) d.c[k] = v - a.c.at(k);
  for (size_t i = 0; i < xft::kHistBuckets; i++) d.hist[i] = b.hist[i] - a.hist[i];
  return d;
}

std::string hist_str(const xft::Hist& h) {
  std::string s;
  for (uint64_t v : h) s += (s.empty() ? "" : " ") + std::to_string(v);
  return s;
}

// Collects the reasons a check failed.
struct Problems {
  std::vector<std::string> list;
  void want(bool ok, const std::string& what) {
    if (!ok) list.push_back(what);
  }
  template <typename T>
  void eq(const std::string& what, T got, T want) {
    if (got != want)
      list.push_back(what + " " + std::to_string(got) + ", want " + std::to_string(want));
  }
  std::string str() const {
    std::string s;
    for (const auto& p : list) s += (s.empty() ? "" : "; ") + p;
    return s;
  }
};

// A non-negative integer, exactly (64-bit counters); throws for anything
// else.
uint64_t exact_u64(const Json& j) {
  if (!j.is_number_unsigned()) throw std::runtime_error("JSON: " + j.dump() + " is not a u64");
  return j.get<uint64_t>();
}

struct Run {
  xft::Proc proc;
  Json json;
  Snap d;             // counters after - before
  std::string error;  // the output could not be read
};

Run run_xferio(const std::string& xferio, const xft::Disk& d, std::vector<std::string> args) {
  args.insert(args.begin(), {xferio, "--json"});
  args.push_back(d.dev);
  Run r;
  Snap before = snap(d);
  r.proc = xft::run(args);
  r.d = delta(before, snap(d));
  try {
    r.json = Json::parse(r.proc.out);
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  if (!r.error.empty() || (r.proc.exit_code != 0 && r.proc.exit_code != 1)) {
    std::string cmd;
    for (const auto& a : args) cmd += " " + a;
    ksft_print_msg("xferio%s: exit %d, %s\n", cmd.c_str() + cmd.find(' ', 1), r.proc.exit_code,
                   r.error.c_str());
    std::stringstream err(r.proc.err);
    for (std::string line; std::getline(err, line);) ksft_print_msg("  %s\n", line.c_str());
  }
  return r;
}

// What every run must show: what xferio says it moved and what the device
// moved agree, nothing failed or was rejected, each child was one device
// command of at least one and at most max_segs SG entries, every parent is in
// the histogram, and xferio's own counter deltas are the ones sysfs shows.
void common_checks(const xft::Disk& d, const Run& r, uint64_t region, Problems* p) {
  const Json& j = r.json;
  const auto& c = r.d.c;
  p->eq("exit", r.proc.exit_code, 0);
  p->eq("bytes written", exact_u64(j.at("bytes").at("written")), region);
  p->eq("bytes read", exact_u64(j.at("bytes").at("read")), region);
  p->eq("blocks checked", exact_u64(j.at("verify").at("blocks_checked")),
        region / d.lim.block_size);
  p->eq("verify failures", exact_u64(j.at("verify").at("failures")), uint64_t{0});
  p->eq("io errors", exact_u64(j.at("io_errors")), uint64_t{0});
  p->eq("xferio's max_hw_bytes", exact_u64(j.at("limits").at("max_hw_bytes")),
        xft::read_u64("/sys/block/" + d.name + "/queue/max_hw_sectors_kb") * 1024);
  p->eq("xferio's max_segments", exact_u64(j.at("limits").at("max_segments")),
        uint64_t{d.lim.max_segs});
  p->eq("device bytes written", c.at("dev_bytes_written"), region);
  p->eq("device bytes read", c.at("dev_bytes_read"), region);
  p->eq("device commands", c.at("dev_commands"), c.at("children"));
  for (const char* zero :
       {"errors", "rejected", "dev_rejected", "unsendable", "cancelled", "parent_errors"})
    p->eq(zero, c.at(zero), uint64_t{0});
  p->want(c.at("dev_segments") >= c.at("children") &&
              c.at("dev_segments") <= c.at("children") * d.lim.max_segs,
          "dev_segments " + std::to_string(c.at("dev_segments")) + " not within 1.." +
              std::to_string(d.lim.max_segs) + " per child");
  uint64_t in_hist = 0;
  for (uint64_t v : r.d.hist) in_hist += v;
  p->eq("parents in children_hist", in_hist, c.at("parents"));
  const Json& driver = j.at("driver");
  if (!driver.is_object()) throw std::runtime_error("JSON: driver is not an object");
  for (auto it = driver.begin(); it != driver.end(); ++it)
    if (c.count(it.key()))
      p->eq("xferio's delta of " + it.key(), exact_u64(it.value()), c.at(it.key()));
  p->want(driver.size() > 0, "xferio reported no driver counters");
}

}  // namespace

int main() {
  auto disks = xft::disks();
  const std::string xferio = xft::tool("xferio");
  struct Case {
    std::string layout;
    uint64_t bs;
  };
  const unsigned kIos = 4;  // I/Os per pass of a fixed-size run: the region is kIos * bs

  // Per disk: fragmented at two sizes, contiguous and misaligned (where the
  // block size allows) at one, the random run; on the first disk also the
  // wrong-generation read.
  auto cases_of = [](const xft::Disk& d) {
    const uint64_t lbs = d.lim.block_size;
    // Over three commands' worth plus a block, and 1 MiB (more than 256
    // pages fragmented on a 512-byte disk: two bios per I/O).
    const uint64_t over = std::min<uint64_t>(3ULL * d.lim.max_xfer, 4 << 20) + lbs;
    std::vector<Case> cases = {{"fragmented", over}, {"fragmented", kMiB}, {"contiguous", over}};
    if (lbs < kPage) cases.push_back({"misaligned", over});
    return cases;
  };
  size_t plan = 1;
  for (const xft::Disk& d : disks) plan += cases_of(d).size() + 1;
  ksft_print_header();
  ksft_set_plan(plan);

  for (const xft::Disk& d : disks) {
    const uint64_t lbs = d.lim.block_size;
    for (const Case& k : cases_of(d)) {
      const uint64_t region = kIos * k.bs;
      Model m = model(d, k.layout, k.bs);
      Run r = run_xferio(xferio, d,
                         {"--mode", "verify", "--pattern", "seq", "--bs", std::to_string(k.bs),
                          "--layout", k.layout, "--qd", std::to_string(kIos), "--size",
                          std::to_string(region), "--seed", "11"});
      Problems p;
      const auto& c = r.d.c;
      if (!r.error.empty()) {
        p.want(false, r.error);
      } else {
        try {
          common_checks(d, r, region, &p);
          p.eq("write ops", exact_u64(r.json.at("ops").at("write")), uint64_t{kIos});
          p.eq("read ops", exact_u64(r.json.at("ops").at("read")), uint64_t{kIos});
          const uint64_t ios = 2 * kIos;  // each I/O written once and read once
          const xft::Expect& e = m.placements[0];
          if (m.split_exact()) {
            p.eq("parents", c.at("parents"), ios * e.parents);
            p.eq("children", c.at("children"), ios * e.children);
            xft::Hist h;
            for (size_t i = 0; i < h.size(); i++) h[i] = ios * e.hist[i];
            p.want(r.d.hist == h,
                   "children_hist moved by " + hist_str(r.d.hist) + ", want " + hist_str(h));
          } else if (m.bounded()) {
            p.eq("parents", c.at("parents"), ios * e.parents);
            p.want(c.at("children") >= ios * m.min_children() &&
                       c.at("children") <= ios * m.max_children(),
                   "children " + std::to_string(c.at("children")) + " not within " +
                       std::to_string(ios * m.min_children()) + "-" +
                       std::to_string(ios * m.max_children()));
          } else {
            // Any placement: each I/O is at least one bio, and a child
            // carries at most max_transfer bytes.
            const uint64_t per_xfer = (k.bs + d.lim.max_xfer - 1) / d.lim.max_xfer;
            p.want(c.at("parents") >= ios, "fewer parents than I/Os");
            p.want(c.at("children") >= ios * per_xfer,
                   "children " + std::to_string(c.at("children")) + " < " +
                       std::to_string(ios * per_xfer) + " (max_transfer)");
          }
          if (m.segments_exact()) p.eq("dev_segments", c.at("dev_segments"), ios * e.segments);
        } catch (const std::exception& e) {
          p.want(false, e.what());
        }
      }
      const xft::Expect& e = m.placements[0];
      std::string how =
          m.split_exact()
              ? "exact: " + std::to_string(e.parents) + " parent(s), " +
                    std::to_string(e.children) + " children" +
                    (m.segments_exact() ? ", " + std::to_string(e.segments) + " SG entries" : "") +
                    " per I/O"
          : m.bounded() ? std::to_string(m.min_children()) + "-" +
                              std::to_string(m.max_children()) + " children per I/O"
                        : "placement-dependent";
      ksft_test_result(p.list.empty(),
                       "%s %s bs %llu x %u, verify: %llu parents, %llu children, %llu SG entries "
                       "(%s)%s%s\n",
                       d.name.c_str(), k.layout.c_str(), (unsigned long long)k.bs, kIos,
                       (unsigned long long)c.at("parents"), (unsigned long long)c.at("children"),
                       (unsigned long long)c.at("dev_segments"), how.c_str(),
                       p.list.empty() ? "" : ": ", p.str().c_str());

      // The blocks just written are generation 1: reading them as generation
      // 2 must report every one stale, and the reads split as exactly.
      if (&d == &disks[0] && k.layout == "fragmented" && k.bs == kMiB) {
        Run s =
            run_xferio(xferio, d,
                       {"--mode", "read", "--gen", "2", "--bs", std::to_string(k.bs), "--layout",
                        k.layout, "--qd", std::to_string(kIos), "--size", std::to_string(region)});
        Problems q;
        try {
          const Json& f = s.json.at("verify").at("first_failures");
          if (!f.is_array()) throw std::runtime_error("JSON: first_failures is not an array");
          q.eq("exit", s.proc.exit_code, 1);
          q.eq("failures", exact_u64(s.json.at("verify").at("failures")), region / lbs);
          q.want(f.size() > 0 && exact_u64(f.at(0).at("offset")) == 0 &&
                     f.at(0).at("kind").get<std::string>() == "stale" &&
                     exact_u64(f.at(0).at("expected_gen")) == 2 &&
                     exact_u64(f.at(0).at("found_gen")) == 1,
                 "the first failure is not block 0, stale, generation 1 for 2");
          q.eq("bytes read", exact_u64(s.json.at("bytes").at("read")), region);
          if (m.split_exact()) {
            q.eq("parents", s.d.c.at("parents"), uint64_t{kIos} * e.parents);
            q.eq("children", s.d.c.at("children"), uint64_t{kIos} * e.children);
          }
          q.eq("errors", s.d.c.at("errors"), uint64_t{0});
        } catch (const std::exception& ex) {
          q.want(false, s.error.empty() ? ex.what() : s.error);
        }
        std::string stale = "?";
        try {
          stale = std::to_string(exact_u64(s.json.at("verify").at("failures")));
        } catch (const std::exception&) {
        }
        ksft_test_result(q.list.empty(), "%s read as generation 2: %s blocks stale of %llu%s%s\n",
                         d.name.c_str(), stale.c_str(), (unsigned long long)(region / lbs),
                         q.list.empty() ? "" : ": ", q.str().c_str());
      }
    }

    // Random sizes around the limits (--bs auto), every layout the block
    // size allows, random order, 16 in flight.
    const uint64_t region = 8 * kMiB;
    const char* layouts = lbs < kPage ? "all" : "contiguous,fragmented";
    Run r = run_xferio(xferio, d,
                       {"--mode", "verify", "--pattern", "random", "--bs", "auto", "--layout",
                        layouts, "--qd", "16", "--size", std::to_string(region), "--seed", "7"});
    Problems p;
    if (!r.error.empty()) {
      p.want(false, r.error);
    } else {
      try {
        common_checks(d, r, region, &p);
        p.want(r.d.c.at("children") > r.d.c.at("parents"), "no parent was split");
      } catch (const std::exception& e) {
        p.want(false, e.what());
      }
    }
    ksft_test_result(p.list.empty(),
                     "%s random, bs auto, layouts %s, qd 16, 8 MiB verify: %llu parents, %llu "
                     "children, hist %s%s%s\n",
                     d.name.c_str(), layouts, (unsigned long long)r.d.c.at("parents"),
                     (unsigned long long)r.d.c.at("children"), hist_str(r.d.hist).c_str(),
                     p.list.empty() ? "" : ": ", p.str().c_str());
  }
  ksft_finished();
}
