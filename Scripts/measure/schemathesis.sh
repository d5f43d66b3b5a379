#!/usr/bin/env bash
# Runs schemathesis (every check, --max-examples per operation) against the OpenAPI document that a real
# `nccmatch serve` serves, on a temporary bank with one platform key; prints schemathesis' summary.
# Usage: Scripts/measure/schemathesis.sh path/to/nccmatch [max-examples]   (needs `st` on PATH: pip install schemathesis)
set -euo pipefail
binary=$1
examples=${2:-50}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/nccmatch-st.XXXXXX")
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
key=$("$binary" admin platform add schemathesis --data "$work/data")
# Limits opened wide so that the run explores the API rather than the rate limits (their own tests cover them).
"$binary" serve --data "$work/data" --port 0 --secret-rounds 1000 --log-level error \
  --rate-requests 100000 --rate-hashes 100000000 --case-burst 100000 --cases-per-hour 1e9 --secret-failures 100000 \
  > "$work/serve.out" &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$work/serve.out")
st --config-file "$here/schemathesis.toml" run "$base/v1/openapi.json" --checks all --max-examples "$examples" \
  -H "Authorization: Bearer $key"
