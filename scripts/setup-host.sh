#!/usr/bin/env bash
# Installs the host packages every make target needs. Idempotent: it adds
# bookworm-backports and deb-src only when missing (taking the archive URI
# from the machine's own apt sources, never a hard-coded mirror) and runs
# apt-get only when a package is absent.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-host: must run as root (apt-get)" >&2
	exit 1
fi

src=/etc/apt/sources.list.d/debian.sources
ours=/etc/apt/sources.list.d/xferblk-backports.sources

# The URI and keyring of the stanza that carries plain "bookworm".
read -r uri keyring < <(awk '
	/^URIs:/ { u = $2 }
	/^Signed-By:/ { k = $2 }
	/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") s = 1 }
	/^$/ { if (s && u) { print u, k; exit } s = 0; u = ""; k = "" }
	END { if (s && u) print u, k }' "$src")
if [ -z "${uri:-}" ]; then
	echo "setup-host: no bookworm URI found in $src" >&2
	exit 1
fi

want=$(cat <<SRC
Types: deb deb-src
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: ${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}

Types: deb-src
URIs: $uri
Suites: bookworm
Components: main
Signed-By: ${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}
SRC
)
updated=0
if [ ! -f "$ours" ] || [ "$(cat "$ours")" != "$want" ]; then
	printf '%s\n' "$want" >"$ours"
	apt-get update -qq
	updated=1
fi

export DEBIAN_FRONTEND=noninteractive

# name[/suite] ...
pkgs=(
	build-essential pkgconf ninja-build python3-venv zlib1g-dev libglib2.0-dev
	libattr1-dev libcap-ng-dev libpixman-1-dev ccache
	meson/bookworm-backports python3-pycotap/bookworm-backports
	seabios qemu-system-data
	busybox-static cpio kmod xz-utils zstd
	sparse bc flex bison libelf-dev libssl-dev
	fio e2fsprogs socat rsync mdadm
	cmake g++ libgtest-dev liburing-dev clang-format shellcheck
	nlohmann-json3-dev help2man
	gnuplot-nox
)

missing=()
for p in "${pkgs[@]}"; do
	name=${p%%/*}
	if ! dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$updated" = 1 ] || apt-get update -qq
	echo "setup-host: installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
