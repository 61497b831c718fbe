// SPDX-License-Identifier: GPL-2.0-only
//
// A fake sysfs tree in a temporary directory, laid out like the real one:
//
//   ROOT/devices/pci0000:00/PCI/block/xferblkN/{size,queue/*,xferblk/*}
//   ROOT/devices/pci0000:00/PCI/block/xferblkN/device -> ../../../PCI
//   ROOT/block/xferblkN -> ../devices/pci0000:00/PCI/block/xferblkN
//   ROOT/kernel/debug/xferblk/xferblkN/{children_hist,queue_commands,dev_status}
//   ROOT/module/xferblk/parameters/{split,send_mode,timeout_ms,queue_depth}
//   ROOT/kernel/config/xferblk/VOLUME/{targets,layout,chunk_size,power,disk}
//   ROOT/devices/virtual/block/xferblkN/{size,queue/,volume/*} (a powered volume's disk)
//   ROOT/block/xferblkN -> ../devices/virtual/block/xferblkN
//
// with the contents the driver would show (kmod/sysfs.c, kmod/volume_cfg.c
// formats).

#ifndef XFERCTL_TESTS_FAKE_SYSFS_HH_
#define XFERCTL_TESTS_FAKE_SYSFS_HH_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace xferctl::testing {

namespace fs = std::filesystem;

// What one fake disk shows; every file is the text the driver would emit.
struct FakeDisk {
  std::string name = "xferblk0";
  std::string pci = "0000:00:04.0";
  std::map<std::string, std::string> files = {
      {"size", "524288\n"},
      {"queue/logical_block_size", "512\n"},
      {"queue/physical_block_size", "512\n"},
      {"queue/max_hw_sectors_kb", "4\n"},
      {"queue/max_sectors_kb", "4\n"},
      {"queue/max_segments", "2\n"},
      {"queue/max_segment_size", "4096\n"},
      {"queue/virt_boundary_mask", "0\n"},
      {"queue/dma_alignment", "511\n"},
      {"queue/discard_max_hw_bytes", "65536\n"},
      {"queue/discard_granularity", "4096\n"},
      {"queue/write_zeroes_max_bytes", "131072\n"},
      {"queue/scheduler", "none\n"},
      {"xferblk/parents", "8\n"},
      {"xferblk/children", "2048\n"},
      {"xferblk/errors", "1\n"},
      {"xferblk/rejected", "2\n"},
      {"xferblk/bogus_completions", "3\n"},
      {"xferblk/unsendable", "4\n"},
      {"xferblk/parent_errors", "5\n"},
      {"xferblk/cancelled", "6\n"},
      {"xferblk/timeouts", "7\n"},
      {"xferblk/resets", "9\n"},
      {"xferblk/send_mode", "async\n"},
      {"debugfs/queue_commands", "1000 1048\n"},
      {"xferblk/dev_commands", "2050\n"},
      {"xferblk/dev_completed", "2049\n"},
      {"xferblk/dev_reads", "10\n"},
      {"xferblk/dev_writes", "2038\n"},
      {"xferblk/dev_bytes_read", "40960\n"},
      {"xferblk/dev_bytes_written", "8388608\n"},
      {"xferblk/dev_segments", "4096\n"},
      {"xferblk/dev_max_inflight", "17\n"},
      {"xferblk/dev_rejected", "2\n"},
      {"xferblk/dev_flushes", "11\n"},
      {"xferblk/dev_fua_writes", "12\n"},
      {"xferblk/dev_discards", "13\n"},
      {"xferblk/dev_write_zeroes", "14\n"},
      {"xferblk/dev_aborts", "15\n"},
      {"xferblk/dev_faults", "16\n"},
      {"debugfs/dev_status", "2040 0 0 0 2 0 0 0 1 0 6\n"},
      {"debugfs/children_hist", "1 0 0 0 0 0 0 0 0 7\n"},
      {"xferblk/reset_counters", ""},
  };
};

// What one fake volume shows: its configfs directory and, when powered
// (`disk` set), its disk's volume/ group.
struct FakeVolume {
  std::string name = "data";
  std::string layout = "stripe";
  std::string chunk_size = "65536";
  std::vector<std::string> targets = {"pci:0000:00:04.0", "/dev/vdb"};
  std::string disk;  // "": powered off
  std::map<std::string, std::string> files = {
      {"layout", "stripe\n"},
      {"chunk_size", "65536\n"},
      {"targets", "0 pci:0000:00:04.0 xferblk0 live 1200 0\n1 /dev/vdb vdb failed 1199 3\n"},
      {"degraded", "0\n"},
      {"parents", "512\n"},
      {"parent_errors", "1\n"},
      {"read_retries", "2\n"},
      {"legs_failed", "3\n"},
  };
};

class FakeSysfs {
 public:
  FakeSysfs() {
    std::string tmpl = (fs::temp_directory_path() / "xferctl-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) ADD_FAILURE() << "mkdtemp failed";
    root_ = tmpl;
    fs::create_directories(root_ / "block");
  }
  ~FakeSysfs() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  FakeSysfs(const FakeSysfs&) = delete;
  FakeSysfs& operator=(const FakeSysfs&) = delete;

  const fs::path& root() const { return root_; }

  fs::path DiskDir(const FakeDisk& d) const {
    return root_ / "devices" / "pci0000:00" / d.pci / "block" / d.name;
  }

  fs::path TableDir(const FakeDisk& d) const {
    return root_ / "kernel" / "debug" / "xferblk" / d.name;
  }
  void AddDisk(const FakeDisk& d) {
    fs::path dir = DiskDir(d);
    fs::create_directories(dir / "queue");
    fs::create_directories(dir / "xferblk");
    fs::create_directory_symlink(fs::path("../../..") / d.pci, dir / "device");
    fs::create_directory_symlink(fs::path("../devices/pci0000:00") / d.pci / "block" / d.name,
                                 root_ / "block" / d.name);
    // "debugfs/NAME" is one of the tables in debugfs.
    for (const auto& [rel, text] : d.files)
      Write(rel.starts_with("debugfs/") ? TableDir(d) / rel.substr(8) : dir / rel, text);
  }

  // A disk of another driver: /sys/block/NAME with no xferblk/ group.
  void AddOtherDisk(const std::string& name) {
    fs::path dir = root_ / "devices" / "virtual" / "block" / name;
    fs::create_directories(dir / "queue");
    Write(dir / "size", "100\n");
    fs::create_directory_symlink(fs::path("../devices/virtual/block") / name,
                                 root_ / "block" / name);
  }

  fs::path VolumeDir(const std::string& name) const {
    return root_ / "kernel" / "config" / "xferblk" / name;
  }

  void AddVolume(const FakeVolume& v) {
    const fs::path dir = VolumeDir(v.name);
    fs::create_directories(dir);
    std::string targets;
    for (const std::string& t : v.targets) targets += t + "\n";
    Write(dir / "targets", targets);
    Write(dir / "layout", v.layout + "\n");
    Write(dir / "chunk_size", v.chunk_size + "\n");
    Write(dir / "power", v.disk.empty() ? "0\n" : "1\n");
    Write(dir / "disk", v.disk + "\n");
    if (v.disk.empty()) return;
    const fs::path disk = root_ / "devices" / "virtual" / "block" / v.disk;
    fs::create_directories(disk / "queue");
    Write(disk / "size", "1048576\n");
    for (const auto& [rel, text] : v.files) Write(disk / "volume" / rel, text);
    fs::create_directory_symlink(fs::path("../devices/virtual/block") / v.disk,
                                 root_ / "block" / v.disk);
  }

  void AddModule(const std::string& timeout_ms = "30000") {
    fs::path p = root_ / "module" / "xferblk" / "parameters";
    fs::create_directories(p);
    Write(p / "split", "Y\n");
    Write(p / "send_mode", "async\n");
    Write(p / "timeout_ms", timeout_ms + "\n");
    Write(p / "queue_depth", "128\n");
  }

  static void Write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f) ADD_FAILURE() << "cannot write " << p;
  }

  static std::string Read(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }

 private:
  fs::path root_;
};

}  // namespace xferctl::testing

#endif  // XFERCTL_TESTS_FAKE_SYSFS_HH_
