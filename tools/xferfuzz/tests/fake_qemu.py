#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# A stand-in for qemu-system-x86_64 -accel qtest, for testing xferfuzz
# itself: it answers every qtest command (reads give 0) and QMP command, and
# fails in the way $FAKE_QEMU_MODE says once it has seen a controller RESET
# (a write to CTRL with bit 1 set) and, after it, a write to FAULT_RELEASE:
#
#   ok      never fails
#   abort   prints an assertion failure and dies of SIGABRT
#   asan    prints an AddressSanitizer report and exits 1
#   ubsan   prints a UBSan "runtime error:" and goes on
#   hang    stops answering
#   leak    when asked to quit, prints a LeakSanitizer report (in the device
#           model) and exits 23
#   exit    exits 0 on its own
#
# Like QEMU it quits with status 0 on SIGTERM, and on device_del sends
# DEVICE_DELETED, on system_reset RESET.

import json
import os
import signal
import socket
import sys
import threading
import time

CTRL = 0xE0000040
FAULT_RELEASE = 0xE0000090

mode = os.environ.get("FAKE_QEMU_MODE", "ok")
triggered = False


def on_term(signum, frame):
    if mode == "leak" and triggered:
        sys.stderr.write(
            "==42==ERROR: LeakSanitizer: detected memory leaks\n\n"
            "Direct leak of 64 byte(s) in 1 object(s) allocated from:\n"
            "    #0 0x7f0000001 in malloc (/usr/lib/libasan.so.8+0xd)\n"
            "    #1 0x55000002 in xferblk_fake_alloc ../hw/xferblk/fake.c:12\n")
        sys.stderr.flush()
        os._exit(23)
    sys.stderr.write("fake-qemu: terminating on signal 15\n")
    sys.stderr.flush()
    os._exit(0)


def qmp_serve(conn):
    f = conn.makefile("rwb", buffering=0)
    f.write(b'{"QMP": {"version": {}, "capabilities": []}}\r\n')
    for line in f:
        if not line.strip():
            continue
        name = json.loads(line).get("execute")
        f.write(b'{"return": {}}\r\n')
        event = {"device_del": "DEVICE_DELETED", "system_reset": "RESET"}.get(name)
        if event:
            f.write(json.dumps({"event": event, "data": {}}).encode() + b"\r\n")


def qmp_listen(path):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)

    def loop():
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=qmp_serve, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def fail():
    global triggered
    triggered = True
    if mode == "abort":
        sys.stderr.write("fake-qemu: ../hw/xferblk/fake.c:7: fake_release: "
                         "Assertion `!released' failed.\n")
        sys.stderr.flush()
        os.abort()
    if mode == "asan":
        sys.stderr.write(
            "=================================================================\n"
            "==42==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020 at pc "
            "0x55 bp 0x7f sp 0x7e\n"
            "READ of size 8 at 0x6020 thread T0\n"
            "    #0 0x55000001 in xferblk_fake_release ../hw/xferblk/fake.c:9\n")
        sys.stderr.flush()
        os._exit(1)
    if mode == "ubsan":
        sys.stderr.write("../hw/xferblk/fake.c:11:5: runtime error: shift exponent 64 is too "
                         "large for 64-bit type 'long unsigned int'\n")
        sys.stderr.flush()
    if mode == "hang":
        while True:
            time.sleep(3600)
    if mode == "exit":
        os._exit(0)


def main():
    signal.signal(signal.SIGTERM, on_term)
    args = sys.argv[1:]
    for i, a in enumerate(args):
        if a == "-qmp":
            qmp_listen(args[i + 1][len("unix:"):].split(",")[0])
    reset_seen = False
    out = sys.stdout
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd = words[0]
        if cmd in ("writel", "writeq"):
            addr, value = int(words[1], 0), int(words[2], 0)
            if addr == CTRL and value & 2:
                reset_seen = True
            elif addr == FAULT_RELEASE and reset_seen and not triggered:
                fail()
        if cmd.startswith("read") and cmd != "read" or cmd.startswith("in"):
            out.write("OK 0x0\n")
        elif cmd == "read":
            out.write("OK 0x" + "00" * int(words[2], 0) + "\n")
        elif cmd == "endianness":
            out.write("OK little\n")
        elif cmd == "clock_step":
            out.write("OK 1\n")
        else:
            out.write("OK\n")
        out.flush()
    # Like QEMU, it does not quit when its qtest stream ends, only on SIGTERM.
    while True:
        time.sleep(3600)


main()
