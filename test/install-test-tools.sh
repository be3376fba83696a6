#!/usr/bin/env bash
# Debian packages the e2e suite drives as second clients: python3-kubernetes (the official Python client).
set -euo pipefail
if /usr/bin/python3 -c 'import kubernetes' 2>/dev/null; then
  echo "    python3-kubernetes $(/usr/bin/python3 -c 'import kubernetes; print(kubernetes.__version__)') installed"
  exit 0
fi
command -v apt-get >/dev/null || { echo "error: python3-kubernetes is missing and there is no apt-get: install the Python 'kubernetes' package for /usr/bin/python3" >&2; exit 1; }
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "    installing python3-kubernetes (Debian)"
$sudo apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-kubernetes >/dev/null
/usr/bin/python3 -c 'import kubernetes' || { echo "error: python3-kubernetes did not install" >&2; exit 1; }
