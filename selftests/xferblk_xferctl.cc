// xferctl (tools/xferctl) against the real driver: what it lists (human and
// --json) is what sysfs, the PCI device and the driver's ioctls say; reset
// and set change exactly what they should, through the ioctls and through
// sysfs (--no-ioctl); bad values are usage errors (exit 2) that change
// nothing, missing disks and a user without root are runtime failures
// (exit 1) that change nothing.
//
// The tools: `make selftests` installs xferctl and xferio (built by `make
// tools`) into build/selftests, next to the tests; a test runs a private
// copy of them in /tmp (xft::tool(): faster than from the project tree's 9p
// mount, and runnable by an ordinary user whatever the tree's permissions).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../uapi/xferblk_hw.h"
#include "kselftest.h"
#include "xferblk_test.hh"

namespace {

using xft::Problems;
// Member order matters: dev_status and children_hist are in bucket order.
using Json = nlohmann::ordered_json;

constexpr int kNobody = 65534;

// Runs @body, turning a JSON or parse exception into a problem.
template <typename F>
void guarded(Problems* p, F body) {
  try {
    body();
  } catch (const std::exception& e) {
    p->want(false, e.what());
  }
}

// A non-negative integer, exactly (64-bit counters); throws for anything
// else.
uint64_t exact_u64(const Json& j) {
  if (!j.is_number_unsigned()) throw std::runtime_error("JSON: " + j.dump() + " is not a u64");
  return j.get<uint64_t>();
}

// The key of an object's member @i, in order; throws if there is none.
const std::string& key_at(const Json& j, size_t i) {
  if (!j.is_object() || i >= j.size())
    throw std::runtime_error("JSON: no member " + std::to_string(i) + " in " + j.dump());
  return std::next(j.begin(), static_cast<std::ptrdiff_t>(i)).key();
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::vector<uint64_t> numbers(const std::string& text) {
  std::vector<uint64_t> v;
  std::stringstream ss(text);
  for (uint64_t n; ss >> n;) v.push_back(n);
  return v;
}

std::string attr(const xft::Disk& d, const std::string& name) {
  return trimmed(xft::read_file(xft::attr_path(d, name)));
}
std::string param(const std::string& name) {
  return trimmed(xft::read_file("/sys/module/xferblk/parameters/" + name));
}

// Equal JSON values, apart from the members named in @skip; @where says
// where the first difference is.
bool same(const Json& a, const Json& b, const std::vector<std::string>& skip, std::string* where,
          const std::string& path = "") {
  if (a.type() != b.type() && !(a.is_number() && b.is_number())) {
    *where = path + ": types differ";
    return false;
  }
  if (a.is_array()) {
    if (a.size() == b.size()) {
      for (size_t i = 0; i < a.size(); i++)
        if (!same(a[i], b[i], skip, where, path + "[" + std::to_string(i) + "]")) return false;
      return true;
    }
  } else if (a.is_object()) {
    if (a.size() == b.size()) {
      for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
        if (ia.key() != ib.key()) {
          *where = path + ": member " + ia.key() + " vs " + ib.key();
          return false;
        }
        if (std::find(skip.begin(), skip.end(), ia.key()) != skip.end()) continue;
        if (!same(ia.value(), ib.value(), skip, where, path + "." + ia.key())) return false;
      }
      return true;
    }
  } else if (a.is_number_unsigned() && b.is_number_unsigned()) {
    if (a.get<uint64_t>() == b.get<uint64_t>()) return true;  // exactly, for 64-bit counters
  } else if (a == b) {
    return true;
  }
  *where = path + " differs";
  return false;
}

// The names xferctl gives the XFERBLK_FEAT_* bits.
std::vector<std::string> feature_names(uint32_t f) {
  const char* names[] = {"write_cache", "fua", "discard", "write_zeroes", "abort"};
  std::vector<std::string> out;
  for (unsigned bit = 0; bit < 32; bit++)
    if (f & (1u << bit)) out.push_back(bit < 5 ? names[bit] : "bit" + std::to_string(bit));
  return out;
}

// The tables of one disk object (queues, statuses, histogram) against debugfs.
void check_tables(const xft::Disk& d, const Json& j, Problems* p) {
  const std::vector<uint64_t> queues = numbers(attr(d, "queue_commands"));
  const Json& qc = j.at("queue_commands");
  p->eq("queue_count", exact_u64(j.at("queue_count")), queues.size());
  p->want(qc.size() == queues.size(), "queue_commands has the wrong length");
  for (size_t i = 0; i < queues.size() && i < qc.size(); i++)
    p->eq("queue_commands[" + std::to_string(i) + "]", exact_u64(qc.at(i)), queues[i]);
  const std::vector<uint64_t> status = numbers(attr(d, "dev_status"));
  const Json& ds = j.at("dev_status");
  p->eq("dev_status entries", ds.size(), status.size());
  for (size_t i = 0; i < status.size() && i < ds.size(); i++)
    p->eq("dev_status." + key_at(ds, i), exact_u64(ds.at(key_at(ds, i))), status[i]);
  p->eq("dev_status.OK is status 0", key_at(ds, 0), std::string("OK"));
  const std::vector<uint64_t> hist = numbers(attr(d, "children_hist"));
  const Json& ch = j.at("children_hist");
  p->eq("children_hist buckets", ch.size(), hist.size());
  for (size_t i = 0; i < hist.size() && i < ch.size(); i++)
    p->eq("children_hist." + key_at(ch, i), exact_u64(ch.at(key_at(ch, i))), hist[i]);
}

// One disk object of xferctl's JSON against sysfs and the PCI device; with
// !@tables (an ordinary user, who cannot enter debugfs) the tables are null.
void check_disk(const xft::Disk& d, const Json& j, bool ioctl, Problems* p, bool tables = true) {
  const std::string q = "/sys/block/" + d.name + "/queue/";
  p->eq("name", j.at("name").get<std::string>(), d.name);
  p->eq("pci_address", j.at("pci_address").get<std::string>(), d.pci);
  const uint64_t sectors = xft::read_u64("/sys/block/" + d.name + "/size");
  p->eq("capacity_sectors", exact_u64(j.at("capacity_sectors")), sectors);
  p->eq("capacity_bytes", exact_u64(j.at("capacity_bytes")), sectors * 512);
  p->eq("logical_block_size", exact_u64(j.at("logical_block_size")),
        xft::read_u64(q + "logical_block_size"));
  p->eq("physical_block_size", exact_u64(j.at("physical_block_size")),
        xft::read_u64(q + "physical_block_size"));
  const Json& limits = j.at("limits");
  p->want(limits.size() >= 10, "fewer than 10 limits");
  for (auto it = limits.begin(); it != limits.end(); ++it) {
    const std::string& name = it.key();
    const Json& v = it.value();
    if (access((q + name).c_str(), F_OK) == 0)
      p->eq("limits." + name, v.is_null() ? UINT64_MAX : exact_u64(v), xft::read_u64(q + name));
    else
      p->want(v.is_null(), "limits." + name + " is not null, and sysfs has no such file");
  }
  if (tables)
    check_tables(d, j, p);
  else
    for (const char* t : {"queue_count", "queue_commands", "dev_status", "children_hist"})
      p->want(j.at(t).is_null(), std::string(t) + " is not null without debugfs");
  p->eq("send_mode", j.at("send_mode").get<std::string>(), attr(d, "send_mode"));
  p->eq("queue_mode", j.at("queue_mode").get<std::string>(), attr(d, "queue_mode"));
  const Json& counters = j.at("counters");
  p->want(counters.size() == 10, "not 10 driver counters");
  for (auto it = counters.begin(); it != counters.end(); ++it)
    p->eq("counters." + it.key(), exact_u64(it.value()), xft::stat(d, it.key()));
  const Json& dev_counters = j.at("device_counters");
  p->want(dev_counters.size() == 15, "not 15 device counters");
  for (auto it = dev_counters.begin(); it != dev_counters.end(); ++it)
    p->eq("device_counters." + it.key(), exact_u64(it.value()), xft::stat(d, it.key()));

  p->eq("source", j.at("source").get<std::string>(), std::string(ioctl ? "ioctl" : "sysfs"));
  if (!ioctl) {
    p->want(j.at("device").is_null(), "device is not null read through sysfs");
    return;
  }
  // XFERBLK_IOC_INFO: the device's registers, as the driver uses them.
  const Json& dev = j.at("device");
  xft::Bar0 bar(d);
  const uint32_t version = bar.read32(XFERBLK_REG_VERSION);
  p->eq("device.version", dev.at("version").get<std::string>(),
        std::to_string(version >> 16) + "." + std::to_string(version & 0xffff));
  p->eq("device.capacity_blocks", exact_u64(dev.at("capacity_blocks")),
        sectors * 512 / d.lim.block_size);
  p->eq("device.block_size", exact_u64(dev.at("block_size")), uint64_t{d.lim.block_size});
  p->eq("device.max_transfer", exact_u64(dev.at("max_transfer")), uint64_t{d.lim.max_xfer});
  p->eq("device.max_segments", exact_u64(dev.at("max_segments")), uint64_t{d.lim.max_segs});
  p->eq("device.max_segment_size", exact_u64(dev.at("max_segment_size")),
        uint64_t{d.lim.max_seg_size});
  p->eq("device.seg_boundary", exact_u64(dev.at("seg_boundary")), d.lim.seg_boundary);
  const auto features = dev.at("features").get<std::vector<std::string>>();
  p->want(features == feature_names(bar.read32(XFERBLK_REG_FEATURES)),
          "device.features differ from the FEATURES register");
  p->eq("device.nr_queues", exact_u64(dev.at("nr_queues")),
        numbers(attr(d, "queue_commands")).size());
  p->eq("device.queue_depth", exact_u64(dev.at("queue_depth")),
        std::min<uint64_t>(std::stoull(param("queue_depth")), bar.read32(XFERBLK_REG_MAX_DEPTH)));
}

// Writes and reads back 1 MiB on the disk, so the counters are not zero.
void some_io(const xft::Disk& d) {
  int fd = open(d.dev.c_str(), O_RDWR | O_DIRECT);
  if (fd < 0) ksft_exit_fail_msg("open %s: %s\n", d.dev.c_str(), strerror(errno));
  xft::Buffer buf(1 << 20, false);
  memset(buf.data(), 0x5a, buf.size());
  if (pwrite(fd, buf.data(), buf.size(), 0) != static_cast<ssize_t>(buf.size()) ||
      pread(fd, buf.data(), buf.size(), 0) != static_cast<ssize_t>(buf.size()))
    ksft_exit_fail_msg("I/O on %s: %s\n", d.dev.c_str(), strerror(errno));
  close(fd);
}

// A run's outcome in a test line: "exit N" and, if it failed, its stderr.
std::string outcome(const xft::Proc& r) {
  std::string s = "exit " + std::to_string(r.exit_code);
  if (r.exit_code != 0 && !r.err.empty()) s += ", \"" + trimmed(r.err) + "\"";
  return s;
}

}  // namespace

int main() {
  auto disks = xft::disks();
  const std::string xferctl = xft::tool("xferctl");
  const xft::Disk& d0 = disks.at(0);
  auto X = [&](std::vector<std::string> args, int uid = -1) {
    args.insert(args.begin(), xferctl);
    return xft::run(args, uid);
  };

  // An ordinary user runs the same copy (xft::tool() puts it in a
  // world-readable directory).
  auto N = [&](std::vector<std::string> args) {
    args.insert(args.begin(), xferctl);
    return xft::run(args, kNobody);
  };

  struct Bad {
    std::vector<std::string> args;
    const char* why;
  };
  const std::vector<Bad> usage = {
      {{"set", d0.name, "send-mode", "fast"}, "send-mode fast"},
      {{"set", "timeout-ms", "99"}, "timeout-ms 99 (below 100)"},
      {{"set", "timeout-ms", "3600001"}, "timeout-ms 3600001 (above 3600000)"},
      {{"set", "timeout-ms", "0x100"}, "timeout-ms 0x100 (not decimal)"},
      {{"show", "sda"}, "show sda (not an xferblk name)"},
      {{"frob"}, "unknown command"},
      {{"--bogus", "list"}, "unknown option"},
      {{"--json", "reset", d0.name}, "--json with reset"},
  };
  const std::vector<std::vector<std::string>> missing = {
      {"show", "xferblk99"}, {"reset", "xferblk99"}, {"set", "xferblk99", "send-mode", "sync"}};

  ksft_print_header();
  // list, each disk, 9 single checks, the usage errors, the missing disks,
  // the ordinary user's three.
  ksft_set_plan(1 + disks.size() + 9 + usage.size() + missing.size() + 3);

  // --- list: the module's parameters and every disk, against sysfs ----------
  xft::Proc list = X({"--json", "list"});
  Json lj;
  {
    Problems p;
    p.eq("exit", list.exit_code, 0);
    p.eq("stderr", list.err, std::string());
    guarded(&p, [&] {
      lj = Json::parse(list.out);
      const Json& m = lj.at("module");
      p.want(m.at("loaded").get<bool>(), "module not loaded");
      p.eq("split", m.at("split").get<bool>() ? "Y" : "N", param("split"));
      p.eq("send_mode", m.at("send_mode").get<std::string>(), param("send_mode"));
      p.eq("timeout_ms", std::to_string(exact_u64(m.at("timeout_ms"))), param("timeout_ms"));
      p.eq("queue_depth", std::to_string(exact_u64(m.at("queue_depth"))), param("queue_depth"));
      p.eq("queue_mode", m.at("queue_mode").get<std::string>(), param("queue_mode"));
      std::vector<std::string> names, want;
      for (const Json& d : lj.at("disks")) names.push_back(d.at("name").get<std::string>());
      for (const auto& e : std::filesystem::directory_iterator("/sys/block"))
        if (std::filesystem::exists(e.path() / "xferblk"))
          want.push_back(e.path().filename().string());
      std::sort(want.begin(), want.end(), [](const std::string& a, const std::string& b) {
        return a.size() != b.size() ? a.size() < b.size() : a < b;
      });
      p.want(names == want, "the disks listed are not the xferblk disks of /sys/block");
    });
    ksft_test_result(p.ok(), "xferctl --json list: exit 0, module parameters as in sysfs%s\n",
                     p.str().c_str());
  }
  for (const xft::Disk& d : disks) {
    Problems p;
    guarded(&p, [&] {
      const Json* found = nullptr;
      for (const Json& j : lj.at("disks"))
        if (j.at("name").get<std::string>() == d.name) found = &j;
      if (!found) throw std::runtime_error("not listed");
      check_disk(d, *found, true, &p);
    });
    ksft_test_result(p.ok(),
                     "%s [%s] listed as sysfs, BAR0 and XFERBLK_IOC_INFO describe it (source "
                     "ioctl)%s\n",
                     d.name.c_str(), d.props.c_str(), p.str().c_str());
  }

  // --- the same through sysfs only, and show --------------------------------
  {
    Problems p;
    xft::Proc r = X({"--json", "--no-ioctl"});
    p.eq("exit", r.exit_code, 0);
    guarded(&p, [&] {
      const Json j = Json::parse(r.out);
      std::string where;
      p.want(same(j, lj, {"source", "device"}, &where), "differs from the ioctl list: " + where);
      for (const Json& dj : j.at("disks")) {
        p.eq("source", dj.at("source").get<std::string>(), std::string("sysfs"));
        p.want(dj.at("device").is_null(), "device not null");
      }
      check_disk(d0, j.at("disks").at(0), false, &p);
    });
    ksft_test_result(p.ok(), "xferctl --json --no-ioctl: the same values, source sysfs%s\n",
                     p.str().c_str());
  }
  {
    Problems p;
    xft::Proc r = X({"--json", "show", d0.dev});
    p.eq("exit", r.exit_code, 0);
    guarded(&p, [&] {
      std::string where;
      p.want(same(Json::parse(r.out), lj.at("disks").at(0), {}, &where),
             "differs from the list's disk: " + where);
    });
    ksft_test_result(p.ok(), "xferctl --json show %s: the list's object%s\n", d0.dev.c_str(),
                     p.str().c_str());
  }
  {
    // Human output: the lines that carry values, against sysfs.
    Problems p;
    some_io(d0);
    xft::Proc r = X({"show", d0.name});
    p.eq("exit", r.exit_code, 0);
    auto has = [&](const std::string& line) {
      p.want(r.out.find(line) != std::string::npos, "no line \"" + trimmed(line) + "\"");
    };
    const uint64_t bytes = xft::read_u64("/sys/block/" + d0.name + "/size") * 512;
    has(d0.name + "  PCI " + d0.pci + "\n");
    has(" (" + std::to_string(bytes) + " bytes, ");
    has("\n  send mode        " + attr(d0, "send_mode") + "\n");
    has("\n  queue mode       " + attr(d0, "queue_mode") + "\n");
    std::string queues = attr(d0, "queue_commands");
    has("\n  queues           " + std::to_string(numbers(queues).size()) +
        " (commands per queue: " + queues + ")\n");
    has("driver counters  parents " + attr(d0, "parents") + ", children " + attr(d0, "children") +
        ",");
    // The histogram row: "  parents" and one number per bucket.
    const std::string head = "\n  parents ";
    size_t at = r.out.find(head);
    std::vector<uint64_t> row;
    if (at != std::string::npos) {
      at += head.size();
      row = numbers(r.out.substr(at, r.out.find('\n', at) - at));
    }
    p.want(row == numbers(attr(d0, "children_hist")), "the histogram row is not children_hist");
    p.want(xft::stat(d0, "parents") > 0, "no parents after I/O");
    ksft_test_result(p.ok(),
                     "xferctl show %s: header, capacity, modes, queues, counters and "
                     "histogram as in sysfs%s\n",
                     d0.name.c_str(), p.str().c_str());
  }

  // --- reset -------------------------------------------------------------------
  for (bool ioctl : {true, false}) {
    Problems p;
    some_io(d0);
    std::vector<std::string> args = {"reset", d0.name};
    if (!ioctl) args.push_back("--no-ioctl");
    xft::Proc r = X(args);
    p.eq("exit", r.exit_code, 0);
    p.eq("stdout", r.out, d0.name + ": counters reset\n");
    for (const char* c : {"parents", "children", "dev_commands", "dev_bytes_written"})
      p.eq(c, xft::stat(d0, c), uint64_t{0});
    for (const char* c : {"children_hist", "queue_commands"})
      for (uint64_t v : numbers(attr(d0, c))) p.eq(c, v, uint64_t{0});
    ksft_test_result(p.ok(), "xferctl reset %s%s after I/O: exit 0, every counter 0%s\n",
                     d0.name.c_str(), ioctl ? "" : " --no-ioctl", p.str().c_str());
  }

  // --- set -----------------------------------------------------------------------
  const std::string mode0 = attr(d0, "send_mode");
  const std::string other = mode0 == "sync" ? "async" : "sync";
  for (bool ioctl : {true, false}) {
    Problems p;
    std::vector<std::string> args = {"set", d0.name, "send-mode", other};
    if (!ioctl) args.push_back("--no-ioctl");
    xft::Proc r = X(args);
    p.eq("exit", r.exit_code, 0);
    p.eq("stdout", r.out, d0.name + ": send_mode " + mode0 + " -> " + other + "\n");
    p.eq("send_mode", attr(d0, "send_mode"), other);
    // Other disks keep theirs.
    for (size_t i = 1; i < disks.size(); i++)
      p.eq(disks[i].name, attr(disks[i], "send_mode"), mode0);
    args[3] = mode0;
    r = X(args);
    p.eq("exit setting it back", r.exit_code, 0);
    p.eq("send_mode set back", attr(d0, "send_mode"), mode0);
    ksft_test_result(p.ok(), "xferctl set %s send-mode %s and back%s: sysfs follows%s\n",
                     d0.name.c_str(), other.c_str(), ioctl ? "" : " (--no-ioctl)", p.str().c_str());
  }
  const std::string timeout0 = param("timeout_ms");
  {
    Problems p;
    xft::Proc r = X({"set", "timeout-ms", "04321"});
    p.eq("exit", r.exit_code, 0);
    p.eq("stdout", r.out, "xferblk: timeout_ms " + timeout0 + " -> 4321\n");
    p.eq("timeout_ms", param("timeout_ms"), std::string("4321"));
    r = X({"set", "timeout-ms", timeout0});
    p.eq("exit setting it back", r.exit_code, 0);
    p.eq("timeout_ms set back", param("timeout_ms"), timeout0);
    ksft_test_result(p.ok(), "xferctl set timeout-ms 04321 (decimal, not octal) and back%s\n",
                     p.str().c_str());
  }
  {
    Problems p;
    xft::Proc r = X({"--help"});
    p.eq("exit", r.exit_code, 0);
    p.want(r.out.starts_with("usage: xferctl"), "no usage line");
    ksft_test_result(p.ok(), "xferctl --help: exit 0%s\n", p.str().c_str());
  }

  // --- usage errors: exit 2, nothing written ------------------------------------
  some_io(d0);
  for (const Bad& b : usage) {
    Problems p;
    const std::string parents = attr(d0, "parents");
    xft::Proc r = X(b.args);
    p.eq("exit", r.exit_code, 2);
    p.eq("stdout", r.out, std::string());
    p.want(r.err.starts_with("xferctl: ") && r.err.find("\nTry 'xferctl ") != std::string::npos,
           "stderr is not an error and a hint: \"" + trimmed(r.err) + "\"");
    p.eq("send_mode", attr(d0, "send_mode"), mode0);
    p.eq("timeout_ms", param("timeout_ms"), timeout0);
    p.eq("parents", attr(d0, "parents"), parents);
    std::string first = r.err.substr(0, r.err.find('\n'));
    ksft_test_result(p.ok(), "%s: exit %d (%s), nothing changed%s\n", b.why, r.exit_code,
                     first.c_str(), p.str().c_str());
  }

  // --- runtime failures: exit 1 ---------------------------------------------------
  std::string all;
  for (const xft::Disk& d : disks) all += " " + d.name;
  for (const auto& args : missing) {
    Problems p;
    xft::Proc r = X(args);
    p.eq("exit", r.exit_code, 1);
    p.eq("stdout", r.out, std::string());
    p.eq("stderr", r.err, "xferctl: no disk xferblk99; xferblk disks:" + all + "\n");
    ksft_test_result(p.ok(), "xferctl %s %s: %s%s\n", args[0].c_str(), args[1].c_str(),
                     outcome(r).c_str(), p.str().c_str());
  }

  // --- an ordinary user: reads through sysfs, may change nothing ------------------
  some_io(d0);
  {
    Problems p;
    xft::Proc r = N({"--json", "show", d0.name});
    p.eq("exit", r.exit_code, 0);
    guarded(&p, [&] { check_disk(d0, Json::parse(r.out), false, &p, false); });
    ksft_test_result(p.ok(), "uid %d: xferctl --json show %s reads sysfs (source sysfs)%s\n",
                     kNobody, d0.name.c_str(), p.str().c_str());
  }
  {
    Problems p;
    const std::string parents = attr(d0, "parents");
    xft::Proc r = N({"reset", d0.name});
    p.eq("exit", r.exit_code, 1);
    p.want(r.err.find("(changing xferblk settings needs root)") != std::string::npos,
           "no \"needs root\" in \"" + trimmed(r.err) + "\"");
    p.eq("parents", attr(d0, "parents"), parents);
    p.want(parents != "0", "parents was 0 before");
    ksft_test_result(p.ok(), "uid %d: xferctl reset %s: %s, counters kept%s\n", kNobody,
                     d0.name.c_str(), outcome(r).c_str(), p.str().c_str());
  }
  {
    Problems p;
    xft::Proc r = N({"set", d0.name, "send-mode", other});
    p.eq("exit", r.exit_code, 1);
    p.want(r.err.find("(changing xferblk settings needs root)") != std::string::npos,
           "no \"needs root\" in \"" + trimmed(r.err) + "\"");
    p.eq("send_mode", attr(d0, "send_mode"), mode0);
    ksft_test_result(p.ok(), "uid %d: xferctl set %s send-mode %s: %s, send_mode kept%s\n", kNobody,
                     d0.name.c_str(), other.c_str(), outcome(r).c_str(), p.str().c_str());
  }

  ksft_finished();
}
