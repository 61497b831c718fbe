#!/bin/bash
# Runs one QMP command on the host that started this guest, through the run
# directory qemu/run-guest.sh shares (see its header), and prints QEMU's
# answer. usage: qmp.sh '{"execute":"device_del","arguments":{"id":"xferblk0"}}'
set -eu
box=${XFERBLK_RUN:?run inside qemu/run-guest.sh}/qmp
name=$$.$RANDOM
printf '%s\n' "$1" >"$box/$name.tmp"
mv "$box/$name.tmp" "$box/$name.req"
for _ in $(seq 1 150); do
	if [ -f "$box/$name.rsp" ]; then
		cat "$box/$name.rsp"
		rm -f "$box/$name.rsp"
		exit 0
	fi
	sleep 0.2
done
echo "qmp.sh: no answer from the host" >&2
exit 1
