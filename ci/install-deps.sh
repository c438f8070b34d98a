#!/bin/sh
# The Debian packages tcpconform needs, in two groups:
#   build  what `make` needs for the programs
#   test   what the tests need on top (`make check` and the other test goals)
#
#   ci/install-deps.sh [--check] [build|test|all]     (default: all)
#
# Without --check it installs what is missing (needs root; otherwise it
# prints the apt-get line and fails). With --check it only says what is
# missing (exit 1) or exits 0. On a system without dpkg the packages cannot
# be asked about: the check then looks for what they provide (pkg-config
# modules, commands, Python modules) and names what it cannot find; it
# never installs there.
set -eu

BUILD_PACKAGES="gcc make pkg-config libnet1-dev libpcap-dev libyaml-dev libmnl-dev libnftnl-dev liblwip-dev"
TEST_PACKAGES="libcmocka-dev tshark iproute2 nftables libxml2-utils python3-junitparser python3-jsonschema chromium"

usage() {
	echo "usage: ci/install-deps.sh [--check] [build|test|all]" >&2
	exit 2
}

check_only=no
group=all
for arg in "$@"; do
	case "$arg" in
	--check) check_only=yes ;;
	build | test | all) group=$arg ;;
	*) echo "ci/install-deps.sh: unknown argument '$arg'" >&2; usage ;;
	esac
done

case "$group" in
build) packages=$BUILD_PACKAGES ;;
test) packages=$TEST_PACKAGES ;;
all) packages="$BUILD_PACKAGES $TEST_PACKAGES" ;;
esac

# What a package provides, for systems without dpkg: "pc:MODULE",
# "cmd:NAME" (any of NAME|NAME2) or "py:MODULE" (of /usr/bin/python3).
provides() {
	case "$1" in
	gcc) echo "cmd:cc|gcc" ;;
	make) echo "cmd:make" ;;
	pkg-config) echo "cmd:pkg-config" ;;
	libnet1-dev) echo "cmd:libnet-config|pc:libnet" ;;
	libpcap-dev) echo "pc:libpcap" ;;
	libyaml-dev) echo "pc:yaml-0.1" ;;
	libmnl-dev) echo "pc:libmnl" ;;
	libnftnl-dev) echo "pc:libnftnl" ;;
	liblwip-dev) echo "pc:lwip" ;;
	libcmocka-dev) echo "pc:cmocka" ;;
	tshark) echo "cmd:tshark" ;;
	iproute2) echo "cmd:ip" ;;
	nftables) echo "cmd:nft" ;;
	libxml2-utils) echo "cmd:xmllint" ;;
	python3-junitparser) echo "py:junitparser" ;;
	python3-jsonschema) echo "py:jsonschema" ;;
	chromium) echo "cmd:chromium|chromium-browser" ;;
	esac
}

# Whether one "kind:name|kind:name" alternative list is satisfied.
found() {
	old_ifs=$IFS
	IFS='|'
	set -- $1
	IFS=$old_ifs
	kind=
	for alt in "$@"; do
		case "$alt" in
		*:*) kind=${alt%%:*}; name=${alt#*:} ;;
		*) name=$alt ;;
		esac
		case "$kind" in
		cmd) command -v "$name" >/dev/null 2>&1 && return 0 ;;
		pc) pkg-config --exists "$name" 2>/dev/null && return 0 ;;
		py) /usr/bin/python3 -c "import $name" >/dev/null 2>&1 && return 0 ;;
		esac
	done
	return 1
}

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
	for p in $packages; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing="$missing $p"
		fi
	done
else
	for p in $packages; do
		what=$(provides "$p")
		found "$what" || missing="$missing $p (${what})"
	done
	[ -z "$missing" ] && exit 0
	msg="missing ($group; no dpkg here, so what each package provides was looked for):$missing"
	if [ "$check_only" = yes ]; then
		echo "$msg"
	else
		echo "$msg" >&2
		echo "install them with the system's package manager, or run on Debian" >&2
	fi
	exit 1
fi

if [ "$check_only" = yes ]; then
	if [ -n "$missing" ]; then
		echo "missing Debian packages ($group):$missing"
		exit 1
	fi
	exit 0
fi

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "tcpconform needs these Debian packages ($group):$missing" >&2
	echo "run as root:  apt-get install -y$missing" >&2
	exit 1
fi

echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
if ! apt-get install -y --no-install-recommends $missing; then
	apt-get update
	apt-get install -y --no-install-recommends $missing
fi
