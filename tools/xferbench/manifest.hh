// SPDX-License-Identifier: GPL-2.0-only
//
// The manifest the guest half of `make bench` writes next to the raw fio
// outputs: what was run, on which device, where the output is, and what is
// compared with what. One record per line, fields separated by tabs:
//
//   meta     KEY VALUE
//   job      ID METRIC TITLE            METRIC: bw (bytes/s) or iops
//   device   ID LABEL
//   missing  DEVICE REASON              the device could not be set up
//   run      JOB DEVICE REP FILE STATUS FILE relative to the manifest;
//                                        STATUS: fio's exit status
//   compare  ID JOB SUBJECT TARGET PEERS TITLE
//                                        PEERS: comma-separated; the subject
//                                        is compared with the best of them
//   memory   DEVICE DIR IODEPTH [MODULE [JOB]]
//                                        a memory measurement's directory;
//                                        MODULE: the device's driver (xferblk);
//                                        JOB: what ran, for the table
//   sweep    ID VARY DEVICES TITLE [NOTE]
//                                        a scaling curve: IOPS against the fio
//                                        option VARY (iodepth, numjobs) on
//                                        DEVICES (comma-separated)
//   curve    SWEEP DEVICE X REP FILE STATUS
//                                        one run of a curve's point: VARY = X
//
// Blank lines and lines starting with '#' are ignored, and so are records
// of a kind this version does not know.

#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace xferbench {

enum class Metric { kBandwidth, kIops };

struct JobDef {
  std::string id;
  Metric metric = Metric::kBandwidth;
  std::string title;
};

struct DeviceDef {
  std::string id;
  std::string label;
};

struct RunRecord {
  std::string job;
  std::string device;
  int rep = 0;
  std::string file;
  int status = 0;
};

struct CompareDef {
  std::string id;
  std::string job;
  std::string subject;
  double target = 0;
  std::vector<std::string> peers;
  std::string title;
};

struct MemoryRecord {
  std::string device;
  std::string dir;
  int iodepth = 0;
  std::string module = "xferblk";  // the driver module whose frames count as the driver's
  std::string job;
};

// A scaling curve: the same job on each device at every value of one
// option (bench/curve-*.fio).
struct SweepDef {
  std::string id;
  std::string vary;  // the fio option the points set: iodepth, numjobs
  std::vector<std::string> devices;
  std::string title;
  std::string note;  // what a reader must know to read the curve, or ""
};

struct CurveRecord {
  std::string sweep;
  std::string device;
  int x = 0;  // the value of the sweep's option, > 0
  int rep = 0;
  std::string file;
  int status = 0;
};

struct Manifest {
  std::vector<std::pair<std::string, std::string>> meta;  // in file order
  std::vector<JobDef> jobs;
  std::vector<DeviceDef> devices;
  std::map<std::string, std::string> missing;  // device -> reason
  std::vector<RunRecord> runs;
  std::vector<CompareDef> compares;
  std::vector<MemoryRecord> memory;
  std::vector<SweepDef> sweeps;
  std::vector<CurveRecord> curves;

  const JobDef* FindJob(std::string_view id) const;
  const SweepDef* FindSweep(std::string_view id) const;
  const DeviceDef* FindDevice(std::string_view id) const;
  // The device's label, or its id if it has none.
  std::string Label(std::string_view device) const;
  std::string Meta(std::string_view key, std::string_view fallback = "") const;
};

// Splits on tabs; empty fields are kept.
std::vector<std::string> SplitTabs(std::string_view line);

// Parses a manifest. Throws std::runtime_error naming the line of a
// malformed record.
Manifest ParseManifest(std::string_view text);

Manifest ReadManifest(const std::string& path);

}  // namespace xferbench
