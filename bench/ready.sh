#!/usr/bin/env bash
# Measures `roomgate serve` start → /healthz 200 (N runs, median) and the idle RSS.
# Usage: bench/ready.sh [N]   (after `make build`; uses free loopback ports and a temp data dir)
set -euo pipefail
N=${1:-5}
BIN=${ROOMGATE_BIN:-$(dirname "$0")/../bin/roomgate}
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
uport() { python3 -c 'import socket;s=socket.socket(type=socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
HP=$(port)
cat >"$dir/rg.yaml" <<YAML
http: {listen: 127.0.0.1:$HP}
data_dir: data
meeting: {embedded: {port: $(port), rtc_udp_port: $(uport), rtc_tcp_port: $(port)}}
YAML
times=()
for i in $(seq "$N"); do
  start=$(date +%s%N)
  "$BIN" serve --config "$dir/rg.yaml" >/dev/null 2>"$dir/log" &
  pid=$!
  until curl -sf "http://127.0.0.1:$HP/healthz" >/dev/null 2>&1; do sleep 0.01; done
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
  if [ "$i" = "$N" ]; then
    sleep 5
    echo "idle RSS after 5 s: $(awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$pid/status)"
  fi
  kill -TERM $pid; wait $pid || true
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "start→ready ms: $(echo $sorted | tr '\n' ' ')"
echo "median: $(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') ms"
