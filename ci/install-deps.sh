#!/bin/sh
# Installs the Debian packages tcpconform needs to build and test.
#   ci/install-deps.sh          install what is missing (needs root)
#   ci/install-deps.sh --check  exit 0 if everything is there, else list what is missing
set -eu

PACKAGES="gcc make pkg-config libnet1-dev libpcap-dev libyaml-dev libcmocka-dev libmnl-dev libnftnl-dev liblwip-dev iproute2 tshark nftables libxml2-utils python3-junitparser python3-jsonschema chromium"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ "${1:-}" = "--check" ]; then
	if [ -n "$missing" ]; then
		echo "missing Debian packages:$missing"
		exit 1
	fi
	exit 0
fi

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "tcpconform needs these Debian packages:$missing" >&2
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
