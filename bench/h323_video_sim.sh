#!/usr/bin/env bash
# Gateway CPU per H.323 call vs per SIP call in the same run (issue 12: within 10 %).
# One gateway with the SIP and H.323 legs; RUNS times N SIP calls and N H.323 calls
# (fastStart + tunnelling), one cmd/roomsim process per call for both protocols so
# that the callers weigh the same on the machine, started 200 ms apart (as
# bench/sip_video_sim.sh starts its calls), each call sending
# G.722 audio (pre-encoded; one room talks, the others send room noise at about
# −65 dBov) and 1280x720 30 fps H.264 (~1.8 Mbit/s, Constrained Baseline) replayed
# from a pre-encoded clip: G.722 ⇄ Opus, H.264 passed through. The order alternates
# (odd runs SIP first, even runs H.323 first) so that drift in the machine's load
# does not favour one side. Gateway CPU is utime+stime from /proc over HOLD_S s
# starting 4 s after the last call joined; per call = (gateway − idle) / N. A run
# counts only when every call was established and received audio and H.264.
# (The callers' shape matters on a small machine: with the N SIP calls from one
# roomsim, as bench/sip_video_sim.sh makes them, SIP measured ~10 % cheaper per call
# than N H.323 roomsims; with one process per call for both, H.323/SIP was 0.99 and
# 1.05 in two 5-run sets, and 1.00 audio only.)
# VIDEO=none: audio only (to tell the audio path's share of a difference from video's).
# PROFILE=DIR: CPU profiles (pprof) of the gateway over the last run's windows.
# Usage: [VIDEO=none] [PROFILE=dir] bench/h323_video_sim.sh [N=10] [HOLD_S=20] [RUNS=3]   (after make build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/.." && pwd)
CLIP=${ROOMSIM_CLIP:-/tmp/roomsim-720p.h264}
if [ -z "${IN_NETNS:-}" ]; then
  . "$here/lib.sh"
  make_clip "$CLIP" # the clip of bench/sip_video_sim.sh
  dir=$(mktemp -d)
  (cd "$repo" && go build -o "$dir/roomsim" ./cmd/roomsim) || { rm -rf "$dir"; exit 1; }
  exec unshare -n env IN_NETNS=1 ROOMSIM_CLIP="$CLIP" BENCH_DIR="$dir" bash -c 'ip link set lo up && ip link add rgv0 type veth peer name rgv1 && ip addr add 10.203.0.1/32 dev rgv0 && ip link set rgv0 up && ip link set rgv1 up && exec "$0" "$@"' "$0" "$@"
fi
N=${1:-10}; HOLD=${2:-20}; RUNS=${3:-3}; PROFILE=${PROFILE:-}
VIDEOARGS="-video $CLIP -fps 30"; [ "${VIDEO:-}" != none ] || VIDEOARGS=""
BIN=${ROOMGATE_BIN:-$repo/bin/roomgate}
dir=${BENCH_DIR:-$(mktemp -d)}; SIM=$dir/roomsim; RG=; SPS=
[ -x "$SIM" ] || (cd "$repo" && go build -o "$SIM" ./cmd/roomsim)
trap 'for p in $SPS; do kill $p 2>/dev/null; done; [ -z "$RG" ] || kill $RG 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
. "$here/lib.sh"
PPROF=127.0.0.1:26260
API=127.0.0.1:28680
start_gateway 28680 28780 25660 24000 24998 "log: {level: warn}
debug: {pprof_listen: \"$PPROF\"}
h323: {enabled: true, listen: \"127.0.0.1:1720\", ras_listen: \"\"}"
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime of a pid
pct() { python3 -c "print(($2 - $1) / $hz / $HOLD * 100)"; }   # ticks t0 t1 → % of one core
count() { # participants of kind $1 in the meeting
  curl -s -H "Authorization: Bearer $T" "http://$API/api/v1/meetings/$ID/participants" |
    python3 -c "import json,sys;print(sum(p.get('kind')=='$1' for p in json.load(sys.stdin)['participants']))"
}

echo "== gateway idle for ${HOLD}s"
t0=$(ticks $RG); sleep "$HOLD"; t1=$(ticks $RG); IDLE=$(pct "$t0" "$t1")
printf 'idle: %.2f%% of one core\n' "$IDLE"

# start_sip OUT: N SIP calls, one roomsim each (like the H.323 calls), 200 ms apart,
# all hung up together; the first talks.
start_sip() {
  local i talkers
  for i in $(seq 1 "$N"); do
    talkers=1; [ "$i" = 1 ] || talkers=0 # 0: room noise
    "$SIM" -gw 127.0.0.1:25660 -meeting "$ID" -n 1 -d "$((HOLD * 1000 + 8000 + (N - i) * 200))ms" $VIDEOARGS \
      -bind 127.0.0.1 -rtp-base "$((31000 + 4 * i))" -talkers "$talkers" >"$1-$i.out" 2>"$1-$i.err" & SPS="$SPS $!"
    sleep 0.2
  done
}
# start_h323 OUT: N H.323 calls, one roomsim each, 200 ms apart, all hung up together.
start_h323() {
  local i tone
  for i in $(seq 1 "$N"); do
    tone=500; [ "$i" = 1 ] || tone=0 # roomsim's default tone, as the SIP talker; 0: room noise
    "$SIM" -h323 127.0.0.1:1720 -alias "$ID" -d "$((HOLD * 1000 + 8000 + (N - i) * 200))ms" $VIDEOARGS \
      -bind 127.0.0.1 -tone "$tone" >"$1-$i.out" 2>"$1-$i.err" & SPS="$SPS $!"
    sleep 0.2
  done
}

# run_calls LABEL RUN: N calls of LABEL (sip|h323); gateway CPU over HOLD s starting 4 s
# after all N joined; appends "LABEL per-call-% gateway-%" to $dir/results.
run_calls() {
  local label=$1 run=$2 out="$dir/sim-$1-$2"
  "start_$label" "$out"
  local waited=0
  until [ "$(count "$label")" = "$N" ]; do
    sleep 0.2; waited=$((waited + 1))
    if [ $waited -gt 300 ]; then echo "$label: only $(count "$label") of $N calls joined:"; tail -3 "$out"-*; exit 1; fi
  done
  sleep 4
  local prof=
  if [ -n "$PROFILE" ] && [ "$run" = "$RUNS" ]; then
    mkdir -p "$PROFILE"
    curl -s -o "$PROFILE/gateway-$label.pprof" "http://$PPROF/debug/pprof/profile?seconds=$HOLD" & prof=$!
  fi
  local g0 g1; g0=$(ticks $RG); sleep "$HOLD"; g1=$(ticks $RG)
  [ -z "$prof" ] || wait "$prof"
  local p rc=0; for p in $SPS; do wait "$p" || rc=$?; done; SPS=
  [ $rc = 0 ] || { echo "$label: a roomsim exited $rc:"; tail -3 "$out"-*; exit 1; }
  python3 - "$label" "$N" "$IDLE" "$(pct "$g0" "$g1")" "$out" "$VIDEOARGS" >>"$dir/results" <<'PY'
import glob, json, sys
label, n, idle, g, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
calls = []
for f in sorted(glob.glob(out + "-*.out")):
    calls += json.loads(open(f).read().strip().splitlines()[-1])["calls"]
video = bool(sys.argv[6])
ok = [c for c in calls if c["established"] and c["rx"]["audio_packets"] > 0 and (not video or c["rx"]["video_packets"] > 0 and c["video_tx"] > 0)]
if len(calls) != n or len(ok) != n:
    sys.exit(f"{label}: {len(ok)} of {len(calls)} calls established with media both ways (want {n})")
tx = sorted(c["video_tx"] for c in calls)
print(f"{label} {(g - idle) / n:.4f} {g:.3f}")
print(f"# {label}: gateway {g:.1f}% of one core, {(g - idle) / n:.3f}% per call (idle subtracted); "
      f"video packets sent per call {tx[0]}–{tx[-1]} (median {tx[n // 2]})", file=sys.stderr)
PY
  sleep 3
}

: >"$dir/results"
for run in $(seq 1 "$RUNS"); do
  echo "== run $run of $RUNS: $N calls each (G.722${VIDEOARGS:+ + H.264 1280x720@30}, one talking), measured over ${HOLD}s"
  if [ $((run % 2)) = 1 ]; then order="sip h323"; else order="h323 sip"; fi
  for label in $order; do run_calls "$label" "$run" 2>&1; done
done
python3 - "$dir/results" "$N" "${VIDEOARGS:+ + 720p H.264 passthrough}" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
per = {k: [float(r[1]) for r in rows if r[0] == k] for k in ("sip", "h323")}
gw = {k: [float(r[2]) for r in rows if r[0] == k] for k in ("sip", "h323")}
print(f"== {len(per['sip'])} runs, {sys.argv[2]} calls each, G.722 ⇄ Opus{sys.argv[3]}, one talking")
for k in ("sip", "h323"):
    print(f"{k:4}: per call " + ", ".join(f"{v:.3f}%" for v in per[k]) +
          f"; median {statistics.median(per[k]):.3f}% of one core (gateway median {statistics.median(gw[k]):.1f}%)")
s, h = statistics.median(per["sip"]), statistics.median(per["h323"])
pairs = [b / a for a, b in zip(per["sip"], per["h323"])]
print(f"H.323/SIP per call: {h / s:.3f} (median of each); per run " + ", ".join(f"{r:.3f}" for r in pairs) +
      f" (median {statistics.median(pairs):.3f})")
PY
echo "($(nproc) CPUs; machine load: $(cut -d' ' -f1-3 /proc/loadavg))"
