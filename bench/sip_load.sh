#!/usr/bin/env bash
# SIP load run inside a private network namespace (loopback + a veth that leads nowhere):
# SIPp places RATE calls a second, each holding HOLD_MS with PCMU RTP (a 440 Hz tone)
# into one meeting, in ROUNDS rounds that together last SECONDS; after each round the
# gateway settles SETTLE_S seconds and its goroutines, Go live heap and RSS are read.
# A leak grows them round after round; the first round is the baseline (it warms up the
# meeting core, the allocator and the runtime's page cache). Exits non-zero when a call
# failed, or when after the last round goroutines exceed the first round's by more than
# 10 % + 20, or the live heap by more than 25 % + 16 MB.
# Usage: bench/sip_load.sh [RATE=20] [SECONDS=600] [HOLD_MS=2000] [SETTLE_S=45] [ROUNDS=2]
#        (after `make build`; needs sipp, sox, python3, curl)
set -euo pipefail
if [ -z "${IN_NETNS:-}" ]; then
  exec unshare -n env IN_NETNS=1 bash -c 'ip link set lo up && ip link add rgv0 type veth peer name rgv1 && ip addr add 10.203.0.1/32 dev rgv0 && ip link set rgv0 up && ip link set rgv1 up && exec "$0" "$@"' "$0" "$@"
fi
RATE=${1:-20}; SECS=${2:-600}; HOLD=${3:-2000}; SETTLE=${4:-45}; ROUNDS=${5:-2}
here=$(cd "$(dirname "$0")" && pwd); BIN=${ROOMGATE_BIN:-$here/../bin/roomgate}
dir=$(mktemp -d); trap 'kill $RG 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
P=${PORT_BASE:-31000}
. "$here/lib.sh"
# A load test comes from one address: SIP_EXTRA (YAML under sip:) may raise per-source limits.
start_gateway $((P + 80)) $((P + 880)) $((P + 60)) 36000 39998 "log: {level: warn, format: json}
debug: {pprof_listen: \"127.0.0.1:$((P + 66))\"}" "${SIP_EXTRA:-}"
cp "$here/sipp/uac_audio.xml" "$dir/"
sox -n -r 8000 -c 1 -t ul "$dir/sine.ulaw" synth 30 sine 440 vol 0.5
cd "$dir"

pprof=http://127.0.0.1:$((P + 66))/debug/pprof
goroutines() { curl -s "$pprof/goroutine?debug=1" | sed -n '1s/.*total //p'; }
# HeapAlloc after a GC (the live heap), in kB: what a leak grows (RSS lags: the runtime hands freed pages
# back to the kernel over minutes).
heap() { curl -s "$pprof/heap?debug=1&gc=1" | sed -n 's/^# HeapAlloc = \([0-9]*\).*/\1/p' | awk '{printf "%d", $1/1024}'; }
rss() { awk '/VmRSS/ {print $2}' /proc/$RG/status; }
sleep 2
echo "== idle: goroutines $(goroutines), live heap $(heap) kB, RSS $(rss) kB"
per=$((RATE * SECS / ROUNDS)); bad=0; total_ok=0; total_failed=0
for r in $(seq 1 "$ROUNDS"); do
  sipp -sf uac_audio.xml -s "$ID" 127.0.0.1:$((P + 60)) -i 127.0.0.1 -p $((P + 90)) -mi 127.0.0.1 -mp 40000 \
    -r "$RATE" -m "$per" -l $((RATE * (HOLD / 1000 + 10))) -d "$HOLD" -nostdin -timeout $((SECS + 300)) \
    -trace_stat -stf "stat$r.csv" -fd 5 -trace_err -error_file "err$r.log" >"sipp$r.out" 2>&1 && rc=0 || rc=$?
  peak_g=$(goroutines); peak_h=$(heap)
  read -r ok failed < <(python3 - "stat$r.csv" <<'PY'
import csv,sys
try: rows=list(csv.reader(open(sys.argv[1]), delimiter=';'))
except OSError: rows=[]
h=rows[0] if rows else []
last=rows[-1] if len(rows)>1 else []
get=lambda k: int(last[h.index(k)]) if k in h and last else -1
print(get('SuccessfulCall(C)'), get('FailedCall(C)'))
PY
)
  total_ok=$((total_ok + ok)); total_failed=$((total_failed + failed))
  sleep "$SETTLE"
  g=$(goroutines); h=$(heap); m=$(rss)
  echo "== round $r: $per calls at $RATE/s (${HOLD} ms, PCMU RTP): sipp exit $rc, successful $ok, failed $failed;" \
    "at its end goroutines $peak_g, heap $peak_h kB; ${SETTLE}s later goroutines $g, live heap $h kB, RSS $m kB"
  [ "$ok" = "$per" ] && [ "$failed" = 0 ] || { echo "FAIL: round $r: $failed failed, $ok of $per successful"; head -20 "err$r.log" 2>/dev/null; bad=1; }
  if [ "$r" = 1 ]; then g1=$g; h1=$h; m1=$m; fi
done
if [ "$ROUNDS" -gt 1 ]; then
  # The meeting core ends a departed participant's goroutines over tens of seconds:
  # give them up to 30 s more to come back.
  lim=$(python3 -c "print(int($g1*1.1+20))")
  for _ in $(seq 30); do [ "$g" -le "$lim" ] && break; sleep 1; g=$(goroutines); done
  [ "$g" -le "$lim" ] || { echo "FAIL: goroutines grew $g1 → $g"; bad=1; }
  # Likewise the live heap: a departed participant's state in the meeting core goes
  # some tens of seconds after it left.
  hlim=$(python3 -c "print(int($h1*1.25+16384))")
  for _ in $(seq 60); do [ "$h" -le "$hlim" ] && break; sleep 1; h=$(heap); done
  [ "$h" -le "$hlim" ] || { echo "FAIL: live heap grew $h1 → $h kB"; bad=1; }
fi
echo "== total: $total_ok successful, $total_failed failed of $((per * ROUNDS)); after round 1 → round $ROUNDS: goroutines $g1 → $g, live heap $h1 → $h kB, RSS $m1 → $(rss) kB"
[ -z "${KEEP:-}" ] || { curl -s "$pprof/goroutine?debug=1" >goroutines.txt; curl -s "$pprof/heap?gc=1" >heap.pb.gz; echo "kept in $dir"; }
exit $bad
