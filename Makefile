# xferblk: `make demo` and `make check` are the two commands; the rest are
# the steps they are made of. Everything heavy is cached outside the tree in
# ${XDG_CACHE_HOME:-~/.cache}/xferblk (see scripts/common.sh).

SHELL := /bin/bash
TOP := $(CURDIR)
BUILD := $(TOP)/build
CACHE := $(or $(XFERBLK_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/xferblk)
KSFT := $(CACHE)/linux-source/tools/testing/selftests
# The Debian kernel to build for and boot: 6.12 (default), 6.1 or 7.3
# (`make check KERNEL=6.1`). fetch-kernel.sh fetches it into the cache and
# kmake.sh runs the kernel's make for it (7.3: in a trixie root).
KERNEL ?= $(or $(XFERBLK_SERIES),6.12)
export XFERBLK_SERIES := $(KERNEL)
# SANITIZE=1: every QEMU this make runs is the ASan/UBSan build
# (qemu/build-qemu.sh's "sanitize" variant, cached apart).
ifneq ($(SANITIZE),)
export XFERBLK_QEMU_VARIANT := sanitize
endif
# The C++ of the tools and the selftests compiles through ccache (installed
# by deps), cached for every clone: paths under the tree are made relative
# and the directory is left out of the hash, so a fresh clone hits.
export CCACHE_DIR := $(CACHE)/ccache
export CCACHE_BASEDIR := $(TOP)
export CCACHE_NOHASHDIR := 1
CCACHE = $$(command -v ccache)

# The disks `make check` boots with: the device defaults; tiny limits (also
# for discard and write-zeroes); a 64 KiB segment boundary with few
# segments; 4 KiB logical blocks on a single queue.
CHECK_DISKS := --disk "" \
	--disk "max-transfer=4096,max-segments=2,max-segment-size=4096,max-discard-blocks=64,discard-granularity=8,max-write-zeroes-blocks=128" \
	--disk "max-transfer=262144,max-segments=8,max-segment-size=16384,seg-boundary=0xffff" \
	--disk "logical_block_size=4096,max-transfer=65536,max-segments=4,queues=1"

# The volume boot (selftests/xferblk_volume.sh): five disks of different
# limits (the last with 4 KiB blocks) and a smaller virtio-blk disk.
VOLUME_DISKS := --disk "" \
	--disk "max-transfer=4096,max-segments=2,max-segment-size=4096" \
	--disk "max-transfer=262144,max-segments=8,max-segment-size=16384,seg-boundary=0xffff" \
	--disk "max-transfer=16384,max-segments=4" \
	--disk "logical_block_size=4096"

# The third boot: a device that cannot abort, then one device per lie the
# device can tell at probe (docs/device-spec.md, hostile-limits).
HOSTILE_DISKS := $(foreach h,bad-magic bad-version zero-capacity huge-capacity \
	bad-block-size zero-max-transfer tiny-max-transfer zero-segments tiny-segment-size \
	bad-boundary zero-queues many-queues bad-depth,--disk hostile-limits=$(h))

.PHONY: all deps kernel module qemu selftests tools host-tests static guest-tests \
	check check-debug demo bench clean smoke install dkms-install dkms-check

all: module selftests tools

deps:
	@scripts/setup-host.sh

kernel: deps
	@scripts/fetch-kernel.sh >/dev/null

module: kernel
	@scripts/kmake.sh --cache xferblk.ko M=$(TOP) W=1 modules

qemu: deps
	@qemu/build-qemu.sh >/dev/null

# selftests/Makefile (on the kernel's lib.mk) builds the suite into
# build/selftests; the tools the tests run (xferio, xferctl) and the bio
# helper module go next to them, so that directory is all the guest needs.
# build/kselftest is the kernel's installed layout around it, for
# run_kselftest.sh: the runner, the test list, and xferblk -> ../selftests.
selftests: kernel tools
	@$(MAKE) -s -C selftests KSFT_DIR=$(KSFT) OUTPUT=$(BUILD)/selftests \
		CC="$(CCACHE) gcc" CXX="$(CCACHE) g++" INSTALL_PATH=$(BUILD)/selftests install >/dev/null
	@install -m 0755 $(BUILD)/tools/xferio/xferio $(BUILD)/tools/xferctl/xferctl $(BUILD)/selftests/
	@scripts/kmake.sh --cache xferblk_biotest.ko M=$(TOP)/selftests/biotest -s W=1 modules
	@install -m 0644 selftests/biotest/xferblk_biotest.ko $(BUILD)/selftests/
	@mkdir -p $(BUILD)/kselftest/kselftest
	@install -m 0755 $(KSFT)/run_kselftest.sh $(BUILD)/kselftest/
	@install -m 0755 $(KSFT)/kselftest/runner.sh $(KSFT)/kselftest/prefix.pl \
		$(KSFT)/kselftest/ktap_helpers.sh $(BUILD)/kselftest/kselftest/
	@ln -sfn ../selftests $(BUILD)/kselftest/xferblk
	@$(MAKE) -s -C selftests KSFT_DIR=$(KSFT) OUTPUT=$(BUILD)/selftests COLLECTION=xferblk \
		emit_tests >$(BUILD)/kselftest/kselftest-list.txt

tools: deps
	@cmake -S tools -B $(BUILD)/tools -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_C_COMPILER_LAUNCHER=$(CCACHE) -DCMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE) >/dev/null
	@cmake --build $(BUILD)/tools -j2 >/dev/null

# The device tests drive our QEMU through qtest; they skip without it.
host-tests: tools qemu
	@XFERBLK_QEMU=$$(qemu/build-qemu.sh) ctest --test-dir $(BUILD)/tools --output-on-failure

static: module
	@scripts/static-checks.sh

# The runner and the directory of the console logs: check-debug runs the
# same boots on the debug kernel with RUN_GUEST=scripts/check-debug-run.sh.
RUN_GUEST := qemu/run-guest.sh
GUEST_LOGS := $(BUILD)/guest

# Four boots: the suite on four disks in both send modes; multiqueue and
# hot-unplug with four vCPUs and a four-queue disk; the controller reset
# and hostile devices (single-threaded TCG: its many resets toggle bus
# mastering, which met a QEMU 10.0.2 multi-threaded TCG crash once; see
# qemu/run-guest.sh); volumes, in both send modes.
guest-tests: module selftests qemu
	@rc=0; \
	$(RUN_GUEST) --smp 2 --timeout 1500 --log $(GUEST_LOGS)/check.log \
		$(CHECK_DISKS) -- build/selftests/run.sh || rc=1; \
	$(RUN_GUEST) --smp 4 --timeout 600 --log $(GUEST_LOGS)/check-mq.log \
		--disk "queues=4" -- env XFERBLK_TESTS="xferblk_mq.sh xferblk_unplug.sh" XFERBLK_SEND_MODES=async \
		build/selftests/run.sh || rc=1; \
	$(RUN_GUEST) --smp 2 --single-thread --timeout 600 --log $(GUEST_LOGS)/check-hostile.log \
		--disk "abort=off" $(HOSTILE_DISKS) -- \
		env XFERBLK_TESTS="xferblk_reset xferblk_hostile.sh" XFERBLK_SEND_MODES=async \
		build/selftests/run.sh || rc=1; \
	mkdir -p $(GUEST_LOGS) && truncate -s 96M $(GUEST_LOGS)/volume-virtio.img && \
	$(RUN_GUEST) --smp 2 --timeout 1200 --log $(GUEST_LOGS)/check-volume.log $(VOLUME_DISKS) \
		--qemu-arg -blockdev --qemu-arg "driver=raw,node-name=bvirtio,file.driver=file,file.filename=$(GUEST_LOGS)/volume-virtio.img" \
		--qemu-arg -device --qemu-arg "virtio-blk-pci,drive=bvirtio,id=bvirtio,addr=0x1a" -- \
		env XFERBLK_TESTS=xferblk_volume.sh XFERBLK_VIRTIO_PCI=0000:00:1a.0 build/selftests/run.sh || rc=1; \
	exit $$rc

check:
	@scripts/check.sh

# The host tests and the guest boots of check on the sanitized QEMU, each
# QEMU run also a test that its output holds no sanitizer report.
.PHONY: check-sanitize
check-sanitize:
	@XFERBLK_QEMU_VARIANT=sanitize scripts/check.sh

# The boots of guest-tests on the debug kernel (KASAN, lockdep, kmemleak,
# debug objects, DMA-API debugging; built from Debian's linux-source-6.12 and
# cached) with the modules built against it in build/debug, each boot ending
# with a kmemleak scan; fails on any checker's report. Logs in
# build/guest/debug. Ends with "N passed, N failed".
check-debug:
	@scripts/check-debug.sh

# `make chaos` on the debug kernel, with check-debug's checks of the console.
.PHONY: chaos-debug
chaos-debug:
	@scripts/check-debug.sh chaos

# Hot-unplug for longer: the second boot of guest-tests (four vCPUs, a
# four-queue disk) running only xferblk_unplug.sh, with 100 cycles instead
# of 20. Not part of `make check`. Log in build/guest/check-long.log.
.PHONY: check-long
check-long: module selftests qemu
	@$(RUN_GUEST) --smp 4 --timeout 3600 --log $(GUEST_LOGS)/check-long.log \
		--disk "queues=4" -- env XFERBLK_TESTS=xferblk_unplug.sh XFERBLK_SEND_MODES=async \
		XFERBLK_UNPLUG_CYCLES=100 build/selftests/run.sh

# The random fault test again and again (selftests/xferblk_soak.sh): SOAK_RUNS
# runs (default 200) or SOAK_MINUTES minutes, alternating send modes; ends
# with runs, I/Os, faults injected and wrong blocks. Not part of `make check`.
SOAK_RUNS ?= 200
SOAK_MINUTES ?= 0
.PHONY: soak
soak: module selftests qemu
	@$(RUN_GUEST) --smp 2 --timeout 86400 --log $(GUEST_LOGS)/soak.log $(CHECK_DISKS) -- \
		env XFERBLK_SOAK_RUNS=$(SOAK_RUNS) XFERBLK_SOAK_MINUTES=$(SOAK_MINUTES) \
		build/selftests/xferblk_soak.sh

# The device model fuzzed by a hostile guest (tools/xferfuzz, through
# qtest) on the ASan/UBSan QEMU: FUZZ_SECONDS (default 3600) or FUZZ_OPS,
# FUZZ_SEED; FUZZ_COVERAGE=1 on the gcov build, with the model's line
# coverage at the end. `make check` runs a short fixed-seed run (ctest
# fuzz_short) and every replay in tools/xferfuzz/regressions.
.PHONY: fuzz
fuzz: tools
	@scripts/fuzz.sh

# The lying device at length (selftests/xferblk_faults.cc --chaos): one run
# of CHAOS_IOS random reads and writes (default 30000) on the first disk
# while the device tells every kind of completion lie at CHAOS_PPM (default
# 200000); the run prints the lies told per kind and fails on a lie let
# through, a wrong block, a miscount or a hang. Not part of `make check`,
# which has a short one. Log in build/guest/chaos.log.
CHAOS_IOS ?= 30000
CHAOS_PPM ?= 200000
.PHONY: chaos
chaos: module selftests qemu
	@$(RUN_GUEST) --smp 2 --timeout 7200 --log $(GUEST_LOGS)/chaos.log $(CHECK_DISKS) -- \
		env XFERBLK_CHAOS_IOS=$(CHAOS_IOS) XFERBLK_CHAOS_PPM=$(CHAOS_PPM) \
		build/selftests/xferblk_chaos.sh

demo:
	@scripts/demo.sh

# A short boot on the selected kernel (make smoke KERNEL=7.3): insmod, fio
# verify on the four disks of `make check` (every split limit), rmmod and a
# clean kernel log. CI runs it on the kernels other than the default.
smoke: module selftests qemu
	@$(RUN_GUEST) --smp 2 --timeout 900 --log $(GUEST_LOGS)/smoke-$(KERNEL).log \
		$(CHECK_DISKS) -- env XFERBLK_TESTS=xferblk_fio.sh XFERBLK_SEND_MODES=async \
		build/selftests/run.sh

# Real hosts (docs/install.md): the module for the running kernel (KVER=...)
# and the tools under PREFIX; or the module through DKMS, rebuilt for every
# kernel installed later. dkms-check is CI's test of the DKMS path: a DKMS
# build against the project kernel's installed headers, then removed.
install: deps tools
	@scripts/install.sh
dkms-install: deps
	@scripts/dkms.sh install $(KVER)
dkms-check: deps kernel
	@scripts/dkms.sh check

# One guest with xferblk disks, virtio-blk, NVMe (mdts=5) and
# null_blk; the same fio jobs on each, several repetitions; the table of
# ratios against the targets, results.json and the gnuplot charts in build/bench
# (docs/performance.md). About 16 minutes warm; BENCH_REPS, BENCH_RUNTIME,
# BENCH_ONLY etc. in scripts/bench.sh.
bench: module qemu tools
	@scripts/bench.sh

# perf profiles of a 1 MiB read on xferblk (128 KiB per command: 8 children)
# and on virtio-blk, in build/profile (docs/performance.md).
.PHONY: profile
profile: module qemu
	@scripts/profile.sh

clean:
	-@scripts/kmake.sh M=$(TOP) clean 2>/dev/null
	-@scripts/kmake.sh M=$(TOP)/selftests/biotest clean 2>/dev/null
	-@$(MAKE) -s -C selftests KSFT_DIR=$(KSFT) OUTPUT=$(BUILD)/selftests clean 2>/dev/null
	rm -rf $(BUILD)
