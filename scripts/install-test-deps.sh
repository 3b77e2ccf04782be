#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine: the system tools of the lab (real sshd, iproute2, systemd-networkd, dbus
# and netplan for lab nodes with lab.networkManager,
# iptables, ping inside network namespaces; python3-minimal for the TCP listeners of the DNAT and diagnose tests; conntrack for
# diagnose's preflight check; containernetworking-plugins for real CNI plugins in /usr/lib/cni; chromium-headless-shell and
# fonts-dejavu-core to open `netstrap graph`'s SVG in a real browser; openssl for the self-signed TLS certificates of the
# ingress and warning tests) and the node modules from the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(systemd dbus netplan.io openssh-server openssh-client iproute2 iptables iputils-ping kmod procps util-linux python3-minimal conntrack containernetworking-plugins chromium-headless-shell fonts-dejavu-core openssl)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "install as root: apt-get install -y ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
