#!/usr/bin/env bash
# Gateway CPU per audio call with SRTP vs. plain RTP in the same run (issue 11: SRTP within
# 15 % of plain RTP). One gateway with sip.srtp: optional (SRTP when offered, plain RTP
# otherwise); RUNS times N cmd/roomsim calls plain and N with -srtp (RTP/SAVP with SDES
# keys, AES_CM_128_HMAC_SHA1_80 answered; roomsim protects what it sends and authenticates
# what it receives), each held HOLD_S s. The order alternates (odd runs plain first, even
# runs SRTP first) so that drift in the machine's load does not favour one side. G.722
# audio only; TALKERS=k (default 1: one room talks, the others send room noise at about
# −65 dBov; -1: all talk). Gateway CPU is utime+stime from /proc over the hold window;
# per call = (gateway − idle) / N. A run counts as SRTP only when roomsim reports every
# call keyed, received packets that authenticated and none that failed, and the gateway
# logged no SRTP failures. PROFILE=DIR: CPU profiles (pprof) of the gateway over the last
# run's plain and SRTP windows are written to DIR.
# Usage: [TALKERS=k] [PROFILE=dir] bench/sip_srtp.sh [N=10] [HOLD_S=20] [RUNS=3]   (after make build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/.." && pwd)
if [ -z "${IN_NETNS:-}" ]; then
  dir=$(mktemp -d)
  (cd "$repo" && go build -o "$dir/roomsim" ./cmd/roomsim) || { rm -rf "$dir"; exit 1; }
  exec unshare -n env IN_NETNS=1 BENCH_DIR="$dir" bash -c 'ip link set lo up && ip link add rgv0 type veth peer name rgv1 && ip addr add 10.203.0.1/32 dev rgv0 && ip link set rgv0 up && ip link set rgv1 up && exec "$0" "$@"' "$0" "$@"
fi
N=${1:-10}; HOLD=${2:-20}; RUNS=${3:-3}; TALKERS=${TALKERS:-1}; PROFILE=${PROFILE:-}
BIN=${ROOMGATE_BIN:-$repo/bin/roomgate}
dir=${BENCH_DIR:-$(mktemp -d)}; SIM=$dir/roomsim; RG=; SP=
[ -x "$SIM" ] || (cd "$repo" && go build -o "$SIM" ./cmd/roomsim)
trap '[ -z "$SP" ] || kill $SP 2>/dev/null; [ -z "$RG" ] || kill $RG 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
. "$here/lib.sh"
PPROF=127.0.0.1:26160
start_gateway 28480 28580 25460 24000 24998 "log: {level: warn}
debug: {pprof_listen: \"$PPROF\"}" '  srtp: optional'
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime of a pid
pct() { python3 -c "print(($2 - $1) / $hz / $HOLD * 100)"; }   # ticks t0 t1 → % of one core

echo "== gateway idle for ${HOLD}s"
t0=$(ticks $RG); sleep "$HOLD"; t1=$(ticks $RG); IDLE=$(pct "$t0" "$t1")
printf 'idle: %.2f%% of one core\n' "$IDLE"

# run_calls LABEL RUN [-srtp]: N roomsim calls; gateway and roomsim CPU over HOLD s starting
# 4 s after the last call was established; appends "LABEL per-call-% gateway-%" to $dir/results.
run_calls() {
  local label=$1 run=$2 out="$dir/sim-$1-$2.out" err="$dir/sim-$1-$2.err"; shift 2
  "$SIM" -gw 127.0.0.1:25460 -meeting "$ID" -n "$N" -d "$((HOLD + 8))s" -bind 127.0.0.1 -rtp-base 32000 \
    -talkers "$TALKERS" -stagger 200ms "$@" >"$out" 2>"$err" & SP=$!
  local waited=0
  until grep -q "^started:" "$out" 2>/dev/null; do
    sleep 0.1; waited=$((waited + 1))
    if ! kill -0 $SP 2>/dev/null || [ $waited -gt 600 ]; then echo "roomsim did not start its calls:"; cat "$out" "$err"; exit 1; fi
  done
  sleep 4
  local prof=
  if [ -n "$PROFILE" ] && [ "$run" = "$RUNS" ]; then
    mkdir -p "$PROFILE"; prof="$PROFILE/gateway-$label.pprof"
    curl -s -o "$prof" "http://$PPROF/debug/pprof/profile?seconds=$HOLD" & prof=$!
  fi
  local g0 s0 g1 s1; g0=$(ticks $RG); s0=$(ticks $SP); sleep "$HOLD"; g1=$(ticks $RG); s1=$(ticks $SP)
  [ -z "$prof" ] || wait "$prof"
  local rc=0; wait $SP || rc=$?; SP=
  [ $rc = 0 ] || { echo "roomsim exited $rc:"; cat "$out"; tail -5 "$err"; exit 1; }
  grep -q "^calls: $N established: $N" "$out" || { echo "not all calls established:"; cat "$out"; exit 1; }
  if [ "$label" = srtp ]; then
    # every call keyed, packets from the gateway authenticated under its key, none failed
    grep -Eq "^srtp: keyed $N of $N calls, [1-9][0-9]* packets authenticated, 0 failed" "$out" ||
      { echo "SRTP not in effect:"; cat "$out"; exit 1; }
  elif grep -q '^srtp:\|srtp AES' "$out"; then
    echo "plain run keyed SRTP:"; cat "$out"; exit 1
  fi
  # the gateway logs packets that did not authenticate (srtp_failures) with its drop counters
  if grep -Eq 'srtp_failures=[1-9]' "$dir/log"; then echo "gateway dropped SRTP packets:"; grep srtp_failures "$dir/log" | tail -3; exit 1; fi
  local g s; g=$(pct "$g0" "$g1"); s=$(pct "$s0" "$s1")
  python3 - "$label" "$N" "$IDLE" "$g" "$s" "$(grep -m1 '^call  1' "$out")" "$(grep '^srtp:' "$out" || true)" >>"$dir/results" <<'PY'
import sys
label, n, idle, g, s, call1, keyed = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:6]), sys.argv[6], sys.argv[7]
print(f"{label} {(g - idle) / n:.4f} {g:.3f} {s:.3f}")
print(f"# {label}: gateway {g:.1f}% of one core, {(g - idle) / n:.3f}% per call (idle subtracted); roomsim {s:.1f}%", file=sys.stderr)
print(f"#   {call1.strip()}", file=sys.stderr)
if keyed:
    print(f"#   {keyed}", file=sys.stderr)
PY
  sleep 3
}

: >"$dir/results"
for run in $(seq 1 "$RUNS"); do
  echo "== run $run of $RUNS: $N audio calls each, measured over ${HOLD}s"
  if [ $((run % 2)) = 1 ]; then order="plain srtp"; else order="srtp plain"; fi
  for label in $order; do
    if [ "$label" = srtp ]; then run_calls srtp "$run" -srtp 2>&1; else run_calls plain "$run" 2>&1; fi
  done
done
python3 - "$dir/results" "$N" "$TALKERS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
n, talkers = sys.argv[2], int(sys.argv[3])
per = {k: [float(r[1]) for r in rows if r[0] == k] for k in ("plain", "srtp")}
gw = {k: [float(r[2]) for r in rows if r[0] == k] for k in ("plain", "srtp")}
print(f"== {len(per['plain'])} runs, {n} G.722 calls each, talkers: {'all' if talkers < 0 else talkers}")
for k in ("plain", "srtp"):
    print(f"{k:5}: per call " + ", ".join(f"{v:.3f}%" for v in per[k]) +
          f"; median {statistics.median(per[k]):.3f}% of one core (gateway median {statistics.median(gw[k]):.1f}%)")
p, s = statistics.median(per["plain"]), statistics.median(per["srtp"])
pairs = [b / a for a, b in zip(per["plain"], per["srtp"])]
print(f"SRTP/plain per call: {s / p:.3f} (median of each); per run " + ", ".join(f"{r:.3f}" for r in pairs) +
      f" (median {statistics.median(pairs):.3f})")
PY
echo "($(nproc) CPUs; machine load: $(cut -d' ' -f1-3 /proc/loadavg))"
