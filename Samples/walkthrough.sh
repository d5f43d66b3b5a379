#!/usr/bin/env bash
# The hash bank end to end, on a temporary data directory:
#   1. start `nccmatch serve`, 2. add a platform, 3. open a case from the sample pictures (hashes only),
#   4. the platform matches a re-encoded, resized copy of one picture, 5. reports feedback,
#   6. the victim sees the status, 7. withdraws, 8. the copy no longer matches.
# Usage: Samples/walkthrough.sh [path/to/nccmatch]   (default: builds and uses the release binary)
# Needs djpeg and cjpeg (Debian: libjpeg-turbo-progs) to make the copy, and python3 to read JSON.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

nccmatch="${1:-}"
if [ -z "$nccmatch" ]; then
  swift build -c release --product nccmatch >&2
  nccmatch="$(swift build -c release --show-bin-path)/nccmatch"
fi
for tool in djpeg cjpeg python3; do
  command -v "$tool" >/dev/null || { echo "walkthrough: $tool is needed (apt-get install libjpeg-turbo-progs python3)" >&2; exit 1; }
done

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"   # the data directory and the re-encoded copy: nothing is left behind
}
trap cleanup EXIT
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
step() { printf '\n== %s\n' "$*"; }

step "1. the operator starts the bank on an empty data directory"
"$nccmatch" serve --data "$work/data" --port 0 --log-level warning > "$work/serve.out" &
server_pid=$!
for _ in $(seq 1 200); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.05; done
server="$(sed -n 's/^listening on //p' "$work/serve.out")"
for _ in $(seq 1 200); do curl -fs "$server/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
echo "serving at $server"

step "2. the operator adds a platform; its API key is printed once"
key="$("$nccmatch" admin platform add example-platform --data "$work/data" 2>/dev/null)"
"$nccmatch" admin platform list --data "$work/data"

step "3. a person opens a case: the pictures are hashed here, only hashes are sent"
"$nccmatch" case submit --server "$server" Samples/images | tee "$work/case.txt"
case_id="$(sed -n 's/^ *Case id: *//p' "$work/case.txt")"
export NCCMATCH_CASE_SECRET="$(sed -n 's/^ *Secret: *//p' "$work/case.txt")"

step "4. the platform hashes an upload (a re-encoded copy at half size) and matches it"
djpeg -scale 1/2 Samples/images/scikit-image__rocket.jpg | cjpeg -quality 60 > "$work/upload.jpg"
"$nccmatch" match --server "$server" --api-key "$key" "$work/upload.jpg" | tee "$work/match.jsonl"
match_ref="$(json 'd["matches"][0]["id"]' < "$work/match.jsonl")"
echo "matched: $match_ref (an opaque reference: it names neither the case nor its hashes)"

step "5. the platform reviews the upload, removes it and reports back"
curl -fsS -X POST "$server/v1/feedback" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d "{\"match_ref\": \"$match_ref\", \"outcome\": \"removed\", \"content_id\": \"upload-42\"}"
echo

step "6. the person checks on the case"
"$nccmatch" case status --server "$server" "$case_id"

step "7. the person withdraws the case: the hashes are deleted"
"$nccmatch" case withdraw --yes --server "$server" "$case_id"   # --yes: no terminal here to confirm at

step "8. the same upload no longer matches"
"$nccmatch" match --server "$server" --api-key "$key" "$work/upload.jpg" | tee "$work/after.jsonl"
[ "$(json 'len(d["matches"])' < "$work/after.jsonl")" = "0" ] || { echo "walkthrough: the copy still matches" >&2; exit 1; }

step "the operator's audit log (no hashes, no secrets)"
"$nccmatch" admin audit --data "$work/data"
echo
echo "walkthrough: all steps passed"
