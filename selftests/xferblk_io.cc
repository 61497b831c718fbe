// O_DIRECT write, read back and compare, at sizes below, at, just over and
// many times the transfer limit, with buffers laid out to hit the SG and
// boundary limits. Each I/O must be cut into exactly the children the split
// planner predicts for its bios, each child one device command, none
// rejected.
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <climits>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "kselftest.h"
#include "xferblk_test.hh"

namespace {

constexpr size_t kPage = 4096;

enum class Layout { kContiguous, kOffset, kScattered, kHuge };

const char* name(Layout l) {
  switch (l) {
    case Layout::kContiguous:
      return "contiguous";
    case Layout::kOffset:
      return "offset-512";
    case Layout::kScattered:
      return "scattered";
    case Layout::kHuge:
      return "hugepage";
  }
  return "?";
}

// The iovec for @bytes of data in @buf laid out as @l; empty if the layout
// cannot hold that much or does not apply to the block size.
std::vector<iovec> layout(const xft::Buffer& buf, Layout l, size_t bytes, uint32_t lbs) {
  std::vector<iovec> iov;
  uint8_t* p = buf.data();
  switch (l) {
    case Layout::kContiguous:
    case Layout::kHuge:
      if (bytes > buf.size()) return {};
      return {{p, bytes}};
    case Layout::kOffset:
      // Every page-sized bvec now starts mid-page: more SG entries.
      if (lbs != 512 || bytes + 512 > buf.size()) return {};
      return {{p + 512, bytes}};
    case Layout::kScattered: {
      // Pieces with a free page between them, never physically merged with
      // the next: one bvec each, so the SG count limit binds first.
      size_t piece = lbs == 512 ? 1536 : kPage, off = lbs == 512 ? 512 : 0;
      if ((bytes + piece - 1) / piece > IOV_MAX) piece = (bytes / IOV_MAX + lbs) & ~size_t(lbs - 1);
      size_t n = (bytes + piece - 1) / piece;
      size_t stride = ((off + piece + kPage - 1) & ~(kPage - 1)) + kPage;
      if (n * stride > buf.size()) return {};
      for (size_t i = 0; i < n; i++)
        iov.push_back({p + i * stride + off, std::min(piece, bytes - i * piece)});
      return iov;
    }
  }
  return {};
}

void fill(const std::vector<iovec>& iov, uint64_t seed) {
  uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (const iovec& v : iov) {
    auto* b = static_cast<uint8_t*>(v.iov_base);
    for (size_t i = 0; i < v.iov_len; i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      b[i] = static_cast<uint8_t>(x);
    }
  }
}

bool same(const std::vector<iovec>& a, const std::vector<iovec>& b, size_t* where) {
  size_t off = 0;
  for (size_t i = 0; i < a.size(); i++) {
    auto* x = static_cast<uint8_t*>(a[i].iov_base);
    auto* y = static_cast<uint8_t*>(b[i].iov_base);
    for (size_t j = 0; j < a[i].iov_len; j++, off++)
      if (x[j] != y[j]) {
        *where = off;
        return false;
      }
  }
  return true;
}

// One direction of one I/O, with its counter checks. Returns an error text.
std::string io_checked(const xft::Disk& d, int fd, bool write, const std::vector<iovec>& iov,
                       size_t bytes, off_t off, xft::Expect* seen) {
  xft::Expect want = xft::expect_split(iov, d.lim);
  xft::Counters before = xft::counters(d);
  ssize_t n =
      write ? pwritev(fd, iov.data(), iov.size(), off) : preadv(fd, iov.data(), iov.size(), off);
  if (n != static_cast<ssize_t>(bytes))
    return std::string(write ? "write" : "read") + " returned " + std::to_string(n) + " (" +
           strerror(errno) + ")";
  xft::Counters after = xft::counters(d);
  uint64_t parents = after.parents - before.parents, children = after.children - before.children;
  uint64_t commands = after.dev_commands - before.dev_commands;
  uint64_t rejected = after.dev_rejected - before.dev_rejected;
  seen->parents = parents;
  seen->children = children;
  if (parents != want.parents || children != want.children || commands != children || rejected)
    return std::string(write ? "write" : "read") + ": parents " + std::to_string(parents) + "/" +
           std::to_string(want.parents) + ", children " + std::to_string(children) + "/" +
           std::to_string(want.children) + ", device commands " + std::to_string(commands) +
           ", rejected " + std::to_string(rejected);
  return "";
}

}  // namespace

int main() {
  auto disks = xft::disks();
  const Layout layouts[] = {Layout::kContiguous, Layout::kOffset, Layout::kScattered,
                            Layout::kHuge};
  struct Case {
    const xft::Disk* disk;
    Layout layout;
    size_t bytes;
  };
  std::vector<Case> cases;
  for (const auto& d : disks) {
    uint32_t lbs = d.lim.block_size, mx = d.lim.max_xfer;
    std::vector<size_t> sizes = {lbs, mx - lbs, mx, mx + lbs, 16 * size_t(mx) + lbs, 4u << 20};
    std::sort(sizes.begin(), sizes.end());
    sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
    for (Layout l : layouts)
      for (size_t s : sizes) cases.push_back({&d, l, s});
  }

  ksft_print_header();
  ksft_set_plan(cases.size());
  xft::Buffer plain(16 << 20, false), back(16 << 20, false);
  xft::Buffer huge(8 << 20, true), huge_back(8 << 20, true);

  for (size_t i = 0; i < cases.size(); i++) {
    const Case& c = cases[i];
    const xft::Disk& d = *c.disk;
    bool hp = c.layout == Layout::kHuge;
    auto out = layout(hp ? huge : plain, c.layout, c.bytes, d.lim.block_size);
    auto in = layout(hp ? huge_back : back, c.layout, c.bytes, d.lim.block_size);
    const char* lname = name(c.layout);
    if (out.empty()) {
      ksft_test_result_skip("%s %s %zu bytes: layout does not apply\n", d.name.c_str(), lname,
                            c.bytes);
      continue;
    }
    // Different disk offsets per case, block aligned, inside the disk.
    off_t off = (i * 7919 * size_t(d.lim.block_size)) % (d.bytes - c.bytes);
    off -= off % d.lim.block_size;
    fill(out, i + 1);
    for (const iovec& v : in) memset(v.iov_base, 0, v.iov_len);

    int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
    if (fd < 0) ksft_exit_fail_msg("open %s: %s\n", d.dev.c_str(), strerror(errno));
    xft::Expect seen;
    std::string err = io_checked(d, fd, true, out, c.bytes, off, &seen);
    if (err.empty()) err = io_checked(d, fd, false, in, c.bytes, off, &seen);
    size_t where = 0;
    if (err.empty() && !same(out, in, &where))
      err = "data differs at byte " + std::to_string(where);
    close(fd);
    ksft_test_result(err.empty(),
                     "%s %s %zu bytes at %lld in %zu pieces: %u parent(s), %u children%s%s\n",
                     d.name.c_str(), lname, c.bytes, (long long)off, in.size(), seen.parents,
                     seen.children, err.empty() ? "" : ": ", err.c_str());
  }
  ksft_finished();
}
