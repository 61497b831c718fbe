// SPDX-License-Identifier: GPL-2.0-only

#include "config.hh"

#include <cstdio>
#include <map>
#include <stdexcept>

#include "op.hh"

namespace xferfuzz {

namespace {

constexpr uint64_t kNullDefaultSize = 1ULL << 30;

struct DriveName {
  Drive drive;
  std::string_view name;
  bool has_arg;
};

constexpr DriveName kDriveNames[] = {
    {Drive::kRaw, "raw", false},
    {Drive::kNull, "null", false},
    {Drive::kNullDrive, "null-drive", false},
    {Drive::kSnapshot, "snapshot", false},
    {Drive::kBlkdebug, "blkdebug", true},
    {Drive::kThrottle, "throttle", true},
};

[[noreturn]] void Bad(const std::string& what) { throw std::invalid_argument(what); }

// A number, decimal or 0x hex, with an optional k, M or G (powers of 1024)
// for sizes.
uint64_t ParseNumber(std::string_view s, bool suffix = false) {
  uint64_t mult = 1;
  if (suffix && !s.empty()) {
    switch (s.back()) {
      case 'k':
      case 'K':
        mult = 1ULL << 10;
        break;
      case 'M':
        mult = 1ULL << 20;
        break;
      case 'G':
        mult = 1ULL << 30;
        break;
    }
    if (mult != 1) s.remove_suffix(1);
  }
  std::optional<uint64_t> v = ParseUnsigned(s);
  if (!v) Bad("not a number: '" + std::string(s) + "'");
  return *v * mult;
}

bool ParseBool(std::string_view s) {
  if (s == "on" || s == "true" || s == "yes") return true;
  if (s == "off" || s == "false" || s == "no") return false;
  Bad("not on or off: '" + std::string(s) + "'");
}

std::map<std::string, std::string, std::less<>> PropMap(std::string_view props) {
  std::map<std::string, std::string, std::less<>> out;
  while (!props.empty()) {
    size_t comma = props.find(',');
    std::string_view item = props.substr(0, comma);
    props = comma == std::string_view::npos ? std::string_view() : props.substr(comma + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) Bad("property without a value: '" + std::string(item) + "'");
    out[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
  }
  return out;
}

}  // namespace

std::string FormatConfig(const DeviceConfig& c) {
  std::string out = "drive=";
  for (const DriveName& d : kDriveNames) {
    if (d.drive != c.drive) continue;
    out += d.name;
    if (d.has_arg) out += ":" + std::to_string(c.drive_arg);
  }
  out += " size=" + std::to_string(c.image_size);
  if (c.throttle) out += " throttle=" + std::to_string(c.throttle);
  if (!c.props.empty()) out += " props=" + c.props;
  return out;
}

DeviceConfig ParseConfig(std::string_view fields) {
  DeviceConfig c;
  bool have_drive = false;
  while (!fields.empty()) {
    size_t start = fields.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    fields.remove_prefix(start);
    size_t end = fields.find_first_of(" \t");
    std::string_view field = fields.substr(0, end);
    fields = end == std::string_view::npos ? std::string_view() : fields.substr(end);
    size_t eq = field.find('=');
    if (eq == std::string_view::npos)
      Bad("start: expected KEY=VALUE, got '" + std::string(field) + "'");
    std::string_view key = field.substr(0, eq), value = field.substr(eq + 1);
    if (key == "drive") {
      std::string_view name = value.substr(0, value.find(':'));
      const DriveName* found = nullptr;
      for (const DriveName& d : kDriveNames) {
        if (d.name == name) found = &d;
      }
      if (!found) Bad("start: unknown drive '" + std::string(name) + "'");
      c.drive = found->drive;
      if (found->has_arg) {
        if (value.find(':') == std::string_view::npos) {
          Bad("start: drive " + std::string(name) + " needs :NUMBER");
        }
        c.drive_arg = ParseNumber(value.substr(value.find(':') + 1));
      }
      have_drive = true;
    } else if (key == "size") {
      c.image_size = ParseNumber(value, true);
    } else if (key == "throttle") {
      c.throttle = ParseNumber(value);
      if (!c.throttle) Bad("start: throttle=0");
    } else if (key == "props") {
      c.props = std::string(value);
    } else {
      Bad("start: unknown field '" + std::string(key) + "'");
    }
  }
  if (!have_drive) Bad("start: no drive=");
  if (c.throttle && c.drive != Drive::kBlkdebug) Bad("start: throttle= is for drive=blkdebug");
  return c;
}

std::vector<std::string> QemuArgs(const DeviceConfig& c, const std::filesystem::path& image,
                                  unsigned slot) {
  const std::string img = image.string();
  std::vector<std::string> args;
  std::string dev = "xferblk,drive=d0";
  switch (c.drive) {
    case Drive::kRaw:
      args = {"-drive", "if=none,id=d0,format=raw,file=" + img};
      break;
    case Drive::kNull:
      dev = "xferblk,null=on";
      break;
    case Drive::kNullDrive:
      args = {"-drive", "if=none,id=d0,format=raw,file=" + img};
      dev += ",null=on";
      break;
    case Drive::kSnapshot:
      args = {"-drive", "if=none,id=d0,format=raw,snapshot=on,file=" + img};
      break;
    case Drive::kBlkdebug: {
      const std::string sector = std::to_string(c.drive_arg);
      args = {"-blockdev",
              "driver=file,node-name=f0,filename=" + img,
              "-blockdev",
              "driver=blkdebug,node-name=b0,image=f0,"
              "inject-error.0.event=read_aio,inject-error.0.errno=5,inject-error.0.sector=" +
                  sector +
                  ",inject-error.1.event=write_aio,inject-error.1.errno=28,"
                  "inject-error.1.sector=" +
                  sector,
              "-blockdev",
              std::string("driver=raw,node-name=") + (c.throttle ? "r0" : "d0") + ",file=b0"};
      if (c.throttle) {
        args.insert(args.begin(),
                    {"-object", "throttle-group,id=tg0,x-bps-total=" + std::to_string(c.throttle)});
        args.insert(args.end(),
                    {"-blockdev", "driver=throttle,node-name=d0,throttle-group=tg0,file=r0"});
      }
      break;
    }
    case Drive::kThrottle:
      args = {"-object",   "throttle-group,id=tg0,x-bps-total=" + std::to_string(c.drive_arg),
              "-blockdev", "driver=file,node-name=f0,filename=" + img,
              "-blockdev", "driver=raw,node-name=r0,file=f0",
              "-blockdev", "driver=throttle,node-name=d0,throttle-group=tg0,file=r0"};
      break;
  }
  char addr[16];
  std::snprintf(addr, sizeof(addr), "%02x.0", slot);
  dev += ",addr=" + std::string(addr) + ",id=xb0";
  if (!c.props.empty()) dev += "," + c.props;
  args.push_back("-device");
  args.push_back(dev);
  return args;
}

Geometry GeometryOf(const DeviceConfig& c) {
  Geometry g;
  auto props = PropMap(c.props);
  auto u64 = [&](std::string_view key, uint64_t def, bool suffix = false) {
    auto it = props.find(key);
    return it == props.end() ? def : ParseNumber(it->second, suffix);
  };
  auto u32 = [&](std::string_view key, uint32_t def) {
    return static_cast<uint32_t>(u64(key, def));
  };
  auto flag = [&](std::string_view key, bool def) {
    auto it = props.find(key);
    return it == props.end() ? def : ParseBool(it->second);
  };
  g.block_size = u32("logical_block_size", 512);
  g.max_xfer = u32("max-transfer", g.max_xfer);
  g.max_segs = u32("max-segments", g.max_segs);
  g.max_seg_size = u32("max-segment-size", g.max_seg_size);
  g.seg_boundary = u64("seg-boundary", g.seg_boundary);
  g.queues = u32("queues", 1);  // QEMU's default is the CPU count: 1 here
  g.max_depth = u32("queue-depth", g.max_depth);
  g.null_backend = c.drive == Drive::kNull || c.drive == Drive::kNullDrive || flag("null", false);
  const bool discard = flag("discard", true);
  g.max_discard = discard ? u32("max-discard-blocks", 65536) : 0;
  g.max_wzeroes = discard ? u32("max-write-zeroes-blocks", 65536) : 0;
  if (g.block_size == 0) g.block_size = 512;
  uint64_t bytes;
  if (c.drive == Drive::kNull) {
    bytes = u64("null-size", 0, true);
    if (bytes == 0) bytes = kNullDefaultSize;
  } else {
    bytes = (c.image_size + 511) / 512 * 512;  // QEMU rounds a file up to sectors
  }
  g.capacity = bytes / g.block_size;
  return g;
}

}  // namespace xferfuzz
