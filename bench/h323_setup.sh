#!/usr/bin/env bash
# H.323 call setup benchmark inside a private network namespace (loopback + a veth
# that leads nowhere), with cmd/roomsim as the room system:
#   1. Setup → Connect of fastStart dial-ins (tunnelled H.245), p50/p99 over CALLS
#      sequential calls held 200 ms each;
#   2. Setup → first media packet received with a separate H.245 connection (no
#      fastStart, h245Address in Setup), p50/p99 over CALLS sequential calls.
# RUNS runs of each; prints every run and the median of the runs' p50 and p99.
# Usage: bench/h323_setup.sh [CALLS=100] [RUNS=3]   (after `make build`)
set -euo pipefail
if [ -z "${IN_NETNS:-}" ]; then
  exec unshare -n env IN_NETNS=1 bash -c 'ip link set lo up && ip link add rgv0 type veth peer name rgv1 && ip addr add 10.203.0.1/32 dev rgv0 && ip link set rgv0 up && ip link set rgv1 up && exec "$0" "$@"' "$0" "$@"
fi
CALLS=${1:-100}; RUNS=${2:-3}
here=$(cd "$(dirname "$0")" && pwd); BIN=${ROOMGATE_BIN:-$here/../bin/roomgate}
SIM=${ROOMSIM_BIN:-$here/../bin/roomsim}
[ -x "$SIM" ] || (cd "$here/.." && go build -o "$SIM" ./cmd/roomsim)
dir=$(mktemp -d); trap 'kill $RG 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
. "$here/lib.sh"
start_gateway 28180 27980 25160 44000 45998 'log: {level: warn}
h323:
  enabled: true
  listen: 127.0.0.1:1720
  ras_listen: ""'

run() { # LABEL FIELD_P50 FIELD_P99 ARGS...
  local label=$1 f50=$2 f99=$3; shift 3
  for r in $(seq "$RUNS"); do
    "$SIM" -h323 127.0.0.1:1720 -alias "$ID" -n "$CALLS" -d 200ms "$@" >"$dir/$label-$r.out" 2>"$dir/$label-$r.err" ||
      { echo "$label run $r: roomsim failed"; tail -3 "$dir/$label-$r.err"; }
    tail -1 "$dir/$label-$r.out" | python3 -c "import json,sys; d=json.load(sys.stdin); ok=sum(c['established'] for c in d['calls']); print(f'  run $r: {ok}/{len(d[\"calls\"])} calls  p50 {d.get(\"$f50\",0):.1f} ms  p99 {d.get(\"$f99\",0):.1f} ms')"
  done
  python3 - "$dir" "$label" "$f50" "$f99" <<'PY'
import json,sys,glob,statistics
d,label,f50,f99=sys.argv[1:]
rs=[json.loads(open(f).read().strip().splitlines()[-1]) for f in sorted(glob.glob(f"{d}/{label}-*.out"))]
print(f"  median of {len(rs)} runs: p50 {statistics.median(r.get(f50,0) for r in rs):.1f} ms  p99 {statistics.median(r.get(f99,0) for r in rs):.1f} ms")
PY
}
echo "== Setup→Connect, fastStart + tunnelling, $CALLS sequential calls × $RUNS runs"
run faststart connect_p50_ms connect_p99_ms -faststart=true -tunnel=true
echo "== Setup→first media, separate H.245 (h245Address in Setup, no fastStart), $CALLS calls × $RUNS runs"
run separate first_media_p50_ms first_media_p99_ms -faststart=false -tunnel=false -h245-early
echo "($(nproc) CPUs; machine load: $(cut -d' ' -f1-3 /proc/loadavg))"
