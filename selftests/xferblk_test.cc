#include "xferblk_test.hh"

#include <dirent.h>
#include <grp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "../uapi/xferblk_hw.h"
#include "kselftest.h"

namespace xft {
namespace {

constexpr uint64_t kPage = 4096;
constexpr unsigned kBioMaxVecs = 256;  // BIO_MAX_VECS
constexpr uint32_t kSglEntries = 256;  // the driver's per-command SG table

// Device property defaults, docs/device-spec.md.
// "a=1,b=2" into @m, over what it holds.
std::map<std::string, std::string> split_props(const std::string& props,
                                               std::map<std::string, std::string> m = {}) {
  std::stringstream ss(props);
  std::string kv;
  while (std::getline(ss, kv, ',')) {
    auto eq = kv.find('=');
    if (eq != std::string::npos) m[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return m;
}

// A disk's properties, the device's defaults filled in.
std::map<std::string, std::string> parse_props(const std::string& props) {
  return split_props(props, {{"logical_block_size", "512"},
                             {"max-transfer", "131072"},
                             {"max-segments", "32"},
                             {"max-segment-size", "65536"},
                             {"seg-boundary", "0xffffffff"}});
}

std::string block_name_of(const std::string& pci) {
  std::string dir = "/sys/bus/pci/devices/" + pci + "/block";
  DIR* d = opendir(dir.c_str());
  if (!d) return "";
  std::string name;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') name = e->d_name;
  }
  closedir(d);
  return name;
}

}  // namespace

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

uint64_t read_u64(const std::string& path) {
  std::string s = read_file(path);
  if (s.empty()) ksft_exit_fail_msg("cannot read %s\n", path.c_str());
  return std::stoull(s, nullptr, 0);
}

bool write_file(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY);
  if (fd < 0) return false;
  bool ok = write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  close(fd);
  return ok;
}

std::vector<Disk> disks(size_t max) {
  std::vector<Disk> out;
  const char* list = getenv("XFERBLK_DISKS");
  if (!list) ksft_exit_skip("XFERBLK_DISKS not set: run inside qemu/run-guest.sh\n");
  std::stringstream ss(list);
  std::string pci;
  for (size_t i = 0; i < max && ss >> pci; i++) {
    Disk d;
    d.pci = pci;
    const char* p = getenv(("XFERBLK_DISK_PROPS_" + std::to_string(i)).c_str());
    d.props = p ? p : "";
    auto m = parse_props(d.props);
    d.prop = m;
    d.lim.block_size = std::stoul(m["logical_block_size"], nullptr, 0);
    d.lim.max_xfer = std::stoul(m["max-transfer"], nullptr, 0);
    d.lim.max_segs = std::min<uint32_t>(std::stoul(m["max-segments"], nullptr, 0), kSglEntries);
    d.lim.max_seg_size = std::stoul(m["max-segment-size"], nullptr, 0) & ~(d.lim.block_size - 1);
    d.lim.seg_boundary = std::stoull(m["seg-boundary"], nullptr, 0);
    d.name = block_name_of(pci);
    if (d.name.empty()) ksft_exit_fail_msg("no block device under PCI device %s\n", pci.c_str());
    d.dev = "/dev/" + d.name;
    d.bytes = read_u64("/sys/block/" + d.name + "/size") * 512;
    out.push_back(d);
  }
  return out;
}

const Disk& disk_with(const std::vector<Disk>& disks, const std::string& shape) {
  for (const Disk& d : disks) {
    bool fits = true;
    for (const auto& [k, v] : split_props(shape))
      fits = fits && d.prop.count(k) && d.prop.at(k) == v;
    if (fits) return d;
  }
  ksft_exit_skip("needs a disk with %s\n", shape.c_str());
}

std::string attr_path(const Disk& d, const std::string& name) {
  for (const char* table : {"children_hist", "queue_commands", "dev_status"})
    if (name == table) return "/sys/kernel/debug/xferblk/" + d.name + "/" + name;
  return "/sys/block/" + d.name + "/xferblk/" + name;
}

Counters counters(const Disk& d) {
  std::string base = "/sys/block/" + d.name + "/xferblk/";
  Counters c{};
  c.parents = read_u64(base + "parents");
  c.children = read_u64(base + "children");
  c.errors = read_u64(base + "errors");
  c.rejected = read_u64(base + "rejected");
  c.dev_commands = read_u64(base + "dev_commands");
  c.dev_rejected = read_u64(base + "dev_rejected");
  std::stringstream ss(read_file(attr_path(d, "dev_status")));
  uint64_t v;
  while (ss >> v) c.dev_status.push_back(v);
  return c;
}

uint64_t stat(const Disk& d, const std::string& name) { return read_u64(attr_path(d, name)); }

Bar0::Bar0(const Disk& d) {
  std::string path = "/sys/bus/pci/devices/" + d.pci + "/resource0";
  int fd = open(path.c_str(), O_RDWR | O_SYNC);
  if (fd < 0) ksft_exit_fail_msg("open %s: %s\n", path.c_str(), strerror(errno));
  len_ = 0x4000;
  void* p = mmap(nullptr, len_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) ksft_exit_fail_msg("mmap %s: %s\n", path.c_str(), strerror(errno));
  base_ = static_cast<volatile uint8_t*>(p);
}

Bar0::~Bar0() { munmap(const_cast<uint8_t*>(base_), len_); }

uint32_t Bar0::read32(uint32_t off) const {
  return *reinterpret_cast<volatile uint32_t*>(base_ + off);
}

void Bar0::write32(uint32_t off, uint32_t value) const {
  *reinterpret_cast<volatile uint32_t*>(base_ + off) = value;
}

void Bar0::write64(uint32_t off, uint64_t value) const {
  write32(off + 4, value >> 32);
  write32(off, value & 0xffffffff);
}

void Bar0::fail_lbas(uint64_t start, uint64_t count) const {
  write64(XFERBLK_REG_FAULT_LBA_COUNT, 0);
  write64(XFERBLK_REG_FAULT_LBA_START, start);
  write64(XFERBLK_REG_FAULT_LBA_COUNT, count);
}

uint64_t Bar0::read64(uint32_t off) const {
  return read32(off) | static_cast<uint64_t>(read32(off + 4)) << 32;
}

uint64_t Bar0::counter(unsigned index) const { return read64(XFERBLK_REG_COUNTERS + 8 * index); }

namespace {
int open_config(const Disk& d) {
  std::string path = "/sys/bus/pci/devices/" + d.pci + "/config";
  int fd = open(path.c_str(), O_RDWR);
  if (fd < 0) ksft_exit_fail_msg("open %s: %s\n", path.c_str(), strerror(errno));
  return fd;
}
constexpr off_t kPciCommand = 4;
constexpr uint16_t kPciBusMaster = 1 << 2;
}  // namespace

bool bus_master(const Disk& d) {
  int fd = open_config(d);
  uint16_t cmd = 0;
  bool ok = pread(fd, &cmd, 2, kPciCommand) == 2;
  close(fd);
  return ok && (cmd & kPciBusMaster);
}

void set_bus_master(const Disk& d, bool on) {
  int fd = open_config(d);
  uint16_t cmd = 0;
  if (pread(fd, &cmd, 2, kPciCommand) != 2) ksft_exit_fail_msg("read PCI command\n");
  cmd = on ? cmd | kPciBusMaster : cmd & ~kPciBusMaster;
  if (pwrite(fd, &cmd, 2, kPciCommand) != 2) ksft_exit_fail_msg("write PCI command\n");
  close(fd);
}

ParamGuard::ParamGuard(const std::string& name, const std::string& value)
    : path_("/sys/module/xferblk/parameters/" + name) {
  saved_ = read_file(path_);
  saved_ = saved_.substr(0, saved_.find('\n'));
  if (!write_file(path_, value)) ksft_exit_fail_msg("cannot set %s\n", path_.c_str());
}

ParamGuard::~ParamGuard() { write_file(path_, saved_); }

std::vector<Range> page_chunks(const std::vector<iovec>& iov) {
  int fd = open("/proc/self/pagemap", O_RDONLY);
  if (fd < 0) ksft_exit_fail_msg("cannot open pagemap\n");
  // A compound tail page continues the folio of the page before it.
  int flags_fd = open("/proc/kpageflags", O_RDONLY);
  if (flags_fd < 0) ksft_exit_fail_msg("cannot open kpageflags\n");
  constexpr uint64_t kCompoundTail = 1ULL << 16;  // KPF_COMPOUND_TAIL
  std::vector<Range> out;
  unsigned seg = 0;
  for (const iovec& v : iov) {
    auto addr = reinterpret_cast<uint64_t>(v.iov_base);
    uint64_t left = v.iov_len;
    while (left) {
      uint64_t entry = 0;
      uint64_t pfn_mask = (1ULL << 55) - 1;
      if (pread(fd, &entry, sizeof(entry), (addr / kPage) * sizeof(entry)) != sizeof(entry) ||
          !(entry >> 63) || !(entry & pfn_mask))
        ksft_exit_fail_msg("no physical address for %#llx\n", (unsigned long long)addr);
      uint32_t len = std::min<uint64_t>(left, kPage - addr % kPage);
      const uint64_t pfn = entry & pfn_mask;
      uint64_t flags = 0;
      if (pread(flags_fd, &flags, sizeof(flags), pfn * sizeof(flags)) != sizeof(flags))
        ksft_exit_fail_msg("no page flags for pfn %#llx\n", (unsigned long long)pfn);
      Range r{pfn * kPage + addr % kPage, len, seg};
      r.folio_tail = (flags & kCompoundTail) && !out.empty() && out.back().seg == seg &&
                     out.back().phys + out.back().len == r.phys;
      out.push_back(r);
      addr += len;
      left -= len;
    }
    seg++;
  }
  close(fd);
  close(flags_fd);
  return out;
}

namespace {

// Pages the iovec spans from @pos on, as iov_iter_npages() counts them.
unsigned pages_from(const std::vector<iovec>& iov, uint64_t pos, unsigned cap) {
  unsigned n = 0;
  uint64_t off = 0;
  for (const iovec& v : iov) {
    uint64_t b = reinterpret_cast<uint64_t>(v.iov_base), len = v.iov_len;
    if (off + len > pos) {
      uint64_t skip = pos > off ? pos - off : 0;
      uint64_t s = b + skip, e = b + len;
      n += (e + kPage - 1) / kPage - s / kPage;
      if (n >= cap) return cap;
    }
    off += len;
  }
  return n;
}

// One bio cut as the driver cuts it: the planner decides each child's bytes,
// and its SG entries are those bytes cut with xferblk_sge_len(), as the port
// layer cuts the DMA-mapped bvecs. Adds the children, their SG entries and
// the parent's histogram bucket to @e.
void split_bio(std::vector<Range> bio, const xferblk_limits& lim, Expect* e) {
  unsigned children = 0;
  size_t i = 0;
  while (i < bio.size()) {
    xferblk_plan plan;
    xferblk_plan_init(&plan, &lim);
    for (size_t j = i; j < bio.size(); j++)
      if (xferblk_plan_add(&plan, bio[j].phys, bio[j].len) < bio[j].len) break;
    uint32_t take = xferblk_plan_bytes(&plan);
    if (!take) throw std::runtime_error("unsplittable bio");
    children++;
    while (take) {
      uint32_t n = std::min(take, bio[i].len);
      for (uint32_t done = 0; done < n; e->segments++)
        done += xferblk_sge_len(&lim, bio[i].phys + done, n - done);
      bio[i].phys += n;
      bio[i].len -= n;
      take -= n;
      if (!bio[i].len) i++;
    }
  }
  e->parents++;
  e->children += children;
  e->hist[hist_bucket(children)]++;
}

}  // namespace

size_t hist_bucket(uint64_t children) {
  size_t b = 0;
  // 1 -> 0, 2 -> 1, 3-4 -> 2, 5-8 -> 3, ...: ilog2(children - 1) + 1.
  for (uint64_t n = children > 1 ? children - 1 : 0; n; n >>= 1) b++;
  return std::min(b, kHistBuckets - 1);
}

Expect expect_split(const std::vector<iovec>& iov, const xferblk_limits& lim) {
  return expect_split(iov, page_chunks(iov), lim);
}

bool bios_from_folios() {
  // The kernel does not change under a test: read its release once.
  static const bool from_folios = [] {
    utsname u{};
    unsigned major = 0, minor = 0;
    if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
      ksft_exit_fail_msg("uname: cannot read the kernel release\n");
    return major >= 7;
  }();
  return from_folios;
}

namespace {

// 7.3: a bio has as many bvecs as the rest of the iovec spans pages (at most
// BIO_MAX_VECS). Each extraction takes up to that many pages still free from
// one iovec element and makes a bvec of each run of pages within one folio;
// extractions go on until every bvec is used.
Expect expect_split_folios(const std::vector<iovec>& iov, const std::vector<Range>& pages,
                           const xferblk_limits& lim) {
  Expect e;
  uint64_t pos = 0;
  size_t p = 0;
  while (p < pages.size()) {
    const unsigned slots = pages_from(iov, pos, kBioMaxVecs);
    std::vector<Range> bio;
    while (p < pages.size() && bio.size() < slots) {
      const unsigned seg = pages[p].seg;
      unsigned taken = 0;
      const unsigned room = slots - bio.size();
      bool first = true;
      while (p < pages.size() && taken < room && pages[p].seg == seg) {
        if (first || !pages[p].folio_tail)
          bio.push_back(pages[p]);
        else
          bio.back().len += pages[p].len;
        first = false;
        pos += pages[p].len;
        taken++;
        p++;
      }
    }
    split_bio(bio, lim, &e);
  }
  return e;
}

}  // namespace

Expect expect_split(const std::vector<iovec>& iov, const std::vector<Range>& pages,
                    const xferblk_limits& lim) {
  if (bios_from_folios()) return expect_split_folios(iov, pages, lim);
  // 6.1 and 6.12: bios as blkdev direct I/O builds them: slots for as many
  // pages as the rest of the iovec spans (at most BIO_MAX_VECS); a page
  // merges into the last bvec when physically contiguous.
  Expect e;
  uint64_t pos = 0;
  size_t p = 0;
  while (p < pages.size()) {
    unsigned slots = pages_from(iov, pos, kBioMaxVecs);
    std::vector<Range> bio;
    // bio_full(): once every slot holds a bvec the bio takes nothing more,
    // not even a page that would merge into the last one.
    while (p < pages.size() && bio.size() < slots) {
      const Range& pg = pages[p];
      if (!bio.empty() && bio.back().phys + bio.back().len == pg.phys)
        bio.back().len += pg.len;
      else
        bio.push_back(pg);
      pos += pg.len;
      p++;
    }
    split_bio(bio, lim, &e);
  }
  return e;
}

Buffer::Buffer(size_t bytes, bool huge) : size_(bytes) {
  const size_t align = huge ? (2u << 20) : kPage;
  size_t len = bytes + align;
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) ksft_exit_fail_msg("mmap %zu bytes failed\n", len);
  auto base = reinterpret_cast<uintptr_t>(p);
  auto aligned = (base + align - 1) & ~(align - 1);
  ptr_ = reinterpret_cast<uint8_t*>(aligned);
  madvise(ptr_, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
  for (size_t i = 0; i < bytes; i += kPage) ptr_[i] = 0;
  // Locked pages keep the physical addresses the model read.
  if (mlock(ptr_, bytes)) ksft_exit_fail_msg("mlock failed\n");
  size_ = bytes;
  map_ = p;
  map_len_ = len;
}

Buffer::~Buffer() { munmap(map_, map_len_); }

Proc run(const std::vector<std::string>& argv, int uid) {
  Proc r;
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) ksft_exit_fail_msg("fork: %s\n", strerror(errno));
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) _exit(126);
    if (uid >= 0 && (setgroups(0, nullptr) || setgid(uid) || setuid(uid))) {
      dprintf(2, "cannot drop to uid %d: %s\n", uid, strerror(errno));
      _exit(126);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    dprintf(2, "cannot run %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* dest[2] = {&r.out, &r.err};
  int open_fds = 2;
  while (open_fds) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      ksft_exit_fail_msg("poll: %s\n", strerror(errno));
    }
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || !fds[i].revents) continue;
      char buf[65536];
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        dest[i]->append(buf, n);
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        open_fds--;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) ksft_exit_fail_msg("waitpid: %s\n", strerror(errno));
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

namespace {

std::string tools_dir;  // the private copies of tool(), removed at exit

void remove_tools() {
  if (tools_dir.empty()) return;
  if (DIR* d = opendir(tools_dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') unlink((tools_dir + "/" + e->d_name).c_str());
    closedir(d);
  }
  rmdir(tools_dir.c_str());
}

}  // namespace

std::string tool(const std::string& name) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) ksft_exit_fail_msg("readlink /proc/self/exe: %s\n", strerror(errno));
  self[n] = 0;
  std::string dir(self);
  std::string src = dir.substr(0, dir.rfind('/') + 1) + name;
  if (access(src.c_str(), X_OK))
    ksft_exit_fail_msg("%s: %s (make selftests installs it)\n", src.c_str(), strerror(errno));
  // Run from a copy in /tmp (a tmpfs in the guest): exec'ing a binary of
  // a few MiB from the project tree's 9p mount costs most of a second per
  // run under TCG. The directory is world-readable, so the copy also runs
  // as another user.
  if (tools_dir.empty()) {
    char tmpl[] = "/tmp/xferblk-tools.XXXXXX";
    if (!mkdtemp(tmpl)) ksft_exit_fail_msg("mkdtemp: %s\n", strerror(errno));
    tools_dir = tmpl;
    chmod(tmpl, 0755);
    atexit(remove_tools);
  }
  std::string dst = tools_dir + "/" + name;
  if (access(dst.c_str(), X_OK) == 0) return dst;
  std::ifstream in(src, std::ios::binary);
  std::ofstream out(dst, std::ios::binary);
  out << in.rdbuf();
  out.close();
  if (!in || !out || chmod(dst.c_str(), 0755))
    ksft_exit_fail_msg("cannot copy %s to %s\n", src.c_str(), dst.c_str());
  return dst;
}

}  // namespace xft
