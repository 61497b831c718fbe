# KTAP output for the shell selftests, in the format kselftest.h prints.
# shellcheck shell=bash
ktap_pass=0
ktap_fail=0
ktap_skip=0
ktap_n=0
ktap_header() { echo "TAP version 13"; echo "1..$1"; }
ktap_result() { # ktap_result <0|1|skip> <description>
	ktap_n=$((ktap_n + 1))
	case $1 in
	0) ktap_pass=$((ktap_pass + 1)); echo "ok $ktap_n $2" ;;
	skip) ktap_skip=$((ktap_skip + 1)); echo "ok $ktap_n # SKIP $2" ;;
	*) ktap_fail=$((ktap_fail + 1)); echo "not ok $ktap_n $2" ;;
	esac
}
ktap_finish() {
	echo "# Totals: pass:$ktap_pass fail:$ktap_fail xfail:0 xpass:0 skip:$ktap_skip error:0"
	[ "$ktap_fail" -eq 0 ]
}
# The n-th xferblk disk the runner started (by PCI address), e.g. xferblk0.
xferblk_disk() {
	local addrs=($XFERBLK_DISKS)
	ls "/sys/bus/pci/devices/${addrs[$1]}/block" 2>/dev/null | head -n1
}
xferblk_stat() { cat "/sys/block/$1/xferblk/$2"; }
