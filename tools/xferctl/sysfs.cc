// SPDX-License-Identifier: GPL-2.0-only
//
// Reading and writing xferblk's sysfs files.

#include "sysfs.hh"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

namespace xferctl {
namespace fs = std::filesystem;

namespace {

// Names as in the status table of docs/device-spec.md. A switch with no
// default: -Wswitch (an error here) flags a status added to the header but
// not named here.
std::string_view StatusNameOf(enum xferblk_status s) {
  switch (s) {
    case XFERBLK_STS_OK:
      return "OK";
    case XFERBLK_STS_INVALID_OPCODE:
      return "INVALID_OPCODE";
    case XFERBLK_STS_INVALID_FIELD:
      return "INVALID_FIELD";
    case XFERBLK_STS_LBA_RANGE:
      return "LBA_RANGE";
    case XFERBLK_STS_XFER_TOO_LARGE:
      return "XFER_TOO_LARGE";
    case XFERBLK_STS_TOO_MANY_SEGS:
      return "TOO_MANY_SEGS";
    case XFERBLK_STS_SEG_TOO_LARGE:
      return "SEG_TOO_LARGE";
    case XFERBLK_STS_SEG_BOUNDARY:
      return "SEG_BOUNDARY";
    case XFERBLK_STS_DMA_ERROR:
      return "DMA_ERROR";
    case XFERBLK_STS_MEDIA_ERROR:
      return "MEDIA_ERROR";
    case XFERBLK_STS_ABORTED:
      return "ABORTED";
    case XFERBLK_STS_NR:
      break;
  }
  return "";
}

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

// The disk number of "xferblkN", or nullopt if the name is not one.
std::optional<uint64_t> DiskNumber(std::string_view name) {
  constexpr std::string_view kPrefix = "xferblk";
  if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) return std::nullopt;
  std::string_view digits = name.substr(kPrefix.size());
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return ParseU64(digits);
}

bool Exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

std::string ReadText(const fs::path& p) { return std::string(Trim(Sysfs::ReadFile(p))); }

uint64_t ReadNumber(const fs::path& p) {
  std::string text = ReadText(p);
  std::optional<uint64_t> v = ParseU64(text);
  if (!v) throw SysfsError(p.string() + ": not a number: '" + text + "'", 0);
  return *v;
}

std::optional<uint64_t> ReadOptionalNumber(const fs::path& p) {
  if (!Exists(p)) return std::nullopt;
  return ReadNumber(p);
}

std::vector<uint64_t> ReadNumbers(const fs::path& p, size_t expect) {
  std::string text = ReadText(p);
  std::optional<std::vector<uint64_t>> v = ParseU64List(text);
  if (!v) throw SysfsError(p.string() + ": not a list of numbers: '" + text + "'", 0);
  if (expect && v->size() != expect)
    throw SysfsError(p.string() + ": " + std::to_string(v->size()) + " fields, xferctl knows " +
                         std::to_string(expect) + " (is xferctl built from the driver's tree?)",
                     0);
  return *v;
}

// The blank-separated words of `text`.
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  for (text = Trim(text); !text.empty();) {
    size_t end = text.find_first_of(" \t\n");
    words.emplace_back(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : Trim(text.substr(end));
  }
  return words;
}

// The lines of /sys/block/<disk>/volume/targets ("<index> <spec> <device>
// <live|failed> <children> <errors>"), one per target of `targets` (their
// specs from configfs), filled in with their state.
void ReadTargetStates(const fs::path& p, std::vector<VolumeTarget>* targets) {
  const std::string text = Sysfs::ReadFile(p);
  std::vector<std::string_view> lines;
  for (std::string_view rest = text; !rest.empty();) {
    size_t nl = rest.find('\n');
    if (!Trim(rest.substr(0, nl)).empty()) lines.push_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  if (lines.size() != targets->size())
    throw SysfsError(p.string() + ": " + std::to_string(lines.size()) + " targets, configfs has " +
                         std::to_string(targets->size()),
                     0);
  for (size_t i = 0; i < lines.size(); i++) {
    const std::vector<std::string> f = Words(lines[i]);
    VolumeTarget& t = (*targets)[i];
    std::optional<uint64_t> index, children, errors;
    if (f.size() == 6) {
      index = ParseU64(f[0]);
      children = ParseU64(f[4]);
      errors = ParseU64(f[5]);
    }
    if (!index || *index != i || f[1] != t.spec || (f[3] != "live" && f[3] != "failed") ||
        !children || !errors)
      throw SysfsError(p.string() + ": line " + std::to_string(i + 1) + " is not '" +
                           std::to_string(i) + " " + t.spec +
                           " DEVICE live|failed CHILDREN ERRORS': '" + std::string(lines[i]) + "'",
                       0);
    t.state = TargetState{f[2], f[3] == "live", *children, *errors};
  }
}

}  // namespace

std::vector<std::string> FeatureNames(uint32_t features) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {XFERBLK_FEAT_WRITE_CACHE, "write_cache"},
      {XFERBLK_FEAT_FUA, "fua"},
      {XFERBLK_FEAT_DISCARD, "discard"},
      {XFERBLK_FEAT_WRITE_ZEROES, "write_zeroes"},
      {XFERBLK_FEAT_ABORT, "abort"}};
  std::vector<std::string> names;
  for (unsigned bit = 0; bit < 32; bit++) {
    const uint32_t mask = 1u << bit;
    if (!(features & mask)) continue;
    std::string name = "bit" + std::to_string(bit);
    for (const auto& [m, n] : kNames)
      if (m == mask) name = std::string(n);
    names.push_back(name);
  }
  return names;
}

std::string_view StatusName(unsigned code) {
  if (code >= kStatusCount) return "";
  return StatusNameOf(static_cast<enum xferblk_status>(code));
}

bool IsRejection(unsigned code) {
  return code >= XFERBLK_STS_FIRST_REJECT && code <= XFERBLK_STS_LAST_REJECT;
}

std::optional<uint64_t> ParseU64(std::string_view text) {
  text = Trim(text);
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<std::vector<uint64_t>> ParseU64List(std::string_view text) {
  std::vector<uint64_t> out;
  text = Trim(text);
  while (!text.empty()) {
    size_t sp = text.find_first_of(" \t");
    std::optional<uint64_t> v = ParseU64(text.substr(0, sp));
    if (!v) return std::nullopt;
    out.push_back(*v);
    text = sp == std::string_view::npos ? std::string_view() : Trim(text.substr(sp));
  }
  return out;
}

fs::path Sysfs::DiskDir(std::string_view disk) const { return root_ / "block" / disk; }

fs::path Sysfs::DiskAttr(std::string_view disk, std::string_view attr) const {
  return DiskDir(disk) / "xferblk" / attr;
}

fs::path Sysfs::DiskTable(std::string_view disk, std::string_view name) const {
  return root_ / "kernel" / "debug" / "xferblk" / disk / name;
}

fs::path Sysfs::VolumesDir() const { return root_ / "kernel" / "config" / "xferblk"; }

fs::path Sysfs::VolumeDir(std::string_view volume) const { return VolumesDir() / volume; }

fs::path Sysfs::VolumeDiskAttr(std::string_view disk, std::string_view attr) const {
  return DiskDir(disk) / "volume" / attr;
}

fs::path Sysfs::ModuleDir() const { return root_ / "module" / "xferblk"; }

fs::path Sysfs::ModuleParam(std::string_view param) const {
  return ModuleDir() / "parameters" / param;
}

std::vector<std::string> Sysfs::ListDisks() const {
  std::vector<std::pair<uint64_t, std::string>> found;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(root_ / "block", ec)) {
    std::string name = e.path().filename().string();
    std::optional<uint64_t> n = DiskNumber(name);
    if (n && HasDisk(name)) found.emplace_back(*n, name);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  for (auto& f : found) names.push_back(std::move(f.second));
  return names;
}

bool Sysfs::HasDisk(std::string_view disk) const {
  std::error_code ec;
  return fs::is_directory(DiskDir(disk) / "xferblk", ec);
}

bool Sysfs::IsVolumeDisk(std::string_view disk) const {
  std::error_code ec;
  return fs::is_directory(DiskDir(disk) / "volume", ec);
}

std::vector<std::string> Sysfs::ListVolumes() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(VolumesDir(), ec))
    if (std::error_code dir_ec; e.is_directory(dir_ec))
      names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

bool Sysfs::HasVolume(std::string_view volume) const {
  std::error_code ec;
  return fs::is_directory(VolumeDir(volume), ec);
}

VolumeInfo Sysfs::ReadVolume(std::string_view volume) const {
  const fs::path dir = VolumeDir(volume);
  if (!HasVolume(volume))
    throw SysfsError("no volume " + std::string(volume) + " (" + dir.string() + " does not exist)",
                     ENOENT);
  VolumeInfo v;
  v.name = std::string(volume);
  const std::string power = ReadText(dir / "power");
  if (power != "0" && power != "1")
    throw SysfsError((dir / "power").string() + ": not 0 or 1: '" + power + "'", 0);
  v.powered = power == "1";
  v.layout = ReadText(dir / "layout");
  v.chunk_size = ReadNumber(dir / "chunk_size");
  for (std::string& spec : Words(Sysfs::ReadFile(dir / "targets")))
    v.targets.push_back({std::move(spec), std::nullopt});
  const std::string disk = ReadText(dir / "disk");
  if (!v.powered) {
    if (!disk.empty())
      throw SysfsError((dir / "disk").string() + ": '" + disk + "', but power is 0", 0);
    return v;
  }
  // The disk's name goes into a path: it must be one.
  if (!DiskNumber(disk))
    throw SysfsError(
        (dir / "disk").string() + ": not the name of an xferblk disk: '" + disk + "' (power is 1)",
        0);
  v.disk = disk;
  if (!IsVolumeDisk(disk))
    throw SysfsError("the disk of volume " + v.name + ", " + disk + ", has no " +
                         (DiskDir(disk) / "volume").string(),
                     ENOENT);
  ReadTargetStates(VolumeDiskAttr(disk, "targets"), &v.targets);
  v.degraded = ReadNumber(VolumeDiskAttr(disk, "degraded"));
  for (std::string_view name : kVolumeCounters)
    v.counters.push_back({std::string(name), ReadNumber(VolumeDiskAttr(disk, name))});
  return v;
}

DiskInfo Sysfs::ReadDisk(std::string_view disk) const {
  if (!HasDisk(disk))
    throw SysfsError("no xferblk disk " + std::string(disk) + " (" + DiskDir(disk).string() +
                         "/xferblk does not exist)",
                     ENOENT);
  const fs::path dir = DiskDir(disk);
  DiskInfo d;
  d.name = std::string(disk);

  // /sys/block/xferblkN/device -> ../../../0000:00:04.0 (the PCI function).
  std::error_code ec;
  fs::path dev = fs::read_symlink(dir / "device", ec);
  if (!ec && !dev.filename().empty()) d.pci_address = dev.filename().string();

  d.size_sectors = ReadNumber(dir / "size");
  d.logical_block_size = ReadNumber(dir / "queue" / "logical_block_size");
  d.physical_block_size = ReadOptionalNumber(dir / "queue" / "physical_block_size");
  for (const LimitSpec& spec : kLimits) {
    fs::path p = dir / "queue" / spec.name;
    Limit l{std::string(spec.name), std::nullopt, spec.hex};
    l.value = spec.required ? std::optional<uint64_t>(ReadNumber(p)) : ReadOptionalNumber(p);
    d.limits.push_back(std::move(l));
  }

  const fs::path x = dir / "xferblk";
  // No debugfs, or not root: the tables are left out, not an error.
  std::error_code dir_ec;
  d.tables = fs::is_directory(DiskTable(disk, ""), dir_ec);
  if (d.tables) {
    d.queue_commands = ReadNumbers(DiskTable(disk, "queue_commands"), 0);
    if (d.queue_commands.empty())
      throw SysfsError(DiskTable(disk, "queue_commands").string() + ": no queues", 0);
  }
  d.send_mode = ReadText(x / "send_mode");
  if (Exists(x / "queue_mode")) d.queue_mode = ReadText(x / "queue_mode");
  for (std::string_view name : kDriverCounters)
    d.driver_counters.push_back({std::string(name), ReadNumber(x / name)});
  for (std::string_view name : kDeviceCounters)
    d.device_counters.push_back({std::string(name), ReadNumber(x / name)});
  if (d.tables) {
    d.dev_status = ReadNumbers(DiskTable(disk, "dev_status"), kStatusCount);
    d.children_hist = ReadNumbers(DiskTable(disk, "children_hist"), kHistLabels.size());
  }
  return d;
}

ModuleInfo Sysfs::ReadModule() const {
  ModuleInfo m;
  std::error_code ec;
  m.loaded = fs::is_directory(ModuleDir(), ec);
  if (!m.loaded) return m;
  fs::path p = ModuleParam("split");
  if (Exists(p)) {
    std::string v = ReadText(p);
    if (v == "Y" || v == "1")
      m.split = true;
    else if (v == "N" || v == "0")
      m.split = false;
    else
      throw SysfsError(p.string() + ": not Y or N: '" + v + "'", 0);
  }
  p = ModuleParam("send_mode");
  if (Exists(p)) m.send_mode = ReadText(p);
  m.timeout_ms = ReadOptionalNumber(ModuleParam("timeout_ms"));
  m.queue_depth = ReadOptionalNumber(ModuleParam("queue_depth"));
  p = ModuleParam("queue_mode");
  if (Exists(p)) m.queue_mode = ReadText(p);
  return m;
}

std::string Sysfs::ReadFile(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    throw SysfsError("cannot read " + path.string() + ": " + std::strerror(e), e);
  }
  // A sysfs attribute is at most a page; the cap keeps a wrong path (a
  // device node such as /dev/zero) from being read forever.
  constexpr size_t kMaxRead = 64 * 1024;
  std::string out;
  char buf[4096];
  while (out.size() < kMaxRead) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      throw SysfsError("cannot read " + path.string() + ": " + std::strerror(e), e);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

void Sysfs::WriteFile(const fs::path& path, std::string_view value) {
  // No O_CREAT: writing a setting must never create a file. O_TRUNC is what
  // a shell's "echo x > attr" does; sysfs ignores it, a fake tree needs it.
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    throw SysfsError(path.string() + ": " + std::strerror(e), e);
  }
  ssize_t n;
  do {
    n = ::write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  int e = n < 0 ? errno : 0;
  if (::close(fd) != 0 && e == 0) e = errno;
  if (e == 0 && static_cast<size_t>(n) != value.size()) e = EIO;
  if (e != 0) throw SysfsError(path.string() + ": " + std::strerror(e), e);
}

}  // namespace xferctl
