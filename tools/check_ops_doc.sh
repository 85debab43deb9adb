#!/usr/bin/env bash
# Fails when docs/supported_ops.md differs from what the registry generates now.
set -euo pipefail
gen=$("$1")
if ! diff -u "$2" <(printf '%s\n' "$gen") >/tmp/pl_ops_doc.diff; then
  echo "docs/supported_ops.md is stale; regenerate: build/tools/pl_ops_doc > docs/supported_ops.md" >&2
  head -40 /tmp/pl_ops_doc.diff >&2
  exit 1
fi
echo "docs/supported_ops.md is current"
