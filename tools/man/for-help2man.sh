#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# What help2man runs in place of a tool: `for-help2man.sh --help` and
# `for-help2man.sh --version`, with the tool's path in XFERBLK_MAN_TOOL.
#
# --version is passed through. --help is the tool's own text with its usage
# lines put the way help2man reads a SYNOPSIS: "usage: " becomes "Usage: " and
# each further line of the usage block (up to the first blank line), aligned
# under the first, becomes "  or:  ...". The tools keep their lowercase
# "usage:" (tests, including the guest selftests, expect it).
set -eu
tool=${XFERBLK_MAN_TOOL:?the tool to run}
[ "${1:-}" = --help ] || exec "$tool" "$@"
text=$("$tool" --help)
printf '%s\n' "$text" | awk '
  NR == 1 { sub(/^usage: /, "Usage: ") }
  NR > 1 && !done && /^$/ { done = 1 }
  NR > 1 && !done { sub(/^       /, "  or:  ") }
  { print }'
