#!/usr/bin/env bash
# Memory of roomgate idle and during a two-participant browser meeting (peak RSS),
# inside a private network namespace. Usage: bench/meeting_mem.sh [HOLD_S=20] (after make build)
set -euo pipefail
if [ -z "${IN_NETNS:-}" ]; then
  exec unshare -n env IN_NETNS=1 bash -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi
HOLD=${1:-20}
here=$(cd "$(dirname "$0")" && pwd); BIN=${ROOMGATE_BIN:-$here/../bin/roomgate}
dir=$(mktemp -d); trap 'kill $RG 2>/dev/null; rm -rf "$dir"' EXIT
cat >"$dir/rg.yaml" <<YAML
http: {listen: 127.0.0.1:58080}
data_dir: data
meeting: {embedded: {port: 57880, rtc_udp_port: 57882, rtc_tcp_port: 57881}}
YAML
"$BIN" serve --config "$dir/rg.yaml" >"$dir/out" 2>"$dir/log" & RG=$!
until curl -sf http://127.0.0.1:58080/healthz >/dev/null; do sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' /proc/$RG/status; }
sleep 3; echo "idle RSS: $(( $(rss) / 1024 )) MiB"
peak=0
ROOMGATE_URL=http://127.0.0.1:58080 ROOMGATE_TOKEN=$(cat "$dir/data/api_token") HOLD_S=$HOLD ARTIFACTS_DIR="$dir" \
  node "$here/two_participants.mjs" & N=$!
while kill -0 $N 2>/dev/null; do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r; sleep 0.5; done
wait $N
echo "two-participant meeting peak RSS: $(( peak / 1024 )) MiB"
