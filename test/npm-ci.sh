#!/usr/bin/env bash
# npm ci, failing when npm reports a deprecated package: the dependency tree must hold none.
set -euo pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The machine's Node may be older than ours (the npm `node` package brings Node 24), so npm's engine
# warnings about the running npm are expected here and filtered; everything else is shown.
if ! npm ci --no-audit --no-fund >"$log" 2>&1; then
  cat "$log" >&2
  echo "error: npm ci failed (output above)" >&2
  exit 1
fi
grep -v -e 'EBADENGINE' -e 'Unknown user config' "$log" || true
if grep -q 'npm warn deprecated' "$log"; then
  grep 'npm warn deprecated' "$log" >&2
  echo "error: npm reports deprecated packages in the dependency tree: replace them or override their versions" >&2
  exit 1
fi
