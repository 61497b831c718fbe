// SPDX-License-Identifier: GPL-2.0-only
//
// Human and JSON output.

#include "format.hh"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xferctl {
namespace {

// Shown for the counters that live in debugfs when it cannot be read.
const std::string kNoTables = "- (in debugfs: needs root)";

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

// Rows of cells in aligned columns under "  label": the first row beside
// the label, the others under it. Trailing blanks are dropped.
std::string Grid(std::string_view label, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const std::vector<std::string>& row : rows)
    for (size_t i = 0; i < row.size(); i++) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  std::string out;
  for (size_t r = 0; r < rows.size(); r++) {
    std::string line = "  " + std::string(r == 0 ? label : "");
    line.resize(kLabelWidth + 2, ' ');
    for (size_t i = 0; i < rows[r].size(); i++) {
      std::string cell = rows[r][i];
      cell.resize(widths[i] + 2, ' ');
      line += cell;
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

using Json = nlohmann::ordered_json;

// A value, or null when there is none.
template <typename T>
Json OrNull(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

// The object's members, each counter by name, in order.
Json CounterObject(const std::vector<Counter>& counters) {
  Json o = Json::object();
  for (const Counter& c : counters) o[c.name] = c.value;
  return o;
}

// XFERBLK_IOC_INFO; also the fields of the human "device" line, in order.
Json DeviceJson(const DeviceInfo& dev) {
  Json o = {
      {"version", std::to_string(dev.version_major) + "." + std::to_string(dev.version_minor)},
      {"capacity_blocks", dev.capacity_blocks},
      {"block_size", dev.block_size},
      {"max_transfer", dev.max_transfer},
      {"max_segments", dev.max_segments},
      {"max_segment_size", dev.max_segment_size},
      {"seg_boundary", dev.seg_boundary},
      {"max_discard_blocks", dev.max_discard_blocks},
      {"max_write_zeroes_blocks", dev.max_write_zeroes_blocks},
      {"features", FeatureNames(dev.features)},
      {"nr_queues", dev.nr_queues},
      {"queue_depth", dev.queue_depth},
  };
  return o;
}

Json DiskJson(const DiskInfo& d) {
  Json o = Json::object();
  o["name"] = d.name;
  o["pci_address"] = OrNull(d.pci_address);
  o["capacity_bytes"] = d.capacity_bytes();
  o["capacity_sectors"] = d.size_sectors;
  o["logical_block_size"] = d.logical_block_size;
  o["physical_block_size"] = OrNull(d.physical_block_size);
  Json limits = Json::object();
  for (const Limit& l : d.limits) limits[l.name] = OrNull(l.value);
  o["limits"] = std::move(limits);
  o["queue_count"] = d.tables ? Json(d.queue_count()) : Json(nullptr);
  o["queue_commands"] = d.tables ? Json(d.queue_commands) : Json(nullptr);
  o["send_mode"] = d.send_mode;
  o["counters"] = CounterObject(d.driver_counters);
  o["device_counters"] = CounterObject(d.device_counters);
  Json status = Json::object();
  for (size_t s = 0; s < d.dev_status.size(); s++)
    status[std::string(StatusName(static_cast<unsigned>(s)))] = d.dev_status[s];
  o["dev_status"] = d.tables ? std::move(status) : Json(nullptr);
  Json hist = Json::object();
  for (size_t i = 0; i < d.children_hist.size() && i < kHistLabels.size(); i++)
    hist[std::string(kHistLabels[i])] = d.children_hist[i];
  o["children_hist"] = d.tables ? std::move(hist) : Json(nullptr);
  o["queue_mode"] = OrNull(d.queue_mode);
  o["source"] = d.source;
  o["device"] = d.device ? DeviceJson(*d.device) : Json(nullptr);
  return o;
}

Json ModuleJson(const ModuleInfo& m) {
  Json o = Json::object();
  o["loaded"] = m.loaded;
  o["split"] = OrNull(m.split);
  o["send_mode"] = OrNull(m.send_mode);
  o["timeout_ms"] = OrNull(m.timeout_ms);
  o["queue_depth"] = OrNull(m.queue_depth);
  o["queue_mode"] = OrNull(m.queue_mode);
  return o;
}

Json VolumeJson(const VolumeInfo& v) {
  Json o = Json::object();
  o["name"] = v.name;
  o["powered"] = v.powered;
  o["disk"] = OrNull(v.disk);
  o["layout"] = v.layout;
  o["chunk_size"] = v.chunk_size;
  o["targets"] = Json::array();
  for (const VolumeTarget& t : v.targets) {
    Json target = Json::object();
    target["spec"] = t.spec;
    target["device"] = t.state ? Json(t.state->device) : Json(nullptr);
    target["state"] = t.state ? Json(t.state->live ? "live" : "failed") : Json(nullptr);
    target["children"] = t.state ? Json(t.state->children) : Json(nullptr);
    target["errors"] = t.state ? Json(t.state->errors) : Json(nullptr);
    o["targets"].push_back(std::move(target));
  }
  o["degraded"] = OrNull(v.degraded);
  o["counters"] = v.powered ? CounterObject(v.counters) : Json(nullptr);
  return o;
}

// Two-space indented, ending in a newline. Bytes that are not UTF-8 (sysfs
// text is not promised to be) become U+FFFD rather than an exception.
std::string Dump(const Json& j) {
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

// XFERBLK_IOC_INFO in words, each field of DeviceJson(): "version 1.2",
// "max_transfer 4096", "seg_boundary 0xffff", "features fua discard", ...
std::vector<std::string> DeviceItems(const DeviceInfo& dev) {
  const Json fields = DeviceJson(dev);
  std::vector<std::string> items;
  for (const auto& [key, value] : fields.items()) {
    std::string text;
    if (value.is_string()) {
      text = value.get<std::string>();
    } else if (value.is_array()) {  // the features
      for (const Json& name : value) text += (text.empty() ? "" : " ") + name.get<std::string>();
      if (text.empty()) text = "none";
    } else {
      const uint64_t v = value.get<uint64_t>();
      text = key == "seg_boundary" ? Hex(v) : std::to_string(v);
    }
    items.push_back(key + " " + text);
  }
  return items;
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
  out += Field("queues", d.tables ? queues + ")" : kNoTables);
  out += Field("send mode", d.send_mode);
  if (d.queue_mode) out += Field("queue mode", *d.queue_mode);
  out += Field("driver counters", CounterItems(d.driver_counters));
  out += Field("device counters", CounterItems(d.device_counters));

  std::vector<std::string> statuses;
  for (size_t s = 0; s < d.dev_status.size(); s++)
    statuses.push_back(std::string(StatusName(static_cast<unsigned>(s))) + " " +
                       std::to_string(d.dev_status[s]));
  out += Field("device statuses", d.tables ? statuses : std::vector<std::string>{kNoTables});

  std::vector<std::string> heads, values;
  for (size_t i = 0; i < d.children_hist.size() && i < kHistLabels.size(); i++) {
    heads.emplace_back(kHistLabels[i]);
    values.push_back(std::to_string(d.children_hist[i]));
  }
  if (d.tables)
    out += Table("children/parent", "parents", heads, values);
  else
    out += Field("children/parent", kNoTables);
  return out;
}

std::string FormatListHuman(const ModuleInfo& m, const std::vector<DiskInfo>& disks) {
  std::string out = FormatModuleHuman(m);
  if (disks.empty()) return out + "no xferblk disks\n";
  for (const DiskInfo& d : disks) out += "\n" + FormatDiskHuman(d);
  return out;
}

std::string FormatDiskJson(const DiskInfo& d) { return Dump(DiskJson(d)); }

std::string FormatListJson(const ModuleInfo& m, const std::vector<DiskInfo>& disks) {
  Json o = Json::object();
  o["module"] = ModuleJson(m);
  o["disks"] = Json::array();
  for (const DiskInfo& d : disks) o["disks"].push_back(DiskJson(d));
  return Dump(o);
}

std::string FormatVolumesHuman(const std::vector<VolumeInfo>& volumes) {
  if (volumes.empty()) return "no xferblk volumes\n";
  std::string out;
  for (const VolumeInfo& v : volumes) {
    if (!out.empty()) out += "\n";
    out += v.name + (v.powered ? "  powered on, disk " + v.disk.value_or("-") : "  powered off") +
           "\n";
    out += Field("layout", v.layout + ", chunk size " + HumanBytes(v.chunk_size));
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"#", "target"});
    if (v.powered) rows[0].insert(rows[0].end(), {"device", "state", "children", "errors"});
    for (size_t i = 0; i < v.targets.size(); i++) {
      const VolumeTarget& t = v.targets[i];
      rows.push_back({std::to_string(i), t.spec});
      if (t.state)
        rows.back().insert(rows.back().end(),
                           {t.state->device, t.state->live ? "live" : "failed",
                            std::to_string(t.state->children), std::to_string(t.state->errors)});
    }
    out += v.targets.empty() ? Field("targets", "none") : Grid("targets", rows);
    if (v.powered) {
      std::vector<std::string> counters = {"degraded " + std::to_string(v.degraded.value_or(0))};
      for (const std::string& item : CounterItems(v.counters)) counters.push_back(item);
      out += Field("counters", counters);
    }
  }
  return out;
}

std::string FormatVolumesJson(const std::vector<VolumeInfo>& volumes) {
  Json o = Json::object();
  o["volumes"] = Json::array();
  for (const VolumeInfo& v : volumes) o["volumes"].push_back(VolumeJson(v));
  return Dump(o);
}

}  // namespace xferctl
