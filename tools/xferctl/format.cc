// SPDX-License-Identifier: GPL-2.0-only
//
// Human and JSON output.

#include "format.hh"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace xferctl {
namespace {

constexpr size_t kWidth = 100;      // wrap human lines here
constexpr size_t kLabelWidth = 17;  // "  " + label column

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// "  label            item, item, item," wrapped at kWidth, continuation
// lines aligned under the first item.
std::string Field(std::string_view label, const std::vector<std::string>& items) {
  std::string out = "  " + std::string(label);
  out.resize(std::max(out.size() + 1, kLabelWidth + 2), ' ');
  const std::string indent(kLabelWidth + 2, ' ');
  size_t col = out.size();
  for (size_t i = 0; i < items.size(); i++) {
    std::string item = items[i] + (i + 1 < items.size() ? "," : "");
    if (i > 0) {
      if (col + 1 + item.size() > kWidth) {
        out += "\n" + indent;
        col = indent.size();
      } else {
        out += " ";
        col++;
      }
    }
    out += item;
    col += item.size();
  }
  return out + "\n";
}

std::string Field(std::string_view label, const std::string& text) {
  return Field(label, std::vector<std::string>{text});
}

// Two aligned rows: a header of labels and a row of values.
std::string Table(std::string_view label1, std::string_view label2,
                  const std::vector<std::string>& heads, const std::vector<std::string>& values) {
  std::string row1 = "  " + std::string(label1);
  std::string row2 = "  " + std::string(label2);
  row1.resize(kLabelWidth + 2, ' ');
  row2.resize(kLabelWidth + 2, ' ');
  for (size_t i = 0; i < heads.size(); i++) {
    size_t w = std::max(heads[i].size(), values[i].size()) + 2;
    std::string h = heads[i], v = values[i];
    h.resize(w, ' ');
    v.resize(w, ' ');
    row1 += h;
    row2 += v;
  }
  for (std::string* row : {&row1, &row2}) row->erase(row->find_last_not_of(' ') + 1);
  return row1 + "\n" + row2 + "\n";
}

// A small streaming JSON writer: objects one member per line, arrays of
// numbers on one line.
class JsonWriter {
 public:
  void BeginObject() { Open('{', false); }
  void EndObject() { Close('}'); }
  void BeginArray(bool inline_items) { Open('[', inline_items); }
  void EndArray() { Close(']'); }

  void Key(std::string_view k) {
    Prefix();
    out_ += JsonQuote(k) + ": ";
    after_key_ = true;
  }
  void Uint(uint64_t v) { Scalar(std::to_string(v)); }
  void String(std::string_view s) { Scalar(JsonQuote(s)); }
  void Bool(bool b) { Scalar(b ? "true" : "false"); }
  void Null() { Scalar("null"); }
  void OptUint(const std::optional<uint64_t>& v) { v ? Uint(*v) : Null(); }
  void OptString(const std::optional<std::string>& s) { s ? String(*s) : Null(); }

  std::string Finish() { return out_ + "\n"; }

 private:
  struct Frame {
    bool inline_items;
    bool empty = true;
  };

  void Prefix() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (stack_.empty()) return;
    Frame& f = stack_.back();
    if (!f.empty) out_ += ",";
    if (f.inline_items)
      out_ += f.empty ? "" : " ";
    else
      out_ += "\n" + std::string(2 * stack_.size(), ' ');
    f.empty = false;
  }
  void Scalar(const std::string& text) {
    Prefix();
    out_ += text;
  }
  void Open(char c, bool inline_items) {
    Prefix();
    out_ += c;
    stack_.push_back({inline_items});
  }
  void Close(char c) {
    Frame f = stack_.back();
    stack_.pop_back();
    if (!f.empty && !f.inline_items) out_ += "\n" + std::string(2 * stack_.size(), ' ');
    out_ += c;
  }

  std::string out_;
  std::vector<Frame> stack_;
  bool after_key_ = false;
};

void WriteDevice(JsonWriter& w, const DeviceInfo& dev) {
  w.BeginObject();
  w.Key("version");
  w.String(std::to_string(dev.version_major) + "." + std::to_string(dev.version_minor));
  w.Key("capacity_blocks");
  w.Uint(dev.capacity_blocks);
  w.Key("block_size");
  w.Uint(dev.block_size);
  w.Key("max_transfer");
  w.Uint(dev.max_transfer);
  w.Key("max_segments");
  w.Uint(dev.max_segments);
  w.Key("max_segment_size");
  w.Uint(dev.max_segment_size);
  w.Key("seg_boundary");
  w.Uint(dev.seg_boundary);
  w.Key("max_discard_blocks");
  w.Uint(dev.max_discard_blocks);
  w.Key("max_write_zeroes_blocks");
  w.Uint(dev.max_write_zeroes_blocks);
  w.Key("features");
  w.BeginArray(true);
  for (const std::string& f : FeatureNames(dev.features)) w.String(f);
  w.EndArray();
  w.Key("nr_queues");
  w.Uint(dev.nr_queues);
  w.Key("queue_depth");
  w.Uint(dev.queue_depth);
  w.EndObject();
}

void WriteDisk(JsonWriter& w, const DiskInfo& d) {
  w.BeginObject();
  w.Key("name");
  w.String(d.name);
  w.Key("pci_address");
  w.OptString(d.pci_address);
  w.Key("capacity_bytes");
  w.Uint(d.capacity_bytes());
  w.Key("capacity_sectors");
  w.Uint(d.size_sectors);
  w.Key("logical_block_size");
  w.Uint(d.logical_block_size);
  w.Key("physical_block_size");
  w.OptUint(d.physical_block_size);
  w.Key("limits");
  w.BeginObject();
  for (const Limit& l : d.limits) {
    w.Key(l.name);
    w.OptUint(l.value);
  }
  w.EndObject();
  w.Key("queue_count");
  w.Uint(d.queue_count());
  w.Key("queue_commands");
  w.BeginArray(true);
  for (uint64_t v : d.queue_commands) w.Uint(v);
  w.EndArray();
  w.Key("send_mode");
  w.String(d.send_mode);
  w.Key("counters");
  w.BeginObject();
  for (const Counter& c : d.driver_counters) {
    w.Key(c.name);
    w.Uint(c.value);
  }
  w.EndObject();
  w.Key("device_counters");
  w.BeginObject();
  for (const Counter& c : d.device_counters) {
    w.Key(c.name);
    w.Uint(c.value);
  }
  w.EndObject();
  w.Key("dev_status");
  w.BeginObject();
  for (size_t s = 0; s < d.dev_status.size(); s++) {
    w.Key(StatusName(static_cast<unsigned>(s)));
    w.Uint(d.dev_status[s]);
  }
  w.EndObject();
  w.Key("children_hist");
  w.BeginObject();
  for (size_t i = 0; i < d.children_hist.size() && i < kHistLabels.size(); i++) {
    w.Key(kHistLabels[i]);
    w.Uint(d.children_hist[i]);
  }
  w.EndObject();
  w.Key("queue_mode");
  w.OptString(d.queue_mode);
  w.Key("source");
  w.String(d.source);
  w.Key("device");
  if (d.device)
    WriteDevice(w, *d.device);
  else
    w.Null();
  w.EndObject();
}

void WriteModule(JsonWriter& w, const ModuleInfo& m) {
  w.BeginObject();
  w.Key("loaded");
  w.Bool(m.loaded);
  w.Key("split");
  if (m.split)
    w.Bool(*m.split);
  else
    w.Null();
  w.Key("send_mode");
  w.OptString(m.send_mode);
  w.Key("timeout_ms");
  w.OptUint(m.timeout_ms);
  w.Key("queue_depth");
  w.OptUint(m.queue_depth);
  w.Key("queue_mode");
  w.OptString(m.queue_mode);
  w.EndObject();
}

// XFERBLK_IOC_INFO in words: "version 1.2", "max_transfer 4096", ...
std::vector<std::string> DeviceItems(const DeviceInfo& dev) {
  std::string features;
  for (const std::string& f : FeatureNames(dev.features))
    features += (features.empty() ? "" : " ") + f;
  return {"version " + std::to_string(dev.version_major) + "." + std::to_string(dev.version_minor),
          "capacity_blocks " + std::to_string(dev.capacity_blocks),
          "block_size " + std::to_string(dev.block_size),
          "max_transfer " + std::to_string(dev.max_transfer),
          "max_segments " + std::to_string(dev.max_segments),
          "max_segment_size " + std::to_string(dev.max_segment_size),
          "seg_boundary " + Hex(dev.seg_boundary),
          "max_discard_blocks " + std::to_string(dev.max_discard_blocks),
          "max_write_zeroes_blocks " + std::to_string(dev.max_write_zeroes_blocks),
          "features " + (features.empty() ? std::string("none") : features),
          "nr_queues " + std::to_string(dev.nr_queues),
          "queue_depth " + std::to_string(dev.queue_depth)};
}

std::vector<std::string> CounterItems(const std::vector<Counter>& counters) {
  std::vector<std::string> items;
  for (const Counter& c : counters) items.push_back(c.name + " " + std::to_string(c.value));
  return items;
}

}  // namespace

std::string HumanBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  size_t u = 0;
  uint64_t whole = bytes;
  while (whole >= 1024 && u + 1 < std::size(kUnits)) {
    whole /= 1024;
    u++;
  }
  if (u == 0) return std::to_string(bytes) + " B";
  const uint64_t unit = 1ULL << (10 * u);
  if (bytes % unit == 0) return std::to_string(bytes / unit) + " " + kUnits[u];
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.1f %s", static_cast<double>(bytes) / static_cast<double>(unit),
                kUnits[u]);
  return buf;
}

std::string FormatModuleHuman(const ModuleInfo& m) {
  if (!m.loaded) return "module xferblk: not loaded\n";
  std::vector<std::string> items;
  if (m.split) items.push_back(std::string("split ") + (*m.split ? "Y" : "N (tests only)"));
  if (m.send_mode) items.push_back("send_mode " + *m.send_mode + " (default for new disks)");
  if (m.timeout_ms) items.push_back("timeout_ms " + std::to_string(*m.timeout_ms));
  if (m.queue_depth) items.push_back("queue_depth " + std::to_string(*m.queue_depth));
  if (m.queue_mode) items.push_back("queue_mode " + *m.queue_mode);
  std::string out = "module xferblk:";
  for (size_t i = 0; i < items.size(); i++) out += (i ? ", " : " ") + items[i];
  return out + "\n";
}

std::string FormatDiskHuman(const DiskInfo& d) {
  std::string out = d.name + "  PCI " + d.pci_address.value_or("-") + "\n";
  out +=
      Field("capacity", HumanBytes(d.capacity_bytes()) + " (" + std::to_string(d.capacity_bytes()) +
                            " bytes, " + std::to_string(d.size_sectors) + " sectors of 512 B)");
  out += Field("block size", std::to_string(d.logical_block_size) + " logical, " +
                                 (d.physical_block_size ? std::to_string(*d.physical_block_size)
                                                        : std::string("-")) +
                                 " physical");
  std::vector<std::string> limits;
  for (const Limit& l : d.limits) {
    std::string v = !l.value ? "-" : l.hex ? Hex(*l.value) : std::to_string(*l.value);
    limits.push_back(l.name + " " + v);
  }
  out += Field("limits", limits);
  if (d.device) out += Field("device", DeviceItems(*d.device));

  std::string queues = std::to_string(d.queue_count()) + " (commands per queue:";
  for (uint64_t v : d.queue_commands) queues += " " + std::to_string(v);
  out += Field("queues", queues + ")");
  out += Field("send mode", d.send_mode);
  if (d.queue_mode) out += Field("queue mode", *d.queue_mode);
  out += Field("driver counters", CounterItems(d.driver_counters));
  out += Field("device counters", CounterItems(d.device_counters));

  std::vector<std::string> statuses;
  for (size_t s = 0; s < d.dev_status.size(); s++)
    statuses.push_back(std::string(StatusName(static_cast<unsigned>(s))) + " " +
                       std::to_string(d.dev_status[s]));
  out += Field("device statuses", statuses);

  std::vector<std::string> heads, values;
  for (size_t i = 0; i < d.children_hist.size() && i < kHistLabels.size(); i++) {
    heads.emplace_back(kHistLabels[i]);
    values.push_back(std::to_string(d.children_hist[i]));
  }
  out += Table("children/parent", "parents", heads, values);
  return out;
}

std::string FormatListHuman(const ModuleInfo& m, const std::vector<DiskInfo>& disks) {
  std::string out = FormatModuleHuman(m);
  if (disks.empty()) return out + "no xferblk disks\n";
  for (const DiskInfo& d : disks) out += "\n" + FormatDiskHuman(d);
  return out;
}

std::string FormatDiskJson(const DiskInfo& d) {
  JsonWriter w;
  WriteDisk(w, d);
  return w.Finish();
}

std::string FormatListJson(const ModuleInfo& m, const std::vector<DiskInfo>& disks) {
  JsonWriter w;
  w.BeginObject();
  w.Key("module");
  WriteModule(w, m);
  w.Key("disks");
  w.BeginArray(false);
  for (const DiskInfo& d : disks) WriteDisk(w, d);
  w.EndArray();
  w.EndObject();
  return w.Finish();
}

}  // namespace xferctl
