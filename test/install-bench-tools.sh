#!/usr/bin/env bash
# What `make bench-e2e` needs beyond the test tools: iptables (Debian), so kube-aad-proxy's Service forwards in the
# kernel as kube-proxy does. Without root or apt-get the bench still runs, with a userspace forwarder, and says so.
set -euo pipefail
if command -v iptables >/dev/null; then
  echo "    $(iptables -V) installed"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "    note: iptables missing and cannot be installed here (needs root and apt-get); the bench uses a userspace Service forwarder"
  exit 0
fi
echo "    installing iptables (Debian)"
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null
iptables -V
