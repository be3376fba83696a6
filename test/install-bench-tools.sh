#!/usr/bin/env bash
# What `make bench-e2e` needs beyond the test tools: iptables (Debian), so kube-aad-proxy's Service forwards in the
# kernel as kube-proxy does. Without root or apt-get the bench still runs, with a userspace forwarder, and says so.
# With BENCH_STRACE=1 also strace, which the benches attach to count system calls (they stop at start without it).
set -euo pipefail
can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
updated=
apt_install() {
  [ -n "$updated" ] || { apt-get update -qq >/dev/null; updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

if command -v iptables >/dev/null; then
  echo "    $(iptables -V) installed"
elif ! can_install; then
  echo "    note: iptables missing and cannot be installed here (needs root and apt-get); the bench uses a userspace Service forwarder"
else
  echo "    installing iptables (Debian)"
  apt_install iptables
  iptables -V
fi

if [ "${BENCH_STRACE:-}" = 1 ]; then
  if command -v strace >/dev/null; then
    echo "    $(strace -V | sed -n 1p) installed"
  elif ! can_install; then
    echo "    BENCH_STRACE=1 needs strace, which is missing and cannot be installed here (needs root and apt-get)" >&2
    exit 1
  else
    echo "    installing strace (Debian)"
    apt_install strace
    strace -V | sed -n 1p
  fi
fi
