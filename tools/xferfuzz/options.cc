// SPDX-License-Identifier: GPL-2.0-only

#include "options.hh"

#include <getopt.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "op.hh"

namespace xferfuzz {

namespace {

enum OptionCode : int {
  kOptQemu = 256,
  kOptSeed,
  kOptOps,
  kOptSeconds,
  kOptRestartEvery,
  kOptBatch,
  kOptTimeout,
  kOptOutDir,
  kOptMinimizeSeconds,
  kOptMaxFailures,
  kOptAllLeaks,
  kOptTrace,
  kOptQuiet,
  kOptReplay,
  kOptQemuArg,
  kOptHelp,
  kOptVersion,
};

constexpr option kLongOptions[] = {
    {"qemu", required_argument, nullptr, kOptQemu},
    {"seed", required_argument, nullptr, kOptSeed},
    {"ops", required_argument, nullptr, kOptOps},
    {"seconds", required_argument, nullptr, kOptSeconds},
    {"restart-every", required_argument, nullptr, kOptRestartEvery},
    {"batch", required_argument, nullptr, kOptBatch},
    {"timeout", required_argument, nullptr, kOptTimeout},
    {"out-dir", required_argument, nullptr, kOptOutDir},
    {"minimize-seconds", required_argument, nullptr, kOptMinimizeSeconds},
    {"max-failures", required_argument, nullptr, kOptMaxFailures},
    {"all-leaks", no_argument, nullptr, kOptAllLeaks},
    {"trace", no_argument, nullptr, kOptTrace},
    {"quiet", no_argument, nullptr, kOptQuiet},
    {"replay", required_argument, nullptr, kOptReplay},
    {"qemu-arg", required_argument, nullptr, kOptQemuArg},
    {"help", no_argument, nullptr, kOptHelp},
    {"version", no_argument, nullptr, kOptVersion},
    {nullptr, 0, nullptr, 0},
};

std::string OptionName(int code) {
  for (const option& o : kLongOptions) {
    if (o.name != nullptr && o.val == code) return "--" + std::string(o.name);
  }
  return {'-', static_cast<char>(code)};
}

std::optional<double> Seconds(const char* s) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || errno || !std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

}  // namespace

std::variant<Options, OptionsError> ParseOptions(int argc, char** argv, const char* env_qemu) {
  Options o;
  if (env_qemu) o.qemu = env_qemu;
  optind = 0;  // a full restart of getopt (the tests parse many times)
  opterr = 0;
  auto bad = [](int code, const char* arg, const std::string& want) {
    return OptionsError{OptionName(code) + ": '" + arg + "' is not " + want};
  };
  for (;;) {
    const int prev = optind ? optind : 1;
    const int c = getopt_long(argc, argv, "hv", kLongOptions, nullptr);
    if (c == -1) break;
    const char* arg = optarg;
    switch (c) {
      case kOptQemu:
        o.qemu = arg;
        break;
      case kOptSeed: {
        std::optional<uint64_t> v = ParseUnsigned(arg);
        if (!v) return bad(c, arg, "a number (decimal or 0x hex)");
        o.seed = v;
        break;
      }
      case kOptOps:
      case kOptRestartEvery:
      case kOptBatch:
      case kOptTimeout:
      case kOptMaxFailures: {
        std::optional<uint64_t> v = ParseUnsigned(arg);
        const bool zero_ok = c == kOptMaxFailures;
        if (!v || (!zero_ok && *v == 0) || *v > (1ULL << 40)) {
          return bad(c, arg, zero_ok ? "a number" : "a positive number");
        }
        if (c == kOptOps) o.ops = *v;
        if (c == kOptRestartEvery) o.restart_every = std::max<uint64_t>(*v, 2);
        if (c == kOptBatch) o.batch = *v;
        if (c == kOptTimeout) o.timeout_ms = static_cast<unsigned>(std::min<uint64_t>(*v, 1 << 30));
        if (c == kOptMaxFailures)
          o.max_failures = static_cast<unsigned>(std::min<uint64_t>(*v, 1 << 30));
        break;
      }
      case kOptSeconds:
      case kOptMinimizeSeconds: {
        std::optional<double> v = Seconds(arg);
        if (!v || (c == kOptSeconds && *v <= 0)) return bad(c, arg, "a number of seconds");
        if (c == kOptSeconds) o.seconds = *v;
        if (c == kOptMinimizeSeconds) o.minimize_seconds = *v;
        break;
      }
      case kOptOutDir:
        o.out_dir = arg;
        break;
      case kOptAllLeaks:
        o.all_leaks = true;
        break;
      case 'v':
      case kOptTrace:
        o.trace = true;
        break;
      case kOptQuiet:
        o.quiet = true;
        break;
      case kOptReplay:
        o.replay.push_back(arg);
        break;
      case kOptQemuArg:
        o.qemu_args.push_back(arg);
        break;
      case 'h':
      case kOptHelp:
        o.help = true;
        break;
      case kOptVersion:
        o.version = true;
        break;
      default: {
        std::string element = prev < argc ? argv[prev] : "";
        if (optopt == 0) {
          return OptionsError{"unknown option " + element.substr(0, element.find('=')) +
                              " (see --help)"};
        }
        if (optopt >= kOptQemu) {
          const option& opt = kLongOptions[optopt - kOptQemu];
          return OptionsError{OptionName(optopt) +
                              (opt.has_arg ? " needs a value" : " takes no value")};
        }
        return OptionsError{"unknown option " + OptionName(optopt) + " (see --help)"};
      }
    }
  }
  if (optind < argc) {
    return OptionsError{"unexpected argument '" + std::string(argv[optind]) + "' (see --help)"};
  }
  return o;
}

std::string VersionText() { return "xferfuzz " XFERBLK_VERSION "\n"; }

std::string UsageText(std::string_view prog) {
  std::string p(prog);
  return "usage: " + p + " [--seed S] [--ops N | --seconds T] [options]\n" + "       " + p +
         " --replay FILE|DIR [options]\n" +
         R"(
A seeded, reproducible fuzzer for the xferblk QEMU device model. It starts
qemu-system-x86_64 -accel qtest with the device and drives it through qtest
and QMP as a hostile guest would: random register reads and writes all over
BAR0 (mostly the real registers: control, fault injection, queues,
doorbells), rings and MSI-X messages aimed anywhere (unmapped space, the
device's own BARs, overlapping rings), submission entries and SG lists with
arbitrary fields, doorbells past the ring, controller resets, queues disabled
in the middle of I/O, virtual clock steps, system resets and hot-unplugs. The
device's configuration (backend, block size, limits, queues, start-time
faults) is random too, and QEMU is restarted every --restart-every
operations and after each unplug.

QEMU fails if it crashes (a signal, an assertion), exits on its own, does not
answer a qtest command within --timeout, does not quit when asked, or prints
a sanitizer report (AddressSanitizer, UndefinedBehaviorSanitizer "runtime
error:", LeakSanitizer...) on its stderr; build it with
XFERBLK_QEMU_VARIANT=sanitize qemu/build-qemu.sh for the reports. On a
failure xferfuzz prints the seed, minimizes the operations of that QEMU by
delta debugging (replaying candidates in fresh QEMUs), writes them to a replay
file in --out-dir and prints how to replay it.

Every run prints its seed and a nonce of its own (in the names of its files),
and ends with a JSON summary line on stdout: ops, ops_per_second,
qemu_starts, failures, seed, nonce. The operations are a function of the
seed, --restart-every and --ops alone (with --seconds, of how far the run
got), never of what QEMU answers.

  --qemu PATH           QEMU with the xferblk device (default: $XFERBLK_QEMU;
                        qemu/build-qemu.sh prints it)
  --seed S              seed, decimal or 0x hex (default: random)
  --ops N               stop after N operations
  --seconds T           stop after T seconds of fuzzing (default: 60 without
                        --ops)
  --restart-every K     operations per QEMU (default 1000)
  --batch N             operations sent to qtest at once (default 64)
  --timeout MS          a qtest command not answered within MS milliseconds is
                        a hang (default 5000)
  --out-dir DIR         where replay files are written (default .)
  --minimize-seconds T  time spent minimizing each failure (default 300; 0: no
                        minimization, the operations up to the failure are
                        written as they are)
  --max-failures N      stop after N failures (default 1; 0: never)
  --all-leaks           every LeakSanitizer report is a failure, not only
                        those with a stack in the device model
  --replay PATH         run a replay file, or every *.txt file in a directory,
                        each in fresh QEMUs, and exit 0 iff QEMU survives them
                        all; may be given more than once
  --qemu-arg ARG        one more argument for QEMU (repeat for more), e.g.
                        --qemu-arg=-trace --qemu-arg='xferblk_*'
  --trace, -v           print each operation on stderr as it is sent, and
                        QEMU's stderr when it has quit
  --quiet               no progress lines on stderr
  -h, --help            this text
  --version             print xferfuzz's version and exit

Replay file operations, one per line (a # starts a comment):
  start drive=KIND size=BYTES [throttle=BPS] [props=P,...]
                        a fresh QEMU and image; KIND is raw, null, null-drive,
                        snapshot, blkdebug:SECTOR (I/O there fails; throttle=
                        puts a throttle group over it) or throttle:BPS;
                        props are -device xferblk properties
  pci_setup             BAR0 at 0xe0000000, BAR2 at 0xe0100000, bus
                        mastering, MSI-X messages to guest RAM at 0x80000
  r1|r2|r4|r8 ADDR      read; ADDR is guest-physical or bar0+OFF, bar2+OFF
  w1|w2|w4|w8 ADDR VAL  write
  bytes ADDR HEX        write bytes
  fill ADDR LEN BYTE    write LEN copies of BYTE
  sqe ADDR op=OP flags=F tag=T nsge=N lba=L nblocks=B sgl=A [rsvd0= rsvd1= rsvd2=]
                        write a submission entry (OP: READ, WRITE, FLUSH,
                        DISCARD, WRITE_ZEROES, ABORT or a number)
  sge ADDR addr=A len=L [rsvd=R]
                        write an SG entry
  cfg OFF VAL           PCI config write (32 bit) to the device
  msixctl VAL           write the MSI-X message control word
  step NS               advance the virtual clock (timers, bottom halves)
  wait MS               let MS milliseconds of real time pass (the backend's
                        I/O completes in real time)
  unplug                device_del over QMP and the guest's ACPI eject
  system_reset          system_reset over QMP
A file whose first operation is not a start begins with
"start drive=raw size=1048576".

Exit status:
  0   no failure (a replay: QEMU survived)
  1   QEMU failed
  2   usage error, or the run could not be set up
  77  no QEMU binary (neither --qemu nor $XFERBLK_QEMU): for ctest to skip
)";
}

}  // namespace xferfuzz
