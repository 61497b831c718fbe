// SPDX-License-Identifier: GPL-2.0-only

#include "memory.hh"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <iterator>
#include <optional>
#include <set>

#include "files.hh"
#include "fio.hh"
#include "stats.hh"

namespace xferbench {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

bool ToU64(std::string_view s, uint64_t& v) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size();
}

// "name: 12  other: 34" after the closing brace of an entry.
void ParseValues(std::string_view s, std::map<std::string, uint64_t>& values) {
  auto words = Words(s);
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    std::string_view key = words[i];
    if (key.size() < 2 || key.back() != ':') continue;
    uint64_t v = 0;
    if (ToU64(words[i + 1], v)) values[std::string(key.substr(0, key.size() - 1))] = v;
  }
}

// "xferblk_send_next+0x1a/0x80 [xferblk]" -> "xferblk_send_next".
std::string_view FunctionOf(std::string_view frame) {
  frame = Trim(frame);
  std::size_t end = frame.find_first_of("+ ");
  return end == std::string_view::npos ? frame : frame.substr(0, end);
}

bool InModule(std::string_view frame, std::string_view module) {
  std::string tag = "[" + std::string(module) + "]";
  return frame.find(tag) != std::string_view::npos;
}

bool IsBlockLayer(std::string_view fn) {
  static const std::set<std::string_view> kNames = {
      "submit_bio",          "__submit_bio",       "submit_bio_noacct", "submit_bio_noacct_nocheck",
      "__submit_bio_noacct", "blk_mq_submit_bio",  "bio_split",         "__bio_split_to_limits",
      "bio_split_rw",        "bio_split_to_limits"};
  return kNames.count(fn) || fn.starts_with("blk_mq_") || fn.starts_with("bio_split");
}

// Sums what(tally) over every event's tally of one origin.
template <class What>
uint64_t SumTallies(const std::map<std::string, std::map<Origin, AllocTally>>& allocs, Origin o,
                    What what) {
  uint64_t n = 0;
  for (const auto& [event, tallies] : allocs) {
    auto it = tallies.find(o);
    if (it != tallies.end()) n += what(it->second);
  }
  return n;
}

}  // namespace

uint64_t HistEntry::Value(const std::string& key) const {
  auto it = values.find(key);
  return it == values.end() ? 0 : it->second;
}

Hist ParseHist(std::string_view text) {
  Hist h;
  HistEntry cur;
  bool in_stack = false;
  for (std::string_view raw : Lines(text)) {
    std::string_view line = Trim(raw);
    if (in_stack) {
      if (line.starts_with("}")) {
        ParseValues(line.substr(1), cur.values);
        h.entries.push_back(std::move(cur));
        cur = HistEntry{};
        in_stack = false;
      } else if (!line.empty()) {
        cur.frames.emplace_back(line);
      }
      continue;
    }
    if (line.starts_with("{ common_stacktrace:") || line.starts_with("{ stacktrace:")) {
      in_stack = true;
      continue;
    }
    auto words = Words(line);
    if (words.size() == 2 && words[0] == "Hits:") ToU64(words[1], h.hits);
    if (words.size() == 2 && words[0] == "Dropped:") ToU64(words[1], h.dropped);
  }
  return h;
}

Origin Classify(const std::vector<std::string>& frames, std::string_view module) {
  bool block = false;
  for (const auto& f : frames) {
    if (InModule(f, module)) return Origin::kDriver;
    if (IsBlockLayer(FunctionOf(f))) block = true;
  }
  return block ? Origin::kBlockLayer : Origin::kOther;
}

bool ThroughMempool(const std::vector<std::string>& frames) {
  for (const auto& f : frames)
    if (FunctionOf(f).starts_with("mempool_alloc")) return true;
  return false;
}

std::string FirstModuleFrame(const std::vector<std::string>& frames, std::string_view module) {
  for (const auto& f : frames)
    if (InModule(f, module)) return std::string(FunctionOf(f));
  return {};
}

std::map<Origin, AllocTally> TallyHist(const Hist& hist, std::string_view module) {
  std::map<Origin, AllocTally> out;
  for (const auto& e : hist.entries) {
    // Pages for a slab that grows: the object allocation that needed them
    // is counted by its own event already.
    if (std::any_of(e.frames.begin(), e.frames.end(),
                    [](const std::string& f) { return FunctionOf(f) == "allocate_slab"; }))
      continue;
    Origin o = Classify(e.frames, module);
    AllocTally& t = out[o];
    uint64_t n = e.Value("hitcount");
    t.events += n;
    t.bytes += e.Value("bytes_alloc");
    if (ThroughMempool(e.frames)) {
      t.via_mempool += n;
      continue;
    }
    std::string site = FirstModuleFrame(e.frames, module);
    if (site.empty() && e.frames.size() > 1) site = std::string(FunctionOf(e.frames[1]));
    if (site.empty()) site = "?";
    t.outside_pool[site] += n;
  }
  return out;
}

double IssuePaths::PuntRate() const {
  if (inline_allocs == 0) return -1;
  return static_cast<double>(iowq_allocs) / static_cast<double>(inline_allocs);
}

IssuePaths CountIssuePaths(const Hist& hist) {
  IssuePaths p;
  for (const auto& e : hist.entries) {
    bool dio_bio = false;
    bool iowq = false;
    for (std::size_t i = 0; i < e.frames.size(); ++i) {
      std::string_view fn = FunctionOf(e.frames[i]);
      if (i > 0 && (fn.starts_with("blkdev_direct_IO") || fn.starts_with("__blkdev_direct_IO")) &&
          FunctionOf(e.frames[i - 1]) == "bio_alloc_bioset")
        dio_bio = true;
      if (fn.starts_with("io_wq_")) iowq = true;
    }
    if (!dio_bio) continue;
    (iowq ? p.iowq_allocs : p.inline_allocs) += e.Value("hitcount");
  }
  return p;
}

std::map<std::string, SlabLine> ParseSlabinfo(std::string_view text) {
  std::map<std::string, SlabLine> out;
  for (std::string_view line : Lines(text)) {
    line = Trim(line);
    if (line.empty() || line.front() == '#' || line.starts_with("slabinfo")) continue;
    auto w = Words(line);
    if (w.size() < 4) continue;
    SlabLine s;
    s.name = std::string(w[0]);
    if (!ToU64(w[1], s.active_objs) || !ToU64(w[2], s.num_objs) || !ToU64(w[3], s.objsize))
      continue;
    if (w.size() > 4) ToU64(w[4], s.objperslab);
    out[s.name] = s;
  }
  return out;
}

std::map<std::string, std::string> ParseAliases(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view line : Lines(text)) {
    auto w = Words(line);
    if (w.size() >= 2)
      out[std::string(w[0])] = std::string(w[1]);
    else if (w.size() == 1)
      out[std::string(w[0])] = std::string(w[0]);
  }
  return out;
}

std::string SlabinfoName(const std::string& name, const std::map<std::string, SlabLine>& slabinfo,
                         const std::map<std::string, std::string>& aliases) {
  if (slabinfo.count(name)) return name;
  auto it = aliases.find(name);
  if (it == aliases.end()) return {};
  for (const auto& [other, target] : aliases)
    if (target == it->second && slabinfo.count(other)) return other;
  return {};
}

std::vector<SlabCacheUse> SlabUse(const std::map<std::string, SlabLine>& idle,
                                  const std::vector<std::map<std::string, SlabLine>>& busy,
                                  const std::map<std::string, std::string>& aliases,
                                  const std::vector<std::string>& driver) {
  std::vector<SlabCacheUse> out;
  auto add = [&](const std::string& shown, const std::string& alias, bool is_driver) {
    for (auto& u : out) {
      if (u.name != shown) continue;
      if (is_driver) {
        u.driver = true;
        if (u.alias.empty() && alias != shown) u.alias = alias;
      }
      return;
    }
    const SlabLine& l = idle.at(shown);
    SlabCacheUse u;
    u.name = shown;
    u.alias = alias != shown ? alias : "";
    u.driver = is_driver;
    auto self = aliases.find(shown);
    std::string target = self == aliases.end() ? shown : self->second;
    u.shared = std::count_if(aliases.begin(), aliases.end(),
                             [&](const auto& a) { return a.second == target; }) > 1;
    u.objsize = l.objsize;
    u.objperslab = l.objperslab;
    u.idle_objs = static_cast<double>(l.active_objs);
    std::vector<double> samples;
    for (const auto& snap : busy) {
      auto it = snap.find(shown);
      if (it != snap.end()) samples.push_back(static_cast<double>(it->second.active_objs));
    }
    u.busy_objs = samples.empty() ? u.idle_objs : Summarize(samples).median;
    out.push_back(u);
  };
  for (const auto& d : driver) {
    std::string shown = SlabinfoName(d, idle, aliases);
    if (!shown.empty()) add(shown, d, true);
  }
  for (const auto& [name, line] : idle)
    if (name.starts_with("bio-") || name.starts_with("biovec-")) add(name, name, false);
  return out;
}

double MemoryResult::SlabDeltaBytes() const {
  double sum = 0;
  for (const auto& u : slab)
    if (!u.shared) sum += u.DeltaBytes();
  return sum;
}

double MemoryResult::SlabUncertaintyPerInflight(int cpus) const {
  if (iodepth <= 0) return 0;
  double sum = 0;
  for (const auto& u : slab)
    if (!u.shared && u.busy_objs != u.idle_objs)
      sum += static_cast<double>(u.objperslab * u.objsize) * std::max(cpus, 1);
  return sum / iodepth;
}

double MemoryResult::SlabBytesPerInflight() const {
  return iodepth > 0 ? SlabDeltaBytes() / iodepth : 0;
}

uint64_t MemoryResult::Events(Origin o) const {
  return SumTallies(allocs, o, [](const AllocTally& t) { return t.events; });
}

uint64_t MemoryResult::EventsOutsidePools(Origin o) const {
  return SumTallies(allocs, o, [](const AllocTally& t) { return t.events - t.via_mempool; });
}

uint64_t MemoryResult::BytesTraced(Origin o) const {
  return SumTallies(allocs, o, [](const AllocTally& t) { return t.bytes; });
}

std::map<std::string, std::string> ParseKeyValues(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view line : Lines(text)) {
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    out[std::string(Trim(line.substr(0, eq)))] = std::string(Trim(line.substr(eq + 1)));
  }
  return out;
}

const char* OriginName(Origin o) {
  static constexpr const char* kNames[] = {"driver", "block layer", "other"};
  auto i = static_cast<std::size_t>(o);
  return i < std::size(kNames) ? kNames[i] : "?";
}

std::map<std::string, uint64_t> ParseInterrupts(std::string_view text) {
  std::map<std::string, uint64_t> out;
  for (std::string_view line : Lines(text)) {
    auto w = Words(line);
    if (w.size() < 2 || w[0].size() < 2 || w[0].back() != ':') continue;
    std::string irq(w[0].substr(0, w[0].size() - 1));
    uint64_t sum = 0;
    uint64_t v = 0;
    for (std::size_t i = 1; i < w.size() && ToU64(w[i], v); ++i) sum += v;
    out[irq] = sum;
  }
  return out;
}

MemoryResult AnalyzeMemory(const MemoryRecord& rec, const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string& module = rec.module;
  MemoryResult r;
  r.device = rec.device;
  r.dir = dir;
  r.iodepth = rec.iodepth;
  r.module = module;
  r.job = rec.job;
  fs::path base(dir);

  if (auto text = ReadText(base / "info.txt")) r.info = ParseKeyValues(*text);
  try {
    r.ios = ReadFioJson((base / "fio.json").string()).TotalIos();
  } catch (const std::exception& e) {
    r.errors.push_back(e.what());
  }

  for (const char* event : {"kmem_cache_alloc", "kmalloc", "mm_page_alloc"}) {
    auto text = ReadText(base / (std::string("hist-") + event + ".txt"));
    if (!text) continue;
    Hist h = ParseHist(*text);
    r.traced = true;
    r.allocs[event] = TallyHist(h, module);
    if (std::string_view(event) == "kmem_cache_alloc") r.issue = CountIssuePaths(h);
    r.dropped[event] = h.dropped;
  }

  auto irqs = r.info.find("irqs");
  if (irqs != r.info.end() && !Words(irqs->second).empty()) {
    auto before_text = ReadText(base / "interrupts-before.txt");
    auto after_text = ReadText(base / "interrupts-after.txt");
    if (before_text && after_text) {
      auto before = ParseInterrupts(*before_text);
      auto after = ParseInterrupts(*after_text);
      r.has_interrupts = true;
      for (std::string_view irq : Words(irqs->second)) {
        std::string key(irq);
        if (after.count(key) && before.count(key) && after[key] >= before[key])
          r.interrupts += after[key] - before[key];
      }
    }
  }

  auto idle_text = ReadText(base / "slab-idle.txt");
  if (!idle_text) {
    r.errors.push_back(dir + ": no slab-idle.txt");
    return r;
  }
  auto idle = ParseSlabinfo(*idle_text);
  std::vector<fs::path> busy_files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(base, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("slab-busy-") && name.ends_with(".txt"))
      busy_files.push_back(entry.path());
  }
  std::sort(busy_files.begin(), busy_files.end());
  std::vector<std::map<std::string, SlabLine>> busy;
  for (const auto& p : busy_files)
    if (auto text = ReadText(p)) busy.push_back(ParseSlabinfo(*text));
  r.busy_snapshots = busy.size();
  auto aliases = ParseAliases(ReadText(base / "slab-aliases.txt").value_or(""));
  std::vector<std::string> driver;
  std::string driver_text = ReadText(base / "slab-driver.txt").value_or("");
  for (std::string_view line : Lines(driver_text)) {
    line = Trim(line);
    if (!line.empty()) driver.emplace_back(line);
  }
  r.slab = SlabUse(idle, busy, aliases, driver);
  if (busy.empty()) r.errors.push_back(dir + ": no slabinfo snapshot taken while busy");
  return r;
}

}  // namespace xferbench
